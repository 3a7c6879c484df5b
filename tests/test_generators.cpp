// aio::Generator (send/next/throw_/close, Python's errors) and aio::AsyncGenerator.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

aio::Generator<int, int> averager() {
    double total = 0;
    int n = 0;
    int avg = 0;
    while (true) {
        std::optional<int> x = co_yield avg;
        if (x) {
            total += *x;
            avg = static_cast<int>(total / ++n);
        }
    }
}

aio::Generator<int> count_to(int n) {
    for (int i = 1; i <= n; ++i) co_yield i;
}

aio::Generator<int, void, std::string> with_return() {
    co_yield 1;
    co_return "done";
}

}  // namespace

TEST(Generator, SendAndNext) {
    auto g = averager();
    EXPECT_EQ(g.next(), 0);
    EXPECT_EQ(g.send(10), 10);
    EXPECT_EQ(g.send(30), 20);
    g.close();
    EXPECT_TRUE(g.done());
    EXPECT_THROW(g.send(1), aio::StopIteration);
    EXPECT_THROW(g.next(), aio::StopIteration);
}

TEST(Generator, SendingToAJustStartedGeneratorIsATypeError) {
    auto g = averager();
    EXPECT_THROW(g.send(1), aio::TypeError);
}

TEST(Generator, FinishedGeneratorRaisesStopIterationWithTheReturnValue) {
    auto g = with_return();
    EXPECT_EQ(g.next(), 1);
    EXPECT_FALSE(g.return_value());
    EXPECT_THROW(g.next(), aio::StopIteration);
    EXPECT_EQ(g.return_value(), std::optional<std::string>("done"));
    EXPECT_THROW(g.next(), aio::StopIteration);
}

TEST(Generator, RangeFor) {
    std::vector<int> v;
    for (int x : count_to(4)) v.push_back(x);
    EXPECT_EQ(v, (std::vector<int>{1, 2, 3, 4}));
}

TEST(Generator, ThrowRaisesAtTheYield) {
    auto gen = []() -> aio::Generator<int> {
        bool caught = false;
        try {
            co_yield 1;
        } catch (const std::runtime_error&) {
            caught = true;  // co_yield is not allowed inside a handler
        }
        if (caught) co_yield 99;
    };
    auto g = gen();
    EXPECT_EQ(g.next(), 1);
    EXPECT_EQ(g.throw_(std::make_exception_ptr(std::runtime_error("x"))), 99);
    EXPECT_THROW(g.next(), aio::StopIteration);
}

TEST(Generator, UncaughtThrowPropagates) {
    auto g = count_to(3);
    g.next();
    EXPECT_THROW(g.throw_(std::make_exception_ptr(std::logic_error("x"))), std::logic_error);
    EXPECT_TRUE(g.done());
}

TEST(Generator, CloseRunsDestructorsOfLocals) {
    struct Guard {
        bool* flag;
        ~Guard() { *flag = true; }
    };
    bool cleaned = false;
    auto gen = [](bool* flag) -> aio::Generator<int> {
        Guard g{flag};
        while (true) co_yield 0;
    };
    auto g = gen(&cleaned);
    g.next();
    EXPECT_FALSE(cleaned);
    g.close();
    EXPECT_TRUE(cleaned);
}

TEST(AsyncGenerator, AwaitsInsideAndIterates) {
    auto ticks = [](int n) -> aio::AsyncGenerator<int> {
        for (int i = 0; i < n; ++i) {
            co_await aio::sleep(1ms);
            co_yield i;
        }
    };
    aio::run([&]() -> aio::Task<> {
        std::vector<int> got;
        auto g = ticks(3);
        while (auto v = co_await g.next()) got.push_back(*v);
        EXPECT_EQ(got, (std::vector<int>{0, 1, 2}));
        EXPECT_TRUE(g.done());
        EXPECT_FALSE(co_await g.next());
        int sum = 0;
        co_await aio::for_each(ticks(4), [&](int v) { sum += v; });
        EXPECT_EQ(sum, 6);
    }());
}

TEST(AsyncGenerator, ExceptionsReachTheConsumer) {
    auto bad = []() -> aio::AsyncGenerator<int> {
        co_yield 1;
        throw std::runtime_error("gen failed");
    };
    aio::run([&]() -> aio::Task<> {
        auto g = bad();
        EXPECT_EQ(*(co_await g.next()), 1);
        EXPECT_THROW(co_await g.next(), std::runtime_error);
    }());
}

TEST(AsyncGenerator, CancellationReachesTheBody) {
    bool saw = false;
    auto slow = [&]() -> aio::AsyncGenerator<int> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            saw = true;
            throw;
        }
        co_yield 1;
    };
    aio::run([&]() -> aio::Task<> {
        auto consumer = [&]() -> aio::Task<> {
            auto g = slow();
            co_await g.next();
        };
        auto t = aio::create_task(consumer());
        co_await aio::sleep(1ms);
        t.cancel();
        EXPECT_THROW(co_await t, aio::CancelledError);
    }());
    EXPECT_TRUE(saw);
}
