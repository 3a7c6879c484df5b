#include <gtest/gtest.h>

#include <aio/aio.hpp>

using namespace std::chrono_literals;

namespace {
aio::Task<int> answer() {
    co_await aio::sleep(1ms);
    co_return 42;
}
aio::Task<int> amain() {
    auto [a, b] = co_await aio::gather(answer(), answer());
    co_return a + b;
}
}  // namespace

TEST(Smoke, RunGather) { EXPECT_EQ(aio::run(amain()), 84); }
