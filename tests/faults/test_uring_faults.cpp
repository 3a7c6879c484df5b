// Faults of io_uring itself, injected below the loop (aio::detail::uring_faults,
// src/loop/backends/uring_backend.hpp): a kernel without IORING_OP_ASYNC_CANCEL,
// an opcode probe or a ring setup that fails, a submission slot that cannot be
// had, a submission the kernel refuses. Each row: the process lives (no abort,
// no hang), the task that awaited gets an aio::OSError with the kernel's
// errno, the loop goes on, and a loop that would lack a piece gets epoll.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "../../src/loop/backends/uring_backend.hpp"

namespace uring_faults = aio::detail::uring_faults;
using Point = aio::detail::uring_faults::Point;
using namespace std::chrono_literals;

namespace {

bool uring_available() {
    try {
        aio::detail::UringBackend probe;
        return probe.has_core_ops();
    } catch (const aio::OSError&) {
        return false;
    }
}

/// The backend a new loop gets now (EventLoop asks make_backend() the same way).
std::string new_backend() { return aio::detail::make_backend()->name(); }

/// Makes an EventLoop: the errno of the OSError that refused it, or 0.
int errno_making_a_loop() {
    try {
        aio::EventLoop loop;
        loop.close();
        return 0;
    } catch (const aio::OSError& e) {
        return e.errno_code();
    }
}

/// A connected pair of stream sockets, closed at the end of the scope.
struct SocketPair {
    SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0); }
    ~SocketPair() {
        ::close(fd[0]);
        ::close(fd[1]);
    }
    SocketPair(const SocketPair&) = delete;
    SocketPair& operator=(const SocketPair&) = delete;
    void send_byte() const { EXPECT_EQ(::write(fd[1], "x", 1), 1); }
    int fd[2] = {-1, -1};
};

/// Awaits readability of `fd`: 0 when it came, the errno of the OSError otherwise.
aio::Task<int> wait_readable(int fd) {
    try {
        co_await aio::detail::wait_fd(fd, true);
    } catch (const aio::OSError& e) {
        co_return e.errno_code();
    }
    co_return 0;
}

class UringFaults : public ::testing::Test {
protected:
    void SetUp() override {
        ::unsetenv("AIO_IO_BACKEND");
        if (!uring_available()) GTEST_SKIP() << "io_uring is not available here";
    }
    void TearDown() override {
        uring_faults::clear();
        ::unsetenv("AIO_IO_BACKEND");
    }
    static void choose_uring() { ::setenv("AIO_IO_BACKEND", "uring", 1); }
};

}  // namespace

TEST_F(UringFaults, WithoutAsyncCancelALoopGetsEpollAndWorks) {
    uring_faults::fail_next(Point::async_cancel, ENOSYS);
    EXPECT_EQ(new_backend(), "epoll");
    EXPECT_EQ(new_backend(), "io_uring");  // the fault was one-shot

    uring_faults::fail_next(Point::async_cancel, ENOSYS);
    aio::EventLoop loop;  // on epoll
    SocketPair pair;
    pair.send_byte();
    int err = loop.run_until_complete(wait_readable(pair.fd[0]));
    EXPECT_EQ(err, 0);
    loop.close();
}

TEST_F(UringFaults, ChoosingUringWithoutAsyncCancelIsAnOSError) {
    choose_uring();
    uring_faults::fail_next(Point::async_cancel, ENOSYS);
    EXPECT_EQ(errno_making_a_loop(), ENOSYS);
}

TEST_F(UringFaults, AFailingOpcodeProbeMeansEpoll) {
    uring_faults::fail_next(Point::register_probe, EINVAL);
    EXPECT_EQ(new_backend(), "epoll");
}

TEST_F(UringFaults, ARingTheKernelRefusesMeansEpollOrTheKernelsError) {
    uring_faults::fail_next(Point::setup, EPERM);  // as under seccomp or io_uring_disabled
    EXPECT_EQ(new_backend(), "epoll");
    choose_uring();
    uring_faults::fail_next(Point::setup, EPERM);
    EXPECT_EQ(errno_making_a_loop(), EPERM);
}

TEST_F(UringFaults, ASubmissionSlotThatCannotBeHadFailsTheAwaitingTask) {
    choose_uring();
    SocketPair pair;
    auto body = [](const SocketPair& pair) -> aio::Task<> {
        uring_faults::fail_next(Point::get_sqe, ENOMEM);
        int failed = co_await wait_readable(pair.fd[0]);
        EXPECT_EQ(failed, ENOMEM);
        // The loop goes on (the op that failed was never recorded: nothing
        // of it is left in the backend for the next op to trip over).
        pair.send_byte();
        int ok = co_await wait_readable(pair.fd[0]);
        EXPECT_EQ(ok, 0);
    };
    aio::run(body(pair));
}

TEST_F(UringFaults, ARefusedSubmissionFailsTheAwaitingTask) {
    choose_uring();
    SocketPair pair;
    auto body = [](const SocketPair& pair) -> aio::Task<> {
        uring_faults::fail_next(Point::submit, EBADFD);
        // The wait's entry is queued here and refused when the loop enters
        // the kernel to sleep: the op fails, the task is woken with the error.
        int failed = co_await wait_readable(pair.fd[0]);
        EXPECT_EQ(failed, EBADFD);
        pair.send_byte();
        int ok = co_await wait_readable(pair.fd[0]);
        EXPECT_EQ(ok, 0);
        co_await aio::sleep(1ms);  // timers and the wake-up poll still work
    };
    aio::run(body(pair));
}

TEST_F(UringFaults, AFullQueueThatCannotBeHandedOverFailsEveryOpInIt) {
    // 300 waits started in one loop iteration overflow the 256 submission
    // slots; handing the full queue to the kernel fails. Every wait whose
    // entry was in it, and the one that needed a slot, get the OSError; the
    // waits started after it are submitted and end normally.
    choose_uring();
    SocketPair pair;
    constexpr int kWaits = 300;
    auto body = [](const SocketPair& pair) -> aio::Task<std::vector<int>> {
        uring_faults::fail_next(Point::submit, ENOMEM);
        std::vector<aio::Task<int>> waits;
        for (int i = 0; i < kWaits; ++i) waits.push_back(aio::create_task(wait_readable(pair.fd[0])));
        co_await aio::sleep(0s);  // every wait has been submitted (or has failed)
        pair.send_byte();
        auto results = co_await aio::gather(std::move(waits));
        co_return results;
    };
    std::vector<int> results = aio::run(body(pair));
    ASSERT_EQ(results.size(), static_cast<std::size_t>(kWaits));
    int failed = 0, ok = 0;
    for (int r : results) {
        if (r == ENOMEM) {
            ++failed;
        } else if (r == 0) {
            ++ok;
        } else {
            ADD_FAILURE() << "unexpected errno " << r;
        }
    }
    EXPECT_GE(failed, 200);  // the queue's worth (less what the loop had queued itself)
    EXPECT_GE(ok, 1);
    EXPECT_EQ(failed + ok, kWaits);
}

TEST_F(UringFaults, ARingRefusedWithNoOpToBlameStopsTheLoopWithAnOSError) {
    // Nothing of a task's is queued when the loop enters the kernel to sleep
    // (a timer): the ring itself is unusable, and run() ends with the error.
    choose_uring();
    auto body = []() -> aio::Task<> {
        uring_faults::fail_next(Point::submit, EBADFD);
        co_await aio::sleep(10ms);
    };
    int err = 0;
    try {
        aio::run(body());
        ADD_FAILURE() << "run() returned";
    } catch (const aio::OSError& e) {
        err = e.errno_code();
    }
    EXPECT_EQ(err, EBADFD);
}
