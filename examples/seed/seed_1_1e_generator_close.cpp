// Seed §1.1, example 5: send() after close(). Python raises StopIteration for
// a closed generator (not TypeError), so "Finished..." is printed.
#include <aio/aio.hpp>
#include <fmt/core.h>

aio::Generator<aio::NoneType, int> simple_coroutine5() {
    fmt::print("Coroutine Started\n");
    for (int i = 0; i < 10; ++i) {
        std::optional<int> x = co_yield aio::None;
        fmt::print("Received: {}\n", *x);
    }
}

int main() {
    auto coro5 = simple_coroutine5();
    coro5.next();
    try {
        coro5.send(42);
        coro5.close();
        coro5.send(25);
    } catch (const aio::StopIteration&) {
        fmt::print("Finished...\n");
    } catch (const aio::TypeError&) {
        fmt::print("Generator has been closed!!!\n");
    }
}
