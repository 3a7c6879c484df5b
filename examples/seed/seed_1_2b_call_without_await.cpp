// Seed §1.2, example 2: calling an async function without awaiting it only
// makes a (lazy) task: nothing of its body runs, nothing is printed.
// With AIO_DEBUG=1 inside a loop, aio warns that it was never awaited.
#include <aio/aio.hpp>
#include <fmt/core.h>

using namespace std::chrono_literals;

aio::Task<> hello() {
    fmt::print("Hello\n");
    co_await aio::sleep(1s);
    fmt::print("World\n");
}

int main() {
    auto coroutine = hello();  // Python: <coroutine object hello at 0x...>
    (void)coroutine;
}
