#include "aio/process_pool.hpp"

#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <vector>

#include "aio/detail/wait_list.hpp"
#include "aio/streams.hpp"
#include "streams/connection.hpp"

namespace aio {

namespace {

// Frames between the pool and a worker:
//   request:  u64 payload size, u64 function address, u64 trampoline address, payload
//   reply:    u8 status (0 ok, 1 error), u64 size, data (result or error message)
constexpr std::size_t kRequestHead = 24;
constexpr std::size_t kReplyHead = 9;

bool read_full(int fd, char* p, std::size_t n) {
    while (n > 0) {
        ssize_t r = ::read(fd, p, n);
        if (r == 0) return false;
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

bool write_full(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t r = ::write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

/// The worker process: blocking, single-threaded, never returns.
[[noreturn]] void worker_main(int fd) {
    while (true) {
        char head[kRequestHead];
        if (!read_full(fd, head, sizeof head)) ::_exit(0);
        std::uint64_t size, fn, tramp;
        std::memcpy(&size, head, 8);
        std::memcpy(&fn, head + 8, 8);
        std::memcpy(&tramp, head + 16, 8);
        std::string payload(size, '\0');
        if (!read_full(fd, payload.data(), size)) ::_exit(0);
        std::uint8_t status = 0;
        std::string out;
        try {
            out = reinterpret_cast<detail::Trampoline>(tramp)(reinterpret_cast<void*>(fn), payload);
        } catch (const std::exception& e) {
            status = 1;
            out = e.what();
        } catch (...) {
            status = 1;
            out = "the function threw an exception that is not a std::exception";
        }
        std::string reply(kReplyHead, '\0');
        reply[0] = static_cast<char>(status);
        std::uint64_t n = out.size();
        std::memcpy(reply.data() + 1, &n, 8);
        reply += out;
        if (!write_full(fd, reply.data(), reply.size())) ::_exit(0);
    }
}

struct Worker {
    pid_t pid = -1;
    std::optional<StreamReader> reader;
    std::optional<StreamWriter> writer;
    bool busy = false;

    /// Ends the worker now and reaps it (it is dead or about to be).
    void kill_and_reap() noexcept {
        writer.reset();
        reader.reset();
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            pid = -1;
        }
    }
    /// Lets the worker finish (EOF on its socket) and reaps it.
    void retire() noexcept {
        writer.reset();
        reader.reset();
        if (pid > 0) {
            ::waitpid(pid, nullptr, 0);
            pid = -1;
        }
    }
};

std::unique_ptr<Worker> spawn_worker() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) throw_os_error(errno, "socketpair", "");
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        throw_os_error(e, "fork", "");
    }
    if (pid == 0) {
        // Keep only this worker's end: an inherited end of another worker's
        // socket would keep that worker from ever seeing EOF.
        int fd = fds[1] == 3 ? 3 : ::dup2(fds[1], 3);
        ::close_range(4, ~0U, 0);
        worker_main(fd);
    }
    ::close(fds[1]);
    auto w = std::make_unique<Worker>();
    w->pid = pid;
    auto c = std::make_shared<detail::Connection>(detail::make_socket_transport(Socket::adopt(fds[0])),
                                                  kDefaultStreamLimit);
    w->reader.emplace(c);
    w->writer.emplace(c);
    return w;
}

}  // namespace

struct ProcessPoolExecutor::State {
    std::size_t max_workers;
    std::vector<std::unique_ptr<Worker>> workers;
    detail::WaitList idle;
    bool shut = false;

    void remove(Worker* w) {
        for (auto it = workers.begin(); it != workers.end(); ++it) {
            if (it->get() == w) {
                workers.erase(it);
                break;
            }
        }
        if (detail::WaitNode* n = idle.pop_front()) n->grant();  // room for a new worker
    }
    void release(Worker* w) {
        w->busy = false;
        if (shut) {
            w->retire();
            remove(w);
            return;
        }
        if (detail::WaitNode* n = idle.pop_front()) n->grant();
    }
};

namespace {

Task<Worker*> acquire(std::shared_ptr<ProcessPoolExecutor::State> s) {
    while (true) {
        if (s->shut) throw RuntimeError("cannot schedule new calls after the process pool was shut down");
        for (auto& w : s->workers) {
            if (!w->busy) {
                w->busy = true;
                co_return w.get();
            }
        }
        if (s->workers.size() < s->max_workers) {
            s->workers.push_back(spawn_worker());
            s->workers.back()->busy = true;
            co_return s->workers.back().get();
        }
        detail::ListWait free_worker(s->idle);
        co_await free_worker;  // a cancelled call leaves the queue here, before it started
    }
}

}  // namespace

ProcessPoolExecutor::ProcessPoolExecutor(std::size_t max_workers) : s_(std::make_shared<State>()) {
    s_->max_workers = max_workers ? max_workers : std::max(1u, std::thread::hardware_concurrency());
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
    s_->shut = true;
    for (auto& w : s_->workers) w->busy ? w->kill_and_reap() : w->retire();
    s_->workers.clear();
    s_->idle.grant_all();
}

std::size_t ProcessPoolExecutor::max_workers() const noexcept { return s_->max_workers; }

void ProcessPoolExecutor::shutdown(bool wait) {
    s_->shut = true;
    for (auto it = s_->workers.begin(); it != s_->workers.end();) {
        Worker& w = **it;
        if (!w.busy) {
            w.retire();
            it = s_->workers.erase(it);
        } else {
            if (!wait) w.kill_and_reap();  // its awaiter gets BrokenProcessPool
            ++it;
        }
    }
    s_->idle.grant_all();  // queued calls see the shutdown
}

Task<std::string> ProcessPoolExecutor::call(void* fn, detail::Trampoline tramp, std::string payload) {
    auto s = s_;
    Worker* w = co_await acquire(s);
    std::string frame(kRequestHead, '\0');
    std::uint64_t size = payload.size(), f = reinterpret_cast<std::uintptr_t>(fn),
                  t = reinterpret_cast<std::uintptr_t>(tramp);
    std::memcpy(frame.data(), &size, 8);
    std::memcpy(frame.data() + 8, &f, 8);
    std::memcpy(frame.data() + 16, &t, 8);
    frame += payload;
    std::string head, body;
    bool died = false, cancelled = false;
    try {
        w->writer->write(frame);
        co_await w->writer->drain();
        head = co_await w->reader->readexactly(kReplyHead);
        std::uint64_t n;
        std::memcpy(&n, head.data() + 1, 8);
        body = co_await w->reader->readexactly(n);
    } catch (const CancelledError&) {
        cancelled = true;
    } catch (...) {
        died = true;  // EOF or a broken socket: the worker is gone
    }
    if (cancelled || died || !w->reader) {
        int status = 0;
        pid_t pid = w->pid;
        w->writer.reset();
        w->reader.reset();
        if (pid > 0) {
            if (cancelled) ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            w->pid = -1;
        }
        s->remove(w);
        if (cancelled) throw CancelledError();
        std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                              : "exited with status " + std::to_string(WEXITSTATUS(status));
        throw BrokenProcessPool("a worker process died while running the call (" + how + ")");
    }
    s->release(w);
    if (head[0] != 0) throw RuntimeError(body);
    co_return body;
}

}  // namespace aio
