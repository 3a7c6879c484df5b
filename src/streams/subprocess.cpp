// Child processes (asyncio.subprocess): spawn, pipes as streams, wait, signals.
#include "aio/subprocess.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "aio/gather.hpp"
#include "aio/sleep.hpp"
#include "core/c_string.hpp"
#include "core/spawn_setup.hpp"
#include "streams/connection.hpp"

extern char** environ;

namespace aio {

namespace detail {
namespace {

/// write(2) that never raises SIGPIPE, whatever this process's disposition
/// of it. A pipe has no MSG_NOSIGNAL, so SIGPIPE is blocked on this thread
/// around the write, and the one the write raised (it is directed at this
/// thread) is taken back before the mask is restored. A SIGPIPE that was
/// already pending before the write is left alone.
ssize_t write_without_sigpipe(int fd, const char* p, std::size_t n) {
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    ssize_t r = ::write(fd, p, n);
    int err = errno;
    if (r < 0 && err == EPIPE && !was_pending) {
        timespec zero{};
        while (sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = err;
    return r;
}

/// A pipe end as a byte stream (read(2)/write(2); EOF on the write side is closing it).
class PipeTransport final : public Transport {
public:
    explicit PipeTransport(int fd) : fd_(Socket::adopt(fd)) {}
    Task<std::size_t> read_some(char* buf, std::size_t n) override {
        while (true) {
            ssize_t r = ::read(fd_.fd(), buf, n);
            if (r >= 0) co_return static_cast<std::size_t>(r);
            if (errno == EINTR) continue;
            if (errno != EAGAIN) throw_os_error(errno, "read from a pipe", "");
            co_await wait_fd(fd_.fd(), true);
        }
    }
    std::size_t write_nowait(std::string_view data) override {
        while (true) {
            ssize_t r = write_without_sigpipe(fd_.fd(), data.data(), data.size());
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            if (errno == EPIPE)
                throw BrokenPipeError(EPIPE, "write to a pipe whose reader has closed it (the child exited or closed its stdin)", "");
            throw_os_error(errno, "write to a pipe", "");
        }
    }
    Task<> flush() override { co_await wait_fd(fd_.fd(), false); }
    Task<> write_eof() override {
        fd_.close();
        co_return;
    }
    void close() noexcept override { fd_.close(); }
    int fd() const noexcept override { return fd_.fd(); }

private:
    Socket fd_;  // only for its RAII close (and the loop's forget_fd)
};

std::shared_ptr<Connection> pipe_connection(int fd, std::size_t limit) {
    return std::make_shared<Connection>(std::make_unique<PipeTransport>(fd), limit);
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace
}  // namespace detail

struct Process::State {
    pid_t pid = -1;
    int pidfd = -1;
    std::optional<int> returncode;
    std::optional<StreamWriter> in;
    std::optional<StreamReader> out;
    std::optional<StreamReader> err;

    /// Reaps the child if it has exited; true once it has.
    bool poll() {
        if (returncode) return true;
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == 0) return false;
        if (r < 0) {
            returncode = 255;  // reaped elsewhere: the status is lost
        } else if (WIFEXITED(status)) {
            returncode = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            returncode = -WTERMSIG(status);
        } else {
            return false;
        }
        close_pidfd();
        return true;
    }
    void close_pidfd() noexcept {
        if (pidfd >= 0) {
            detail::forget_fd(pidfd);
            ::close(pidfd);
            pidfd = -1;
        }
    }
    ~State() { close_pidfd(); }
};

namespace {

Task<> reap_later(std::shared_ptr<Process::State> s) {
    try {
        while (!s->poll()) {
            if (s->pidfd >= 0)
                co_await detail::wait_fd(s->pidfd, true);
            else
                co_await sleep(std::chrono::milliseconds(10));
        }
    } catch (...) {
        // The loop is shutting down: the child is left to the system.
    }
}

}  // namespace

Process::Process(std::shared_ptr<State> s) : s_(std::move(s)) {}
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&& o) noexcept {
    if (this != &o && s_ != o.s_) {
        // The child held so far is let go as the destructor lets it go:
        // its pipes closed and, still running, reaped by the loop.
        Process old(std::move(*this));
        s_ = std::move(o.s_);
    }
    return *this;
}

Process::~Process() {
    if (!s_ || s_->poll()) return;
    // Still running: close our pipe ends and let the loop reap the child.
    s_->in.reset();
    s_->out.reset();
    s_->err.reset();
    if (running_loop_or_null()) {
        try {
            (void)create_task(reap_later(std::move(s_)));
        } catch (...) {
        }
    }
}

pid_t Process::pid() const noexcept { return s_->pid; }
std::optional<int> Process::returncode() const noexcept {
    s_->poll();
    return s_->returncode;
}
StreamWriter* Process::stdin_() noexcept { return s_->in ? &*s_->in : nullptr; }
StreamReader* Process::stdout_() noexcept { return s_->out ? &*s_->out : nullptr; }
StreamReader* Process::stderr_() noexcept { return s_->err ? &*s_->err : nullptr; }

Task<int> Process::wait() {
    auto s = s_;
    while (!s->poll()) {
        if (s->pidfd >= 0)
            co_await detail::wait_fd(s->pidfd, true);
        else
            co_await sleep(std::chrono::milliseconds(10));  // no pidfd (kernels before 5.3)
    }
    co_return *s->returncode;
}

void Process::send_signal(int sig) {
    if (s_->poll()) throw ProcessLookupError(ESRCH, "the process has already exited", "");
    if (::kill(s_->pid, sig) < 0) throw_os_error(errno, "kill", "");
}

namespace {

Task<std::string> read_all(StreamReader* r) {
    if (!r) co_return std::string();
    co_return co_await r->read();
}

Task<> feed_input(StreamWriter* w, std::string input) {
    if (!w) co_return;
    try {
        if (!input.empty()) {
            w->write(input);
            co_await w->drain();
        }
    } catch (const BrokenPipeError&) {
        // The child does not want its input (it exited or closed stdin).
    } catch (const ConnectionResetError&) {
    }
    w->close();
}

}  // namespace

Task<std::pair<std::string, std::string>> Process::communicate(std::string input) {
    auto [unused, out, err] = co_await gather(feed_input(stdin_(), std::move(input)), read_all(stdout_()),
                                              read_all(stderr_()));
    (void)unused;
    co_await wait();
    co_return std::pair<std::string, std::string>(std::move(out), std::move(err));
}

namespace {

struct ChildPipes {
    int child[3] = {-1, -1, -1};   // what becomes the child's 0, 1, 2 (-1: inherit)
    int parent[3] = {-1, -1, -1};  // our ends of PIPEs
    std::vector<int> to_close;      // our copies of the child's ends

    ~ChildPipes() {
        for (int fd : to_close) ::close(fd);
        for (int fd : parent)
            if (fd >= 0) ::close(fd);
    }
};

void setup(ChildPipes& p, int which, const StdioSpec& spec) {
    if (const int* fd = std::get_if<int>(&spec)) {
        // posix_spawn would leave a bad descriptor's stream inherited without
        // a word: say so here, as Python's Popen does (EBADF).
        if (*fd < 0 || ::fcntl(*fd, F_GETFD) < 0)
            throw_os_error(EBADF, fmt::format("{} descriptor {}", which == 0 ? "stdin" : which == 1 ? "stdout" : "stderr", *fd), "");
        p.child[which] = *fd;
        return;
    }
    switch (std::get<Redirect>(spec)) {
        case Redirect::INHERIT: return;
        case Redirect::STDOUT:
            if (which != 2) throw ValueError("STDOUT is only valid for stderr_");
            p.child[2] = -2;  // resolved after stdout is set up
            return;
        case Redirect::DEVNULL: {
            // Close-on-exec on every side: only the child's dup2 onto 0/1/2 may
            // cross an exec (another thread's child must not inherit it).
            int fd = ::open("/dev/null", (which == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
            if (fd < 0) throw_os_error(errno, "/dev/null");
            p.child[which] = fd;
            p.to_close.push_back(fd);
            return;
        }
        case Redirect::PIPE: {
            int fds[2];
            if (::pipe2(fds, O_CLOEXEC) < 0) throw_os_error(errno, "pipe", "");
            int child_end = which == 0 ? fds[0] : fds[1];
            int our_end = which == 0 ? fds[1] : fds[0];
            p.child[which] = child_end;
            p.to_close.push_back(child_end);
            p.parent[which] = our_end;
            return;
        }
    }
}


/// exec takes C strings: a NUL inside one would cut it short without a word
/// (an argument "a\0b" reaching the child as "a"). Python's messages.
void check_spawn_strings(const std::string& program, const std::vector<std::string>& args,
                         const SubprocessOptions& opts) {
    using detail::has_nul;
    if (has_nul(program) || has_nul(opts.cwd) || std::any_of(args.begin(), args.end(), has_nul))
        throw ValueError("embedded null byte");
    if (!opts.env) return;
    for (const auto& [k, v] : *opts.env) {
        if (has_nul(k) || has_nul(v)) throw ValueError("embedded null byte");
        if (k.empty() || k.find('=') != std::string::npos)
            throw ValueError(fmt::format("illegal environment variable name: '{}'", k));
    }
}

/// A posix_spawn file action that could not be added (a descriptor past the
/// limit, no memory) is an error, not an action silently left out.
void check_action(int err, std::string_view what) {
    if (err != 0) throw_os_error(err, std::string(what), "");
}

}  // namespace

Task<Process> create_subprocess_exec(std::string program, std::vector<std::string> args, SubprocessOptions opts) {
    check_spawn_strings(program, args, opts);
    ChildPipes pipes;
    setup(pipes, 0, opts.stdin_);
    setup(pipes, 1, opts.stdout_);
    setup(pipes, 2, opts.stderr_);
    if (pipes.child[2] == -2) pipes.child[2] = pipes.child[1] >= 0 ? pipes.child[1] : STDOUT_FILENO;

    std::vector<char*> argv;
    argv.push_back(program.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    std::vector<char*> envp;
    if (opts.env) {
        for (auto& [k, v] : *opts.env) env_storage.push_back(k + "=" + v);
        for (auto& e : env_storage) envp.push_back(e.data());
        envp.push_back(nullptr);
    }
    char** child_env = opts.env ? envp.data() : environ;

    // posix_spawn, not fork(): glibc starts the child with CLONE_VM|CLONE_VFORK,
    // so nothing of this process (its threads' locks, its memory) is copied,
    // and an exec or chdir failure comes back as the return value.
    detail::SpawnSetup setup;
    sigset_t none, pipe_sig;
    sigemptyset(&none);
    sigemptyset(&pipe_sig);
    sigaddset(&pipe_sig, SIGPIPE);
    // The loop's signalfd mask is not the child's. aio ignores SIGPIPE in its
    // own process and exec would keep SIG_IGN: the child gets the default back
    // (as CPython's restore_signals), so that `yes | head` run from aio ends
    // as it does from a shell.
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &pipe_sig);
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    for (int i = 0; i < 3; ++i) {
        // dup2 onto itself clears close-on-exec (POSIX 2018, glibc): it stays open.
        if (pipes.child[i] >= 0)
            check_action(posix_spawn_file_actions_adddup2(&setup.actions, pipes.child[i], i), "posix_spawn dup2");
    }
    if (!opts.cwd.empty())
        check_action(posix_spawn_file_actions_addchdir_np(&setup.actions, opts.cwd.c_str()), "posix_spawn chdir");
    pid_t pid = -1;
    int err = ::posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), child_env);
    for (int fd : pipes.to_close) ::close(fd);
    pipes.to_close.clear();
    if (err != 0) throw_os_error(err, opts.cwd.empty() || err != ENOENT ? program : program + " (cwd " + opts.cwd + ")");

    auto state = std::make_shared<Process::State>();
    state->pid = pid;
    state->pidfd = detail::pidfd_open(pid);
    if (state->pidfd >= 0) ::fcntl(state->pidfd, F_SETFD, FD_CLOEXEC);
    if (pipes.parent[0] >= 0) state->in.emplace(detail::pipe_connection(std::exchange(pipes.parent[0], -1), opts.limit));
    if (pipes.parent[1] >= 0) state->out.emplace(detail::pipe_connection(std::exchange(pipes.parent[1], -1), opts.limit));
    if (pipes.parent[2] >= 0) state->err.emplace(detail::pipe_connection(std::exchange(pipes.parent[2], -1), opts.limit));
    co_return Process(std::move(state));
}

Task<Process> create_subprocess_shell(std::string command, SubprocessOptions opts) {
    // Named locals: g++ 12 mishandles braced temporaries inside co_await.
    std::vector<std::string> args{"-c", std::move(command)};
    auto start = create_subprocess_exec("/bin/sh", std::move(args), std::move(opts));
    co_return co_await std::move(start);
}

Task<Process> create_subprocess_exec(std::string program, std::vector<std::string> args) {
    return create_subprocess_exec(std::move(program), std::move(args), SubprocessOptions{});
}
Task<Process> create_subprocess_exec(std::string program) {
    return create_subprocess_exec(std::move(program), std::vector<std::string>{}, SubprocessOptions{});
}
Task<Process> create_subprocess_shell(std::string command) {
    return create_subprocess_shell(std::move(command), SubprocessOptions{});
}

}  // namespace aio
