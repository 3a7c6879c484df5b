// Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier: FIFO order,
// cancellation without lost wake-ups, misuse errors.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <climits>
#include <string>
#include <vector>
#include "support/raises.hpp"

using namespace std::chrono_literals;

TEST(Lock, MutualExclusionInFifoOrder) {
    std::vector<std::string> log;
    aio::run([&]() -> aio::Task<> {
        aio::Lock lock;
        int shared = 0;
        auto worker = [&](std::string name) -> aio::Task<> {
            auto held = co_await lock.acquire();
            log.push_back(name + " acquired");
            int tmp = shared;
            co_await aio::sleep(1ms);
            shared = tmp + 1;
            log.push_back(name + " released");
        };
        co_await aio::gather(worker("A"), worker("B"), worker("C"));
        EXPECT_EQ(shared, 3);
        EXPECT_FALSE(lock.locked());
    }());
    EXPECT_EQ(log, (std::vector<std::string>{"A acquired", "A released", "B acquired", "B released", "C acquired",
                                             "C released"}));
}

TEST(Lock, ReleasingAnUnlockedLockIsARuntimeError) {
    aio::Lock lock;
    EXPECT_THROW(lock.release(), aio::RuntimeError);
}

TEST(Lock, ACancelledWaiterGivesUpItsPlace) {
    aio::run([]() -> aio::Task<> {
        aio::Lock lock;
        std::vector<int> order;
        auto held = co_await lock.acquire();
        auto waiter = [&](int id) -> aio::Task<> {
            auto h = co_await lock.acquire();
            order.push_back(id);
        };
        auto a = aio::create_task(waiter(1));
        auto b = aio::create_task(waiter(2));
        auto c = aio::create_task(waiter(3));
        co_await aio::sleep(0s);
        b.cancel();
        co_await aio::sleep(0s);
        held.release();
        co_await a;
        co_await c;
        EXPECT_TRUE(b.cancelled());
        EXPECT_EQ(order, (std::vector<int>{1, 3}));
        EXPECT_FALSE(lock.locked());
    }());
}

TEST(Lock, CancelledAfterBeingHandedTheLockKeepsItAndReleasesIt) {
    aio::run([]() -> aio::Task<> {
        aio::Lock lock;
        auto held = co_await lock.acquire();
        bool got = false;
        auto waiter = [&]() -> aio::Task<> {
            auto h = co_await lock.acquire();
            got = true;
            co_await aio::sleep(0s);  // the pending cancellation arrives here
        };
        auto t = aio::create_task(waiter());
        co_await aio::sleep(0s);
        held.release();  // hands the lock to the waiter...
        t.cancel();      // ...which is cancelled before it runs
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
        EXPECT_TRUE(got);
        EXPECT_FALSE(lock.locked());  // its guard released it: nothing leaked
    }());
}

TEST(Event, WaitersWakeWhenSet) {
    aio::run([]() -> aio::Task<> {
        aio::Event ev;
        int woken = 0;
        auto waiter = [&]() -> aio::Task<> {
            {
                auto got = co_await ev.wait();
                EXPECT_TRUE(got);
            }
            ++woken;
        };
        auto a = aio::create_task(waiter());
        auto b = aio::create_task(waiter());
        co_await aio::sleep(0s);
        EXPECT_EQ(woken, 0);
        ev.set();
        EXPECT_TRUE(ev.is_set());
        co_await aio::gather(a, b);
        EXPECT_EQ(woken, 2);
        {
            auto got = co_await ev.wait();
            EXPECT_TRUE(got);  // set: returns at once
        }
        ev.clear();
        EXPECT_FALSE(ev.is_set());
    }());
}

TEST(Condition, NotifyWakesWaitersInOrder) {
    aio::run([]() -> aio::Task<> {
        aio::Condition cond;
        std::vector<int> order;
        auto waiter = [&](int id) -> aio::Task<> {
            auto held = co_await cond.acquire();
            co_await cond.wait();
            EXPECT_TRUE(cond.locked());
            order.push_back(id);
        };
        auto a = aio::create_task(waiter(1));
        auto b = aio::create_task(waiter(2));
        auto c = aio::create_task(waiter(3));
        co_await aio::sleep(0s);
        {
            auto held = co_await cond.acquire();
            cond.notify(2);
        }
        co_await aio::gather(a, b);
        EXPECT_EQ(order, (std::vector<int>{1, 2}));
        {
            auto held = co_await cond.acquire();
            cond.notify_all();
        }
        co_await c;
        EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    }());
}

TEST(Condition, MisuseWithoutTheLockIsARuntimeError) {
    aio::run([]() -> aio::Task<> {
        aio::Condition cond;
        EXPECT_THROW(cond.notify(), aio::RuntimeError);
        {  // expects aio::RuntimeError
            auto raised = co_await aio::test::raises<aio::RuntimeError>(cond.wait());
            EXPECT_TRUE(raised.has_value()) << "awaiting cond.wait() did not throw aio::RuntimeError";
        }
    }());
}

TEST(Condition, WaitForAPredicate) {
    aio::run([]() -> aio::Task<> {
        aio::Lock lock;
        aio::Condition cond(&lock);
        int value = 0;
        auto waiter = [&]() -> aio::Task<bool> {
            auto held = co_await cond.acquire();
            co_return co_await cond.wait_for([&] { return value == 3; });
        };
        auto t = aio::create_task(waiter());
        for (int i = 0; i < 3; ++i) {
            co_await aio::sleep(0s);
            auto held = co_await lock.acquire();
            ++value;
            cond.notify_all();
        }
        {
            auto got = co_await t;
            EXPECT_TRUE(got);
        }
    }());
}

TEST(Condition, ANotifiedWaiterThatIsCancelledPassesTheNotificationOn) {
    aio::run([]() -> aio::Task<> {
        aio::Condition cond;
        bool second_woke = false;
        auto first = [&]() -> aio::Task<> {
            auto held = co_await cond.acquire();
            co_await cond.wait();
        };
        auto second = [&]() -> aio::Task<> {
            auto held = co_await cond.acquire();
            co_await cond.wait();
            second_woke = true;
        };
        auto a = aio::create_task(first());
        auto b = aio::create_task(second());
        co_await aio::sleep(0s);
        {
            auto held = co_await cond.acquire();
            cond.notify(1);  // meant for `a`...
            a.cancel();      // ...which is cancelled before it can use it
        }
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(a);
            EXPECT_TRUE(raised.has_value()) << "awaiting a did not throw aio::CancelledError";
        }
        co_await aio::wait_for(std::move(b), 1s);
        EXPECT_TRUE(second_woke);
    }());
}

TEST(Semaphore, LimitsConcurrency) {
    aio::run([]() -> aio::Task<> {
        aio::Semaphore sem(2);
        int inside = 0, most = 0;
        auto worker = [&]() -> aio::Task<> {
            auto permit = co_await sem.acquire();
            most = std::max(most, ++inside);
            co_await aio::sleep(1ms);
            --inside;
        };
        std::vector<aio::Task<>> tasks;
        for (int i = 0; i < 6; ++i) tasks.push_back(worker());
        co_await aio::gather(std::move(tasks));
        EXPECT_EQ(most, 2);
        EXPECT_EQ(sem.value(), 2);
    }());
}

TEST(Semaphore, NegativeValueIsAValueError) { EXPECT_THROW(aio::Semaphore(-1), aio::ValueError); }

TEST(Semaphore, ACountAtLongMaxStaysThereWhenReleased) {
    // Python's int has no top; the count's long does. A release there keeps
    // the count at the top (9.2e18 permits: one more or less is no loss),
    // where it used to overflow (undefined) into a negative count.
    aio::Semaphore s(LONG_MAX);
    s.release();
    EXPECT_EQ(s.value(), LONG_MAX);
    aio::run([&]() -> aio::Task<> {
        {
            auto permit = co_await s.acquire();
            EXPECT_EQ(s.value(), LONG_MAX - 1);
            s.release();  // an extra release fills the count
            EXPECT_EQ(s.value(), LONG_MAX);
        }  // the guard's permit finds the count full: it stays there
        EXPECT_EQ(s.value(), LONG_MAX);
    }());
}

TEST(Semaphore, BoundedRefusesOverRelease) {
    aio::BoundedSemaphore sem(1);
    EXPECT_THROW(sem.release(), aio::ValueError);
    aio::Semaphore plain(1);
    plain.release();
    EXPECT_EQ(plain.value(), 2);
}

TEST(Semaphore, CancelledWaiterDoesNotTakeAPermit) {
    aio::run([]() -> aio::Task<> {
        aio::Semaphore sem(1);
        auto permit = co_await sem.acquire();
        auto waiter = [&]() -> aio::Task<> { auto p = co_await sem.acquire(); };
        auto t = aio::create_task(waiter());
        co_await aio::sleep(0s);
        EXPECT_TRUE(sem.locked());
        t.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
        permit.release();
        EXPECT_EQ(sem.value(), 1);
    }());
}

TEST(Barrier, ReleasesWhenAllArrive) {
    aio::run([]() -> aio::Task<> {
        aio::Barrier barrier(3);
        std::vector<std::size_t> indices;
        auto party = [&]() -> aio::Task<> { indices.push_back(co_await barrier.wait()); };
        co_await aio::gather(party(), party(), party());
        std::sort(indices.begin(), indices.end());
        EXPECT_EQ(indices, (std::vector<std::size_t>{0, 1, 2}));
        EXPECT_EQ(barrier.n_waiting(), 0u);
    }());
}

TEST(Barrier, AbortBreaksItForEveryone) {
    aio::run([]() -> aio::Task<> {
        aio::Barrier barrier(3);
        auto party = [&]() -> aio::Task<std::size_t> { co_return co_await barrier.wait(); };
        auto a = aio::create_task(party());
        co_await aio::sleep(0s);
        barrier.abort();
        {  // expects aio::BrokenBarrierError
            auto raised = co_await aio::test::raises<aio::BrokenBarrierError>(a);
            EXPECT_TRUE(raised.has_value()) << "awaiting a did not throw aio::BrokenBarrierError";
        }
        {  // expects aio::BrokenBarrierError
            auto raised = co_await aio::test::raises<aio::BrokenBarrierError>(barrier.wait());
            EXPECT_TRUE(raised.has_value()) << "awaiting barrier.wait() did not throw aio::BrokenBarrierError";
        }
        EXPECT_TRUE(barrier.broken());
        barrier.reset();
        EXPECT_FALSE(barrier.broken());
    }());
    EXPECT_THROW(aio::Barrier(0), aio::ValueError);
}

namespace {

template <class Prim>
aio::Task<> take_many_times(Prim& prim, bool& done) {
    for (int i = 0; i < 1000; ++i) {
        auto held = co_await prim.acquire();
    }
    done = true;
}

aio::Task<> watch_lock(aio::Lock& lock, const bool& done, int& turns, int& seen_locked) {
    while (!done) {
        ++turns;
        if (lock.locked()) ++seen_locked;
        co_await aio::sleep(0s);
    }
}

aio::Task<> watch_semaphore(aio::Semaphore& sem, const bool& done, int& turns, int& seen_taken) {
    while (!done) {
        ++turns;
        if (sem.locked()) ++seen_taken;
        co_await aio::sleep(0s);
    }
}

}  // namespace

TEST(Lock, AnUncontendedLockIsNeverHeldAcrossAYield) {
    // The cooperative budget makes a busy task yield; it must yield before
    // taking the lock, never while holding it (a convoy otherwise).
    aio::Lock lock;
    bool done = false;
    int turns = 0, seen_locked = 0;
    aio::run([](aio::Lock& lock, bool& done, int& turns, int& seen_locked) -> aio::Task<> {
        auto a = aio::create_task(take_many_times(lock, done));
        auto b = aio::create_task(watch_lock(lock, done, turns, seen_locked));
        co_await a;
        co_await b;
    }(lock, done, turns, seen_locked));
    EXPECT_GT(turns, 2);  // the taker did yield now and then
    EXPECT_EQ(seen_locked, 0);
}

TEST(Semaphore, AnUncontendedSemaphoreIsNeverHeldAcrossAYield) {
    aio::Semaphore sem(1);
    bool done = false;
    int turns = 0, seen_taken = 0;
    aio::run([](aio::Semaphore& sem, bool& done, int& turns, int& seen_taken) -> aio::Task<> {
        auto a = aio::create_task(take_many_times(sem, done));
        auto b = aio::create_task(watch_semaphore(sem, done, turns, seen_taken));
        co_await a;
        co_await b;
    }(sem, done, turns, seen_taken));
    EXPECT_GT(turns, 2);
    EXPECT_EQ(seen_taken, 0);
}

TEST(Lock, ACancelWhileYieldingBeforeTheLockRaisesAndLeavesItFree) {
    aio::run([]() -> aio::Task<> {
        aio::Lock lock;
        // Use up the budget, then cancel ourselves: the acquire that yields
        // first delivers the cancellation and does not take the lock.
        for (int i = 0; i < 200; ++i) {
            auto held = co_await lock.acquire();
        }
        bool cancelled = false;
        for (int i = 0; i < 200 && !cancelled; ++i) {
            aio::current_task().cancel();
            try {
                auto held = co_await lock.acquire();
                co_await aio::sleep(0s);  // delivers the cancel when acquire did not
            } catch (const aio::CancelledError&) {
                cancelled = true;
                aio::current_task().uncancel();
            }
        }
        EXPECT_TRUE(cancelled);
        EXPECT_FALSE(lock.locked());
    }());
}
