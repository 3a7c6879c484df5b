// Seed §1.2, example 3: an explicit event loop with run_until_complete and close.
#include <aio/aio.hpp>
#include <fmt/core.h>

using namespace std::chrono_literals;

aio::Task<> hello() {
    fmt::print("Hello\n");
    co_await aio::sleep(1s);
    fmt::print("World\n");
}

aio::Task<> amain() { co_await hello(); }

int main() {
    // Create the event loop
    aio::EventLoop loop;
    // Run the async function
    loop.run_until_complete(amain());
    // Close the event loop
    loop.close();
}
