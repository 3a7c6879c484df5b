// Faults between aio and its child processes: pipes whose reader is gone,
// a child that exits in the middle of a write, a pool worker killed by
// SIGKILL in the middle of a call. Each row: the process lives (no SIGPIPE
// reaches it, whatever its disposition), the error is a typed aio exception
// naming what happened, and no descriptor or child is left behind.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "faults/sigpipe_recorder.hpp"
#include "support/support.hpp"

using namespace std::chrono_literals;

namespace {

bool no_children() {
    errno = 0;
    return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

/// In a worker: writes its pid to `path`, then runs for a long time.
int announce_then_sleep(std::string path) {
    {
        std::ofstream out(path + ".tmp");
        out << ::getpid();
    }
    std::rename((path + ".tmp").c_str(), path.c_str());
    ::sleep(60);
    return 0;
}

long square(long x) { return x * x; }

std::string temp_path(const std::string& name) {
    return ::testing::TempDir() + "aio-process-faults-" + std::to_string(::getpid()) + "-" + name;
}

}  // namespace

TEST(ProcessFaults, CommunicateWithAChildThatExitsWithoutReadingItsInput) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        aio::SubprocessOptions pipes{.stdin_ = aio::PIPE, .stdout_ = aio::PIPE};
        auto p = co_await aio::create_subprocess_exec("true", std::vector<std::string>(), pipes);
        auto [out, err] = co_await p.communicate(std::string(1 << 20, 'x'));
        EXPECT_EQ(out, "");
        EXPECT_EQ(p.returncode(), 0);
        signals = sigpipe.deliveries();
    }());
    EXPECT_EQ(signals, 0);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

TEST(ProcessFaults, WriteToTheStdinOfADeadChildIsBrokenPipeError) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    std::string message;
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        aio::SubprocessOptions pipes{.stdin_ = aio::PIPE};
        std::vector<std::string> args{"-c", "exit 3"};
        auto p = co_await aio::create_subprocess_exec("/bin/sh", args, pipes);
        auto status = co_await p.wait();
        EXPECT_EQ(status, 3);
        try {
            p.stdin_()->write(std::string(1000, 'x'));
            co_await p.stdin_()->drain();
        } catch (const aio::BrokenPipeError& e) {
            message = e.what();
        }
        signals = sigpipe.deliveries();
    }());
    EXPECT_NE(message.find("write to a pipe"), std::string::npos) << message;
    EXPECT_EQ(signals, 0);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

// The child reads 64 KiB of a much larger input, then exits: the writer that
// is in the middle of its drain() gets BrokenPipeError.
TEST(ProcessFaults, ChildExitsInTheMiddleOfAWrite) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    bool broken = false;
    std::size_t written = 0;
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        aio::SubprocessOptions pipes{.stdin_ = aio::PIPE, .stdout_ = aio::DEVNULL};
        std::vector<std::string> args{"-c", "65536"};
        auto p = co_await aio::create_subprocess_exec("head", args, pipes);
        std::string chunk(256 * 1024, 'y');
        try {
            for (int i = 0; i < 64; ++i) {  // 16 MiB: far more than the pipe and the child take
                p.stdin_()->write(chunk);
                co_await p.stdin_()->drain();
                written += chunk.size();
            }
        } catch (const aio::BrokenPipeError&) {
            broken = true;
        }
        auto status = co_await p.wait();
        EXPECT_EQ(status, 0);
        signals = sigpipe.deliveries();
    }());
    EXPECT_TRUE(broken) << written << " bytes were written without an error";
    EXPECT_EQ(signals, 0);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

TEST(ProcessFaults, PoolWorkerKilledBySigkillMidCallIsBrokenProcessPool) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    std::string message;
    long after = 0;
    std::string path = temp_path("pid");
    std::remove(path.c_str());
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        aio::ProcessPoolExecutor pool(1);
        auto call = aio::create_task(pool.submit_async(announce_then_sleep, path));
        pid_t worker = -1;
        for (int i = 0; i < 2000 && worker < 0; ++i) {
            std::ifstream in(path);
            if (!(in >> worker)) {
                worker = -1;
                co_await aio::sleep(5ms);
            }
        }
        EXPECT_GT(worker, 0) << "the worker never started the call";
        if (worker > 0) ::kill(worker, SIGKILL);
        try {
            co_await call;
        } catch (const aio::BrokenProcessPool& e) {
            message = e.what();
        }
        after = co_await pool.submit_async(square, 12L);  // a new worker takes over
        signals = sigpipe.deliveries();
    }());
    std::remove(path.c_str());
    EXPECT_NE(message.find("killed by signal 9"), std::string::npos) << message;
    EXPECT_EQ(after, 144);
    EXPECT_EQ(signals, 0);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

// The pool goes away while a worker is still computing: the worker's reply
// has no reader. The worker must end quietly (no SIGPIPE death is visible to
// us either way, but it must not linger) and this process must not be hurt.
TEST(ProcessFaults, PoolShutDownWithoutWaitWhileAWorkerRuns) {
    int fds = aio::test::count_open_fds();
    std::string message;
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        aio::ProcessPoolExecutor pool(1);
        std::string path = temp_path("pid2");
        std::remove(path.c_str());
        auto call = aio::create_task(pool.submit_async(announce_then_sleep, path));
        for (int i = 0; i < 2000; ++i) {
            std::ifstream in(path);
            if (in.peek() != std::ifstream::traits_type::eof()) break;
            co_await aio::sleep(5ms);
        }
        pool.shutdown(false);
        try {
            co_await call;
        } catch (const aio::BrokenProcessPool& e) {
            message = e.what();
        }
        std::remove(path.c_str());
        EXPECT_EQ(sigpipe.deliveries(), 0);
    }());
    EXPECT_NE(message.find("shut down"), std::string::npos) << message;
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

// A call still awaiting its worker when the pool is destroyed: BrokenProcessPool,
// not a dangling worker.
TEST(ProcessFaults, PoolDestroyedWhileACallRuns) {
    int fds = aio::test::count_open_fds();
    std::string message;
    aio::run([&]() -> aio::Task<> {
        std::string path = temp_path("pid3");
        std::remove(path.c_str());
        aio::Task<int> call;
        {
            aio::ProcessPoolExecutor pool(1);
            call = aio::create_task(pool.submit_async(announce_then_sleep, path));
            for (int i = 0; i < 2000; ++i) {
                std::ifstream in(path);
                if (in.peek() != std::ifstream::traits_type::eof()) break;
                co_await aio::sleep(5ms);
            }
        }
        try {
            co_await call;
        } catch (const aio::BrokenProcessPool& e) {
            message = e.what();
        }
        std::remove(path.c_str());
    }());
    EXPECT_NE(message.find("destroyed"), std::string::npos) << message;
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}
