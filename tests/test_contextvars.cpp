// aio::ContextVar, Context, copy_context (Python's contextvars) and how
// contexts flow through tasks, callbacks and worker threads.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

aio::ContextVar<std::string> request_id("request_id");
aio::ContextVar<int> depth("depth", 0);

}  // namespace

// --- the variable itself ---

TEST(ContextVar, GetWithoutValueOrDefaultThrowsLookupError) {
    aio::Context empty;
    empty.run([] {
        EXPECT_EQ(request_id.name(), "request_id");
        EXPECT_THROW((void)request_id.get(), aio::LookupError);
        EXPECT_EQ(request_id.get("fallback"), "fallback");
        EXPECT_EQ(depth.get(), 0);     // the variable's default
        EXPECT_EQ(depth.get(7), 7);    // get(default) wins over the variable's default, as in Python
    });
}

TEST(ContextVar, SetReturnsATokenThatResetRestoresThePreviousValue) {
    aio::Context ctx;
    ctx.run([] {
        auto t1 = request_id.set("a");
        EXPECT_EQ(t1.old_value(), std::nullopt);  // Token.MISSING
        auto t2 = request_id.set("b");
        EXPECT_EQ(t2.old_value(), std::optional<std::string>("a"));
        EXPECT_EQ(request_id.get(), "b");
        request_id.reset(t2);
        EXPECT_EQ(request_id.get(), "a");
        request_id.reset(t1);
        EXPECT_THROW((void)request_id.get(), aio::LookupError);
    });
    EXPECT_EQ(ctx.size(), 0u);
}

TEST(ContextVar, ResetRejectsAForeignUsedOrMisplacedToken) {
    aio::ContextVar<std::string> other("other");
    aio::Context ctx;
    ctx.run([&] {
        auto t = other.set("x");
        EXPECT_THROW(request_id.reset(t), aio::ValueError);  // made by another variable
        other.reset(t);
        EXPECT_THROW(other.reset(t), aio::RuntimeError);  // a token is used once
        auto copy_of_token = other.set("y");
        auto same = copy_of_token;  // copies share the state
        other.reset(copy_of_token);
        EXPECT_THROW(other.reset(same), aio::RuntimeError);
    });
    auto t = aio::Context().run([&] { return other.set("z"); });
    aio::Context elsewhere;
    EXPECT_THROW(elsewhere.run([&] { other.reset(t); }), aio::ValueError);  // made in another context
}

TEST(ContextVar, ValuesAreFreedWithTheLastContextHoldingThem) {
    aio::ContextVar<std::shared_ptr<int>> holder("holder");
    auto value = std::make_shared<int>(1);
    {
        aio::Context ctx;
        ctx.run([&] { holder.set(value); });
        aio::Context copy = ctx.copy();
        EXPECT_EQ(value.use_count(), 2);  // one stored value, shared by both maps
        ctx = aio::Context();
        EXPECT_EQ(value.use_count(), 2);
    }
    EXPECT_EQ(value.use_count(), 1);
}

// --- Context ---

TEST(Context, CopyIsASnapshotAndRunKeepsItsSetsInside) {
    aio::Context base;
    base.run([] { request_id.set("base"); });
    aio::Context copy = base.copy();
    copy.run([] {
        EXPECT_EQ(request_id.get(), "base");
        request_id.set("copy");
    });
    EXPECT_EQ(base.get(request_id), std::optional<std::string>("base"));
    EXPECT_EQ(copy.get(request_id), std::optional<std::string>("copy"));
    EXPECT_TRUE(copy.contains(request_id));
    EXPECT_FALSE(copy.contains(depth));
    EXPECT_EQ(copy.get(depth), std::nullopt);  // Context.get ignores the variable's default
    EXPECT_EQ(copy.size(), 1u);
    int r = copy.run([](int a, int b) { return a + b; }, 2, 3);
    EXPECT_EQ(r, 5);
}

TEST(Context, RunInsideItsOwnRunThrowsRuntimeError) {
    aio::Context ctx;
    ctx.run([&] {
        EXPECT_THROW(ctx.run([] {}), aio::RuntimeError);
        aio::Context other;
        EXPECT_THROW(ctx = other, aio::RuntimeError);
    });
    ctx.run([] {});  // entered again once left, also after an exception
    EXPECT_THROW(ctx.run([] { throw aio::ValueError("x"); }), aio::ValueError);
    ctx.run([] {});
}

TEST(Context, CopyContextSeesTheCurrentValues) {
    aio::Context ctx;
    ctx.run([] {
        request_id.set("now");
        aio::Context snap = aio::copy_context();
        request_id.set("later");
        EXPECT_EQ(snap.get(request_id), std::optional<std::string>("now"));
    });
}

// --- tasks ---

namespace {

aio::Task<std::string> read_request_id() { co_return request_id.get("<none>"); }

aio::Task<std::vector<std::string>> handle_request(std::string id) {
    std::vector<std::string> seen;
    request_id.set(id);
    seen.push_back(request_id.get());
    co_await aio::sleep(5ms);  // the other request runs meanwhile and sets its own id
    seen.push_back(request_id.get());
    auto in_worker = [] { return request_id.get(); };
    std::string from_thread = co_await aio::to_thread(in_worker);
    seen.push_back(from_thread);
    auto inner = co_await read_request_id();  // a lazy task runs in the awaiting task's context
    seen.push_back(inner);
    auto child = aio::create_task(read_request_id());  // a new task copies it
    auto from_child = co_await child;
    seen.push_back(from_child);
    co_return seen;
}

}  // namespace

TEST(ContextVarTasks, ConcurrentRequestsEachSeeTheirOwnIdAcrossAwaitsAndThreads) {
    auto both = aio::run([]() -> aio::Task<std::vector<std::vector<std::string>>> {
        auto a = aio::create_task(handle_request("req-A"));
        auto b = aio::create_task(handle_request("req-B"));
        auto ra = co_await a;
        auto rb = co_await b;
        // The creating task never set an id: its context is untouched.
        EXPECT_EQ(request_id.get("<none>"), "<none>");
        co_return std::vector<std::vector<std::string>>{ra, rb};
    }());
    EXPECT_EQ(both[0], std::vector<std::string>(5, "req-A"));
    EXPECT_EQ(both[1], std::vector<std::string>(5, "req-B"));
}

TEST(ContextVarTasks, ATaskCopiesTheContextCurrentWhenItWasCreated) {
    aio::run([]() -> aio::Task<> {
        request_id.set("parent-before");
        auto child = aio::create_task([]() -> aio::Task<std::string> {
            std::string seen = request_id.get();
            request_id.set("child");  // the child's copy only
            co_await aio::sleep(0s);
            co_return seen;
        }());
        request_id.set("parent-after");  // after the copy was made: the child does not see it
        auto seen = co_await child;
        EXPECT_EQ(seen, "parent-before");
        EXPECT_EQ(request_id.get(), "parent-after");
    }());
}

TEST(ContextVarTasks, AnAwaitedCoroutineSharesTheCallersContext) {
    aio::run([]() -> aio::Task<> {
        auto set_it = []() -> aio::Task<> {
            request_id.set("set-by-callee");
            co_return;
        };
        co_await set_it();  // as `await coro()`: same context, the set is visible after
        EXPECT_EQ(request_id.get(), "set-by-callee");
    }());
}

TEST(ContextVarTasks, GatheredLazyTasksEachGetACopy) {
    auto r = aio::run([]() -> aio::Task<std::vector<int>> {
        depth.set(10);
        std::vector<aio::Task<int>> tasks;
        for (int i = 0; i < 3; ++i) {
            tasks.push_back([](int i) -> aio::Task<int> {
                depth.set(depth.get() + i);
                co_await aio::sleep(0s);
                co_return depth.get();
            }(i));
        }
        auto out = co_await aio::gather(std::move(tasks));
        EXPECT_EQ(depth.get(), 10);
        co_return out;
    }());
    EXPECT_EQ(r, (std::vector<int>{10, 11, 12}));
}

TEST(ContextVarTasks, TheThreadsContextReachesTheMainTask) {
    std::thread t([] {
        request_id.set("thread-own");
        auto seen = aio::run(read_request_id());
        EXPECT_EQ(seen, "thread-own");
    });
    t.join();
    // Another thread's sets never reach this one.
    EXPECT_EQ(request_id.get("<none>"), "<none>");
}

// --- callbacks and executors ---

TEST(ContextVarCallbacks, CallSoonRunsInTheContextOfItsCaller) {
    aio::run([]() -> aio::Task<> {
        request_id.set("scheduler");
        std::string seen;
        auto& loop = aio::get_running_loop();
        loop.call_soon([&] {
            seen = request_id.get("<none>");
            request_id.set("callback");  // its own copy
        });
        request_id.set("changed-after-scheduling");
        co_await aio::sleep(0s);
        co_await aio::sleep(0s);
        EXPECT_EQ(seen, "scheduler");
        EXPECT_EQ(request_id.get(), "changed-after-scheduling");
    }());
}

TEST(ContextVarCallbacks, CallSoonThreadsafeCarriesTheCallingThreadsContext) {
    aio::EventLoop loop;
    std::string seen;
    std::thread other([&] {
        request_id.set("from-other-thread");
        loop.call_soon_threadsafe([&] {
            seen = request_id.get("<none>");
            loop.stop();
        });
    });
    other.join();
    loop.run_forever();
    EXPECT_EQ(seen, "from-other-thread");
}

TEST(ContextVarCallbacks, DoneCallbacksRunInTheContextOfAddDoneCallback) {
    aio::run([]() -> aio::Task<> {
        std::string seen;
        auto t = aio::create_task([]() -> aio::Task<> {
            request_id.set("inside-task");
            co_await aio::sleep(0s);
        }());
        request_id.set("adder");
        t.add_done_callback([&] { seen = request_id.get("<none>"); });
        co_await t;
        co_await aio::sleep(0s);
        EXPECT_EQ(seen, "adder");
    }());
}

TEST(ContextVarCallbacks, RunInExecutorCarriesTheContextToTheWorker) {
    aio::run([]() -> aio::Task<> {
        request_id.set("executor-call");
        auto& loop = aio::get_running_loop();
        auto call = [] {
            std::string seen = request_id.get();
            request_id.set("set-in-worker");  // the worker's copy only
            return seen;
        };
        auto seen = co_await loop.run_in_executor(nullptr, call);
        EXPECT_EQ(seen, "executor-call");
        EXPECT_EQ(request_id.get(), "executor-call");
        // The worker thread is left as it was: no context sticks to it.
        auto read = [] { return request_id.get("<none>"); };
        auto after = co_await aio::to_thread(read);
        EXPECT_EQ(after, "executor-call");
        // A call made inside Context::run carries that context instead.
        aio::Context empty;
        auto call_in_empty = empty.run([&] { return aio::to_thread(read); });
        auto in_empty = co_await std::move(call_in_empty);
        EXPECT_EQ(in_empty, "<none>");
    }());
}
