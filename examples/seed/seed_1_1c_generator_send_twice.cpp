// Seed §1.1, example 3: the generator has finished after the first send, so
// 25 is never received.
#include <aio/aio.hpp>
#include <fmt/core.h>

aio::Generator<aio::NoneType, int> simple_coroutine3() {
    fmt::print("Coroutine Started\n");
    std::optional<int> x = co_yield aio::None;
    fmt::print("Received: {}\n", *x);
}

int main() {
    auto coro3 = simple_coroutine3();
    coro3.next();
    try {
        coro3.send(42);
        coro3.send(25);
    } catch (const aio::StopIteration&) {
        fmt::print("Finished...\n");
    }
}
