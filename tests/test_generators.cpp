// aio::Generator (send/next/throw_/close, Python's errors) and aio::AsyncGenerator.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <optional>
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
        {
            auto got = co_await g.next();
            EXPECT_FALSE(got);
        }
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
        {
            auto got = co_await g.next();
            EXPECT_EQ(got, std::optional<int>(1));
        }
        {  // expects std::runtime_error
            bool threw = false;
            try {
                co_await g.next();
            } catch (const std::runtime_error&) {
                threw = true;
            }
            EXPECT_TRUE(threw) << "awaiting g.next() did not throw std::runtime_error";
        }
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
        {  // expects aio::CancelledError
            bool threw = false;
            try {
                co_await t;
            } catch (const aio::CancelledError&) {
                threw = true;
            }
            EXPECT_TRUE(threw) << "awaiting t did not throw aio::CancelledError";
        }
    }());
    EXPECT_TRUE(saw);
}

namespace {

aio::AsyncGenerator<int> slow_ticks() {
    for (int i = 0; i < 3; ++i) {
        co_await aio::sleep(1ms);
        co_yield i;
    }
}

aio::Task<std::optional<int>> next_of(aio::AsyncGenerator<int>& g) { co_return co_await g.next(); }

}  // namespace

TEST(AsyncGenerator, ASecondNextWhileOneIsRunningRaises) {
    aio::run([]() -> aio::Task<> {
        auto g = slow_ticks();
        auto first = aio::create_task(next_of(g));
        co_await aio::sleep(0s);  // `first` is inside the body's sleep now
        bool raised = false;
        std::string what;
        try {
            auto v = co_await g.next();
            (void)v;
        } catch (const aio::RuntimeError& e) {
            raised = true;
            what = e.what();
        }
        EXPECT_TRUE(raised);
        EXPECT_NE(what.find("asynchronous generator is already running"), std::string::npos) << what;
        auto v0 = co_await first;
        EXPECT_EQ(v0, std::optional<int>(0));
        auto v1 = co_await g.next();  // free again
        EXPECT_EQ(v1, std::optional<int>(1));
    }());
}
