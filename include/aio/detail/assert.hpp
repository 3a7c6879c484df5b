// aio/detail/assert.hpp — checks of the invariants the core relies on.
//
// On when NDEBUG is not defined (the Debug and sanitizer presets) or when
// AIO_ASSERTIONS is defined; compiled out otherwise, so release builds pay
// nothing. A failed check names the broken invariant and aborts: the state it
// guards (the ready queue, the timer heap, a task's wait) is already corrupt
// and no exception could be caught safely.
#pragma once

#if !defined(NDEBUG) || defined(AIO_ASSERTIONS)
#define AIO_ASSERTIONS_ON 1
#define AIO_ASSERT(cond, what)                                                           \
    do {                                                                                 \
        if (!(cond)) ::aio::detail::assertion_failed(what, __FILE__, __LINE__); \
    } while (0)
#else
#define AIO_ASSERTIONS_ON 0
#define AIO_ASSERT(cond, what) ((void)0)
#endif

namespace aio::detail {
/// Prints "aio: invariant broken: <what> (file:line)" and aborts.
[[noreturn]] void assertion_failed(const char* what, const char* file, int line) noexcept;
}  // namespace aio::detail
