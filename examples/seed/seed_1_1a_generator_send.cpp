// Seed §1.1, example 1: a generator used as a coroutine; the StopIteration of
// the final send() is not caught, so the program ends with it (as Python does).
#include <aio/aio.hpp>
#include <fmt/core.h>

aio::Generator<aio::NoneType, int> simple_coroutine1() {
    fmt::print("Coroutine Started\n");
    std::optional<int> x = co_yield aio::None;
    fmt::print("Received: {}\n", *x);
}

int main() {
    auto coro1 = simple_coroutine1();
    coro1.next();
    try {
        coro1.send(42);
    } catch (const aio::StopIteration&) {
        // Python prints the uncaught exception's traceback and exits with status 1.
        fmt::print(stderr, "Traceback (most recent call last):\n  coro1.send(42)\nStopIteration\n");
        return 1;
    }
}
