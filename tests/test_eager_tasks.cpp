// Eager tasks: aio::create_eager_task and LoopOptions::eager_tasks (asyncio
// 3.12 eager_task_factory, 3.14 create_task(eager_start=True)).
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

aio::Task<int> forty_two() { co_return 42; }

aio::Task<int> fail_at_once() {
    throw aio::ValueError("eager failure");
    co_return 0;
}

aio::Task<> record_steps(std::vector<std::string>& order) {
    order.push_back("child: first step");
    co_await aio::sleep(0s);
    order.push_back("child: second step");
}

aio::ContextVar<std::string> tag("tag");

aio::LoopOptions eager_loop() {
    aio::LoopOptions o;
    o.eager_tasks = true;
    return o;
}

/// Sums 1..n by creating each level as an eager task of the one above.
aio::Task<long> nested_sum(int n) {
    if (n == 0) co_return 0;
    auto below = aio::create_eager_task(nested_sum(n - 1));
    long rest = co_await below;
    co_return n + rest;
}

}  // namespace

TEST(EagerTask, ATaskThatNeverSuspendsIsDoneWhenCreated) {
    aio::run([]() -> aio::Task<> {
        bool callback_ran = false;
        aio::get_running_loop().call_soon([&] { callback_ran = true; });
        auto t = aio::create_eager_task(forty_two());
        // Done before any loop iteration: the callback queued earlier has not run.
        EXPECT_TRUE(t.done());
        EXPECT_FALSE(callback_ran);
        EXPECT_EQ(t.result(), 42);
        co_await aio::sleep(0s);
    }());
}

TEST(EagerTask, RunsInsideTheCallerUntilItsFirstSuspension) {
    std::vector<std::string> order;
    aio::run([](std::vector<std::string>& order) -> aio::Task<> {
        auto t = aio::create_eager_task(record_steps(order));
        order.push_back("creator: after create");
        EXPECT_FALSE(t.done());
        co_await t;
        order.push_back("creator: after await");
    }(order));
    EXPECT_EQ(order, (std::vector<std::string>{"child: first step", "creator: after create", "child: second step",
                                               "creator: after await"}));
}

TEST(EagerTask, CurrentTaskAndNameAreTheNewTasksDuringItsFirstStep) {
    aio::run([]() -> aio::Task<> {
        auto creator = aio::current_task();
        auto probe = []() -> aio::Task<std::string> { co_return aio::current_task().get_name(); };
        auto t = aio::create_eager_task(probe(), "eager-one");
        EXPECT_TRUE(t.done());
        EXPECT_EQ(t.result(), "eager-one");
        EXPECT_TRUE(aio::current_task() == creator);  // restored after the eager step
        co_return;
    }());
}

TEST(EagerTask, AnExceptionBeforeTheFirstSuspensionIsStoredInTheTask) {
    aio::run([]() -> aio::Task<> {
        auto t = aio::create_eager_task(fail_at_once());  // does not throw here
        EXPECT_TRUE(t.done());
        EXPECT_THROW((void)t.result(), aio::ValueError);
        co_return;
    }());
}

TEST(EagerTask, RunsInACopyOfTheCreatorsContext) {
    aio::run([]() -> aio::Task<> {
        tag.set("creator");
        auto child = []() -> aio::Task<std::string> {
            std::string seen = tag.get();
            tag.set("child");  // its copy only
            co_return seen;
        };
        auto t = aio::create_eager_task(child());
        EXPECT_EQ(t.result(), "creator");
        EXPECT_EQ(tag.get(), "creator");
        co_return;
    }());
}

TEST(EagerTask, DeepNestingFallsBackToTheQueueInsteadOfGrowingTheStack) {
    long sum = aio::run(nested_sum(20000));
    EXPECT_EQ(sum, 20000L * 20001L / 2);
}

TEST(EagerTask, ASuspendedEagerTaskIsCancelledAsAnyOther) {
    aio::run([]() -> aio::Task<> {
        auto sleeper = []() -> aio::Task<> { co_await aio::sleep(1h); };
        auto t = aio::create_eager_task(sleeper());
        EXPECT_FALSE(t.done());
        t.cancel();
        bool cancelled = false;
        try {
            co_await t;
        } catch (const aio::CancelledError&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(t.cancelled());
    }());
}

TEST(EagerTask, StartsEagerlyFromALoopCallbackToo) {
    aio::run([]() -> aio::Task<> {
        bool done_at_creation = false;
        aio::get_running_loop().call_soon([&] {
            auto t = aio::create_eager_task(forty_two());
            done_at_creation = t.done();
        });
        co_await aio::sleep(0s);
        co_await aio::sleep(0s);
        EXPECT_TRUE(done_at_creation);
    }());
}

TEST(EagerTask, NeedsARunningLoop) {
    EXPECT_THROW((void)aio::create_eager_task(forty_two()), aio::RuntimeError);
}

TEST(EagerTaskLoopOption, EveryCreateTaskAndGatherStartsEagerly) {
    auto r = aio::run(
        []() -> aio::Task<std::vector<int>> {
            auto one = aio::create_task(forty_two());
            EXPECT_TRUE(one.done());
            std::vector<aio::Task<int>> tasks;
            for (int i = 0; i < 100; ++i) tasks.push_back(forty_two());
            auto gathered = aio::gather(std::move(tasks));  // each child finishes while being scheduled
            auto values = co_await std::move(gathered);
            co_return values;
        }(),
        eager_loop());
    EXPECT_EQ(r, std::vector<int>(100, 42));
}

TEST(EagerTaskLoopOption, TaskGroupsAndSuspendingTasksWorkAsUsual) {
    std::vector<std::string> order;
    aio::run(
        [](std::vector<std::string>& order) -> aio::Task<> {
            aio::TaskGroup group;
            (void)group.create_task(record_steps(order));
            (void)group.create_task(forty_two());  // done at once: counted as done, not waited for
            order.push_back("creator");
            co_await group.wait();
        }(order),
        eager_loop());
    EXPECT_EQ(order, (std::vector<std::string>{"child: first step", "creator", "child: second step"}));
}

TEST(EagerTaskLoopOption, ALoopThatIsNotRunningQueuesTheTask) {
    aio::EventLoop loop(eager_loop());
    auto t = loop.create_task(forty_two());
    EXPECT_FALSE(t.done());  // asyncio: eager only on a running loop
    EXPECT_EQ(loop.run_until_complete(std::move(t)), 42);
}
