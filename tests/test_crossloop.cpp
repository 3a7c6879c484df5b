// Work handed between loops on different threads: awaiting a ConcurrentFuture
// from a task (aio::wrap_future, asyncio.wrap_future) and aio::ThreadSafeQueue
// (janus.Queue) between loops and plain threads.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/loop_thread.hpp"
#include "support/raises.hpp"

using namespace std::chrono_literals;
using aio::test::LoopThread;

namespace {

aio::Task<int> times_seven(int x) {
    co_await aio::sleep(1ms);
    co_return x * 7;
}

aio::Task<std::thread::id> thread_id_after(aio::ConcurrentFuture<int> f, int* value) {
    *value = co_await aio::wrap_future(std::move(f));
    co_return std::this_thread::get_id();
}

aio::Task<int> fail_with_value_error() {
    co_await aio::sleep(0s);
    throw aio::ValueError("bad value");
}

/// Waits (polling its own loop) until `flag` is set by someone else.
aio::Task<int> wait_for_flag(std::atomic<bool>* flag) {
    while (!flag->load()) co_await aio::sleep(1ms);
    co_return 1;
}

aio::Task<> set_flag_soon(std::atomic<bool>* flag) {
    co_await aio::sleep(0s);
    flag->store(true);
}

/// Reports through `started` that it runs, sleeps for an hour, and reports
/// through `saw_cancel` that CancelledError arrived.
aio::Task<int> sleep_until_cancelled(std::promise<void>* saw_cancel, std::promise<void>* started) {
    started->set_value();
    try {
        co_await aio::sleep(1h);
    } catch (const aio::CancelledError&) {
        saw_cancel->set_value();
        throw;
    }
    co_return 0;
}

/// `got` as text, followed by " then cancelled" when the task's next await
/// raises CancelledError (a cancellation that was left pending).
aio::Task<std::string> then_next_await(int got) {
    std::string r = std::to_string(got);
    try {
        co_await aio::sleep(0s);
    } catch (const aio::CancelledError&) {
        r += " then cancelled";
    }
    co_return r;
}

/// Starts `coro` as a task, lets it take its first step and park (1 ms),
/// cancels it, and says how it ended: "cancelled" (CancelledError) or "finished".
template <class T>
aio::Task<std::string> cancel_once_parked(aio::Task<T> coro) {
    auto task = aio::create_task(std::move(coro));
    co_await aio::sleep(1ms);
    task.cancel();
    auto raised = co_await aio::test::raises<aio::CancelledError>(task);
    co_return raised ? "cancelled" : "finished";
}

/// 5, once `open` is ready (polled on the task's own loop).
aio::Task<int> five_once_open(std::shared_future<void> open) {
    while (open.wait_for(0s) != std::future_status::ready) co_await aio::sleep(1ms);
    co_return 5;
}

aio::Task<> nothing() { co_return; }

/// Runs `coro` as a task on a loop of its own until it parks, calls
/// `meanwhile()`, then closes the loop, which never runs again: the task is
/// given up. Says whether the task ended cancelled.
template <class T, class F>
bool park_then_close_loop(aio::Task<T> coro, F meanwhile) {
    aio::EventLoop a;
    auto task = a.create_task(std::move(coro));
    a.run_until_complete(nothing());  // the task takes its first step and parks
    meanwhile();
    a.close();
    return task.cancelled();
}

}  // namespace

// --- wrap_future / co_await ConcurrentFuture ---

TEST(WrapFuture, ATaskAwaitsACoroutineOfAnotherLoopWhileItsOwnLoopGoesOn) {
    LoopThread b;
    std::atomic<bool> flag{false};
    int got = aio::run([](aio::EventLoop* other, std::atomic<bool>* f) -> aio::Task<int> {
        // The coroutine on B finishes only once a task of this loop has run:
        // this loop must keep running while the first task awaits B.
        auto setter = aio::create_task(set_flag_soon(f));
        int v = co_await aio::wrap_future(aio::run_coroutine_threadsafe(wait_for_flag(f), *other));
        co_await setter;
        co_return v;
    }(&b.loop(), &flag));
    EXPECT_EQ(got, 1);
}

TEST(WrapFuture, TheAwaitingTaskResumesOnItsOwnLoopsThread) {
    LoopThread b;
    int value = 0;
    std::thread::id here;
    auto id = aio::run([](aio::EventLoop* other, int* v, std::thread::id* h) -> aio::Task<std::thread::id> {
        *h = std::this_thread::get_id();
        auto f = aio::run_coroutine_threadsafe(times_seven(6), *other);
        std::thread::id after = co_await thread_id_after(std::move(f), v);
        co_return after;
    }(&b.loop(), &value, &here));
    EXPECT_EQ(value, 42);
    EXPECT_EQ(id, here);
    EXPECT_EQ(id, std::this_thread::get_id());
}

TEST(WrapFuture, TheRemoteExceptionIsRaisedInTheAwaitingTask) {
    LoopThread b;
    bool caught = aio::run([](aio::EventLoop* other) -> aio::Task<bool> {
        try {
            co_await aio::wrap_future(aio::run_coroutine_threadsafe(fail_with_value_error(), *other));
        } catch (const aio::ValueError&) {
            // (what() is not compared: libstdc++'s exception strings are
            // shared copy-on-write, with a count ThreadSanitizer cannot see.)
            co_return true;
        }
        co_return false;
    }(&b.loop()));
    EXPECT_TRUE(caught);
}

namespace {
/// On one loop: asks `other` for x * 7 (which asks `back`, this loop, for x + 1 first).
aio::Task<int> plus_one(int x) {
    co_await aio::sleep(0s);
    co_return x + 1;
}
aio::Task<int> ask_back_then_times_seven(int x, aio::EventLoop* back) {
    int y = co_await aio::wrap_future(aio::run_coroutine_threadsafe(plus_one(x), *back));
    co_return y * 7;
}
}  // namespace

TEST(WrapFuture, WorkIsHandedBothWaysBetweenThreeLoops) {
    LoopThread b, c;
    auto results = b.run([](aio::EventLoop* c_loop) -> aio::Task<std::vector<int>> {
        aio::EventLoop& me = aio::get_running_loop();
        std::vector<aio::Task<int>> asks;
        for (int i = 0; i < 20; ++i)
            asks.push_back(aio::wrap_future(aio::run_coroutine_threadsafe(ask_back_then_times_seven(i, &me), *c_loop)));
        auto all = co_await aio::gather(std::move(asks));
        co_return all;
    }(&c.loop()));
    ASSERT_EQ(results.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(results[i], (i + 1) * 7);
}

TEST(WrapFuture, AwaitingAFutureOfTheTasksOwnLoopDoesNotDeadlock) {
    int v = aio::run([]() -> aio::Task<int> {
        auto f = aio::run_coroutine_threadsafe(times_seven(2), aio::get_running_loop());
        int direct = co_await f;  // ConcurrentFuture is awaitable itself
        int wrapped = co_await aio::wrap_future(f);
        co_return direct + wrapped;
    }());
    EXPECT_EQ(v, 28);
}

TEST(WrapFuture, ADoneFutureGivesItsValueAndAMoveOnlyValueIsMovedOutOnce) {
    LoopThread b;
    auto make = []() -> aio::Task<std::unique_ptr<int>> {
        co_await aio::sleep(0s);
        co_return std::make_unique<int>(9);
    };
    auto f = aio::run_coroutine_threadsafe(make(), b.loop());
    (void)f.exception();  // waits until done
    bool second_refused = aio::run([](aio::ConcurrentFuture<std::unique_ptr<int>> fut) -> aio::Task<bool> {
        std::unique_ptr<int> p = co_await fut;
        EXPECT_EQ(*p, 9);
        try {
            std::unique_ptr<int> again = co_await fut;
            (void)again;
        } catch (const aio::InvalidStateError&) {
            co_return true;
        }
        co_return false;
    }(f));
    EXPECT_TRUE(second_refused);
}

TEST(WrapFuture, CancellingTheAwaitingTaskCancelsTheFutureAndTheRemoteTask) {
    LoopThread b;
    std::promise<void> saw_cancel, started;
    auto f = aio::run_coroutine_threadsafe(sleep_until_cancelled(&saw_cancel, &started), b.loop());
    started.get_future().get();
    std::string outcome = aio::run(cancel_once_parked(aio::wrap_future(f)));
    EXPECT_EQ(outcome, "cancelled");
    EXPECT_TRUE(f.cancelled());
    saw_cancel.get_future().get();  // the task on B saw the cancellation
}

TEST(WrapFuture, ATaskAlreadyCancelledCancelsTheFutureWhenItAwaits) {
    LoopThread b;
    std::promise<void> saw_cancel, started;
    auto f = aio::run_coroutine_threadsafe(sleep_until_cancelled(&saw_cancel, &started), b.loop());
    started.get_future().get();
    bool cancelled = aio::run([](aio::ConcurrentFuture<int> fut) -> aio::Task<bool> {
        aio::current_task().cancel();  // pending: delivered at the next await that suspends
        try {
            co_await fut;
        } catch (const aio::CancelledError&) {
            co_return true;
        }
        co_return false;
    }(f));
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(f.cancelled());
    saw_cancel.get_future().get();
}

TEST(WrapFuture, ACancelAfterTheResultArrivedKeepsTheResult) {
    // Same loop, so the order is fixed: the future finishes (its wake is
    // queued), then the awaiting task is cancelled before it resumes.
    auto outcome = aio::run([]() -> aio::Task<std::string> {
        auto f = aio::run_coroutine_threadsafe(times_seven(3), aio::get_running_loop());
        auto waiter = aio::create_task([](aio::ConcurrentFuture<int> fut) -> aio::Task<std::string> {
            int v = co_await aio::wrap_future(fut);
            std::string r = co_await then_next_await(v);
            co_return r;
        }(f));
        while (!f.done()) co_await aio::sleep(0s);
        waiter.cancel();
        std::string r = co_await waiter;  // the result, not CancelledError
        co_return r;
    }());
    EXPECT_EQ(outcome, "21 then cancelled");
}

namespace {
aio::Task<> await_on_loop(aio::EventLoop* l) {
    co_await aio::wrap_future(aio::run_coroutine_threadsafe(times_seven(1), *l));
}
aio::Task<> await_empty_future() { co_await aio::wrap_future(aio::ConcurrentFuture<int>()); }
}  // namespace

TEST(WrapFuture, ATargetLoopClosedAtSubmissionIsARuntimeError) {
    aio::EventLoop closed;
    closed.close();
    EXPECT_THROW(aio::run(await_on_loop(&closed)), aio::RuntimeError);
}

TEST(WrapFuture, ATargetLoopThatClosesWhileAwaitedGivesCancelledError) {
    auto b = std::make_unique<LoopThread>();
    std::promise<void> saw_cancel, started;
    auto f = aio::run_coroutine_threadsafe(sleep_until_cancelled(&saw_cancel, &started), b->loop());
    started.get_future().get();
    std::thread closer([&] { b.reset(); });  // the Runner cancels B's task at shutdown
    auto raised = aio::run(aio::test::raises<aio::CancelledError>(aio::wrap_future(f)));
    closer.join();
    EXPECT_TRUE(raised.has_value());
    saw_cancel.get_future().get();
}

TEST(WrapFuture, AnAwaitingLoopClosedBeforeTheResultLeavesNothingBehind) {
    // The awaiting task is given up with its loop; the future finishes
    // later and its wake is refused. LeakSanitizer checks the waker is freed.
    LoopThread b;
    std::promise<void> release;
    auto released = release.get_future().share();
    auto f = aio::run_coroutine_threadsafe(five_once_open(released), b.loop());
    {
        aio::EventLoop a;
        auto waiter = a.create_task(aio::wrap_future(f));
        auto pause = []() -> aio::Task<> { co_await aio::sleep(5ms); };
        a.run_until_complete(pause());
        EXPECT_FALSE(waiter.done());
        a.close();
        EXPECT_TRUE(waiter.cancelled());
    }
    release.set_value();
    EXPECT_EQ(f.result(), 5);
}

TEST(WrapFuture, TasksOfTwoLoopsAwaitOneFutureAndOneLoopClosesTheOtherStillGetsTheValue) {
    // Two wakers parked on one future: the closed loop's is refused (and
    // freed, as LeakSanitizer checks), the running loop's wakes its task.
    LoopThread b, c;
    std::promise<void> release;
    auto released = release.get_future().share();
    auto f = aio::run_coroutine_threadsafe(five_once_open(released), b.loop());
    auto on_c = aio::run_coroutine_threadsafe(aio::wrap_future(f), c.loop());
    bool cancelled = park_then_close_loop(aio::wrap_future(f), [] {});
    EXPECT_TRUE(cancelled);
    EXPECT_FALSE(on_c.done());
    release.set_value();
    EXPECT_EQ(on_c.result(), 5);
    EXPECT_EQ(f.result(), 5);
}

TEST(WrapFuture, AnEmptyFutureIsAnInvalidStateError) {
    EXPECT_THROW(aio::run(await_empty_future()), aio::InvalidStateError);
}

// --- ThreadSafeQueue ---

TEST(ThreadSafeQueue, NowaitCallsAndSizes) {
    aio::ThreadSafeQueue<int> q(2);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.maxsize(), 2u);
    EXPECT_THROW(q.get_nowait(), aio::QueueEmpty);
    q.put_nowait(1);
    q.put_nowait(2);
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_THROW(q.put_nowait(3), aio::QueueFull);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.get_nowait(), 2);
    aio::ThreadSafeQueue<int> unbounded;
    for (int i = 0; i < 1000; ++i) unbounded.put_nowait(i);
    EXPECT_FALSE(unbounded.full());
    EXPECT_EQ(unbounded.maxsize(), 0u);
}

TEST(ThreadSafeQueue, MoveOnlyItemsGoFromOneLoopToAnother) {
    LoopThread a, b;
    aio::ThreadSafeQueue<std::unique_ptr<int>> q(4);
    auto consumer = aio::run_coroutine_threadsafe(
        [](aio::ThreadSafeQueue<std::unique_ptr<int>>* queue) -> aio::Task<long> {
            long sum = 0;
            for (int i = 0; i < 1000; ++i) {
                std::unique_ptr<int> p = co_await queue->get();
                if (*p != i) co_return -1;  // out of order
                sum += *p;
            }
            co_return sum;
        }(&q),
        b.loop());
    a.run([](aio::ThreadSafeQueue<std::unique_ptr<int>>* queue) -> aio::Task<> {
        for (int i = 0; i < 1000; ++i) co_await queue->put(std::make_unique<int>(i));
    }(&q));
    EXPECT_EQ(consumer.result(), 999L * 1000 / 2);
}

namespace {
aio::Task<int> get_one(aio::ThreadSafeQueue<int>* q) {
    int v = co_await q->get();
    co_return v;
}
aio::Task<> put_one(aio::ThreadSafeQueue<int>* q, int v) { co_await q->put(v); }

struct Item {
    int producer;
    int seq;
};
constexpr int kPerProducer = 2000;

aio::Task<> produce_from_loop(aio::ThreadSafeQueue<Item>* q, int id) {
    for (int i = 0; i < kPerProducer; ++i) {
        Item item{id, i};
        co_await q->put(item);
        if (i % 64 == 0) co_await aio::sleep(0s);
    }
}

aio::Task<std::map<int, std::vector<int>>> consume(aio::ThreadSafeQueue<Item>* q, int total) {
    std::map<int, std::vector<int>> seen;
    for (int n = 0; n < total; ++n) {
        Item item = co_await q->get();
        seen[item.producer].push_back(item.seq);
    }
    co_return seen;
}
}  // namespace

TEST(ThreadSafeQueue, ManyProducersOnThreadsAndLoopsOneConsumerEveryItemOnceInOrder) {
    LoopThread consumer_loop, p1, p2;
    aio::ThreadSafeQueue<Item> q(8);  // small: producers and the consumer park often
    constexpr int kThreads = 3, kLoops = 2;
    constexpr int total = (kThreads + kLoops) * kPerProducer;
    auto seen = aio::run_coroutine_threadsafe(consume(&q, total), consumer_loop.loop());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&q, t] {
            for (int i = 0; i < kPerProducer; ++i) {
                if (t == 0) {
                    // put_nowait, retried while full (with a yield)
                    for (;;) {
                        try {
                            q.put_nowait(Item{t, i});
                            break;
                        } catch (const aio::QueueFull&) {
                            std::this_thread::yield();
                        }
                    }
                } else {
                    q.put_blocking(Item{t, i});
                }
            }
        });
    }
    auto l1 = aio::run_coroutine_threadsafe(produce_from_loop(&q, 100), p1.loop());
    auto l2 = aio::run_coroutine_threadsafe(produce_from_loop(&q, 101), p2.loop());
    for (auto& t : threads) t.join();
    l1.result();
    l2.result();
    auto by_producer = seen.result();
    ASSERT_EQ(by_producer.size(), static_cast<std::size_t>(kThreads + kLoops));
    for (auto& [producer, seqs] : by_producer) {
        ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kPerProducer)) << "producer " << producer;
        for (int i = 0; i < kPerProducer; ++i) {
            if (seqs[i] != i) {
                ADD_FAILURE() << "producer " << producer << ": item " << i << " arrived as " << seqs[i];
                break;
            }
        }
    }
    EXPECT_TRUE(q.empty());
}

TEST(ThreadSafeQueue, SeveralConsumersOnLoopsAndAThreadShareTheItemsExactlyOnce) {
    LoopThread c1, c2;
    aio::ThreadSafeQueue<int> q(16);
    constexpr int kItems = 6000;
    auto drain = [](aio::ThreadSafeQueue<int>* queue) -> aio::Task<std::vector<int>> {
        std::vector<int> got;
        for (;;) {
            try {
                int v = co_await queue->get();
                got.push_back(v);
            } catch (const aio::QueueShutDown&) {
                co_return got;
            }
        }
    };
    auto f1 = aio::run_coroutine_threadsafe(drain(&q), c1.loop());
    auto f2 = aio::run_coroutine_threadsafe(drain(&q), c2.loop());
    std::vector<int> by_thread;
    std::thread thread_consumer([&] {
        for (;;) {
            try {
                by_thread.push_back(q.get_blocking());
            } catch (const aio::QueueShutDown&) {
                return;
            }
        }
    });
    for (int i = 0; i < kItems; ++i) q.put_blocking(i);
    q.shutdown();  // the consumers drain what is left, then see QueueShutDown
    thread_consumer.join();
    std::vector<int> all = f1.result();
    auto more = f2.result();
    all.insert(all.end(), more.begin(), more.end());
    all.insert(all.end(), by_thread.begin(), by_thread.end());
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kItems));
    for (int i = 0; i < kItems; ++i) {
        if (all[i] != i) {
            ADD_FAILURE() << "item " << i << " missing or doubled";
            break;
        }
    }
}

TEST(ThreadSafeQueue, ABoundedQueueParksThePutterUntilAGetMakesRoom) {
    aio::run([]() -> aio::Task<> {
        aio::ThreadSafeQueue<int> q(2);
        co_await q.put(1);
        co_await q.put(2);
        std::atomic<bool> put_done{false};
        auto putter = aio::create_task([](aio::ThreadSafeQueue<int>* queue, std::atomic<bool>* done) -> aio::Task<> {
            co_await queue->put(3);
            *done = true;
        }(&q, &put_done));
        for (int i = 0; i < 5; ++i) co_await aio::sleep(0s);
        EXPECT_FALSE(put_done.load());  // parked: the queue is full
        EXPECT_EQ(q.qsize(), 2u);
        int first = co_await q.get();
        EXPECT_EQ(first, 1);
        co_await putter;
        EXPECT_TRUE(put_done.load());
        EXPECT_EQ(q.get_nowait(), 2);
        EXPECT_EQ(q.get_nowait(), 3);
    }());
}

TEST(ThreadSafeQueue, APlainThreadBlockedInPutBlockingGoesOnOnceALoopGets) {
    LoopThread consumer;
    aio::ThreadSafeQueue<int> q(1);
    q.put_nowait(1);
    std::atomic<bool> second_put{false};
    std::thread producer([&] {
        q.put_blocking(2);  // blocks: full
        second_put = true;
    });
    auto got = consumer.run([](aio::ThreadSafeQueue<int>* queue) -> aio::Task<std::vector<int>> {
        std::vector<int> v;
        int a = co_await queue->get();
        v.push_back(a);
        int b = co_await queue->get();
        v.push_back(b);
        co_return v;
    }(&q));
    producer.join();
    EXPECT_TRUE(second_put.load());
    EXPECT_EQ(got, (std::vector<int>{1, 2}));
}

TEST(ThreadSafeQueue, BlockingCallsOnALoopThreadAreRefused) {
    aio::run([]() -> aio::Task<> {
        aio::ThreadSafeQueue<int> q;
        EXPECT_THROW(q.put_blocking(1), aio::RuntimeError);
        EXPECT_THROW(q.get_blocking(), aio::RuntimeError);
        co_return;
    }());
}

TEST(ThreadSafeQueue, AGetterCancelledWhileParkedTakesNothing) {
    LoopThread b;
    aio::ThreadSafeQueue<int> q;
    std::string outcome = b.run(cancel_once_parked(get_one(&q)));
    EXPECT_EQ(outcome, "cancelled");
    q.put_nowait(7);  // from this thread: nobody parked takes it
    EXPECT_EQ(q.get_nowait(), 7);
}

TEST(ThreadSafeQueue, AGetterCancelledAfterItWasHandedAnItemStillReturnsIt) {
    auto outcome = aio::run([]() -> aio::Task<std::string> {
        aio::ThreadSafeQueue<int> q;
        auto getter = aio::create_task([](aio::ThreadSafeQueue<int>* qq) -> aio::Task<std::string> {
            int v = co_await qq->get();
            std::string r = co_await then_next_await(v);
            co_return r;
        }(&q));
        co_await aio::sleep(0s);  // the getter parks
        q.put_nowait(5);          // handed over; its wake is queued
        getter.cancel();          // too late to withdraw
        std::string r = co_await getter;
        co_return r;
    }());
    EXPECT_EQ(outcome, "5 then cancelled");
}

TEST(ThreadSafeQueue, APutterCancelledWhileParkedPutsNothing) {
    LoopThread b;
    aio::ThreadSafeQueue<int> q(1);
    q.put_nowait(1);
    std::string outcome = b.run(cancel_once_parked(put_one(&q, 2)));
    EXPECT_EQ(outcome, "cancelled");
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_THROW(q.get_nowait(), aio::QueueEmpty);
}

TEST(ThreadSafeQueue, AParkedGetterGivenUpWithItsLoopGivesItsItemBack) {
    aio::ThreadSafeQueue<int> q;
    bool cancelled = park_then_close_loop(get_one(&q), [&] {
        q.put_nowait(11);  // handed to the parked getter; the wake waits in A's inbox
        q.put_nowait(12);
    });
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(q.get_nowait(), 11);
    EXPECT_EQ(q.get_nowait(), 12);
}

TEST(ThreadSafeQueue, AParkedPutterGivenUpWithItsLoopPutsNothingAndLeavesTheQueue) {
    aio::ThreadSafeQueue<int> q(1);
    q.put_nowait(1);
    bool cancelled = park_then_close_loop(put_one(&q, 2), [] {});  // parked: the queue is full
    EXPECT_TRUE(cancelled);
    // The room a get makes lets no putter in: the given-up one left the
    // queue with its frame (its item went with it).
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_THROW(q.get_nowait(), aio::QueueEmpty);
    q.put_nowait(3);
    EXPECT_EQ(q.get_nowait(), 3);
}

TEST(ThreadSafeQueue, APutterLetInWhoseLoopClosesBeforeItResumesKeepsItsItemPut) {
    aio::ThreadSafeQueue<int> q(1);
    q.put_nowait(1);
    bool cancelled = park_then_close_loop(put_one(&q, 2), [&] {
        EXPECT_EQ(q.get_nowait(), 1);  // lets the parked putter in; its wake waits in A's inbox
    });
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_TRUE(q.empty());
}

TEST(ThreadSafeQueue, ShutdownWakesParkedTasksOnEveryLoopAndBlockedThreads) {
    LoopThread a, b;
    aio::ThreadSafeQueue<int> q;
    auto wait_shutdown = [](aio::ThreadSafeQueue<int>* queue, std::promise<void>* parked) -> aio::Task<bool> {
        parked->set_value();
        try {
            (void)co_await queue->get();
        } catch (const aio::QueueShutDown&) {
            co_return true;
        }
        co_return false;
    };
    std::promise<void> pa, pb;
    auto fa = aio::run_coroutine_threadsafe(wait_shutdown(&q, &pa), a.loop());
    auto fb = aio::run_coroutine_threadsafe(wait_shutdown(&q, &pb), b.loop());
    pa.get_future().get();
    pb.get_future().get();
    std::atomic<bool> thread_saw{false};
    std::thread blocked([&] {
        try {
            (void)q.get_blocking();
        } catch (const aio::QueueShutDown&) {
            thread_saw = true;
        }
    });
    // Whether the tasks are parked yet or not, shutdown reaches them.
    q.shutdown();
    EXPECT_TRUE(fa.result());
    EXPECT_TRUE(fb.result());
    blocked.join();
    EXPECT_TRUE(thread_saw.load());
    EXPECT_TRUE(q.is_shutdown());
    EXPECT_THROW(q.put_nowait(1), aio::QueueShutDown);
    EXPECT_THROW(q.put_blocking(1), aio::QueueShutDown);
}

TEST(ThreadSafeQueue, ShutdownLetsGettersDrainUnlessImmediate) {
    aio::ThreadSafeQueue<int> q;
    q.put_nowait(1);
    q.put_nowait(2);
    q.shutdown();
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.get_blocking(), 2);
    EXPECT_THROW(q.get_nowait(), aio::QueueShutDown);
    aio::ThreadSafeQueue<int> r;
    r.put_nowait(1);
    r.shutdown(true);
    EXPECT_TRUE(r.empty());
    EXPECT_THROW(r.get_nowait(), aio::QueueShutDown);
}

TEST(ThreadSafeQueue, AParkedPutterSeesQueueShutDownAndPutsNothing) {
    auto outcome = aio::run([]() -> aio::Task<std::string> {
        aio::ThreadSafeQueue<int> q(1);
        q.put_nowait(1);
        auto putter = aio::create_task([](aio::ThreadSafeQueue<int>* qq) -> aio::Task<std::string> {
            try {
                co_await qq->put(2);
            } catch (const aio::QueueShutDown&) {
                co_return "shut down";
            }
            co_return "put";
        }(&q));
        co_await aio::sleep(0s);
        q.shutdown();
        std::string r = co_await putter;
        co_return r + " " + std::to_string(q.qsize());
    }());
    EXPECT_EQ(outcome, "shut down 1");
}

TEST(ThreadSafeQueue, DestroyingTheQueueWakesTasksParkedOnItWithQueueShutDown) {
    LoopThread b;
    auto q = std::make_unique<aio::ThreadSafeQueue<int>>();
    std::promise<void> parked;
    auto f = aio::run_coroutine_threadsafe(
        [](aio::ThreadSafeQueue<int>* queue, std::promise<void>* p) -> aio::Task<bool> {
            p->set_value();
            try {
                (void)co_await queue->get();
            } catch (const aio::QueueShutDown&) {
                co_return true;
            }
            co_return false;
        }(q.get(), &parked),
        b.loop());
    parked.get_future().get();
    b.run(nothing());  // runs after the getter's step: it is parked now
    q.reset();
    EXPECT_TRUE(f.result());
}
