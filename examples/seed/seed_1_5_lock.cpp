// Seed §1.5: an asyncio.Lock protecting a shared counter.
#include <aio/aio.hpp>
#include <fmt/core.h>

using namespace std::chrono_literals;

aio::Lock lock;
int shared_counter = 0;

aio::Task<> worker(std::string name) {
    auto held = co_await lock.acquire();  // async with lock:
    fmt::print("{} acquired lock\n", name);
    int tmp = shared_counter;
    co_await aio::sleep(100ms);  // simulate work
    shared_counter = tmp + 1;
    fmt::print("{} released lock\n", name);
}

aio::Task<> run_multi_works() { co_await aio::gather(worker("A"), worker("B"), worker("C")); }

int main() {
    aio::run(run_multi_works());
    return shared_counter == 3 ? 0 : 1;
}
