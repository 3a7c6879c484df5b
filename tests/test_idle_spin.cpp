// The loop's watch before it sleeps for I/O (LoopOptions::idle_spin): how
// long it is (options, AIO_LOOP_SPIN_US, the default, the backend), that it
// finds a peer thread's reply, that fruitless watches back off, and that
// neither a thread-safe post nor a timer shorter than the watch is held up
// by it.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "loop/loop_impl.hpp"
#include "support/support.hpp"

using namespace std::chrono_literals;

namespace {

aio::detail::LoopImpl::SpinStats stats(aio::EventLoop& loop) { return aio::detail::LoopAccess::impl(loop).spin_stats(); }

/// Sets an environment variable for one scope, then puts back what was there.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

/// Whether a loop can be made on `backend` here (io_uring may be refused).
bool backend_available(const char* backend) {
    ScopedEnv env("AIO_IO_BACKEND", backend);
    try {
        aio::EventLoop loop;
        return true;
    } catch (const aio::OSError&) {
        return false;
    }
}

/// Whether loops here watch at all: two CPUs or more.
bool loops_watch() { return ::sysconf(_SC_NPROCESSORS_ONLN) >= 2; }

/// The backends a watch is tested on: each one available here.
std::vector<const char*> backends() {
    std::vector<const char*> out;
    for (const char* b : {"uring", "epoll"})
        if (backend_available(b)) out.push_back(b);
    return out;
}

std::int64_t limit_with(aio::LoopOptions options) {
    aio::EventLoop loop(options);
    return stats(loop).limit_ns;
}

std::pair<aio::Socket, int> socket_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair");
    return {aio::Socket::adopt(fds[0]), fds[1]};
}

}  // namespace

TEST(IdleSpin, LengthFromOptionsEnvironmentAndDefault) {
    if (!loops_watch()) GTEST_SKIP() << "one CPU: the limit is 0 everywhere";
    {
        ScopedEnv env("AIO_LOOP_SPIN_US", nullptr);
        EXPECT_EQ(limit_with({}), 20'000);
        EXPECT_EQ(limit_with({.idle_spin = 50us}), 50'000);
        EXPECT_EQ(limit_with({.idle_spin = 0us}), 0);
        EXPECT_EQ(limit_with({.idle_spin = 5s}), 1'000'000);  // at most 1 ms
        EXPECT_EQ(limit_with({.idle_spin = -3us}), 0);
    }
    {
        ScopedEnv env("AIO_LOOP_SPIN_US", "7");
        EXPECT_EQ(limit_with({}), 7'000);
        EXPECT_EQ(limit_with({.idle_spin = 50us}), 50'000);  // the option wins
    }
    for (const char* bad : {"", "abc", "-5", "12us", "9999999999999999999999"}) {
        ScopedEnv env("AIO_LOOP_SPIN_US", bad);
        EXPECT_EQ(limit_with({}), 20'000) << "AIO_LOOP_SPIN_US='" << bad << "'";
    }
    {
        ScopedEnv env("AIO_LOOP_SPIN_US", "0");
        EXPECT_EQ(limit_with({}), 0);
    }
}

TEST(IdleSpin, EveryBackendWatches) {
    if (!loops_watch()) GTEST_SKIP() << "one CPU: the limit is 0 everywhere";
    for (const char* b : backends()) {
        ScopedEnv backend("AIO_IO_BACKEND", b);
        EXPECT_EQ(limit_with({.idle_spin = 100us}), 100'000) << b;
    }
}

// A peer thread answers each byte: with a watch of 1 ms the loop sees most
// answers arrive while watching (at least one in 2,000 here), and every
// byte comes back in order. Without a watch it never watches.
TEST(IdleSpin, WatchSeesAPeerThreadsReply) {
    if (!loops_watch()) GTEST_SKIP() << "one CPU: loops never watch";
    constexpr int kRounds = 2000;
    for (const char* b : backends()) {
        ScopedEnv backend("AIO_IO_BACKEND", b);
        for (auto spin : {1000us, 0us}) {
            auto [sock, peer] = socket_pair();
            std::thread echo([peer = peer] {
                char c;
                while (::read(peer, &c, 1) == 1)
                    if (::write(peer, &c, 1) != 1) break;
                ::close(peer);
            });
            aio::EventLoop loop({.idle_spin = spin});
            int wrong = loop.run_until_complete([](aio::Socket& s) -> aio::Task<int> {
                int wrong = 0;
                for (int i = 0; i < kRounds; ++i) {
                    const char out = static_cast<char>('a' + i % 26);
                    co_await s.sendall(std::string_view(&out, 1));
                    char in = 0;
                    std::size_t n = co_await s.recv(&in, 1);
                    if (n != 1 || in != out) ++wrong;
                }
                co_return wrong;
            }(sock));
            sock.close();
            echo.join();
            EXPECT_EQ(wrong, 0) << b;
            auto st = stats(loop);
            if (spin.count() != 0) {
                EXPECT_GT(st.found, 0u) << b;
            } else {
                EXPECT_EQ(st.found, 0u) << b;
                EXPECT_EQ(st.missed, 0u) << b;
            }
        }
    }
}

// A receive on a socket nobody writes to, and 300 short sleeps: the watches
// find nothing, and after n of them in a row the next 2^n waits sleep at
// once, so 300 waits hold at most 9 watches (1 + 2 + ... + 256 = 511).
TEST(IdleSpin, FruitlessWatchesBackOff) {
    if (!loops_watch()) GTEST_SKIP() << "one CPU: loops never watch";
    for (const char* b : backends()) {
        ScopedEnv backend("AIO_IO_BACKEND", b);
        auto [sock, peer] = socket_pair();
        aio::EventLoop loop({.idle_spin = 20us});
        loop.run_until_complete([](aio::Socket& s) -> aio::Task<> {
            char buf[16];
            auto silent = aio::create_task(s.recv(buf, sizeof buf));
            for (int i = 0; i < 300; ++i) co_await aio::sleep(100us);
            silent.cancel();
            try {
                co_await silent;
            } catch (const aio::CancelledError&) {
            }
        }(sock));
        auto st = stats(loop);
        // epoll's first report of the new socket (writable) may be what the
        // first watch finds; nothing after it.
        EXPECT_LE(st.found, 1u) << b;
        EXPECT_GE(st.missed, 1u) << b;
        EXPECT_LE(st.missed, 9u) << b;
        ::close(peer);
    }
}

// While the loop watches (a receive pending, nothing else to do), another
// thread's call_soon_threadsafe() is taken by the watch, which does not wait
// for its end: each of 500 posts waits for the one before it to have run,
// and the watches see them (a watch that did not look at the loop's
// thread-safe queue would find nothing here but, on epoll, the new socket's
// first report).
TEST(IdleSpin, ThreadSafePostsAreNotHeldUp) {
    auto [sock, peer] = socket_pair();
    aio::EventLoop loop({.idle_spin = 1000us});
    std::atomic<int> ran{0};
    loop.run_until_complete([](aio::EventLoop& l, aio::Socket& s, std::atomic<int>& count) -> aio::Task<> {
        char buf[16];
        auto silent = aio::create_task(s.recv(buf, sizeof buf));
        aio::Event all_ran;  // set on the loop's thread by the last callback
        std::thread poster([&] {
            for (int i = 0; i < 500; ++i) {
                std::promise<void> p;
                auto f = p.get_future();
                l.call_soon_threadsafe([&, last = i == 499] {
                    count.fetch_add(1);
                    if (last) all_ran.set();
                    p.set_value();
                });
                f.wait();
            }
        });
        co_await all_ran.wait();
        poster.join();
        silent.cancel();
        try {
            co_await silent;
        } catch (const aio::CancelledError&) {
        }
    }(loop, sock, ran));
    EXPECT_EQ(ran.load(), 500);
    if (loops_watch()) {
        EXPECT_GE(stats(loop).found, 2u);
    }
    ::close(peer);
}

// A timer due before the watch would end still fires: the watch is cut to
// the timer (a 1 ms watch, 200 sleeps of 50 us, in order).
TEST(IdleSpin, TimersShorterThanTheWatchFire) {
    auto [sock, peer] = socket_pair();
    aio::EventLoop loop({.idle_spin = 1000us});
    int slept = loop.run_until_complete([](aio::Socket& s) -> aio::Task<int> {
        char buf[16];
        auto silent = aio::create_task(s.recv(buf, sizeof buf));
        int n = 0;
        for (int i = 0; i < 200; ++i) {
            co_await aio::sleep(50us);
            ++n;
        }
        silent.cancel();
        try {
            co_await silent;
        } catch (const aio::CancelledError&) {
        }
        co_return n;
    }(sock));
    EXPECT_EQ(slept, 200);
    ::close(peer);
}

// A TCP peer that dies while the loop watches for its answer: it resets the
// connection (SO_LINGER 0) or just closes it, a few milliseconds into the
// loop's watches. The receive ends in ConnectionResetError or at EOF, the
// loop lives on, and every descriptor comes back. Each backend, a 1 ms watch.
TEST(IdleSpin, APeerThatDiesDuringTheWatchEndsTheReceiveCleanly) {
    for (const char* b : backends()) {
        ScopedEnv backend("AIO_IO_BACKEND", b);
        for (bool reset : {true, false}) {
            const int fds_before = aio::test::count_open_fds();
            int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            socklen_t len = sizeof a;
            ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
            ASSERT_EQ(::listen(listener, 1), 0);
            ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
            int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
            int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            ASSERT_GE(accepted, 0);
            ::close(listener);
            std::thread dying([accepted, reset] {
                std::this_thread::sleep_for(5ms);
                if (reset) {
                    linger l{1, 0};
                    ::setsockopt(accepted, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                }
                ::close(accepted);
            });
            std::string outcome;
            {
                aio::EventLoop loop({.idle_spin = 1000us});
                outcome = loop.run_until_complete([](int fd) -> aio::Task<std::string> {
                    aio::Socket s = aio::Socket::adopt(fd);
                    char buf[64];
                    std::string what;
                    try {
                        std::size_t n = co_await s.recv(buf, sizeof buf);
                        what = n == 0 ? "eof" : "data";
                    } catch (const aio::ConnectionResetError&) {
                        what = "reset";
                    }
                    co_return what;
                }(client));
                if (loops_watch()) {
                    EXPECT_GE(stats(loop).missed + stats(loop).found, 1u) << b;
                }
            }
            dying.join();
            EXPECT_EQ(outcome, reset ? "reset" : "eof") << b;
            EXPECT_EQ(aio::test::count_open_fds(), fds_before) << b << (reset ? " reset" : " close");
        }
    }
}
