// Seed §1.1, example 2: catching the StopIteration of a finished generator.
#include <aio/aio.hpp>
#include <fmt/core.h>

aio::Generator<aio::NoneType, int> simple_coroutine2() {
    fmt::print("Coroutine Started\n");
    std::optional<int> x = co_yield aio::None;
    fmt::print("Received: {}\n", *x);
}

int main() {
    auto coro2 = simple_coroutine2();
    coro2.next();
    try {
        coro2.send(42);
    } catch (const aio::StopIteration&) {
        fmt::print("Finished...\n");
    }
}
