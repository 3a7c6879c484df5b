// Seed §2.1: concurrent "I/O" with gather over a vector of tasks.
#include <aio/aio.hpp>
#include <fmt/core.h>

using namespace std::chrono_literals;

aio::Task<std::string> fetch_data(std::string url) {
    fmt::print("Fetching data from {}\n", url);
    co_await aio::sleep(1s);
    fmt::print("Data fetched from {}\n", url);
    co_return "Data from " + url;
}

aio::Task<> amain() {
    std::vector<aio::Task<std::string>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(fetch_data(fmt::format("http://example.com/{}", i)));
    auto results = co_await aio::gather(std::move(tasks));
    for (const auto& result : results) fmt::print("{}\n", result);
}

int main() { aio::run(amain()); }
