#include <aio/aio.hpp>
#include <fmt/core.h>

aio::Task<int> answer() {
    co_await aio::sleep(std::chrono::milliseconds(1));
    co_return 42;
}

int main() {
    if (aio::version().empty()) return 1;
    fmt::print("{}\n", aio::run(answer()));
}
