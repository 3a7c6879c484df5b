// Seed §1.1, example 4: a loop inside the generator keeps it receiving; it has
// not finished after two sends, so no StopIteration and no "Finished...".
#include <aio/aio.hpp>
#include <fmt/core.h>

aio::Generator<aio::NoneType, int> simple_coroutine4() {
    fmt::print("Coroutine Started\n");
    for (int i = 0; i < 10; ++i) {
        std::optional<int> x = co_yield aio::None;
        fmt::print("Received: {}\n", *x);
    }
}

int main() {
    auto coro4 = simple_coroutine4();
    coro4.next();
    try {
        coro4.send(42);
        coro4.send(25);
    } catch (const aio::StopIteration&) {
        fmt::print("Finished...\n");  // not reached: the generator is still running
    }
}
