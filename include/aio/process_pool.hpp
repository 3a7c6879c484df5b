// aio/process_pool.hpp — CPU-bound work in worker processes
// (concurrent.futures.ProcessPoolExecutor with loop.run_in_executor).
//
//     long fib(int n);                                     // a plain function
//     aio::ProcessPoolExecutor pool(2);
//     long r = co_await pool.submit_async(fib, 30);        // or:
//     auto t = aio::get_running_loop().run_in_executor(&pool, fib, 30);
//
// How workers start: each worker is this program, started again
// (posix_spawn of /proc/self/exe) with AIO_PROCESS_POOL_WORKER in its
// environment and its socket on fd 3. A hook of aio's, run while the program's
// static objects are initialised, sees the variable and runs the worker loop;
// the program's main() never runs in a worker. This process is never forked
// to run code (Python 3.14 left fork for forkserver for the same reason): a
// fork of a process with threads copies every lock another thread holds —
// a mutex, a malloc arena, stdio — locked forever in the child. Hence:
//   - a function is named by where it lives (the executable or a shared
//     library loaded at startup, and the offset in it), so a plain function
//     (not a capturing lambda) of the program or of its libraries works; one
//     in a library loaded later with dlopen() fails its call with RuntimeError;
//   - a worker starts from the program, not from this process's memory (as
//     Python's spawn and forkserver): globals hold their initial values, not
//     what this process set at run time; pass what the function needs as
//     arguments;
//   - in a worker, the static objects that come after aio's hook in the
//     program's initialisation order (those of shared libraries loaded after
//     aio's, and, with aio as a shared library, the executable's) are not yet
//     constructed: a worker function should not rely on namespace-scope objects
//     with dynamic initialisation (function-local statics are fine). With aio
//     linked statically after the program's own objects (the usual link line),
//     the program's objects are constructed;
//   - /proc must be mounted (starting a worker fails with an OSError otherwise).
// Arguments and results are std::string or trivially copyable values (Python
// pickles; aio copies bytes; a pointer argument is meaningless in a worker).
// Each call runs isolated: a worker that crashes (a signal, SIGKILL from
// outside, exit(), abort()) fails only its call, with BrokenProcessPool naming
// the signal or exit status, and is replaced; the program lives on. An
// exception thrown by the function reaches the awaiter as aio::RuntimeError
// carrying its message (its C++ type cannot cross the process boundary).
// Cancelling a call that waits for a free worker removes it; cancelling a call
// that runs kills its worker (which is then replaced).
// A worker keeps up to 64 MiB of free heap between calls and takes blocks up
// to 32 MiB from its heap (glibc's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD, set
// in the worker only): calls that pass megabytes back and forth do not fault
// the same pages in again each time.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "aio/detail/huge_pages.hpp"
#include "aio/task.hpp"

namespace aio {

/// A worker process died while running a call (concurrent.futures.process.BrokenProcessPool).
class BrokenProcessPool : public RuntimeError {
public:
    using RuntimeError::RuntimeError;
};

namespace detail {

template <class T>
concept ProcessValue = std::is_same_v<T, std::string> || std::is_trivially_copyable_v<T>;

template <class T>
void put_value(std::string& out, const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
        std::uint64_t n = v.size();
        if (n >= kHugePageAdviceMin) {  // megabytes, filled once: on huge pages
            out.reserve(out.size() + sizeof n + n);
            advise_huge_pages(out.data() + out.size(), sizeof n + n);
        }
        out.append(reinterpret_cast<const char*>(&n), sizeof n);
        out.append(v);
    } else {
        out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
}

template <class T>
T get_value(std::string_view& in) {
    auto need = [&](std::size_t n) {
        if (in.size() < n) throw ValueError("a process pool message is truncated");
    };
    if constexpr (std::is_same_v<T, std::string>) {
        std::uint64_t n;
        need(sizeof n);
        std::memcpy(&n, in.data(), sizeof n);
        in.remove_prefix(sizeof n);
        need(n);
        std::string s;
        s.reserve(n);
        advise_huge_pages(s.data(), n);  // megabytes, filled once: on huge pages
        s.append(in.data(), n);
        in.remove_prefix(n);
        return s;
    } else {
        T v;
        need(sizeof v);
        std::memcpy(&v, in.data(), sizeof v);
        in.remove_prefix(sizeof v);
        return v;
    }
}

/// Runs in the worker: decodes the arguments, calls fn, encodes the result.
using Trampoline = std::string (*)(void* fn, std::string_view args);

template <class R, class... A>
std::string invoke_in_worker(void* fn, std::string_view args) {
    auto f = reinterpret_cast<R (*)(A...)>(fn);
    (void)args;  // unused when the function takes no arguments
    std::tuple<A...> values{get_value<A>(args)...};
    std::string out;
    if constexpr (std::is_void_v<R>) {
        std::apply(f, std::move(values));
    } else {
        put_value(out, std::apply(f, std::move(values)));
    }
    return out;
}

}  // namespace detail

/// A pool of worker processes for CPU-bound calls (concurrent.futures.ProcessPoolExecutor); see the top
/// of this header for how workers start and what a call may take and return. Workers start on demand,
/// up to max_workers, and are reused. Use it from the loop's thread. Destroying the pool retires the
/// idle workers and kills those still running a call (their awaiters get BrokenProcessPool).
class ProcessPoolExecutor {
public:
    /// max_workers = 0: one per core.
    explicit ProcessPoolExecutor(std::size_t max_workers = 0);
    ~ProcessPoolExecutor();
    ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
    ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;

    /// Runs fn(args...) in a worker process and awaits the result.
    /// Throws RuntimeError after shutdown, BrokenProcessPool if the worker dies.
    template <class R, class... A, class... Args>
        requires((detail::ProcessValue<std::decay_t<A>> && ...) && (std::is_void_v<R> || detail::ProcessValue<R>))
    Task<R> submit_async(R (*fn)(A...), Args... args) {
        std::string payload;
        (detail::put_value<std::decay_t<A>>(payload, std::decay_t<A>(std::move(args))), ...);
        std::string reply = co_await call(reinterpret_cast<void*>(fn),
                                          &detail::invoke_in_worker<R, std::decay_t<A>...>, std::move(payload));
        if constexpr (!std::is_void_v<R>) {
            std::string_view in(reply);
            co_return detail::get_value<R>(in);
        }
    }

    /// Refuses new calls (RuntimeError) and stops the workers. wait = true lets the running calls and
    /// those already queued for a worker finish (Python's cancel_futures=False); each worker retires when
    /// no queued call is left for it. wait = false kills the workers of the running calls (their awaiters
    /// get BrokenProcessPool) and fails the queued calls with RuntimeError. Returns at once either way
    /// (it does not block the loop): await the calls to wait for them.
    void shutdown(bool wait = true);
    /// The most worker processes the pool runs at once (the constructor's value, or the core count).
    std::size_t max_workers() const noexcept;

    struct State;

private:
    Task<std::string> call(void* fn, detail::Trampoline t, std::string payload);
    std::shared_ptr<State> s_;
};

}  // namespace aio
