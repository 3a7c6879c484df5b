// ProcessPoolExecutor: workers are this program, re-executed.
//
// A worker is started with posix_spawn of /proc/self/exe, with
// AIO_PROCESS_POOL_WORKER in its environment and its end of a socketpair on
// fd 3. The hook at the end of this file, a static initialiser, sees the
// variable and runs the worker loop instead of letting the program reach
// main(). No fork() of this (possibly multithreaded) process ever runs code
// after the fork: posix_spawn execs at once, so a worker cannot inherit a
// mutex, a malloc arena or any other lock that another thread held.
//
// A function is named across the exec by where it lives: the loaded object
// (the executable, or a shared library by its path) and its offset in that
// object; the worker adds the offset to the object's load address in its own
// image (which ASLR has placed elsewhere).
#include "aio/process_pool.hpp"

#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <thread>
#include <vector>

#include "aio/detail/huge_pages.hpp"
#include "aio/detail/wait_list.hpp"
#include "aio/streams.hpp"
#include "core/spawn_setup.hpp"
#include "core/uninitialized_string.hpp"
#include "streams/connection.hpp"

extern char** environ;

namespace aio {

namespace {

/// Tells a re-executed program that it is a worker; its value is the fd of
/// the worker's socket.
constexpr const char* kWorkerEnv = "AIO_PROCESS_POOL_WORKER";
/// The fd a worker finds its socket on (the first after stdio).
constexpr int kWorkerFd = 3;

// Frames between the pool and a worker:
//   request:  u64 payload size, u64 function offset, u64 trampoline offset,
//             u32 function module length, u32 trampoline module length,
//             the two module names, payload
//   reply:    u8 status (0 ok, 1 error), u64 size, data (result or error message)
constexpr std::size_t kRequestHead = 32;
constexpr std::size_t kReplyHead = 9;

/// Where a piece of code lives: a loaded object and the offset in it.
/// `module` is "" for the executable itself.
struct CodeRef {
    std::string module;
    std::uint64_t offset = 0;
};

struct LocateQuery {
    std::uintptr_t addr = 0;
    bool first = true;
    bool found = false;
    CodeRef ref;
};

int locate_cb(dl_phdr_info* info, std::size_t, void* data) {
    auto* q = static_cast<LocateQuery*>(data);
    bool is_main = q->first;  // dl_iterate_phdr reports the executable first
    q->first = false;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info->dlpi_phdr[i];
        if (ph.p_type != PT_LOAD) continue;
        std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
        if (q->addr >= lo && q->addr < lo + ph.p_memsz) {
            q->found = true;
            q->ref.module = is_main ? std::string() : std::string(info->dlpi_name ? info->dlpi_name : "");
            q->ref.offset = q->addr - info->dlpi_addr;
            return 1;
        }
    }
    return 0;
}

CodeRef locate(const void* code) {
    LocateQuery q;
    q.addr = reinterpret_cast<std::uintptr_t>(code);
    dl_iterate_phdr(locate_cb, &q);
    if (!q.found) throw ValueError("a process pool function must be code of a loaded program or library");
    return q.ref;
}

struct ResolveQuery {
    const std::string* module = nullptr;
    bool first = true;
    bool found = false;
    std::uintptr_t base = 0;
};

int resolve_cb(dl_phdr_info* info, std::size_t, void* data) {
    auto* q = static_cast<ResolveQuery*>(data);
    bool is_main = q->first;
    q->first = false;
    bool match = q->module->empty() ? is_main : (!is_main && info->dlpi_name && *q->module == info->dlpi_name);
    if (!match) return 0;
    q->found = true;
    q->base = info->dlpi_addr;
    return 1;
}

/// The address of `ref` in this image, or null when its object is not loaded.
void* resolve(const CodeRef& ref) {
    ResolveQuery q;
    q.module = &ref.module;
    dl_iterate_phdr(resolve_cb, &q);
    if (!q.found) return nullptr;
    return reinterpret_cast<void*>(q.base + ref.offset);
}

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

/// send(2) with MSG_NOSIGNAL: a pool that went away makes the worker exit
/// quietly rather than die of SIGPIPE.
bool send_full(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
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
    // Payloads come and go at the same sizes call after call. glibc's
    // defaults gave the heap's top back after each (a brk that flushes the
    // TLB) and took it again on the next call, faulting every page in anew;
    // a worker keeps up to 64 MiB of free heap instead, and takes blocks up
    // to 32 MiB from it rather than from fresh mappings.
    ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    while (true) {
        char head[kRequestHead];
        if (!read_full(fd, head, sizeof head)) ::_exit(0);
        std::uint64_t size, fn_off, tramp_off;
        std::uint32_t fn_len, tramp_len;
        std::memcpy(&size, head, 8);
        std::memcpy(&fn_off, head + 8, 8);
        std::memcpy(&tramp_off, head + 16, 8);
        std::memcpy(&fn_len, head + 24, 4);
        std::memcpy(&tramp_len, head + 28, 4);
        CodeRef fn{std::string(fn_len, '\0'), fn_off}, tramp{std::string(tramp_len, '\0'), tramp_off};
        std::string payload;
        detail::resize_uninitialized(payload, size);  // read into at once: no zero-fill
        detail::advise_huge_pages(payload.data(), size);
        if (!read_full(fd, fn.module.data(), fn_len) || !read_full(fd, tramp.module.data(), tramp_len) ||
            !read_full(fd, payload.data(), size))
            ::_exit(0);
        std::uint8_t status = 0;
        std::string out;
        void* f = resolve(fn);
        void* t = resolve(tramp);
        if (!f || !t) {
            status = 1;
            out = "the worker has not loaded '" + (f ? tramp.module : fn.module) +
                  "', where the function lives (a library loaded with dlopen after startup)";
        } else {
            try {
                out = reinterpret_cast<detail::Trampoline>(t)(f, payload);
            } catch (const std::exception& e) {
                status = 1;
                out = e.what();
            } catch (...) {
                status = 1;
                out = "the function threw an exception that is not a std::exception";
            }
        }
        char reply[kReplyHead] = {};
        reply[0] = static_cast<char>(status);
        std::uint64_t n = out.size();
        std::memcpy(reply + 1, &n, 8);
        // The result after its head, not copied behind it.
        if (!send_full(fd, reply, sizeof reply) || !send_full(fd, out.data(), out.size())) ::_exit(0);
    }
}

/// The entry hook: runs while the program's static objects are initialised
/// (before main). In a worker it never returns.
[[gnu::constructor]] void enter_worker_if_asked() {
    const char* v = ::getenv(kWorkerEnv);
    if (!v) return;
    int fd = std::atoi(v);
    ::unsetenv(kWorkerEnv);  // not for the worker's own children
    if (fd < 0 || ::fcntl(fd, F_GETFD) < 0) ::_exit(127);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    worker_main(fd);
}

struct Worker {
    pid_t pid = -1;
    std::optional<StreamReader> reader;
    std::optional<StreamWriter> writer;
    bool busy = false;

    /// Ends the worker now and reaps it (it is dead or about to be).
    /// Why the worker is gone when the pool ended it (its caller's message).
    std::string ended_by_pool;

    void kill_and_reap(std::string why) noexcept {
        writer.reset();
        reader.reset();
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            pid = -1;
            ended_by_pool = std::move(why);
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


std::shared_ptr<Worker> spawn_worker() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) throw_os_error(errno, "socketpair", "");
    Socket ours = Socket::adopt(fds[0]);
    // The worker's end stays blocking (Socket::adopt would make it
    // non-blocking, and the worker shares its file description).
    struct Fd {
        int fd;
        ~Fd() { close(); }
        void close() noexcept {
            if (fd >= 0) ::close(std::exchange(fd, -1));
        }
    } theirs{fds[1]};
    if (theirs.fd == kWorkerFd) {
        // dup2 onto itself would keep close-on-exec: move it off fd 3 first.
        int moved = ::fcntl(theirs.fd, F_DUPFD_CLOEXEC, kWorkerFd + 1);
        if (moved < 0) throw_os_error(errno, "fcntl", "");
        theirs.close();
        theirs.fd = moved;
    }
    // Everything is prepared before the spawn; the child only execs.
    std::vector<std::string> env_storage;
    for (char** e = environ; e && *e; ++e)
        if (std::strncmp(*e, kWorkerEnv, std::strlen(kWorkerEnv)) != 0 || (*e)[std::strlen(kWorkerEnv)] != '=')
            env_storage.emplace_back(*e);
    env_storage.push_back(std::string(kWorkerEnv) + "=" + std::to_string(kWorkerFd));
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string arg0 = program_invocation_name ? program_invocation_name : "aio-process-pool-worker";
    char* argv[] = {arg0.data(), nullptr};

    detail::SpawnSetup setup;
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&setup.attr, &none);  // the loop's signalfd mask is not the worker's
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_adddup2(&setup.actions, theirs.fd, kWorkerFd);
    // Only this worker's end: an inherited end of another worker's socket
    // would keep that worker from ever seeing EOF.
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, kWorkerFd + 1);
    pid_t pid = -1;
    int r = ::posix_spawn(&pid, "/proc/self/exe", &setup.actions, &setup.attr, argv, envp.data());
    if (r != 0) throw_os_error(r, "starting a process pool worker (/proc/self/exe)", "");
    theirs.close();
    auto w = std::make_shared<Worker>();
    w->pid = pid;
    auto c = std::make_shared<detail::Connection>(detail::make_socket_transport(std::move(ours)), kDefaultStreamLimit);
    w->reader.emplace(c);
    w->writer.emplace(c);
    return w;
}

}  // namespace

struct ProcessPoolExecutor::State {
    std::size_t max_workers;
    // Shared with the call running on each: a pool destroyed while a call
    // awaits its worker leaves that call a live Worker to find dead.
    std::vector<std::shared_ptr<Worker>> workers;
    detail::WaitList idle;
    /// No new calls (shutdown() or destruction).
    bool shut = false;
    /// The calls still queued fail too (shutdown(wait=false) or destruction).
    bool dropped = false;

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
        if (detail::WaitNode* n = idle.pop_front()) {
            n->grant();  // a queued call takes the worker, shut down or not
            return;
        }
        if (shut) {
            w->retire();
            remove(w);
        }
    }
};

namespace {

Task<std::shared_ptr<Worker>> acquire(std::shared_ptr<ProcessPoolExecutor::State> s) {
    // A call that comes after shutdown() is refused; one already queued runs
    // unless shutdown(wait=false) or the destructor dropped the queue
    // (Python's shutdown(cancel_futures=False) runs the pending calls too).
    if (s->shut) throw RuntimeError("cannot schedule new calls after the process pool was shut down");
    while (true) {
        if (s->dropped)
            throw RuntimeError("the process pool was shut down (wait=false) or destroyed before the call started");
        for (auto& w : s->workers) {
            if (!w->busy) {
                w->busy = true;
                co_return w;
            }
        }
        if (s->workers.size() < s->max_workers) {
            s->workers.push_back(spawn_worker());
            s->workers.back()->busy = true;
            co_return s->workers.back();
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
    s_->dropped = true;
    for (auto& w : s_->workers) {
        if (w->busy)
            w->kill_and_reap("the process pool was destroyed while the call ran; its worker was killed");
        else
            w->retire();
    }
    s_->workers.clear();
    s_->idle.grant_all();
}

std::size_t ProcessPoolExecutor::max_workers() const noexcept { return s_->max_workers; }

void ProcessPoolExecutor::shutdown(bool wait) {
    s_->shut = true;
    if (!wait) s_->dropped = true;
    for (auto it = s_->workers.begin(); it != s_->workers.end();) {
        Worker& w = **it;
        if (!w.busy) {
            w.retire();
            it = s_->workers.erase(it);
        } else {
            if (!wait)  // its awaiter gets BrokenProcessPool
                w.kill_and_reap("the process pool was shut down (wait=false) while the call ran; its worker was killed");
            ++it;
        }
    }
    // wait=false: the queued calls fail; wait=true: they run, each on the
    // next worker a finished call frees (the last one retires it).
    if (!wait) s_->idle.grant_all();
}

Task<std::string> ProcessPoolExecutor::call(void* fn, detail::Trampoline tramp, std::string payload) {
    auto s = s_;
    CodeRef fn_ref = locate(fn);
    CodeRef tramp_ref = locate(reinterpret_cast<const void*>(tramp));
    std::shared_ptr<Worker> w = co_await acquire(s);
    // A cancel() that came after a finished call handed this one the worker
    // (or before it ever waited) is still pending: nothing was sent, so the
    // worker goes back untouched instead of being killed at the first wait.
    if (detail::TaskCore* t = detail::current_core(); t != nullptr && t->take_pending_cancel()) {
        s->release(w.get());
        throw CancelledError();
    }
    std::string frame(kRequestHead, '\0');
    std::uint64_t size = payload.size();
    std::uint32_t fn_len = static_cast<std::uint32_t>(fn_ref.module.size()),
                  tramp_len = static_cast<std::uint32_t>(tramp_ref.module.size());
    std::memcpy(frame.data(), &size, 8);
    std::memcpy(frame.data() + 8, &fn_ref.offset, 8);
    std::memcpy(frame.data() + 16, &tramp_ref.offset, 8);
    std::memcpy(frame.data() + 24, &fn_len, 4);
    std::memcpy(frame.data() + 28, &tramp_len, 4);
    frame += fn_ref.module;
    frame += tramp_ref.module;
    std::string head, body;
    bool died = false, cancelled = false;
    try {
        // The payload in a write of its own: not copied behind the head first.
        w->writer->write(frame);
        w->writer->write(payload);
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
            // Killed even when its socket ended first: a worker whose function
            // closed fd 3 lives on, and waitpid would block the loop until it
            // ends. A worker already dead keeps its own status.
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            w->pid = -1;
        }
        s->remove(w.get());
        if (cancelled) throw CancelledError();
        if (pid <= 0 && !w->ended_by_pool.empty()) throw BrokenProcessPool(w->ended_by_pool);
        std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                              : "exited with status " + std::to_string(WEXITSTATUS(status));
        throw BrokenProcessPool("a worker process died while running the call (" + how + ")");
    }
    s->release(w.get());
    if (head[0] != 0) throw RuntimeError(body);
    co_return body;
}

}  // namespace aio
