// aio/runners.hpp — aio::run (asyncio.run).
//
//     int main() { aio::run(amain()); }
//
// run() makes a new event loop on this thread, runs `main` to completion,
// then cancels every task still pending and lets them finish (as asyncio.run
// does), shuts the default thread pool down and closes the loop. It returns
// main's result or rethrows its exception.
#pragma once

#include "aio/task.hpp"
#include "aio/threads.hpp"

namespace aio {

namespace detail {
/// Cancels the loop's remaining tasks, runs them to completion (tasks that can
/// never finish are abandoned and reported in debug mode), and closes the loop.
void shutdown_loop(EventLoop& loop) noexcept;
void check_no_running_loop();
}  // namespace detail

/// asyncio.run(main). Throws RuntimeError when called from a running loop.
template <class T>
T run(Task<T> main, LoopOptions options = {}) {
    detail::check_no_running_loop();
    EventLoop loop(options);
    struct Shutdown {
        EventLoop& loop;
        ~Shutdown() { detail::shutdown_loop(loop); }
    } shutdown{loop};
    return loop.run_until_complete(std::move(main));
}

}  // namespace aio
