// ProcessPoolExecutor: results, arguments, exceptions, crashes, cancellation.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include "support/support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <condition_variable>
#include <mutex>
#include <thread>
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {
long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
std::string shout(std::string s, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += s + "!";
    return out;
}
int my_pid() { return static_cast<int>(::getpid()); }
/// Waits `ms` in the worker, then says which worker it was.
int slow_pid(int ms) {
    ::usleep(static_cast<useconds_t>(ms) * 1000);
    return static_cast<int>(::getpid());
}
int fails(int) { throw std::invalid_argument("bad input in the worker"); }
int crashes(int) {
    std::raise(SIGSEGV);
    return 0;
}
int slow(int ms) {
    ::usleep(static_cast<useconds_t>(ms) * 1000);
    return ms;
}
std::mutex held_elsewhere;
/// In a worker: whether the mutex is free there (it is held in the parent).
bool mutex_is_free() {
    bool ok = held_elsewhere.try_lock();
    if (ok) held_elsewhere.unlock();
    return ok;
}
int runtime_value = 1;
int read_runtime_value() { return runtime_value; }
long churn(int rounds) {
    long sum = 0;
    for (int i = 0; i < rounds; ++i) {
        std::vector<std::string> v(64, std::string(100, 'x'));
        sum += static_cast<long>(v.size());
    }
    return sum;
}
int id(int v) { return v; }
std::size_t length_of(std::string s) { return s.size(); }
/// Closes the worker's socket (fd 3) and lives on until it is killed.
int close_socket_and_linger(int) {
    ::close(3);
    for (;;) ::pause();
}
bool no_children() {
    errno = 0;
    return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}
}  // namespace

TEST(ProcessPool, RunsFunctionsInOtherProcesses) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(2);
        auto fib20 = co_await pool.submit_async(fib, 20);
        EXPECT_EQ(fib20, 6765);
        auto shouted = co_await pool.submit_async(shout, std::string("hey"), 2);
        EXPECT_EQ(shouted, "hey!hey!");
        int other = co_await pool.submit_async(my_pid);
        EXPECT_NE(other, static_cast<int>(::getpid()));
        auto t = aio::get_running_loop().run_in_executor(&pool, fib, 15);
        auto t_result = co_await t;
        EXPECT_EQ(t_result, 610);
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
        auto result = co_await pool.submit_async(fib, 10);
        EXPECT_EQ(result, 55);  // the worker lives on
    }());
}

TEST(ProcessPool, ACrashingWorkerFailsOnlyItsCallAndIsReplaced) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        {  // expects aio::BrokenProcessPool
            auto raised = co_await aio::test::raises<aio::BrokenProcessPool>(pool.submit_async(crashes, 0));
            EXPECT_TRUE(raised.has_value()) << "pool.submit_async(crashes, 0) did not throw aio::BrokenProcessPool";
        }
        auto result = co_await pool.submit_async(fib, 12);
        EXPECT_EQ(result, 144);
    }());
    EXPECT_TRUE(no_children());
}

// A worker that dies while a large argument is still on its way to it (the
// parent blocked in the send, the socket then reset): that call fails with
// BrokenProcessPool, the pool lives on with a new worker, and no process or
// descriptor is left behind.
TEST(ProcessPool, AWorkerKilledWhileALargeArgumentIsSentFailsOnlyThatCall) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        const int worker = co_await pool.submit_async(my_pid);
        auto big = aio::create_task(pool.submit_async(length_of, std::string(std::size_t{64} << 20, 'a')));
        co_await aio::sleep(0ms);  // the call has its worker and is sending 64 MiB
        ::kill(worker, SIGKILL);
        {  // expects aio::BrokenProcessPool
            auto raised = co_await aio::test::raises<aio::BrokenProcessPool>(big);
            EXPECT_TRUE(raised.has_value()) << "the call did not throw aio::BrokenProcessPool";
        }
        EXPECT_NE(co_await pool.submit_async(my_pid), worker);
        EXPECT_EQ(co_await pool.submit_async(length_of, std::string(3u << 20, 'b')), 3u << 20);
    }());
    EXPECT_TRUE(no_children());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(ProcessPool, CancellingAQueuedCallRemovesIt) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        auto busy = aio::create_task(pool.submit_async(slow, 100));
        auto queued = aio::create_task(pool.submit_async(slow, 1));
        co_await aio::sleep(10ms);
        queued.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(queued);
            EXPECT_TRUE(raised.has_value()) << "queued did not throw aio::CancelledError";
        }
        auto busy_result = co_await busy;
        EXPECT_EQ(busy_result, 100);
    }());
    EXPECT_TRUE(no_children());
}

// A queued call cancelled after a finished call had handed it the worker,
// but before it ran, was cancelled at its first wait, mid-call, and killed
// that worker. It gives the worker back untouched now, as a call cancelled
// in the queue does.
TEST(ProcessPool, ACallCancelledJustAsItGetsTheWorkerLeavesTheWorkerAlive) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        const int worker = co_await pool.submit_async(my_pid);
        aio::Task<int> queued;
        auto first_then_cancel = [&]() -> aio::Task<int> {
            int pid = co_await pool.submit_async(slow_pid, 50);
            // The call has just ended and handed its worker to `queued`,
            // which has not run since: cancelled now, it has not started.
            queued.cancel();
            co_return pid;
        };
        auto first = aio::create_task(first_then_cancel());
        co_await aio::sleep(0ms);  // `first` takes the worker
        queued = aio::create_task(pool.submit_async(my_pid));
        co_await aio::sleep(0ms);  // `queued` waits for it
        EXPECT_EQ(co_await first, worker);
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(queued);
            EXPECT_TRUE(raised.has_value()) << "queued did not throw aio::CancelledError";
        }
        EXPECT_EQ(co_await pool.submit_async(my_pid), worker) << "the worker was replaced";
    }());
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, CancellingARunningCallKillsItsWorker) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        auto running = aio::create_task(pool.submit_async(slow, 10000));
        co_await aio::sleep(20ms);
        running.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(running);
            EXPECT_TRUE(raised.has_value()) << "running did not throw aio::CancelledError";
        }
        auto result = co_await pool.submit_async(fib, 5);
        EXPECT_EQ(result, 5);
    }());
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, SubmittingAfterShutdownIsARuntimeError) {
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        auto result = co_await pool.submit_async(fib, 3);
        EXPECT_EQ(result, 2);
        pool.shutdown();
        {  // expects aio::RuntimeError
            auto raised = co_await aio::test::raises<aio::RuntimeError>(pool.submit_async(fib, 3));
            EXPECT_TRUE(raised.has_value()) << "pool.submit_async(fib, 3) did not throw aio::RuntimeError";
        }
    }());
    EXPECT_TRUE(no_children());
}

// A worker made by fork() of this multithreaded process inherited the
// mutex in the state another thread held it in, locked forever. Workers are
// this program re-executed: they hold nothing of this process's locks.
TEST(ProcessPool, WorkersDoNotInheritLocksThatOtherThreadsHold) {
    std::mutex m;
    std::condition_variable cv;
    bool locked = false, done = false;
    std::thread holder([&] {
        std::unique_lock<std::mutex> held(held_elsewhere);
        {
            std::lock_guard<std::mutex> g(m);
            locked = true;
        }
        cv.notify_all();
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return done; });
    });
    {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return locked; });
    }
    bool free_in_worker = false;
    aio::run([&]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        free_in_worker = co_await pool.submit_async(mutex_is_free);
    }());
    {
        std::lock_guard<std::mutex> g(m);
        done = true;
    }
    cv.notify_all();
    holder.join();
    EXPECT_TRUE(free_in_worker);
    EXPECT_TRUE(no_children());
}

// Workers start from the program, not from a copy of this process's memory
// (Python's spawn and forkserver): state set at run time is not theirs.
TEST(ProcessPool, WorkersStartFromTheProgramNotFromThisProcessMemory) {
    runtime_value = 42;
    int seen = 0;
    aio::run([&]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        seen = co_await pool.submit_async(read_runtime_value);
    }());
    runtime_value = 1;
    EXPECT_EQ(seen, 1);
}

TEST(ProcessPool, APoolMadeWhileTheThreadPoolIsBusyWorks) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        std::atomic<bool> stop{false};
        std::atomic<int> started{0};
        auto spin = [&stop, &started](int v) {
            started.fetch_add(1);
            while (!stop.load()) std::this_thread::sleep_for(1ms);
            return v;
        };
        auto busy = aio::create_task(aio::to_thread(spin, 7));
        auto busy2 = aio::create_task(aio::to_thread(spin, 8));
        while (started.load() < 2) co_await aio::sleep(1ms);  // the pool's threads run
        aio::ProcessPoolExecutor pool(2);
        std::vector<aio::Task<long>> calls;
        for (int i = 0; i < 6; ++i) calls.push_back(pool.submit_async(fib, 10 + i));
        auto r = co_await aio::gather(std::move(calls));
        EXPECT_EQ(r, (std::vector<long>{55, 89, 144, 233, 377, 610}));
        stop = true;
        auto busy_result = co_await busy;
        EXPECT_EQ(busy_result, 7);
        auto busy2_result = co_await busy2;
        EXPECT_EQ(busy2_result, 8);
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, WorkersStartWhileAnotherThreadHammersMalloc) {
    std::atomic<bool> stop{false};
    std::thread hammer([&] {
        while (!stop.load()) {
            std::vector<std::unique_ptr<char[]>> blocks;
            for (int i = 0; i < 256; ++i) blocks.push_back(std::make_unique<char[]>(static_cast<std::size_t>(i) * 97 + 1));
        }
    });
    std::vector<long> results;
    aio::run([&]() -> aio::Task<> {
        for (int round = 0; round < 4; ++round) {
            aio::ProcessPoolExecutor pool(4);  // four fresh workers each round
            std::vector<aio::Task<long>> calls;
            for (int i = 0; i < 8; ++i) calls.push_back(pool.submit_async(churn, 100));
            auto all = aio::gather(std::move(calls));
            auto r = co_await aio::timeout(60s, std::move(all));
            results.insert(results.end(), r.begin(), r.end());
        }
    }());
    stop = true;
    hammer.join();
    EXPECT_EQ(results, std::vector<long>(32, 6400));
    EXPECT_TRUE(no_children());
}

// shutdown(wait=true) refused new calls and also failed the calls already
// queued for a worker with RuntimeError. As Python's shutdown(wait=True)
// (cancel_futures=False), the queued calls run; the workers retire after.
TEST(ProcessPool, ShutdownWithWaitLetsTheQueuedCallsRun) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        auto running = aio::create_task(pool.submit_async(slow, 100));
        auto queued = aio::create_task(pool.submit_async(id, 5));
        auto queued2 = aio::create_task(pool.submit_async(id, 6));
        co_await aio::sleep(20ms);
        pool.shutdown(true);
        {  // new calls are still refused
            auto raised = co_await aio::test::raises<aio::RuntimeError>(pool.submit_async(id, 7));
            EXPECT_TRUE(raised.has_value()) << "a call after shutdown() did not throw aio::RuntimeError";
        }
        auto r = co_await running;
        EXPECT_EQ(r, 100);
        std::optional<int> q, q2;
        try {
            q = co_await aio::wait_for(std::move(queued), 10s);
            q2 = co_await aio::wait_for(std::move(queued2), 10s);
        } catch (const aio::RuntimeError& e) {
            ADD_FAILURE() << "a call queued before shutdown(true) failed: " << e.what();
        }
        EXPECT_EQ(q, 5);
        EXPECT_EQ(q2, 6);
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

TEST(ProcessPool, ShutdownWithoutWaitFailsTheQueuedCalls) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        auto running = aio::create_task(pool.submit_async(slow, 10000));
        auto queued = aio::create_task(pool.submit_async(id, 5));
        co_await aio::sleep(20ms);
        pool.shutdown(false);
        auto broken = co_await aio::test::raises<aio::BrokenProcessPool>(running);
        EXPECT_TRUE(broken.has_value());
        auto refused = co_await aio::test::raises<aio::RuntimeError>(queued);
        EXPECT_TRUE(refused.has_value());
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

// A worker whose function closed the pool's socket but went on running: the
// pool saw EOF and waited for the process in waitpid, blocking the loop (and
// every other task) until the function ended. The worker is killed instead.
// The function here never ends: without the kill, the test hangs.
TEST(ProcessPool, AWorkerThatClosesItsSocketDoesNotBlockTheLoop) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::ProcessPoolExecutor pool(1);
        {  // expects aio::BrokenProcessPool
            auto raised = co_await aio::test::raises<aio::BrokenProcessPool>(pool.submit_async(close_socket_and_linger, 0));
            EXPECT_TRUE(raised.has_value()) << "the call did not throw aio::BrokenProcessPool";
        }
        auto result = co_await pool.submit_async(id, 9);
        EXPECT_EQ(result, 9);
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}
