// Seed §1.2, example 1: `await hello()` (top-level await becomes aio::run).
#include <aio/aio.hpp>
#include <fmt/core.h>

using namespace std::chrono_literals;

aio::Task<> hello() {
    fmt::print("Hello\n");
    co_await aio::sleep(1s);
    fmt::print("World\n");
}

int main() { aio::run(hello()); }
