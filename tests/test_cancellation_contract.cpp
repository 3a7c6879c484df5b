// The cancellation contract of every awaiter (docs/cancellation.md): one test
// per cell of the table, named after it. Each awaiter is cancelled in three
// phases:
//   BeforeSuspending  the task has a pending cancel() when it reaches the await
//   WhileSuspended    cancel() while the task waits
//   AfterResult       cancel() after the awaiter completed (the task is queued
//                     to resume) but before the task ran again
// aio-test-labels: threads
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <aio/aio.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/support.hpp"

using namespace std::chrono_literals;

namespace {

// ------------------------------------------------------------------ helpers

/// What a task saw of the await under test, and of the await after it.
struct Seen {
    bool resumed = false;      // the await returned normally
    bool raised = false;       // the await raised CancelledError
    bool raised_next = false;  // the next await (sleep(0)) raised CancelledError
    bool finished = false;     // the task went past both awaits
    std::optional<long> value;
};

template <class V>
void record_value(Seen& seen, const V& v) {
    if constexpr (std::is_convertible_v<V, long>) seen.value = static_cast<long>(v);
}

/// Awaits `op` (a lazy task: it runs inside the current task, as the awaiter it
/// wraps would), records the outcome, keeps the result alive across a second
/// await (a lock guard stays held) and records whether that one was cancelled.
template <class T>
aio::Task<> observe(Seen& seen, aio::Task<T> op) {
    std::optional<aio::detail::value_or_monostate_t<T>> result;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(op);
            result.emplace();
        } else {
            auto v = co_await std::move(op);
            result.emplace(std::move(v));
        }
    } catch (const aio::CancelledError&) {
        seen.raised = true;
        throw;
    }
    seen.resumed = true;
    record_value(seen, *result);
    try {
        co_await aio::sleep(0s);
    } catch (const aio::CancelledError&) {
        seen.raised_next = true;
        throw;
    }
    seen.finished = true;
}

/// observe() in a task that already has a pending cancel() when it reaches the await.
template <class T>
aio::Task<> observe_cancelled_first(Seen& seen, aio::Task<T> op) {
    aio::current_task().cancel();  // the task is running: the request waits for its next await
    co_await observe(seen, std::move(op));
}

/// Waits for `t` to finish, whatever its outcome.
template <class T>
aio::Task<> settle(aio::Task<T>& t) {
    try {
        co_await t;
    } catch (...) {
    }
}

/// Lets every ready task run up to its next suspension.
aio::Task<> let_others_run() {
    for (int i = 0; i < 3; ++i) co_await aio::sleep(0s);
}

/// Cancels `victim` in the loop step after `go` is set. Created (and waiting
/// on `go`) before the tasks that finish on `go`, it runs after they finished
/// and woke their awaiters, and before those awaiters resume.
aio::Task<> cancel_after(aio::Event& go, aio::Task<>& victim) {
    co_await go.wait();
    co_await aio::sleep(0s);
    victim.cancel();
}

aio::Task<int> value_when(aio::Event& go, int v) {
    co_await go.wait();
    co_return v;
}

aio::Task<int> value_after(std::chrono::milliseconds d, int v) {
    co_await aio::sleep(d);
    co_return v;
}

/// Counts the runs of a task body (to tell "never ran" from "ran").
aio::Task<int> counted(int& runs, aio::Event& go, int v) {
    ++runs;
    co_await go.wait();
    co_return v;
}

// Adaptors: each awaiter as a lazy task (it runs inside the awaiting task).
aio::Task<aio::Guard<aio::Lock>> acquire(aio::Lock& l) { co_return co_await l.acquire(); }
aio::Task<aio::Guard<aio::Semaphore>> acquire(aio::Semaphore& s) { co_return co_await s.acquire(); }
aio::Task<bool> wait_event(aio::Event& e) { co_return co_await e.wait(); }
aio::Task<int> get(aio::Queue<int>& q) { co_return co_await q.get(); }
aio::Task<> put(aio::Queue<int>& q, int v) { co_await q.put(v); }
aio::Task<> join(aio::Queue<int>& q) { co_await q.join(); }
aio::Task<int> next_of(aio::AsyncGenerator<int>& g) {
    std::optional<int> v = co_await g.next();
    co_return v.value_or(-1);
}
aio::Task<std::size_t> ready_count(std::vector<aio::Task<int>> tasks, aio::ReturnWhen when) {
    auto r = co_await aio::wait(std::move(tasks), when);
    co_return r.done.size();
}
/// Condition::wait with the lock held around it (the guard releases it, also on CancelledError).
aio::Task<> wait_notified(aio::Condition& c, aio::Lock& l, int& woken) {
    auto held = co_await l.acquire();
    co_await c.wait();
    ++woken;
}
aio::Task<> cancelled_then_wait(aio::Condition& c, aio::Lock& l, int& woken) {
    aio::current_task().cancel();
    co_await wait_notified(c, l, woken);
}
aio::Task<long> gather_sum(std::vector<aio::Task<int>> tasks) {
    std::vector<int> r = co_await aio::gather(std::move(tasks));
    long sum = 0;
    for (int v : r) sum += v;
    co_return sum;
}
aio::Task<> group_of(aio::TaskGroup& tg) { co_await tg.wait(); }

// ---------------------------------------------------------------- sleep

aio::Task<> sleep_task(aio::Clock::duration d) { co_await aio::sleep(d); }

TEST(CancelContract, Sleep_BeforeSuspending) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        // An hour: the test finishes only because the timer is withdrawn.
        auto t = aio::create_task(observe_cancelled_first(seen, sleep_task(1h)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_FALSE(seen.resumed);
}

TEST(CancelContract, Sleep_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(observe(seen, sleep_task(1h)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.raised);
}

aio::Task<> sleep_then_cancel(aio::Clock::time_point when, aio::Task<>& victim) {
    co_await aio::sleep_until(when);
    victim.cancel();  // the victim's timer fired in the same loop step: it is queued, not resumed
}

aio::Task<> sleep_until_task(aio::Clock::time_point when) { co_await aio::sleep_until(when); }

TEST(CancelContract, Sleep_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        // Equal deadlines fire in the order they were set: the canceller's first.
        auto when = aio::get_running_loop().time() + 5ms;
        aio::Task<> victim;
        auto canceller = aio::create_task(sleep_then_cancel(when, victim));
        victim = aio::create_task(observe(seen, sleep_until_task(when)));
        co_await settle(victim);
        co_await settle(canceller);
        EXPECT_TRUE(victim.cancelled());
    }());
    // A sleep has no result: it raises at once, as in asyncio.
    EXPECT_TRUE(seen.raised);
    EXPECT_FALSE(seen.resumed);
}

// ---------------------------------------------------------------- socket readiness

/// A connected pair of sockets, run under one I/O backend.
class CancelContractSocket : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ::setenv("AIO_IO_BACKEND", GetParam().c_str(), 1);
        try {
            aio::EventLoop probe;
        } catch (const aio::OSError& e) {
            GTEST_SKIP() << "AIO_IO_BACKEND=" << GetParam() << " is not available here: " << e.what();
        }
        fds_before_ = aio::test::count_open_fds();
        int sv[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        a_ = aio::Socket::adopt(sv[0]);
        b_ = aio::Socket::adopt(sv[1]);
    }
    void TearDown() override {
        a_.close();
        b_.close();
        ::unsetenv("AIO_IO_BACKEND");
        if (fds_before_ >= 0) {
            EXPECT_EQ(aio::test::count_open_fds(), fds_before_) << "a descriptor leaked";
        }
    }
    void send_byte() { ASSERT_EQ(::write(b_.fd(), "x", 1), 1); }
    /// The bytes waiting on a_ now (none were consumed by a cancelled wait).
    std::string pending_bytes() {
        char buf[16];
        ssize_t n = ::recv(a_.fd(), buf, sizeof buf, MSG_DONTWAIT);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }
    aio::Socket a_;
    aio::Socket b_;
    int fds_before_ = -1;
};

TEST_P(CancelContractSocket, SocketWait_BeforeSuspending) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(observe_cancelled_first(seen, a_.wait_ready(true)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.raised);
    send_byte();
    EXPECT_EQ(pending_bytes(), "x");  // the socket still works; nothing was consumed
}

TEST_P(CancelContractSocket, SocketWait_WhileSuspended) {
    Seen seen;
    std::string received;
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(observe(seen, a_.wait_ready(true)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        // A new wait on the same socket works: the cancelled one left nothing behind.
        send_byte();
        char c = 0;
        std::size_t n = co_await a_.recv(&c, 1);
        received.assign(&c, n);
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_EQ(received, "x");
}

struct Racer {
    aio::Task<> task;
    bool woke = false;
    bool raised = false;       // cancelled at the readiness wait
    bool raised_next = false;  // cancelled at the await after it
};

/// Both racers wait for the same readiness; the first to resume cancels the
/// other, which was woken by the same poll and has not run yet.
aio::Task<> race_on(aio::Socket& s, Racer& me, Racer& other) {
    try {
        co_await s.wait_ready(true);
    } catch (const aio::CancelledError&) {
        me.raised = true;
        throw;
    }
    me.woke = true;
    if (!other.woke) other.task.cancel();
    try {
        co_await aio::sleep(0s);
    } catch (const aio::CancelledError&) {
        me.raised_next = true;
        throw;
    }
}

TEST_P(CancelContractSocket, SocketWait_AfterResult) {
    Racer r1, r2;
    aio::run([&]() -> aio::Task<> {
        r1.task = aio::create_task(race_on(a_, r1, r2));
        r2.task = aio::create_task(race_on(a_, r2, r1));
        co_await let_others_run();
        send_byte();  // both waits complete in the same poll
        co_await settle(r1.task);
        co_await settle(r2.task);
    }());
    // Both waits returned; the one cancelled after its wake-up sees the
    // cancellation at its next await.
    EXPECT_TRUE(r1.woke && r2.woke);
    EXPECT_FALSE(r1.raised || r2.raised);
    EXPECT_EQ(int(r1.raised_next) + int(r2.raised_next), 1);
    EXPECT_EQ(pending_bytes(), "x");  // readiness consumed nothing
}

// Socket::recv is one receive performed by the backend (io_uring receives in
// the kernel): withdrawn, or its bytes returned; never both lost.

aio::Task<std::size_t> recv_into(aio::Socket& s, std::string& into) {
    char buf[16];
    std::size_t n = co_await s.recv(buf, sizeof buf);
    into.assign(buf, n);
    co_return n;
}

TEST_P(CancelContractSocket, SocketRecv_BeforeSuspending) {
    Seen seen;
    std::string got;
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(observe_cancelled_first(seen, recv_into(a_, got)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    // No byte was there: the receive was withdrawn.
    EXPECT_TRUE(seen.raised);
    EXPECT_TRUE(got.empty());
    send_byte();
    EXPECT_EQ(pending_bytes(), "x");  // the socket still works; nothing was consumed
}

TEST_P(CancelContractSocket, SocketRecv_WhileSuspended) {
    Seen seen;
    std::string got;
    std::string received;
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(observe(seen, recv_into(a_, got)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        // A new receive on the same socket works: the cancelled one left nothing behind.
        send_byte();
        co_await recv_into(a_, received);
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(received, "x");
}

TEST_P(CancelContractSocket, SocketRecv_AfterResult) {
    Seen seen;
    std::string got;
    aio::run([&]() -> aio::Task<> {
        aio::Task<> t = aio::create_task(observe(seen, recv_into(a_, got)));
        co_await let_others_run();
        send_byte();
        // The receive completes with the byte (io_uring: at the loop's next
        // io_uring_enter; epoll: at the next poll); the cancel comes after it
        // woke the task and before the task ran.
        for (int i = 0; i < 100 && !seen.resumed && got.empty(); ++i) {
            co_await aio::sleep(0s);
            if (a_.fd() >= 0 && !t.done() && !seen.resumed) {
                char c;
                if (::recv(a_.fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0) {
                    t.cancel();  // the byte is gone from the socket: the receive has it
                    break;
                }
            }
        }
        co_await settle(t);
    }());
    // The byte is returned; the cancellation comes at the next await.
    EXPECT_EQ(got, "x");
    EXPECT_TRUE(seen.resumed);
    EXPECT_TRUE(seen.raised_next);
    EXPECT_EQ(pending_bytes(), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, CancelContractSocket, ::testing::Values("epoll", "uring"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ---------------------------------------------------------------- completion operations (files)

/// A file of ten bytes, read under one I/O path (io_uring, or the thread pool).
class CancelContractFile : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ::setenv("AIO_IO_BACKEND", GetParam().c_str(), 1);
        try {
            aio::EventLoop probe;
        } catch (const aio::OSError& e) {
            GTEST_SKIP() << "AIO_IO_BACKEND=" << GetParam() << " is not available here: " << e.what();
        }
        char tmpl[] = "/tmp/aio-cancel-contract-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        std::ofstream(dir_ + "/f") << kContent;
        fds_before_ = aio::test::count_open_fds();
    }
    void TearDown() override {
        ::unsetenv("AIO_IO_BACKEND");
        if (dir_.empty()) return;
        EXPECT_EQ(aio::test::count_open_fds(), fds_before_) << "a descriptor leaked";
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    static constexpr const char* kContent = "0123456789";
    std::string dir_;
    int fds_before_ = 0;
};

/// Reads 4 bytes under `seen`, then (after the cancellation) everything left:
/// what the cancelled read returned plus the rest must be the whole file.
struct FileOutcome {
    Seen seen;
    std::string first;
    std::string rest;
};

aio::Task<> read_rest(aio::files::File& f, FileOutcome& out) {
    out.rest = co_await f.read();
    co_await f.close();
}

/// Exactly one of: the read was withdrawn (CancelledError, nothing consumed),
/// or it completed (its bytes returned, the cancellation at the next await).
void expect_nothing_lost(const FileOutcome& out) {
    EXPECT_NE(out.seen.raised, out.seen.resumed);
    if (out.seen.resumed) {
        EXPECT_TRUE(out.seen.raised_next);
        EXPECT_EQ(out.first, "0123");
    }
    EXPECT_EQ(out.first + out.rest, "0123456789");
}

aio::Task<std::string> read4_into(aio::files::File& f, std::string& into) {
    into = co_await f.read(4);
    co_return into;
}

TEST_P(CancelContractFile, FileRead_BeforeSuspending) {
    FileOutcome out;
    aio::run([&]() -> aio::Task<> {
        aio::files::File f = co_await aio::files::open(dir_ + "/f", "rb");
        auto t = aio::create_task(observe_cancelled_first(out.seen, read4_into(f, out.first)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        co_await read_rest(f, out);
    }());
    expect_nothing_lost(out);
}

TEST_P(CancelContractFile, FileRead_WhileSuspended) {
    FileOutcome out;
    aio::run([&]() -> aio::Task<> {
        aio::files::File f = co_await aio::files::open(dir_ + "/f", "rb");
        auto t = aio::create_task(observe(out.seen, read4_into(f, out.first)));
        co_await aio::sleep(0s);  // t has submitted its read
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        co_await read_rest(f, out);
    }());
    expect_nothing_lost(out);
}

struct FileRacer {
    aio::Task<> task;
    bool woke = false;
    FileOutcome out;
};

aio::Task<> race_read(aio::files::File& f, FileRacer& me, FileRacer& other) {
    try {
        me.out.first = co_await f.read(4);
    } catch (const aio::CancelledError&) {
        me.out.seen.raised = true;
        throw;
    }
    me.woke = true;
    me.out.seen.resumed = true;
    if (!other.woke) other.task.cancel();
    try {
        co_await aio::sleep(0s);
    } catch (const aio::CancelledError&) {
        me.out.seen.raised_next = true;
        throw;
    }
}

TEST_P(CancelContractFile, FileRead_AfterResult) {
    FileRacer r1, r2;
    aio::run([&]() -> aio::Task<> {
        aio::files::File f1 = co_await aio::files::open(dir_ + "/f", "rb");
        aio::files::File f2 = co_await aio::files::open(dir_ + "/f", "rb");
        r1.task = aio::create_task(race_read(f1, r1, r2));
        r2.task = aio::create_task(race_read(f2, r2, r1));
        co_await settle(r1.task);
        co_await settle(r2.task);
        co_await read_rest(f1, r1.out);
        co_await read_rest(f2, r2.out);
    }());
    // The first to resume kept its result and was not cancelled; the other was
    // cancelled after (or while) its read completed: its bytes were returned,
    // or the read was withdrawn — never both lost.
    FileRacer& first = r1.woke && !r1.out.seen.raised_next ? r1 : r2;
    FileRacer& second = &first == &r1 ? r2 : r1;
    EXPECT_TRUE(first.out.seen.resumed);
    EXPECT_FALSE(first.out.seen.raised_next);
    EXPECT_EQ(first.out.first + first.out.rest, "0123456789");
    expect_nothing_lost(second.out);
}

INSTANTIATE_TEST_SUITE_P(Backends, CancelContractFile, ::testing::Values("uring", "threads"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ---------------------------------------------------------------- executor calls (to_thread)

/// Occupies `n` workers of `pool` until released (or destroyed).
class BusyWorkers {
public:
    BusyWorkers(aio::ThreadPoolExecutor& pool, std::size_t n) : n_(n) {
        for (std::size_t i = 0; i < n; ++i) {
            (void)pool.submit([this] {
                std::unique_lock lock(mu_);
                ++started_;
                cv_.notify_all();
                cv_.wait(lock, [this] { return released_; });
                ++left_;
                cv_.notify_all();
            });
        }
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return started_ == n_; });
    }
    ~BusyWorkers() {
        release();
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return left_ == n_; });  // no worker touches this object any more
    }
    void release() {
        std::lock_guard lock(mu_);
        released_ = true;
        cv_.notify_all();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::size_t n_;
    std::size_t started_ = 0;
    std::size_t left_ = 0;
    bool released_ = false;
};

/// A one-shot flag one thread waits on and another sets.
class Gate {
public:
    void open() {
        std::lock_guard lock(mu_);
        open_ = true;
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return open_; });
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool open_ = false;
};

struct CallLog {
    std::atomic<bool> ran{false};
    std::atomic<bool> finished{false};
    std::weak_ptr<int> result;  // written by the worker, read after the loop closed
};

TEST(CancelContract, ToThread_BeforeSuspending) {
    Seen seen;
    CallLog log;
    aio::run([&]() -> aio::Task<> {
        auto& pool = aio::get_running_loop().default_executor();
        BusyWorkers busy(pool, pool.max_workers());  // the call would stay queued
        auto call = [&log] {
            log.ran = true;
            return 1;
        };
        auto t = aio::create_task(observe_cancelled_first(seen, aio::to_thread(call)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        busy.release();
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_FALSE(log.ran);  // withdrawn from the pool's queue: it never ran
}

TEST(CancelContract, ToThread_WhileSuspended) {
    Seen queued_seen, running_seen;
    CallLog queued_log, running_log;
    Gate started, go;
    aio::run([&]() -> aio::Task<> {
        auto& pool = aio::get_running_loop().default_executor();
        {
            // Queued, not started: withdrawn, never runs.
            BusyWorkers busy(pool, pool.max_workers());
            auto call = [&queued_log] {
                queued_log.ran = true;
                return 1;
            };
            auto t = aio::create_task(observe(queued_seen, aio::to_thread(call)));
            co_await let_others_run();
            t.cancel();
            co_await settle(t);
            EXPECT_TRUE(t.cancelled());
        }
        // Running: the awaiter gets CancelledError at once; the call goes on
        // in its thread and its result is dropped.
        auto call = [&running_log, &started, &go] {
            running_log.ran = true;
            started.open();
            go.wait();
            auto r = std::make_shared<int>(7);
            running_log.result = r;
            running_log.finished = true;
            return r;
        };
        auto t = aio::create_task(observe(running_seen, aio::to_thread(call)));
        co_await aio::sleep(0s);  // t hands the call to the pool
        started.wait();  // blocks the loop briefly: the call is running
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(running_log.finished);  // the awaiter did not wait for the call
        go.open();
    }());
    EXPECT_TRUE(queued_seen.raised);
    EXPECT_FALSE(queued_log.ran);
    EXPECT_TRUE(running_seen.raised);
    EXPECT_TRUE(running_log.finished);       // the thread finished the call...
    EXPECT_TRUE(running_log.result.expired());  // ...and its result was dropped
}

TEST(CancelContract, ToThread_AfterResult) {
    Seen seen;
    CallLog log;
    aio::run([&]() -> aio::Task<> {
        aio::EventLoop& loop = aio::get_running_loop();
        auto& pool = loop.default_executor();
        // One worker free: the marker below runs on it after the call has
        // finished and posted its completion.
        BusyWorkers busy(pool, pool.max_workers() - 1);
        auto call = [&log] {
            log.ran = true;
            return 42;
        };
        auto t = aio::create_task(observe(seen, aio::to_thread(call)));
        co_await aio::sleep(0s);  // t has handed the call to the pool
        auto marker = pool.submit([&loop, &t] { loop.call_soon_threadsafe([&t] { t.cancel(); }); });
        marker.get();  // blocks the loop: the completion, then the cancel, wait in its queue
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        busy.release();
    }());
    // The result arrived before the cancel: it is delivered, and the
    // cancellation comes at the next await.
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 42);
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- awaiting a Task

aio::Task<int> await_task(aio::Task<int>& t) { co_return co_await t; }

TEST(CancelContract, AwaitTask_BeforeSuspending) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        int runs = 0;
        auto inner = aio::create_task(counted(runs, go, 1));
        auto t = aio::create_task(observe_cancelled_first(seen, await_task(inner)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(inner.cancelled());  // the pending cancel was passed on to the awaited task
        EXPECT_EQ(runs, 1);              // (it had started: it was cancelled at its await)
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, AwaitTask_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        int runs = 0;
        auto inner = aio::create_task(counted(runs, go, 1));
        auto t = aio::create_task(observe(seen, await_task(inner)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(inner.cancelled());  // cancelling the awaiter cancels the awaited task
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, AwaitTask_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::Task<> t;
        auto canceller = aio::create_task(cancel_after(go, t));
        auto inner = aio::create_task(value_when(go, 5));
        t = aio::create_task(observe(seen, await_task(inner)));
        co_await let_others_run();
        go.set();
        co_await settle(t);
        co_await settle(canceller);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(inner.cancelled());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 5);
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- Lock

TEST(CancelContract, LockAcquire_BeforeSuspending) {
    Seen free_seen, held_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Lock lock;
        // Free: taken without suspending; the cancellation comes at the next await.
        auto a = aio::create_task(observe_cancelled_first(free_seen, acquire(lock)));
        co_await settle(a);
        EXPECT_FALSE(lock.locked());  // the guard released it on the way out
        // Held: the task does not queue; CancelledError at once.
        auto held = co_await lock.acquire();
        auto b = aio::create_task(observe_cancelled_first(held_seen, acquire(lock)));
        co_await settle(b);
        EXPECT_TRUE(b.cancelled());
        held.release();
        EXPECT_FALSE(lock.locked());
    }());
    EXPECT_TRUE(free_seen.resumed);
    EXPECT_TRUE(free_seen.raised_next);
    EXPECT_TRUE(held_seen.raised);
}

TEST(CancelContract, LockAcquire_WhileSuspended) {
    Seen seen, next_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Lock lock;
        auto held = co_await lock.acquire();
        auto t = aio::create_task(observe(seen, acquire(lock)));
        auto next = aio::create_task(observe(next_seen, acquire(lock)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        held.release();  // goes to the next waiter: the cancelled one left the queue
        co_await settle(next);
        EXPECT_FALSE(lock.locked());
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_TRUE(next_seen.finished);
}

TEST(CancelContract, LockAcquire_AfterResult) {
    Seen seen, next_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Lock lock;
        auto held = co_await lock.acquire();
        auto t = aio::create_task(observe(seen, acquire(lock)));
        auto next = aio::create_task(observe(next_seen, acquire(lock)));
        co_await let_others_run();
        held.release();  // hands the lock to t...
        t.cancel();      // ...which is cancelled before it runs
        EXPECT_TRUE(lock.locked());
        co_await settle(t);
        co_await settle(next);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(lock.locked());
    }());
    // t held the lock, saw CancelledError at its next await, and its guard
    // passed the lock on to the next waiter.
    EXPECT_TRUE(seen.resumed);
    EXPECT_TRUE(seen.raised_next);
    EXPECT_TRUE(next_seen.finished);
}

// ---------------------------------------------------------------- Semaphore

TEST(CancelContract, SemaphoreAcquire_BeforeSuspending) {
    Seen free_seen, held_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Semaphore sem(1);
        auto a = aio::create_task(observe_cancelled_first(free_seen, acquire(sem)));
        co_await settle(a);
        EXPECT_EQ(sem.value(), 1);
        auto held = co_await sem.acquire();
        auto b = aio::create_task(observe_cancelled_first(held_seen, acquire(sem)));
        co_await settle(b);
        EXPECT_TRUE(b.cancelled());
        held.release();
        EXPECT_EQ(sem.value(), 1);
    }());
    EXPECT_TRUE(free_seen.resumed);
    EXPECT_TRUE(free_seen.raised_next);
    EXPECT_TRUE(held_seen.raised);
}

TEST(CancelContract, SemaphoreAcquire_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Semaphore sem(0);
        auto t = aio::create_task(observe(seen, acquire(sem)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        sem.release();
        EXPECT_EQ(sem.value(), 1);  // the permit was not handed to the cancelled waiter
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, SemaphoreAcquire_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Semaphore sem(0);
        auto t = aio::create_task(observe(seen, acquire(sem)));
        co_await let_others_run();
        sem.release();  // the permit goes to t...
        t.cancel();     // ...cancelled before it runs
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(sem.value(), 1);  // its guard gave the permit back
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- Event

TEST(CancelContract, EventWait_BeforeSuspending) {
    Seen set_seen, unset_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event e;
        auto a = aio::create_task(observe_cancelled_first(unset_seen, wait_event(e)));
        co_await settle(a);
        EXPECT_TRUE(a.cancelled());
        e.set();
        auto b = aio::create_task(observe_cancelled_first(set_seen, wait_event(e)));
        co_await settle(b);
        EXPECT_TRUE(b.cancelled());
    }());
    EXPECT_TRUE(unset_seen.raised);
    EXPECT_TRUE(set_seen.resumed);  // already set: returns without suspending
    EXPECT_TRUE(set_seen.raised_next);
}

TEST(CancelContract, EventWait_WhileSuspended) {
    Seen seen, other_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event e;
        auto t = aio::create_task(observe(seen, wait_event(e)));
        auto other = aio::create_task(observe(other_seen, wait_event(e)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        e.set();
        co_await settle(other);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_TRUE(other_seen.finished);
}

TEST(CancelContract, EventWait_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event e;
        auto t = aio::create_task(observe(seen, wait_event(e)));
        co_await let_others_run();
        e.set();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(e.is_set());
    }());
    // A wait with no result raises at once (as sleep and asyncio's Event.wait).
    EXPECT_TRUE(seen.raised);
    EXPECT_FALSE(seen.resumed);
}

// ---------------------------------------------------------------- Condition

TEST(CancelContract, ConditionWait_BeforeSuspending) {
    int woken = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Lock lock;
        aio::Condition cond(&lock);
        auto t = aio::create_task(cancelled_then_wait(cond, lock, woken));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(lock.locked());  // re-acquired by wait(), released by the guard
    }());
    EXPECT_EQ(woken, 0);
}

TEST(CancelContract, ConditionWait_WhileSuspended) {
    int woken = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Lock lock;
        aio::Condition cond(&lock);
        auto t = aio::create_task(wait_notified(cond, lock, woken));
        auto other = aio::create_task(wait_notified(cond, lock, woken));
        co_await let_others_run();
        auto held = co_await lock.acquire();  // t waits for the lock back while we hold it
        t.cancel();
        co_await aio::sleep(0s);
        EXPECT_FALSE(t.done());  // wait() re-acquires the lock before it raises
        held.release();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        {
            auto h = co_await lock.acquire();
            cond.notify(1);  // reaches `other`: the cancelled waiter left the queue
        }
        co_await settle(other);
        EXPECT_FALSE(lock.locked());
    }());
    EXPECT_EQ(woken, 1);
}

TEST(CancelContract, ConditionWait_AfterResult) {
    int woken = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Lock lock;
        aio::Condition cond(&lock);
        auto t = aio::create_task(wait_notified(cond, lock, woken));
        auto other = aio::create_task(wait_notified(cond, lock, woken));
        co_await let_others_run();
        {
            auto h = co_await lock.acquire();
            cond.notify(1);  // t is notified...
            t.cancel();      // ...and cancelled before it runs
        }
        co_await settle(t);
        co_await settle(other);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(other.done());
        EXPECT_FALSE(lock.locked());
    }());
    // t raised CancelledError (a notification carries no result) and passed
    // the notification on to `other`, as asyncio does.
    EXPECT_EQ(woken, 1);
}

// ---------------------------------------------------------------- Barrier

aio::Task<std::size_t> barrier_wait(aio::Barrier& b) { co_return co_await b.wait(); }

TEST(CancelContract, BarrierWait_BeforeSuspending) {
    Seen seen, last_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Barrier bar(2);
        auto t = aio::create_task(observe_cancelled_first(seen, barrier_wait(bar)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(bar.n_waiting(), 0u);  // it did not stay
        // The last party does not suspend: it passes and sees the cancel at its next await.
        auto first = aio::create_task(barrier_wait(bar));
        co_await let_others_run();
        auto last = aio::create_task(observe_cancelled_first(last_seen, barrier_wait(bar)));
        co_await settle(first);
        co_await settle(last);
        EXPECT_EQ(first.result(), 0u);
        EXPECT_FALSE(bar.broken());
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_TRUE(last_seen.resumed);
    EXPECT_EQ(last_seen.value, 1);
    EXPECT_TRUE(last_seen.raised_next);
}

TEST(CancelContract, BarrierWait_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Barrier bar(2);
        auto t = aio::create_task(observe(seen, barrier_wait(bar)));
        co_await let_others_run();
        EXPECT_EQ(bar.n_waiting(), 1u);
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(bar.n_waiting(), 0u);  // the cancelled party left
        EXPECT_FALSE(bar.broken());
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, BarrierWait_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Barrier bar(2);
        auto t = aio::create_task(observe(seen, barrier_wait(bar)));
        co_await let_others_run();
        std::size_t mine = co_await bar.wait();  // the last arrival releases t...
        t.cancel();                                // ...cancelled before it runs
        co_await settle(t);
        EXPECT_EQ(mine, 1u);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(bar.broken());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 0);  // it passed the barrier: its arrival index is returned
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- Queue.get

TEST(CancelContract, QueueGet_BeforeSuspending) {
    Seen empty_seen, full_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto a = aio::create_task(observe_cancelled_first(empty_seen, get(q)));
        co_await settle(a);
        EXPECT_TRUE(a.cancelled());
        q.put_nowait(7);
        EXPECT_EQ(q.qsize(), 1u);  // the cancelled getter is not waiting for it
        auto b = aio::create_task(observe_cancelled_first(full_seen, get(q)));
        co_await settle(b);
        EXPECT_TRUE(q.empty());
    }());
    EXPECT_TRUE(empty_seen.raised);
    EXPECT_TRUE(full_seen.resumed);  // an item was there: taken without suspending
    EXPECT_EQ(full_seen.value, 7);
    EXPECT_TRUE(full_seen.raised_next);
}

TEST(CancelContract, QueueGet_WhileSuspended) {
    Seen seen, next_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto t = aio::create_task(observe(seen, get(q)));
        auto next = aio::create_task(observe(next_seen, get(q)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        q.put_nowait(7);  // goes to the next getter
        co_await settle(next);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(q.empty());
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_EQ(next_seen.value, 7);
}

TEST(CancelContract, QueueGet_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto t = aio::create_task(observe(seen, get(q)));
        co_await let_others_run();
        q.put_nowait(7);  // handed to t...
        t.cancel();       // ...cancelled before it runs
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(q.empty());
    }());
    // The item is returned, not lost; the cancellation comes at the next await.
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 7);
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- Queue.put

TEST(CancelContract, QueuePut_BeforeSuspending) {
    Seen full_seen, room_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q(1);
        q.put_nowait(1);
        auto a = aio::create_task(observe_cancelled_first(full_seen, put(q, 2)));
        co_await settle(a);
        EXPECT_TRUE(a.cancelled());
        EXPECT_EQ(q.get_nowait(), 1);
        EXPECT_TRUE(q.empty());  // 2 was not put
        auto b = aio::create_task(observe_cancelled_first(room_seen, put(q, 3)));
        co_await settle(b);
        EXPECT_EQ(q.get_nowait(), 3);  // room: put without suspending
    }());
    EXPECT_TRUE(full_seen.raised);
    EXPECT_TRUE(room_seen.resumed);
    EXPECT_TRUE(room_seen.raised_next);
}

TEST(CancelContract, QueuePut_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q(1);
        q.put_nowait(1);
        auto t = aio::create_task(observe(seen, put(q, 2)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(q.get_nowait(), 1);
        EXPECT_TRUE(q.empty());  // the cancelled putter's item did not go in
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, QueuePut_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q(1);
        q.put_nowait(1);
        auto t = aio::create_task(observe(seen, put(q, 2)));
        co_await let_others_run();
        EXPECT_EQ(q.get_nowait(), 1);  // makes room: t's item goes in...
        t.cancel();                    // ...and t is cancelled before it runs
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(q.qsize(), 1u);
        EXPECT_EQ(q.get_nowait(), 2);
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- Queue.join

TEST(CancelContract, QueueJoin_BeforeSuspending) {
    Seen busy_seen, idle_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto a = aio::create_task(observe_cancelled_first(idle_seen, join(q)));
        co_await settle(a);  // nothing unfinished: returns without suspending
        q.put_nowait(1);
        auto b = aio::create_task(observe_cancelled_first(busy_seen, join(q)));
        co_await settle(b);
        EXPECT_TRUE(b.cancelled());
    }());
    EXPECT_TRUE(idle_seen.resumed);
    EXPECT_TRUE(idle_seen.raised_next);
    EXPECT_TRUE(busy_seen.raised);
}

TEST(CancelContract, QueueJoin_WhileSuspended) {
    Seen seen, other_seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        q.put_nowait(1);
        auto t = aio::create_task(observe(seen, join(q)));
        auto other = aio::create_task(observe(other_seen, join(q)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        (void)q.get_nowait();
        q.task_done();
        co_await settle(other);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_TRUE(other_seen.finished);
}

TEST(CancelContract, QueueJoin_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        q.put_nowait(1);
        auto t = aio::create_task(observe(seen, join(q)));
        co_await let_others_run();
        (void)q.get_nowait();
        q.task_done();  // wakes t...
        t.cancel();     // ...cancelled before it runs
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    // join() has no result: it raises at once (as asyncio's).
    EXPECT_TRUE(seen.raised);
    EXPECT_FALSE(seen.resumed);
}

// ---------------------------------------------------------------- gather

std::vector<aio::Task<int>> counted_children(int& runs, aio::Event& go) {
    std::vector<aio::Task<int>> v;
    v.push_back(counted(runs, go, 1));
    v.push_back(counted(runs, go, 2));
    return v;
}

TEST(CancelContract, Gather_BeforeSuspending) {
    Seen seen;
    int runs = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        auto t = aio::create_task(observe_cancelled_first(seen, gather_sum(counted_children(runs, go))));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_EQ(runs, 0);  // the children were cancelled before their first step
}

TEST(CancelContract, Gather_WhileSuspended) {
    Seen seen;
    int runs = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        auto t = aio::create_task(observe(seen, gather_sum(counted_children(runs, go))));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(aio::all_tasks().size(), 1u);  // every child was cancelled and waited for: only this task is left
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_EQ(runs, 2);
}

TEST(CancelContract, Gather_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::Task<> t;
        auto canceller = aio::create_task(cancel_after(go, t));
        std::vector<aio::Task<int>> v;
        v.push_back(value_when(go, 1));
        v.push_back(value_when(go, 2));
        t = aio::create_task(observe(seen, gather_sum(std::move(v))));
        co_await let_others_run();
        go.set();
        co_await settle(t);
        co_await settle(canceller);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 3);  // the results are delivered
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- wait

TEST(CancelContract, Wait_BeforeSuspending) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        auto a = aio::create_task(value_when(go, 1));
        std::vector<aio::Task<int>> v;
        v.push_back(a.share());
        auto t = aio::create_task(observe_cancelled_first(seen, ready_count(std::move(v), aio::ALL_COMPLETED)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(a.done());  // wait() cancels nothing
        go.set();
        int r = co_await a;
        EXPECT_EQ(r, 1);
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, Wait_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        auto a = aio::create_task(value_when(go, 1));
        std::vector<aio::Task<int>> v;
        v.push_back(a.share());
        auto t = aio::create_task(observe(seen, ready_count(std::move(v), aio::ALL_COMPLETED)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(a.done());  // the tasks keep running
        go.set();
        int r = co_await a;
        EXPECT_EQ(r, 1);
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, Wait_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::Task<> t;
        auto canceller = aio::create_task(cancel_after(go, t));
        std::vector<aio::Task<int>> v;
        v.push_back(value_when(go, 1));
        v.push_back(value_after(10s, 2));
        t = aio::create_task(observe(seen, ready_count(std::move(v), aio::FIRST_COMPLETED)));
        co_await let_others_run();
        go.set();
        co_await settle(t);
        co_await settle(canceller);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 1);  // the (done, pending) split is delivered
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- wait_for

TEST(CancelContract, WaitFor_BeforeSuspending) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto t = aio::create_task(observe_cancelled_first(seen, aio::wait_for(get(q), 10s)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());  // CancelledError, not TimeoutError
        EXPECT_EQ(t.cancelling(), 1);
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, WaitFor_WhileSuspended) {
    Seen seen;
    int runs = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        auto inner = aio::create_task(counted(runs, go, 1));
        auto t = aio::create_task(observe(seen, aio::wait_for(inner.share(), 10s)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(inner.cancelled());  // the awaited task is cancelled and waited for
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, WaitFor_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto t = aio::create_task(observe(seen, aio::wait_for(get(q), 10s)));
        co_await let_others_run();
        q.put_nowait(9);  // the guarded get has its item...
        t.cancel();       // ...and its task is cancelled before it runs
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 9);
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- timeout

aio::Task<int> get_under(aio::Timeout& cm, aio::Queue<int>& q) { co_return co_await cm.run(get(q)); }

TEST(CancelContract, Timeout_BeforeSuspending) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto t = aio::create_task(observe_cancelled_first(seen, aio::timeout(10s, get(q))));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, Timeout_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto t = aio::create_task(observe(seen, aio::timeout(10s, get(q))));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());  // an outside cancel stays CancelledError
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, Timeout_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        auto t = aio::create_task(observe(seen, aio::timeout(10s, get(q))));
        co_await let_others_run();
        q.put_nowait(9);
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 9);
    EXPECT_TRUE(seen.raised_next);
}

TEST(CancelContract, Timeout_DeadlineAfterResult) {
    Seen seen;
    bool expired = false;
    aio::run([&]() -> aio::Task<> {
        aio::Queue<int> q;
        aio::Timeout cm = aio::timeout(10s);
        auto t = aio::create_task(observe(seen, get_under(cm, q)));
        co_await let_others_run();
        q.put_nowait(9);                             // the body has its result...
        cm.reschedule(aio::get_running_loop().time());  // ...and the deadline fires before it resumes
        co_await settle(t);
        expired = cm.expired();
        EXPECT_FALSE(t.cancelled());
        EXPECT_EQ(t.cancelling(), 0);  // the deadline's cancel was withdrawn
    }());
    // No TimeoutError: the block finished; no cancellation is left over.
    EXPECT_TRUE(expired);
    EXPECT_EQ(seen.value, 9);
    EXPECT_TRUE(seen.finished);
}

// ---------------------------------------------------------------- shield

aio::Task<int> shielded(aio::Task<int>& inner) { co_return co_await aio::shield(inner); }

TEST(CancelContract, Shield_BeforeSuspending) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        auto inner = aio::create_task(value_when(go, 4));
        auto t = aio::create_task(observe_cancelled_first(seen, shielded(inner)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(inner.done());  // the inner task runs on
        go.set();
        int r = co_await inner;
        EXPECT_EQ(r, 4);
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, Shield_WhileSuspended) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        auto inner = aio::create_task(value_when(go, 4));
        auto t = aio::create_task(observe(seen, shielded(inner)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(inner.done());
        go.set();
        int r = co_await inner;
        EXPECT_EQ(r, 4);
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, Shield_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::Task<> t;
        auto canceller = aio::create_task(cancel_after(go, t));
        auto inner = aio::create_task(value_when(go, 4));
        t = aio::create_task(observe(seen, shielded(inner)));
        co_await let_others_run();
        go.set();
        co_await settle(t);
        co_await settle(canceller);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 4);
    EXPECT_TRUE(seen.raised_next);
}

// ---------------------------------------------------------------- TaskGroup

TEST(CancelContract, TaskGroupWait_BeforeSuspending) {
    Seen seen;
    int runs = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::TaskGroup tg;
        auto a = tg.create_task(counted(runs, go, 1));
        auto t = aio::create_task(observe_cancelled_first(seen, group_of(tg)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(a.cancelled());  // the group's tasks were cancelled and waited for
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, TaskGroupWait_WhileSuspended) {
    Seen seen;
    int runs = 0;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::TaskGroup tg;
        auto a = tg.create_task(counted(runs, go, 1));
        auto t = aio::create_task(observe(seen, group_of(tg)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(a.cancelled());
        EXPECT_EQ(runs, 1);
    }());
    EXPECT_TRUE(seen.raised);
}

TEST(CancelContract, TaskGroupWait_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::Task<> t;
        auto canceller = aio::create_task(cancel_after(go, t));
        aio::TaskGroup tg;
        auto a = tg.create_task(value_when(go, 1));
        t = aio::create_task(observe(seen, group_of(tg)));
        co_await let_others_run();
        go.set();
        co_await settle(t);
        co_await settle(canceller);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(a.result(), 1);  // the tasks' results stay in their handles
    }());
    // wait() has no result of its own: it raises at once (as asyncio's __aexit__).
    EXPECT_TRUE(seen.raised);
    EXPECT_FALSE(seen.resumed);
}

// ---------------------------------------------------------------- as_completed

TEST(CancelContract, AsCompletedNext_BeforeSuspending) {
    Seen seen, later;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        std::vector<aio::Task<int>> v;
        v.push_back(value_when(go, 1));
        auto gen = aio::as_completed(std::move(v));
        auto t = aio::create_task(observe_cancelled_first(seen, next_of(gen)));
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        // The iteration goes on: the result is not lost.
        go.set();
        auto u = aio::create_task(observe(later, next_of(gen)));
        co_await settle(u);
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_EQ(later.value, 1);
}

TEST(CancelContract, AsCompletedNext_WhileSuspended) {
    Seen seen, later;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        std::vector<aio::Task<int>> v;
        v.push_back(value_when(go, 1));
        auto gen = aio::as_completed(std::move(v));
        auto t = aio::create_task(observe(seen, next_of(gen)));
        co_await let_others_run();
        t.cancel();
        co_await settle(t);
        EXPECT_TRUE(t.cancelled());
        go.set();
        auto u = aio::create_task(observe(later, next_of(gen)));
        co_await settle(u);
    }());
    EXPECT_TRUE(seen.raised);
    EXPECT_EQ(later.value, 1);  // the task kept running and its result still comes
}

TEST(CancelContract, AsCompletedNext_AfterResult) {
    Seen seen;
    aio::run([&]() -> aio::Task<> {
        aio::Event go;
        aio::Task<> t;
        auto canceller = aio::create_task(cancel_after(go, t));
        std::vector<aio::Task<int>> v;
        v.push_back(value_when(go, 1));
        auto gen = aio::as_completed(std::move(v));
        t = aio::create_task(observe(seen, next_of(gen)));
        co_await let_others_run();
        go.set();
        co_await settle(t);
        co_await settle(canceller);
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_TRUE(seen.resumed);
    EXPECT_EQ(seen.value, 1);
    EXPECT_TRUE(seen.raised_next);
}

}  // namespace
