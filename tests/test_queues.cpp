// Queue, LifoQueue, PriorityQueue: order, waiting, join, shutdown, cancellation.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <memory>
#include <vector>
#include "support/raises.hpp"

using namespace std::chrono_literals;

TEST(Queue, FifoAndSizes) {
    aio::Queue<int> q(2);
    EXPECT_EQ(q.maxsize(), 2u);
    EXPECT_TRUE(q.empty());
    q.put_nowait(1);
    q.put_nowait(2);
    EXPECT_TRUE(q.full());
    EXPECT_THROW(q.put_nowait(3), aio::QueueFull);
    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_THROW(q.get_nowait(), aio::QueueEmpty);
}

TEST(Queue, LifoAndPriorityOrder) {
    aio::LifoQueue<int> l;
    aio::PriorityQueue<int> p;
    for (int v : {3, 1, 2}) {
        l.put_nowait(v);
        p.put_nowait(v);
    }
    EXPECT_EQ(l.get_nowait(), 2);
    EXPECT_EQ(p.get_nowait(), 1);
    EXPECT_EQ(p.get_nowait(), 2);
    aio::PriorityQueue<int, std::greater<int>> maxfirst;
    maxfirst.put_nowait(1);
    maxfirst.put_nowait(9);
    EXPECT_EQ(maxfirst.get_nowait(), 9);
}

TEST(Queue, ProducerConsumerWithBackpressure) {
    aio::run([]() -> aio::Task<> {
        aio::Queue<int> q(1);
        std::vector<int> got;
        auto producer = [&]() -> aio::Task<> {
            for (int i = 0; i < 100; ++i) co_await q.put(i);
        };
        auto consumer = [&]() -> aio::Task<> {
            for (int i = 0; i < 100; ++i) got.push_back(co_await q.get());
        };
        co_await aio::gather(producer(), consumer());
        EXPECT_EQ(got.size(), 100u);
        for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
    }());
}

TEST(Queue, MoveOnlyItems) {
    aio::run([]() -> aio::Task<> {
        aio::Queue<std::unique_ptr<int>> q;
        co_await q.put(std::make_unique<int>(4));
        auto p = co_await q.get();
        EXPECT_EQ(*p, 4);
    }());
}

TEST(Queue, TaskDoneAndJoin) {
    aio::run([]() -> aio::Task<> {
        aio::Queue<int> q;
        for (int i = 0; i < 3; ++i) q.put_nowait(i);
        int processed = 0;
        auto worker = [&]() -> aio::Task<> {
            while (true) {
                (void)co_await q.get();
                co_await aio::sleep(1ms);
                ++processed;
                q.task_done();
            }
        };
        auto w = aio::create_task(worker());
        co_await q.join();
        EXPECT_EQ(processed, 3);
        w.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(w);
            EXPECT_TRUE(raised.has_value()) << "awaiting w did not throw aio::CancelledError";
        }
        EXPECT_THROW(q.task_done(), aio::ValueError);
    }());
}

TEST(Queue, CancelledGetterTakesNothing) {
    aio::run([]() -> aio::Task<> {
        aio::Queue<int> q;
        auto getter = [&]() -> aio::Task<int> { co_return co_await q.get(); };
        auto a = aio::create_task(getter());
        auto b = aio::create_task(getter());
        co_await aio::sleep(0s);
        a.cancel();
        co_await aio::sleep(0s);
        q.put_nowait(5);
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(a);
            EXPECT_TRUE(raised.has_value()) << "awaiting a did not throw aio::CancelledError";
        }
        {
            auto got = co_await b;
            EXPECT_EQ(got, 5);  // the item went to the getter still waiting
        }
    }());
}

TEST(Queue, GetterCancelledAfterItWasHandedAnItemStillReturnsIt) {
    aio::run([]() -> aio::Task<> {
        aio::Queue<int> q;
        int received = -1;
        auto getter = [&]() -> aio::Task<> {
            received = co_await q.get();
            co_await aio::sleep(0s);  // the cancellation arrives here
        };
        auto a = aio::create_task(getter());
        co_await aio::sleep(0s);
        q.put_nowait(7);  // handed to the waiting getter...
        a.cancel();       // ...then cancelled before it runs
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(a);
            EXPECT_TRUE(raised.has_value()) << "awaiting a did not throw aio::CancelledError";
        }
        EXPECT_EQ(received, 7);  // the item was not lost
        EXPECT_TRUE(q.empty());
    }());
}

TEST(Queue, ShutdownDrainsThenRaises) {
    aio::run([]() -> aio::Task<> {
        aio::Queue<int> q;
        q.put_nowait(1);
        q.shutdown();
        EXPECT_THROW(q.put_nowait(2), aio::QueueShutDown);
        {  // expects aio::QueueShutDown
            bool threw = false;
            try {
                co_await q.put(2);
            } catch (const aio::QueueShutDown&) {
                threw = true;
            }
            EXPECT_TRUE(threw) << "awaiting q.put(2) did not throw aio::QueueShutDown";
        }
        {
            auto got = co_await q.get();
            EXPECT_EQ(got, 1);
        }
        {  // expects aio::QueueShutDown
            bool threw = false;
            try {
                co_await q.get();
            } catch (const aio::QueueShutDown&) {
                threw = true;
            }
            EXPECT_TRUE(threw) << "awaiting q.get() did not throw aio::QueueShutDown";
        }
    }());
}

TEST(Queue, ImmediateShutdownWakesWaitingGettersAndPutters) {
    aio::run([]() -> aio::Task<> {
        aio::Queue<int> empty;
        auto getter = [&]() -> aio::Task<int> { co_return co_await empty.get(); };
        auto g = aio::create_task(getter());
        aio::Queue<int> full(1);
        full.put_nowait(0);
        auto putter = [&]() -> aio::Task<> { co_await full.put(1); };
        auto p = aio::create_task(putter());
        co_await aio::sleep(0s);
        empty.shutdown(true);
        full.shutdown(true);
        {  // expects aio::QueueShutDown
            auto raised = co_await aio::test::raises<aio::QueueShutDown>(g);
            EXPECT_TRUE(raised.has_value()) << "awaiting g did not throw aio::QueueShutDown";
        }
        {  // expects aio::QueueShutDown
            auto raised = co_await aio::test::raises<aio::QueueShutDown>(p);
            EXPECT_TRUE(raised.has_value()) << "awaiting p did not throw aio::QueueShutDown";
        }
        EXPECT_TRUE(full.empty());
        co_await full.join();  // the dropped item no longer counts
    }());
}

TEST(Queue, AnAlwaysReadyConsumerYieldsToOthers) {
    // A consumer of a queue that is never empty never truly suspends; the
    // cooperative budget makes it yield so another task still gets to run.
    aio::run([]() -> aio::Task<> {
        aio::Queue<int> q;
        for (int i = 0; i < 10000; ++i) q.put_nowait(i);
        bool other_ran = false;
        int consumed_before_other = -1;
        auto other = [&]() -> aio::Task<> {
            other_ran = true;
            co_return;
        };
        auto o = aio::create_task(other());
        int consumed = 0;
        while (!q.empty()) {
            (void)co_await q.get();
            ++consumed;
            if (other_ran && consumed_before_other < 0) consumed_before_other = consumed;
        }
        co_await o;
        EXPECT_TRUE(other_ran);
        EXPECT_GT(consumed_before_other, 0);
        EXPECT_LT(consumed_before_other, 1000);
    }());
}
