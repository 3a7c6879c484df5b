// Seed §2.4: a blocking function run on the thread pool with to_thread.
#include <aio/aio.hpp>
#include <fmt/core.h>

#include <thread>

using namespace std::chrono_literals;

std::string sync_function() {
    std::this_thread::sleep_for(1s);
    return "Done";
}

aio::Task<> async_with_thread() {
    auto result = co_await aio::to_thread(sync_function);
    fmt::print("{}\n", result);
}

int main() { aio::run(async_with_thread()); }
