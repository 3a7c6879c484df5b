// ProcessPoolExecutor: results, arguments, exceptions, crashes, cancellation.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

using namespace std::chrono_literals;

namespace {
long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
std::string shout(std::string s, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += s + "!";
    return out;
}
int my_pid() { return static_cast<int>(::getpid()); }
int fails(int) { throw std::invalid_argument("bad input in the worker"); }
int crashes(int) {
    std::raise(SIGSEGV);
    return 0;
}
int slow(int ms) {
    ::usleep(static_cast<useconds_t>(ms) * 1000);
    return ms;
}
bool no_children() {
    errno = 0;
    return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}
}  // namespace

TEST(ProcessPool, RunsFunctionsInOtherProcesses) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(2);
        EXPECT_EQ(co_await pool.submit_async(fib, 20), 6765);
        EXPECT_EQ(co_await pool.submit_async(shout, std::string("hey"), 2), "hey!hey!");
        int other = co_await pool.submit_async(my_pid);
        EXPECT_NE(other, static_cast<int>(::getpid()));
        auto t = aio::get_running_loop().run_in_executor(&pool, fib, 15);
        EXPECT_EQ(co_await t, 610);
        std::vector<aio::Task<long>> many;
        for (int i = 0; i < 8; ++i) many.push_back(pool.submit_async(fib, i));
        auto r = co_await aio::gather(std::move(many));
        EXPECT_EQ(r, (std::vector<long>{0, 1, 1, 2, 3, 5, 8, 13}));
    }());
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, ExceptionsReachTheAwaiter) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        try {
            co_await pool.submit_async(fails, 1);
            ADD_FAILURE();
        } catch (const aio::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "bad input in the worker");
        }
        EXPECT_EQ(co_await pool.submit_async(fib, 10), 55);  // the worker lives on
    }());
}

TEST(ProcessPool, ACrashingWorkerFailsOnlyItsCallAndIsReplaced) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        EXPECT_THROW(co_await pool.submit_async(crashes, 0), aio::BrokenProcessPool);
        EXPECT_EQ(co_await pool.submit_async(fib, 12), 144);
    }());
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, CancellingAQueuedCallRemovesIt) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        auto busy = aio::create_task(pool.submit_async(slow, 100));
        auto queued = aio::create_task(pool.submit_async(slow, 1));
        co_await aio::sleep(10ms);
        queued.cancel();
        EXPECT_THROW(co_await queued, aio::CancelledError);
        EXPECT_EQ(co_await busy, 100);
    }());
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, CancellingARunningCallKillsItsWorker) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        auto running = aio::create_task(pool.submit_async(slow, 10000));
        co_await aio::sleep(20ms);
        running.cancel();
        EXPECT_THROW(co_await running, aio::CancelledError);
        EXPECT_EQ(co_await pool.submit_async(fib, 5), 5);
    }());
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, SubmittingAfterShutdownIsARuntimeError) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        EXPECT_EQ(co_await pool.submit_async(fib, 3), 2);
        pool.shutdown();
        EXPECT_THROW(co_await pool.submit_async(fib, 3), aio::RuntimeError);
    }());
    EXPECT_TRUE(no_children());
}
