// run_app with an AppFactory: one or more workers, as threads with a loop each
// or as child processes, stopped together by one SIGINT/SIGTERM.
//
// Threads: the calling thread runs a supervising loop, which owns the
// signals (it blocks SIGINT and SIGTERM before the workers start, so they
// inherit the mask and only its signalfd sees them). Worker 0 binds first
// (with SO_REUSEPORT), so that port 0 becomes a real port the others bind
// too. Workers and supervisor talk through call_soon_threadsafe only.
//
// Processes: the supervisor binds a listener per worker, then executes the
// program again for each (fork, then only async-signal-safe calls until
// execve), handing the listener over by socket activation (LISTEN_FDS and
// LISTEN_PID). The supervisor keeps every listener open, so a worker that
// dies is replaced without losing the connections queued on its socket.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aio/activation.hpp"
#include "aio/dns.hpp"
#include "aio/events.hpp"
#include "aio/gather.hpp"
#include "aio/locks.hpp"
#include "aio/runners.hpp"
#include "aio/sleep.hpp"
#include "aio/web/runner.hpp"
#include "streams/listeners.hpp"
#include "web/protocol.hpp"

extern char** environ;

namespace aio::web {

namespace {

/// A copy of each socket (a new descriptor on the same open socket).
std::vector<Socket> duplicate(const std::vector<Socket>& socks) {
    std::vector<Socket> out;
    for (const auto& s : socks) {
        int fd = ::fcntl(s.fd(), F_DUPFD_CLOEXEC, 3);
        if (fd < 0) throw OSError(errno, "dup of a listening socket", {});
        out.push_back(Socket::adopt(fd));
    }
    return out;
}

std::unique_ptr<Application> make_worker_app(const AppFactory& make_app) {
    auto app = make_app();
    if (!app) throw ValueError("the AppFactory returned no Application");
    return app;
}

// ---- threads ----------------------------------------------------------------

/// What the supervisor knows of one worker thread. `loop` and `stop` are the
/// worker's, published under `mu` while its loop runs: the supervisor posts
/// to the loop only under `mu`, so the loop cannot be destroyed meanwhile.
struct ThreadWorker {
    std::thread thread;
    std::mutex mu;
    EventLoop* loop = nullptr;
    aio::Event* stop = nullptr;
    bool stop_requested = false;
    std::exception_ptr error;

    /// Asks the worker to shut down gracefully (any thread; idempotent).
    void request_stop() {
        std::lock_guard lock(mu);
        stop_requested = true;
        if (loop == nullptr) return;
        ThreadWorker* self = this;
        try {
            // Runs on the worker's thread, which unpublishes `stop` before
            // the Event ends: look again there.
            loop->call_soon_threadsafe([self] {
                std::lock_guard again(self->mu);
                if (self->stop != nullptr) self->stop->set();
            });
        } catch (const RuntimeError&) {
            // The loop is closing: the worker is ending anyway.
        }
    }
};

/// The supervisor's view of all workers, on its own loop.
struct WorkerThreads {
    EventLoop* supervisor = nullptr;
    std::vector<std::unique_ptr<ThreadWorker>> workers;
    std::size_t ready = 0;
    std::size_t exited = 0;
    bool failed = false;
    std::uint16_t port = 0;
    std::string name;
    aio::Event changed;  // a worker became ready or exited
};

Task<> thread_worker_main(ThreadWorker& w, const AppFactory& make_app, RunAppOptions opts,
                          std::vector<Socket> inherited, WorkerThreads& pool) {
    aio::Event stop;
    {
        std::lock_guard lock(w.mu);
        w.loop = &get_running_loop();
        w.stop = &stop;
        if (w.stop_requested) stop.set();
    }
    struct Unpublish {
        ThreadWorker& w;
        ~Unpublish() {
            std::lock_guard lock(w.mu);
            w.loop = nullptr;
            w.stop = nullptr;
        }
    } unpublish{w};
    auto app = make_worker_app(make_app);
    EventLoop* supervisor = pool.supervisor;
    WorkerThreads* p = &pool;
    auto ready = [supervisor, p](const BaseSite& site) {
        std::uint16_t port = site.port();
        std::string name = site.name();
        try {
            supervisor->call_soon_threadsafe([p, port, name] {
                if (p->ready == 0) {
                    p->port = port;
                    p->name = name;
                }
                ++p->ready;
                p->changed.set();
            });
        } catch (const RuntimeError&) {
            // The supervisor is gone: nobody to tell.
        }
    };
    co_await detail::serve_worker(*app, opts, std::move(inherited), stop, ready);
}

void start_thread_worker(WorkerThreads& pool, std::size_t index, const AppFactory& make_app, RunAppOptions opts,
                         std::vector<Socket> inherited) {
    auto& w = *pool.workers.at(index);
    WorkerThreads* p = &pool;
    ThreadWorker* wp = &w;
    // SIGINT and SIGTERM are blocked in the supervisor's thread (its
    // signalfd reads them); the new thread inherits that mask.
    w.thread = std::thread([p, wp, &make_app, opts = std::move(opts), socks = std::move(inherited)]() mutable {
        try {
            aio::run(thread_worker_main(*wp, make_app, std::move(opts), std::move(socks), *p));
        } catch (...) {
            wp->error = std::current_exception();
        }
        bool failed = static_cast<bool>(wp->error);
        try {
            p->supervisor->call_soon_threadsafe([p, failed] {
                ++p->exited;
                if (failed) p->failed = true;
                p->changed.set();
            });
        } catch (const RuntimeError&) {
        }
    });
}

Task<> supervise_threads(const AppFactory& make_app, RunAppOptions opts, WorkerThreads& pool) {
    std::vector<Socket> inherited;
    if (opts.socket_activation) inherited = aio::listen_fds();
    bool stopping = false;
    auto& loop = get_running_loop();
    pool.supervisor = &loop;
    auto stop_all = [&pool, &stopping] {
        stopping = true;
        for (auto& w : pool.workers) w->request_stop();
        pool.changed.set();
    };
    loop.add_signal_handler(SIGINT, stop_all);
    loop.add_signal_handler(SIGTERM, stop_all);
    RunAppOptions each = opts;
    each.workers = 1;
    each.on_listening = nullptr;
    if (inherited.empty()) each.reuse_port = true;  // every worker binds the same port
    for (unsigned i = 0; i < opts.workers; ++i) pool.workers.push_back(std::make_unique<ThreadWorker>());

    std::size_t started = 0;
    auto start_next = [&] {
        auto socks = inherited.empty() ? std::vector<Socket>{} : duplicate(inherited);
        start_thread_worker(pool, started, make_app, each, std::move(socks));
        ++started;
    };
    // Worker 0 alone first: with port 0 it picks the port the others share.
    start_next();
    bool announced = false;
    while (pool.exited < started) {
        if (!stopping && !pool.failed && pool.ready == started && started < pool.workers.size()) {
            if (started == 1 && inherited.empty()) each.port = pool.port;
            while (started < pool.workers.size()) start_next();
            continue;
        }
        if (!announced && pool.ready == pool.workers.size() && !stopping && !pool.failed) {
            announced = true;
            detail::announce(opts, pool.port, pool.name);
        }
        // A worker that ends on its own (an error, or startup failing) ends
        // the server: the others are stopped too.
        if ((pool.failed || pool.exited > 0) && !stopping) stop_all();
        pool.changed.clear();
        co_await pool.changed.wait();
    }
    loop.remove_signal_handler(SIGINT);
    loop.remove_signal_handler(SIGTERM);
}

void run_threads(const AppFactory& make_app, RunAppOptions opts) {
    WorkerThreads pool;
    std::exception_ptr failure;
    try {
        aio::run(supervise_threads(make_app, opts, pool));
    } catch (...) {
        failure = std::current_exception();
        for (auto& w : pool.workers) w->request_stop();
    }
    for (auto& w : pool.workers)
        if (w->thread.joinable()) w->thread.join();
    if (failure) std::rethrow_exception(failure);
    for (auto& w : pool.workers)
        if (w->error) std::rethrow_exception(w->error);
}

// ---- processes --------------------------------------------------------------

constexpr const char* kWorkerEnv = "AIO_WORKER";
constexpr const char* kReadyFdEnv = "AIO_WORKER_READY_FD";

/// The program's own arguments (/proc/self/cmdline).
std::vector<std::string> own_arguments() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    std::size_t start = 0;
    while (start < all.size()) {
        std::size_t end = all.find('\0', start);
        if (end == std::string::npos) end = all.size();
        args.push_back(all.substr(start, end - start));
        start = end + 1;
    }
    if (args.empty()) throw RuntimeError("cannot read the program's arguments from /proc/self/cmdline");
    return args;
}

/// One worker process as the supervisor sees it.
struct ChildProcess {
    pid_t pid = -1;
    int pidfd = -1;
    int ready_fd = -1;  // read end: one byte once the worker listens, EOF if it dies first
    ~ChildProcess() {
        if (pidfd >= 0) ::close(pidfd);
        if (ready_fd >= 0) ::close(ready_fd);
    }
};

/// Starts worker `index` serving `socks`: fork, then execve of the program
/// with the sockets at 3, 4, ... and the ready pipe after them. Between fork
/// and execve the child calls only async-signal-safe functions (the parent
/// may have threads: the loop's thread pool).
std::unique_ptr<ChildProcess> spawn_worker(unsigned index, const std::vector<Socket>& socks,
                                           const std::vector<std::string>& args) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) throw OSError(errno, "pipe2 for a worker", {});
    auto child = std::make_unique<ChildProcess>();
    child->ready_fd = pipefd[0];
    const int n = static_cast<int>(socks.size());
    const int ready_target = kListenFdsStart + n;
    // Everything the child needs, built before fork.
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string_view kv(*e);
        if (kv.starts_with("LISTEN_PID=") || kv.starts_with("LISTEN_FDS=") || kv.starts_with("LISTEN_FDNAMES=") ||
            kv.starts_with("AIO_WORKER=") || kv.starts_with("AIO_WORKER_READY_FD="))
            continue;
        env_strings.emplace_back(kv);
    }
    env_strings.push_back("LISTEN_FDS=" + std::to_string(n));
    env_strings.push_back(std::string(kWorkerEnv) + "=" + std::to_string(index));
    env_strings.push_back(std::string(kReadyFdEnv) + "=" + std::to_string(ready_target));
    char pid_var[32] = "LISTEN_PID=";  // the digits are written by the child
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(pid_var);
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings = args;
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<int> sources;
    for (const auto& s : socks) sources.push_back(s.fd());
    sources.push_back(pipefd[1]);

    pid_t pid = ::fork();
    if (pid < 0) {
        int err = errno;
        ::close(pipefd[1]);
        throw OSError(err, "fork of a worker process", {});
    }
    if (pid == 0) {
        // Child: async-signal-safe calls only.
        const int high = ready_target + 1;
        int moved[1024];
        int count = static_cast<int>(sources.size());
        if (count > 1024) ::_exit(127);
        for (int i = 0; i < count; ++i) {
            moved[i] = ::fcntl(sources[static_cast<std::size_t>(i)], F_DUPFD, high);
            if (moved[i] < 0) ::_exit(127);
        }
        for (int i = 0; i < count; ++i)
            if (::dup2(moved[i], kListenFdsStart + i) < 0) ::_exit(127);
        for (int i = 0; i < count; ++i) ::close(moved[i]);
        // LISTEN_PID: this process's pid, in decimal.
        char digits[16];
        int len = 0;
        for (long v = static_cast<long>(::getpid()); v > 0; v /= 10) digits[len++] = static_cast<char>('0' + v % 10);
        std::size_t at = std::strlen("LISTEN_PID=");
        while (len > 0) pid_var[at++] = digits[--len];
        pid_var[at] = '\0';
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve("/proc/self/exe", argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(pipefd[1]);
    child->pid = pid;
    child->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (child->pidfd < 0) {
        int err = errno;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        child->pid = -1;
        throw OSError(err, "pidfd_open of a worker process", {});
    }
    return child;
}

/// Waits until the worker says it listens (true) or dies first (false).
Task<bool> wait_ready(ChildProcess& c) {
    char byte = 0;
    while (true) {
        ssize_t n = ::read(c.ready_fd, &byte, 1);
        if (n == 1) co_return true;
        if (n == 0) co_return false;
        if (errno == EINTR) continue;
        if (errno != EAGAIN) co_return false;
        co_await aio::detail::wait_fd(c.ready_fd, true);
    }
}

/// Waits for the worker's exit; returns its wait status.
Task<int> wait_exit(ChildProcess& c) {
    co_await aio::detail::wait_fd(c.pidfd, true);
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    c.pid = -1;
    co_return status;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("signal ") + ::strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

struct ProcessSupervisor {
    const RunAppOptions& opts;
    std::vector<std::string> args;
    std::vector<std::vector<Socket>> listeners;  // per worker
    std::vector<std::unique_ptr<ChildProcess>> children;
    bool stopping = false;
    std::exception_ptr failure;
    aio::Event stop_event;

    void log(const std::string& line) const {
        if (opts.server.error_log) {
            opts.server.error_log(line);
        } else {
            std::fprintf(stderr, "aio::web: %s\n", line.c_str());
        }
    }

    void signal_all(int sig) {
        for (auto& c : children)
            if (c && c->pid > 0) ::kill(c->pid, sig);
    }

    void stop() {
        if (stopping) return;
        stopping = true;
        signal_all(SIGTERM);
        stop_event.set();
    }

    /// Starts worker `i` and waits until it listens; RuntimeError if it dies first.
    Task<> start(unsigned i) {
        children.at(i) = spawn_worker(i, listeners.at(i), args);
        bool ok = co_await wait_ready(*children.at(i));
        if (!ok) {
            int status = co_await wait_exit(*children.at(i));
            throw RuntimeError("worker " + std::to_string(i) + " failed to start (" + describe_status(status) +
                               "); see its messages above");
        }
    }

    /// Watches worker `i` until the server stops, replacing it when it dies.
    Task<> watch(unsigned i) {
        while (true) {
            int status = co_await wait_exit(*children.at(i));
            if (stopping) co_return;
            log("worker " + std::to_string(i) + " ended (" + describe_status(status) + "); starting another");
            try {
                co_await start(i);
            } catch (...) {
                if (!failure) failure = std::current_exception();
                stop();
                co_return;
            }
            if (stopping) ::kill(children.at(i)->pid, SIGTERM);  // a stop that came while it started
        }
    }

    /// After SIGTERM: every worker gets the shutdown deadline and a little
    /// more, then SIGKILL.
    Task<> enforce_deadline() {
        co_await stop_event.wait();
        co_await aio::sleep(opts.server.shutdown_timeout + std::chrono::seconds(5));
        signal_all(SIGKILL);
    }
};

Task<> supervise_processes(RunAppOptions opts) {
    ProcessSupervisor sup{opts, own_arguments(), {}, {}, false, nullptr, {}};
    std::vector<Socket> inherited;
    if (opts.socket_activation) inherited = aio::listen_fds();
    std::uint16_t port = opts.port;
    if (!inherited.empty() && inherited.front().getsockname().family() != AF_UNIX)
        port = inherited.front().getsockname().port();
    for (unsigned i = 0; i < opts.workers; ++i) {
        if (!inherited.empty()) {
            sup.listeners.push_back(duplicate(inherited));
            continue;
        }
        auto socks = co_await aio::detail::bind_listeners(opts.host, port, true, 1024);
        if (i == 0) port = socks.front().getsockname().port();
        sup.listeners.push_back(std::move(socks));
    }
    sup.children.resize(opts.workers);
    auto& loop = get_running_loop();
    ProcessSupervisor* sp = &sup;
    loop.add_signal_handler(SIGINT, [sp] { sp->stop(); });
    loop.add_signal_handler(SIGTERM, [sp] { sp->stop(); });
    std::exception_ptr failure;
    try {
        for (unsigned i = 0; i < opts.workers; ++i) co_await sup.start(i);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        sup.stop();
        for (auto& c : sup.children) {
            if (!c || c->pid <= 0) continue;
            int status = co_await wait_exit(*c);
            (void)status;
        }
        loop.remove_signal_handler(SIGINT);
        loop.remove_signal_handler(SIGTERM);
        std::rethrow_exception(failure);
    }
    detail::announce(opts, port, detail::site_url(opts.ssl, opts.host, port));
    std::vector<Task<>> watchers;
    for (unsigned i = 0; i < opts.workers; ++i) watchers.push_back(sup.watch(i));
    Task<> deadline = create_task(sup.enforce_deadline());
    co_await aio::gather(std::move(watchers));
    deadline.cancel();
    loop.remove_signal_handler(SIGINT);
    loop.remove_signal_handler(SIGTERM);
    if (sup.failure) std::rethrow_exception(sup.failure);
}

/// In a worker process: serve the sockets the supervisor passed, tell it
/// once listening, stop on SIGTERM.
void run_as_worker_process(const AppFactory& make_app, RunAppOptions opts) {
    int ready_fd = -1;
    if (const char* fd_text = std::getenv(kReadyFdEnv)) ready_fd = std::atoi(fd_text);
    ::unsetenv(kWorkerEnv);
    ::unsetenv(kReadyFdEnv);
    if (ready_fd >= 0) ::fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
    auto app = make_worker_app(make_app);
    opts.workers = 1;
    opts.socket_activation = true;
    opts.on_listening = [ready_fd](std::uint16_t) {
        if (ready_fd >= 0) {
            (void)!::write(ready_fd, "R", 1);
            ::close(ready_fd);
        }
    };
    aio::run(serve_app(*app, std::move(opts)));
}

}  // namespace

void run_app(const AppFactory& make_app, RunAppOptions opts) {
    if (!make_app) throw ValueError("run_app(): the AppFactory is empty");
    if (opts.workers == 0) throw ValueError("run_app(): workers must be at least 1");
    if (std::getenv(kWorkerEnv) != nullptr && opts.worker_mode == WorkerMode::processes) {
        run_as_worker_process(make_app, std::move(opts));
        return;
    }
    if (opts.worker_mode == WorkerMode::processes) {
        aio::run(supervise_processes(std::move(opts)));
        return;
    }
    if (opts.workers == 1) {
        auto app = make_worker_app(make_app);
        aio::run(serve_app(*app, std::move(opts)));
        return;
    }
    run_threads(make_app, std::move(opts));
}

}  // namespace aio::web
