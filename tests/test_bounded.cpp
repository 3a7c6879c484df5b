// aio::map_bounded and aio::map_unordered: at most `limit` calls in flight,
// input order, the first error cancelling the rest, collected errors,
// cancellation of the caller, early abandon of the unordered generator.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <algorithm>
#include <memory>
#include <numeric>
#include <ranges>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {

/// What the calls did: how many ran at once, which started, finished, were cancelled.
struct Probe {
    int in_flight = 0;
    int max_in_flight = 0;
    std::vector<int> started;
    std::vector<int> finished;
    std::vector<int> cancelled;

    void enter(int i) {
        started.push_back(i);
        max_in_flight = std::max(max_in_flight, ++in_flight);
    }
    void leave() { --in_flight; }
};

/// A call that takes `i % 3` ms and returns i * 10.
auto times_ten(Probe& p) {
    return [&p](int i) -> aio::Task<int> {
        p.enter(i);
        co_await aio::sleep(std::chrono::milliseconds(i % 3));
        p.leave();
        p.finished.push_back(i);
        co_return i * 10;
    };
}

/// A call that waits for an hour unless cancelled (recorded in p.cancelled).
aio::Task<int> wait_long(Probe& p, int i) {
    p.enter(i);
    try {
        co_await aio::sleep(1h);
    } catch (const aio::CancelledError&) {
        p.cancelled.push_back(i);
        p.leave();
        throw;
    }
    p.leave();
    co_return i;
}

std::vector<int> sorted(std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<int> range_vector(int n) {
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

/// Runs the loop a few turns, until `done()` or 100 turns.
template <class Done>
aio::Task<> settle(Done done) {
    for (int turn = 0; turn < 100 && !done(); ++turn) co_await aio::sleep(0ms);
}

}  // namespace

TEST(MapBounded, NeverMoreThanLimitInFlightAndResultsInInputOrder) {
    Probe p;
    auto r = aio::run([&]() -> aio::Task<std::vector<int>> {
        auto fn = times_ten(p);
        co_return co_await aio::map_bounded(fn, range_vector(100), 7);
    }());
    EXPECT_EQ(p.max_in_flight, 7);
    EXPECT_EQ(p.started, range_vector(100));  // started in input order
    ASSERT_EQ(r.size(), 100u);
    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(r[static_cast<std::size_t>(i)], i * 10);
    }
}

TEST(MapBounded, ResultsKeepInputOrderWhenCallsFinishInReverse) {
    std::vector<int> finished;
    auto r = aio::run([&]() -> aio::Task<std::vector<std::string>> {
        auto fn = [&](int i) -> aio::Task<std::string> {
            co_await aio::sleep(std::chrono::milliseconds(2 * (5 - i)));
            finished.push_back(i);
            co_return std::to_string(i);
        };
        std::vector<int> inputs{0, 1, 2, 3, 4};  // named: g++ 12 and braced temporaries in co_await
        co_return co_await aio::map_bounded(fn, std::move(inputs), 5);
    }());
    EXPECT_EQ(finished, (std::vector<int>{4, 3, 2, 1, 0}));
    EXPECT_EQ(r, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

TEST(MapBounded, TheFirstErrorCancelsTheCallsInFlightStartsNoMoreAndIsRethrown) {
    Probe p;
    aio::run([&]() -> aio::Task<> {
        auto fn = [&](int i) -> aio::Task<int> {
            if (i == 1) {
                p.enter(i);
                co_await aio::sleep(0ms);
                p.leave();
                throw aio::ValueError("input one is bad");
            }
            co_return co_await wait_long(p, i);
        };
        auto raised = co_await aio::test::raises<aio::ValueError>(aio::map_bounded(fn, range_vector(20), 3));
        EXPECT_EQ(raised, std::optional<std::string>("input one is bad"));
        // Every call in flight was cancelled and had finished before the error came out.
        EXPECT_EQ(sorted(p.cancelled), (std::vector<int>{0, 2}));
        EXPECT_EQ(p.started, (std::vector<int>{0, 1, 2}));
        EXPECT_EQ(p.in_flight, 0);
        EXPECT_EQ(aio::all_tasks().size(), 1u);  // no worker left behind
    }());
}

TEST(MapBounded, ReturnExceptionsRunsEveryInputAndCollectsEachError) {
    Probe p;
    auto r = aio::run([&]() -> aio::Task<std::vector<aio::Result<int>>> {
        auto fn = [&](int i) -> aio::Task<int> {
            p.enter(i);
            co_await aio::sleep(0ms);
            p.leave();
            if (i % 2 == 1) throw aio::ValueError("odd " + std::to_string(i));
            co_return i;
        };
        co_return co_await aio::map_bounded(aio::return_exceptions, fn, range_vector(10), 3);
    }());
    EXPECT_EQ(p.started, range_vector(10));
    EXPECT_EQ(p.max_in_flight, 3);
    ASSERT_EQ(r.size(), 10u);
    for (int i = 0; i < 10; ++i) {
        auto& slot = r[static_cast<std::size_t>(i)];
        if (i % 2 == 0) {
            EXPECT_TRUE(slot.ok());
            EXPECT_EQ(slot.value(), i);
        } else {
            EXPECT_FALSE(slot.ok());
            try {
                std::rethrow_exception(slot.error());
            } catch (const aio::ValueError& e) {
                EXPECT_EQ(std::string(e.what()), "odd " + std::to_string(i));
            }
        }
    }
}

TEST(MapBounded, CancellingTheCallerCancelsEveryCallInFlightAndRaisesCancelledError) {
    for (bool collect : {false, true}) {
        Probe p;
        aio::run([&]() -> aio::Task<> {
            auto fn = [&](int i) { return wait_long(p, i); };
            auto body = [&]() -> aio::Task<> {
                if (collect) {
                    co_await aio::map_bounded(aio::return_exceptions, fn, range_vector(10), 4);
                } else {
                    co_await aio::map_bounded(fn, range_vector(10), 4);
                }
            };
            auto outer = aio::create_task(body());
            co_await aio::sleep(1ms);
            outer.cancel();
            auto raised = co_await aio::test::raises<aio::CancelledError>(outer);
            EXPECT_TRUE(raised.has_value()) << collect;
            EXPECT_EQ(sorted(p.cancelled), (std::vector<int>{0, 1, 2, 3})) << collect;
            EXPECT_EQ(p.started.size(), 4u) << collect;  // nothing new started
            EXPECT_EQ(aio::all_tasks().size(), 1u);
        }());
    }
}

TEST(MapBounded, EmptyInputGivesNoResults) {
    int calls = 0;
    auto r = aio::run([&]() -> aio::Task<std::size_t> {
        auto fn = [&](int) -> aio::Task<int> {
            ++calls;
            co_return 0;
        };
        std::vector<int> none;
        auto a = co_await aio::map_bounded(fn, none, 3);
        auto b = co_await aio::map_bounded(aio::return_exceptions, fn, std::move(none), 3);
        co_return a.size() + b.size();
    }());
    EXPECT_EQ(r, 0u);
    EXPECT_EQ(calls, 0);
}

TEST(MapBounded, ALimitAboveTheInputCountRunsThemAllAtOnce) {
    Probe p;
    auto r = aio::run([&]() -> aio::Task<std::vector<int>> {
        auto fn = times_ten(p);
        std::vector<int> inputs{4, 5, 6};
        co_return co_await aio::map_bounded(fn, std::move(inputs), 100);
    }());
    EXPECT_EQ(r, (std::vector<int>{40, 50, 60}));
    EXPECT_EQ(p.max_in_flight, 3);
}

TEST(MapBounded, LimitZeroIsAValueErrorAtTheCall) {
    auto fn = [](int i) -> aio::Task<int> { co_return i; };
    std::vector<int> v{1, 2};
    try {
        auto t = aio::map_bounded(fn, v, 0);
        ADD_FAILURE() << "map_bounded(..., 0) did not throw";
    } catch (const aio::ValueError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "map_bounded(): limit must be at least 1 (the most calls in flight at once), got 0");
    }
    EXPECT_THROW((void)aio::map_bounded(aio::return_exceptions, fn, v, 0), aio::ValueError);
    EXPECT_THROW((void)aio::map_unordered(fn, v, 0), aio::ValueError);
}

TEST(MapBounded, AVoidFunctionGivesNothingOrResultsOfVoid) {
    int calls = 0;
    auto r = aio::run([&]() -> aio::Task<std::vector<aio::Result<void>>> {
        auto fn = [&](int i) -> aio::Task<> {
            co_await aio::sleep(0ms);
            ++calls;
            if (i == 2) throw aio::ValueError("two");
        };
        auto only_ok = [&](int) -> aio::Task<> {
            ++calls;
            co_return;
        };
        auto plain = aio::map_bounded(only_ok, range_vector(4), 2);
        static_assert(std::is_same_v<decltype(plain), aio::Task<void>>);
        co_await std::move(plain);
        co_return co_await aio::map_bounded(aio::return_exceptions, fn, range_vector(4), 2);
    }());
    EXPECT_EQ(calls, 8);
    ASSERT_EQ(r.size(), 4u);
    EXPECT_TRUE(r[0].ok());
    EXPECT_TRUE(r[1].ok());
    EXPECT_FALSE(r[2].ok());
    EXPECT_TRUE(r[3].ok());
}

TEST(MapBounded, AMoveOnlyResult) {
    auto r = aio::run([]() -> aio::Task<std::vector<std::unique_ptr<int>>> {
        auto fn = [](int i) -> aio::Task<std::unique_ptr<int>> {
            co_await aio::sleep(0ms);
            co_return std::make_unique<int>(i + 1);
        };
        co_return co_await aio::map_bounded(fn, range_vector(5), 2);
    }());
    ASSERT_EQ(r.size(), 5u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(*r[static_cast<std::size_t>(i)], i + 1);
    }
}

TEST(MapBounded, AnyInputRange) {
    auto r = aio::run([]() -> aio::Task<std::vector<int>> {
        auto twice = [](int i) -> aio::Task<int> {
            co_await aio::sleep(0ms);
            co_return 2 * i;
        };
        std::vector<int> out;
        // An iota view (its values are made, not stored).
        auto a = co_await aio::map_bounded(twice, std::views::iota(0, 5), 2);
        out.insert(out.end(), a.begin(), a.end());
        // A span.
        std::vector<int> storage{7, 8};
        auto b = co_await aio::map_bounded(twice, std::span<const int>(storage), 2);
        out.insert(out.end(), b.begin(), b.end());
        // A range of unknown size.
        auto unsized = std::views::iota(10) | std::views::take_while([](int i) { return i < 13; });
        auto c = co_await aio::map_bounded(twice, unsized, 2);
        out.insert(out.end(), c.begin(), c.end());
        // A single-pass input range.
        std::istringstream in("100 200");
        auto d = co_await aio::map_bounded(twice, std::views::istream<int>(in), 5);
        out.insert(out.end(), d.begin(), d.end());
        co_return out;
    }());
    EXPECT_EQ(r, (std::vector<int>{0, 2, 4, 6, 8, 14, 16, 20, 22, 24, 200, 400}));
}

TEST(MapBounded, AnLvalueRangeIsNotCopied) {
    std::vector<std::string> words{"a", "bb", "ccc"};
    auto same = aio::run([&]() -> aio::Task<std::vector<bool>> {
        auto fn = [&](const std::string& w) -> aio::Task<bool> {
            co_await aio::sleep(0ms);
            co_return &w >= words.data() && &w < words.data() + words.size();
        };
        co_return co_await aio::map_bounded(fn, words, 2);
    }());
    EXPECT_EQ(same, (std::vector<bool>{true, true, true}));
}

TEST(MapBounded, ManyInputsUseOnlyLimitWorkers) {
    std::size_t most_tasks = 0;
    auto sum = aio::run([&]() -> aio::Task<long long> {
        auto fn = [&](int i) -> aio::Task<int> {
            if (i % 1000 == 0) most_tasks = std::max(most_tasks, aio::all_tasks().size());
            co_await aio::sleep(0ms);
            co_return i;
        };
        auto r = co_await aio::map_bounded(fn, std::views::iota(0, 100'000), 8);
        co_return std::accumulate(r.begin(), r.end(), 0LL);
    }());
    EXPECT_EQ(sum, 99'999LL * 100'000 / 2);
    EXPECT_EQ(most_tasks, 9u);  // 8 workers and the caller
}

// ---- map_unordered --------------------------------------------------------------------

TEST(MapUnordered, YieldsEveryIndexOnceWithItsResult) {
    Probe p;
    std::vector<int> indices;
    aio::run([&]() -> aio::Task<> {
        auto fn = times_ten(p);
        auto done = aio::map_unordered(fn, range_vector(50), 4);
        while (true) {
            auto c = co_await done.next();
            if (!c) break;
            indices.push_back(static_cast<int>(c->index));
            EXPECT_EQ(c->result.value(), static_cast<int>(c->index) * 10);
        }
    }());
    EXPECT_EQ(sorted(indices), range_vector(50));
    EXPECT_EQ(p.max_in_flight, 4);
}

TEST(MapUnordered, YieldsInTheOrderCallsFinish) {
    std::vector<std::size_t> order;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](int ms) -> aio::Task<int> {
            co_await aio::sleep(std::chrono::milliseconds(ms));
            co_return ms;
        };
        auto done = aio::map_unordered(fn, std::vector<int>{30, 1, 15}, 3);
        co_await aio::for_each(std::move(done), [&](aio::Completed<int>& c) { order.push_back(c.index); });
    }());
    EXPECT_EQ(order, (std::vector<std::size_t>{1, 2, 0}));
}

TEST(MapUnordered, AnErrorIsItsResultAndTheOthersGoOn) {
    std::vector<std::string> seen;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](int i) -> aio::Task<> {
            co_await aio::sleep(std::chrono::milliseconds(i));
            if (i == 1) throw aio::ValueError("one");
        };
        auto done = aio::map_unordered(fn, range_vector(3), 1);
        while (true) {
            auto c = co_await done.next();
            if (!c) break;
            if (c->result.ok()) {
                seen.push_back(std::to_string(c->index) + " ok");
            } else {
                seen.push_back(std::to_string(c->index) + " failed");
            }
        }
    }());
    EXPECT_EQ(seen, (std::vector<std::string>{"0 ok", "1 failed", "2 ok"}));
}

TEST(MapUnordered, EmptyInputYieldsNothing) {
    int items = 0;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](int i) -> aio::Task<int> { co_return i; };
        auto done = aio::map_unordered(fn, std::vector<int>{}, 2);
        while (true) {
            auto c = co_await done.next();
            if (!c) break;
            ++items;
        }
    }());
    EXPECT_EQ(items, 0);
}

TEST(MapUnordered, AMoveOnlyResult) {
    int sum = 0;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](int i) -> aio::Task<std::unique_ptr<int>> {
            co_await aio::sleep(0ms);
            co_return std::make_unique<int>(i);
        };
        auto done = aio::map_unordered(fn, range_vector(5), 2);
        while (true) {
            auto c = co_await done.next();
            if (!c) break;
            std::unique_ptr<int> v = std::move(c->result).value();
            sum += *v;
        }
    }());
    EXPECT_EQ(sum, 10);
}

TEST(MapUnordered, AbandoningTheGeneratorCancelsTheCallsInFlightAndLeavesNothingRunning) {
    Probe p;
    aio::run([&]() -> aio::Task<> {
        auto fn = [&](int i) -> aio::Task<int> {
            if (i == 0) co_return 0;
            co_return co_await wait_long(p, i);
        };
        {
            auto done = aio::map_unordered(fn, range_vector(10), 3);
            auto first = co_await done.next();
            EXPECT_TRUE(first.has_value());
            if (first) {
                EXPECT_EQ(first->index, 0u);
            }
            // The worker that finished input 0 went on with input 3.
            EXPECT_EQ(p.started, (std::vector<int>{1, 2, 3}));
        }  // the generator is destroyed here, three calls in flight
        auto all_cancelled = [&] { return p.cancelled.size() == 3 && aio::all_tasks().size() == 1; };
        co_await settle(all_cancelled);
        EXPECT_EQ(sorted(p.cancelled), (std::vector<int>{1, 2, 3}));
        EXPECT_EQ(p.started.size(), 3u);  // nothing new started
        EXPECT_EQ(aio::all_tasks().size(), 1u);
    }());
}

TEST(MapUnordered, CancellingTheConsumerCancelsTheCallsInFlight) {
    Probe p;
    aio::run([&]() -> aio::Task<> {
        auto fn = [&](int i) { return wait_long(p, i); };
        auto consumer = [&]() -> aio::Task<> {
            auto done = aio::map_unordered(fn, range_vector(10), 4);
            while (true) {
                auto c = co_await done.next();
                if (!c) break;
            }
        };
        auto t = aio::create_task(consumer());
        co_await aio::sleep(1ms);
        t.cancel();
        auto raised = co_await aio::test::raises<aio::CancelledError>(t);
        EXPECT_TRUE(raised.has_value());
        auto all_cancelled = [&] { return p.cancelled.size() == 4 && aio::all_tasks().size() == 1; };
        co_await settle(all_cancelled);
        EXPECT_EQ(sorted(p.cancelled), (std::vector<int>{0, 1, 2, 3}));
        EXPECT_EQ(p.started.size(), 4u);
    }());
}

TEST(MapUnordered, ASlowConsumerHoldsBackNewCalls) {
    Probe p;
    std::size_t started_while_away = 0;
    int items = 0;
    aio::run([&]() -> aio::Task<> {
        auto fn = [&](int i) -> aio::Task<int> {
            p.enter(i);
            co_await aio::sleep(0ms);
            p.leave();
            co_return i;
        };
        auto done = aio::map_unordered(fn, range_vector(100), 2);
        auto first = co_await done.next();
        if (first) ++items;
        co_await aio::sleep(5ms);  // away: the workers stop once 2 results wait
        started_while_away = p.started.size();
        while (true) {
            auto c = co_await done.next();
            if (!c) break;
            ++items;
        }
    }());
    EXPECT_LE(started_while_away, 5u);  // the one taken, 2 waiting, at most 2 in flight
    EXPECT_EQ(items, 100);
    EXPECT_EQ(p.started.size(), 100u);
}

TEST(MapBounded, WorksOnALoopWithEagerTasks) {
    // Workers start inside create_task: a call that fails before suspending
    // stops the workers that are not created yet.
    aio::LoopOptions eager;
    eager.eager_tasks = true;
    Probe p;
    std::vector<int> ok;
    std::optional<std::string> raised;
    aio::run(
        [&]() -> aio::Task<> {
            auto fn = [&](int i) -> aio::Task<int> {
                p.enter(i);
                p.leave();
                if (i == 1) throw aio::ValueError("one");
                co_return i;
            };
            raised = co_await aio::test::raises<aio::ValueError>(aio::map_bounded(fn, range_vector(10), 4));
            auto quick = [](int i) -> aio::Task<int> { co_return i; };
            ok = co_await aio::map_bounded(quick, range_vector(10), 4);
        }(),
        eager);
    EXPECT_EQ(raised, std::optional<std::string>("one"));
    EXPECT_EQ(p.started, (std::vector<int>{0, 1}));
    EXPECT_EQ(ok, range_vector(10));
}

TEST(MapBounded, WorkersCancelledFromInsideFnEndTheCallWithCancelledError) {
    // fn cancels the task it runs in (a worker): that worker stops; with
    // inputs left and no worker to run them, the call raises CancelledError
    // rather than return a result with holes.
    for (bool collect : {false, true}) {
        int calls = 0;
        aio::run([&]() -> aio::Task<> {
            auto fn = [&](int i) -> aio::Task<int> {
                ++calls;
                aio::current_task().cancel();
                co_await aio::sleep(0ms);
                co_return i;
            };
            if (collect) {
                auto raised = co_await aio::test::raises<aio::CancelledError>(
                    aio::map_bounded(aio::return_exceptions, fn, range_vector(5), 1));
                EXPECT_TRUE(raised.has_value());
            } else {
                auto raised = co_await aio::test::raises<aio::CancelledError>(aio::map_bounded(fn, range_vector(5), 1));
                EXPECT_TRUE(raised.has_value());
            }
        }());
        EXPECT_EQ(calls, 1) << collect;
    }
    int items = 0;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](int i) -> aio::Task<int> {
            aio::current_task().cancel();
            co_await aio::sleep(0ms);
            co_return i;
        };
        auto done = aio::map_unordered(fn, range_vector(5), 1);
        std::optional<std::string> raised;
        try {
            while (true) {
                auto c = co_await done.next();
                if (!c) break;
                ++items;
            }
        } catch (const aio::CancelledError& e) {
            raised = e.what();
        }
        EXPECT_TRUE(raised.has_value());
    }());
    EXPECT_EQ(items, 1);  // the cancelled call's own result came first
}

TEST(MapBounded, AnInputThatCannotBeTakenIsItsOwnErrorAndTheNextInputsStillRun) {
    // A transform view whose function throws for input 2: that input's call
    // never runs and its slot holds the error (fail fast: the error ends it
    // all); the inputs after it are the ones that run next, each once.
    auto checked = [](int i) {
        if (i == 2) throw aio::ValueError("input two cannot be made");
        return i;
    };
    std::vector<int> called;
    auto r = aio::run([&]() -> aio::Task<std::vector<aio::Result<int>>> {
        auto fn = [&](int i) -> aio::Task<int> {
            called.push_back(i);
            co_await aio::sleep(0ms);
            co_return i * 10;
        };
        auto inputs = range_vector(5) | std::views::transform(checked);
        co_return co_await aio::map_bounded(aio::return_exceptions, fn, std::move(inputs), 2);
    }());
    EXPECT_EQ(called, (std::vector<int>{0, 1, 3, 4}));
    ASSERT_EQ(r.size(), 5u);
    for (int i = 0; i < 5; ++i) {
        auto& slot = r[static_cast<std::size_t>(i)];
        if (i == 2) {
            EXPECT_FALSE(slot.ok());
        } else {
            EXPECT_EQ(slot.value(), i * 10);
        }
    }
    std::optional<std::string> raised;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](int i) -> aio::Task<int> { co_return i; };
        raised = co_await aio::test::raises<aio::ValueError>(
            aio::map_bounded(fn, range_vector(5) | std::views::transform(checked), 2));
    }());
    EXPECT_EQ(raised, std::optional<std::string>("input two cannot be made"));
}

TEST(MapUnordered, AnInputThatCannotBeTakenIsItsOwnErrorAndTheNextInputsStillRun) {
    auto checked = [](int i) {
        if (i == 2) throw aio::ValueError("input two cannot be made");
        return i;
    };
    std::vector<std::size_t> failed;
    std::vector<std::size_t> indices;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](int i) -> aio::Task<int> {
            co_await aio::sleep(0ms);
            co_return i;
        };
        auto done = aio::map_unordered(fn, range_vector(5) | std::views::transform(checked), 2);
        while (indices.size() <= 5) {  // no more than 5 items: one more would be a bug
            auto c = co_await done.next();
            if (!c) break;
            indices.push_back(c->index);
            if (c->result.ok()) {
                EXPECT_EQ(c->result.value(), static_cast<int>(c->index));
            } else {
                failed.push_back(c->index);
            }
        }
    }());
    std::sort(indices.begin(), indices.end());
    EXPECT_EQ(indices, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(failed, (std::vector<std::size_t>{2}));
}

namespace {
/// An input that counts its copies.
struct CountsCopies {
    static inline int copies = 0;
    int v;
    explicit CountsCopies(int i) : v(i) {}
    CountsCopies(const CountsCopies& o) : v(o.v) { ++copies; }
    CountsCopies(CountsCopies&&) = default;
    CountsCopies& operator=(const CountsCopies&) = default;
    CountsCopies& operator=(CountsCopies&&) = default;
};

std::vector<CountsCopies> counted_inputs(int n) {
    std::vector<CountsCopies> v;
    for (int i = 0; i < n; ++i) v.emplace_back(i);
    return v;
}

int sum_unordered(std::vector<CountsCopies>& lvalue, bool moved) {
    int sum = 0;
    aio::run([&]() -> aio::Task<> {
        auto fn = [](CountsCopies& c) -> aio::Task<int> {
            co_await aio::sleep(0ms);
            co_return c.v;
        };
        auto consume = [&](aio::Completed<int>& c) { sum += c.result.value(); };
        if (moved) {
            auto done = aio::map_unordered(fn, std::move(lvalue), 2);
            co_await aio::for_each(std::move(done), consume);
        } else {
            auto done = aio::map_unordered(fn, lvalue, 2);
            co_await aio::for_each(std::move(done), consume);
        }
    }());
    return sum;
}
}  // namespace

TEST(MapUnordered, CopiesTheInputsOfARangeItRefersToButNotOfOneMovedIntoIt) {
    auto inputs = counted_inputs(6);
    CountsCopies::copies = 0;
    EXPECT_EQ(sum_unordered(inputs, false), 15);
    EXPECT_EQ(CountsCopies::copies, 6);  // the caller's range may be gone before a cancelled call ends
    CountsCopies::copies = 0;
    EXPECT_EQ(sum_unordered(inputs, true), 15);
    EXPECT_EQ(CountsCopies::copies, 0);  // the call owns the range until its last call has ended
}
