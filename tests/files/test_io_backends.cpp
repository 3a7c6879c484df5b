// aio-test-labels: sync
// The I/O backends below the loop (src/loop/io_backend.hpp), driven directly:
// every IoOp kind on io_uring and on epoll — sockets (poll, recv/send,
// recvfrom/sendto, accept, connect), files, cancel, forget_fd, abandon and
// wake — with the one contract both keep. An internal interface: the test
// reaches it through make_backend(), which AIO_IO_BACKEND steers.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "../../src/loop/io_backend.hpp"
#include "support/support.hpp"

using aio::detail::IoBackend;
using aio::detail::IoOp;

namespace {

/// An op with a completion flag (the IoOp first, so complete can find it).
struct Op {
    IoOp io;
    bool completed = false;
    Op() {
        io.complete = [](IoOp* p) noexcept { reinterpret_cast<Op*>(p)->completed = true; };
    }
};

class Backend : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ::setenv("AIO_IO_BACKEND", GetParam().c_str(), 1);
        try {
            backend_ = aio::detail::make_backend();
        } catch (const std::exception& e) {
            ::unsetenv("AIO_IO_BACKEND");
            GTEST_SKIP() << "no " << GetParam() << " here: " << e.what();
        }
        ::unsetenv("AIO_IO_BACKEND");
        fds_before_ = aio::test::count_open_fds();
    }
    void TearDown() override {
        if (backend_) {
            EXPECT_EQ(aio::test::count_open_fds(), fds_before_);
        }
    }

    /// Submits; true if it finished at once (then `completed` is set here too).
    bool submit(Op& op) {
        bool now = backend_->submit(op.io);
        if (now) op.completed = true;
        return now;
    }
    /// Waits (up to 5 s) until op completed.
    void wait_for(Op& op) {
        for (int i = 0; i < 500 && !op.completed; ++i) backend_->wait(10'000'000);
        EXPECT_TRUE(op.completed);
    }
    bool uring() const { return GetParam() == "uring"; }

    std::unique_ptr<IoBackend> backend_;
    int fds_before_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, Backend, ::testing::Values("uring", "epoll"),
                         [](const auto& info) { return info.param; });

}  // namespace

TEST_P(Backend, NameAndSupport) {
    EXPECT_STREQ(backend_->name(), uring() ? "io_uring" : "epoll");
    EXPECT_TRUE(backend_->supports(IoOp::Kind::Recv));
    EXPECT_TRUE(backend_->supports(IoOp::Kind::Connect));
    EXPECT_EQ(backend_->supports(IoOp::Kind::Read), uring());
    EXPECT_EQ(backend_->supports(IoOp::Kind::Openat), uring());
    EXPECT_EQ(backend_->supports(IoOp::Kind::Renameat), uring());
    EXPECT_EQ(backend_->pending_ops(), 0u);
}

TEST_P(Backend, PollInWaitsForData) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    Op poll;
    poll.io.kind = IoOp::Kind::PollIn;
    poll.io.fd = p[0];
    if (!submit(poll)) {
        backend_->wait(0);
        EXPECT_FALSE(poll.completed);
        EXPECT_EQ(backend_->pending_ops(), 1u);
        ASSERT_EQ(::write(p[1], "x", 1), 1);
        wait_for(poll);
    }
    EXPECT_EQ(poll.io.result, 0);
    backend_->forget_fd(p[0]);
    ::close(p[0]);
    ::close(p[1]);
}

TEST_P(Backend, RecvAndSendOnASocketPair) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    char in[16] = {};
    Op recv;
    recv.io.kind = IoOp::Kind::Recv;
    recv.io.fd = sv[0];
    recv.io.buf = in;
    recv.io.len = sizeof in;
    submit(recv);
    EXPECT_FALSE(recv.completed);  // nothing sent yet: it waits (EAGAIN never surfaces)
    char out[] = "hello";
    Op send;
    send.io.kind = IoOp::Kind::Send;
    send.io.fd = sv[1];
    send.io.buf = out;
    send.io.len = 5;
    submit(send);
    wait_for(send);
    wait_for(recv);
    EXPECT_EQ(send.io.result, 5);
    EXPECT_EQ(recv.io.result, 5);
    EXPECT_EQ(std::string(in, 5), "hello");
    backend_->forget_fd(sv[0]);
    backend_->forget_fd(sv[1]);
    ::close(sv[0]);
    ::close(sv[1]);
}

TEST_P(Backend, AcceptAndConnectOnLoopback) {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 8), 0);
    socklen_t alen = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &alen);

    sockaddr_in peer{};
    socklen_t peer_len = sizeof peer;
    Op accept;
    accept.io.kind = IoOp::Kind::Accept;
    accept.io.fd = listener;
    accept.io.addr = reinterpret_cast<sockaddr*>(&peer);
    accept.io.addrlen = &peer_len;
    submit(accept);

    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t connect_len = sizeof addr;
    Op connect;
    connect.io.kind = IoOp::Kind::Connect;  // the backend issues the connect itself
    connect.io.fd = client;
    connect.io.addr = reinterpret_cast<sockaddr*>(&addr);
    connect.io.addrlen = &connect_len;
    submit(connect);
    wait_for(connect);
    wait_for(accept);
    EXPECT_EQ(connect.io.result, 0);
    ASSERT_GE(accept.io.result, 0);
    EXPECT_EQ(peer.sin_family, AF_INET);
    int flags = ::fcntl(accept.io.result, F_GETFL);
    EXPECT_TRUE(flags & O_NONBLOCK);
    ::close(accept.io.result);

    // A refused connect reports -ECONNREFUSED.
    backend_->forget_fd(listener);
    ::close(listener);
    int late = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    Op refused;
    refused.io.kind = IoOp::Kind::Connect;
    refused.io.fd = late;
    refused.io.addr = reinterpret_cast<sockaddr*>(&addr);
    refused.io.addrlen = &connect_len;
    submit(refused);
    wait_for(refused);
    EXPECT_EQ(refused.io.result, -ECONNREFUSED);
    backend_->forget_fd(client);
    backend_->forget_fd(late);
    ::close(client);
    ::close(late);
}

TEST_P(Backend, RecvFromAndSendToCarryAddresses) {
    int a = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int b = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(a, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t alen = sizeof addr;
    ::getsockname(a, reinterpret_cast<sockaddr*>(&addr), &alen);

    char in[32] = {};
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    Op rf;
    rf.io.kind = IoOp::Kind::RecvFrom;
    rf.io.fd = a;
    rf.io.buf = in;
    rf.io.len = sizeof in;
    rf.io.addr = reinterpret_cast<sockaddr*>(&from);
    rf.io.addrlen = &from_len;
    submit(rf);
    char msg[] = "datagram";
    socklen_t to_len = sizeof addr;
    Op st;
    st.io.kind = IoOp::Kind::SendTo;
    st.io.fd = b;
    st.io.buf = msg;
    st.io.len = 8;
    st.io.addr = reinterpret_cast<sockaddr*>(&addr);
    st.io.addrlen = &to_len;
    submit(st);
    wait_for(st);
    wait_for(rf);
    EXPECT_EQ(st.io.result, 8);
    EXPECT_EQ(rf.io.result, 8);
    EXPECT_EQ(std::string(in, 8), "datagram");
    EXPECT_EQ(from_len, sizeof(sockaddr_in));
    EXPECT_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    backend_->forget_fd(a);
    backend_->forget_fd(b);
    ::close(a);
    ::close(b);
}

TEST_P(Backend, CancelForgetFdAndAbandon) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    char buf[8];
    Op cancelled;
    cancelled.io.kind = IoOp::Kind::Recv;
    cancelled.io.fd = sv[0];
    cancelled.io.buf = buf;
    cancelled.io.len = sizeof buf;
    submit(cancelled);
    backend_->wait(0);
    backend_->cancel(cancelled.io);
    wait_for(cancelled);
    EXPECT_EQ(cancelled.io.result, -ECANCELED);

    Op forgotten;
    forgotten.io.kind = IoOp::Kind::PollIn;
    forgotten.io.fd = sv[0];
    backend_->clear_ready(sv[0], true);
    submit(forgotten);
    backend_->wait(0);
    backend_->forget_fd(sv[0]);
    wait_for(forgotten);
    EXPECT_EQ(forgotten.io.result, -ECANCELED);

    {
        Op abandoned;
        abandoned.io.kind = IoOp::Kind::PollIn;
        abandoned.io.fd = sv[0];
        if (submit(abandoned)) {
            // epoll takes a newly registered fd for ready until told otherwise.
            backend_->clear_ready(sv[0], true);
            abandoned.completed = false;
            submit(abandoned);
        }
        backend_->wait(0);
        backend_->abandon(abandoned.io);
        EXPECT_FALSE(abandoned.completed);
    }
    ASSERT_EQ(::write(sv[1], "x", 1), 1);
    backend_->wait(20'000'000);  // nothing may touch the abandoned op now
    EXPECT_EQ(backend_->pending_ops(), 0u);
    ::close(sv[0]);
    ::close(sv[1]);
}

// A receive started on a socket that is then closed, its number reused by a
// new socket with bytes waiting, all before the backend next submits to the
// kernel: the receive must end cancelled, never take the new socket's bytes
// (io_uring resolves a descriptor number when the entry is submitted, so
// forget_fd hands queued entries over before the close).
TEST_P(Backend, AReceiveOnAClosedSocketNeverReadsTheNextSocketWithItsNumber) {
    int a[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, a), 0);
    char in[16] = {};
    Op recv;
    recv.io.kind = IoOp::Kind::Recv;
    recv.io.fd = a[0];
    recv.io.buf = in;
    recv.io.len = sizeof in;
    submit(recv);
    ASSERT_FALSE(recv.completed);
    int number = a[0];
    backend_->forget_fd(a[0]);
    ::close(a[0]);
    ::close(a[1]);
    int b[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, b), 0);
    int reused = b[0] == number ? b[0] : b[1];
    int other = reused == b[0] ? b[1] : b[0];
    ASSERT_EQ(reused, number);  // the lowest free numbers come back
    ASSERT_EQ(::send(other, "hello", 5, MSG_NOSIGNAL), 5);
    wait_for(recv);
    // Cancelled, or (io_uring) the end of the old socket, whose peer closed
    // before the cancel reached the kernel: never the new socket's 5 bytes.
    EXPECT_TRUE(recv.io.result == -ECANCELED || recv.io.result == 0) << recv.io.result;
    EXPECT_EQ(std::string(in), "");
    char got[16] = {};
    EXPECT_EQ(::recv(reused, got, sizeof got, 0), 5);  // the bytes stayed with the new socket
    EXPECT_EQ(std::string(got), "hello");
    ::close(b[0]);
    ::close(b[1]);
}

TEST_P(Backend, WakeInterruptsAWaitFromAnotherThread) {
    auto t0 = std::chrono::steady_clock::now();
    std::thread waker([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        backend_->wake();
    });
    backend_->wait(-1);
    waker.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    backend_->wake();
    backend_->wait(-1);  // a wake before the wait is not lost
}

TEST_P(Backend, FileKindsOpenStatReadWriteRenameLinkAndRemove) {
    char tmpl[] = "/tmp/aio-backend-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    std::string dir = tmpl, file = dir + "/f", moved = dir + "/g", sub = dir + "/sub", sym = dir + "/sym",
                hard = dir + "/hard";
    auto run = [&](IoOp io) {
        Op op;
        io.complete = op.io.complete;
        op.io = io;
        if (!submit(op)) wait_for(op);
        return op.io.result;
    };
    IoOp open;
    open.kind = IoOp::Kind::Openat;
    open.fd = AT_FDCWD;
    open.path = file.c_str();
    open.flags = O_RDWR | O_CREAT | O_CLOEXEC;
    open.mode = 0640;
    int fd = run(open);
    ASSERT_GE(fd, 0);
    char data[] = "file data";
    IoOp write;
    write.kind = IoOp::Kind::Write;
    write.fd = fd;
    write.buf = data;
    write.len = 9;
    write.offset = 0;
    EXPECT_EQ(run(write), 9);
    IoOp sync;
    sync.kind = IoOp::Kind::Fsync;
    sync.fd = fd;
    sync.flags = IoOp::kFsyncDatasync;
    EXPECT_EQ(run(sync), 0);
    char back[16] = {};
    IoOp read;
    read.kind = IoOp::Kind::Read;
    read.fd = fd;
    read.buf = back;
    read.len = sizeof back;
    read.offset = 5;
    EXPECT_EQ(run(read), 4);
    EXPECT_EQ(std::string(back, 4), "data");
    struct statx sx {};
    IoOp st;
    st.kind = IoOp::Kind::Statx;
    st.fd = fd;
    st.path = "";
    st.flags = AT_EMPTY_PATH;
    st.mode = STATX_SIZE | STATX_MODE;
    st.buf = &sx;
    EXPECT_EQ(run(st), 0);
    EXPECT_EQ(sx.stx_size, 9u);
    IoOp close;
    close.kind = IoOp::Kind::Close;
    close.fd = fd;
    EXPECT_EQ(run(close), 0);
    IoOp rename;
    rename.kind = IoOp::Kind::Renameat;
    rename.fd = AT_FDCWD;
    rename.path = file.c_str();
    rename.path2 = moved.c_str();
    EXPECT_EQ(run(rename), 0);
    EXPECT_EQ(run(rename), -ENOENT);
    IoOp mkdir;
    mkdir.kind = IoOp::Kind::Mkdirat;
    mkdir.fd = AT_FDCWD;
    mkdir.path = sub.c_str();
    mkdir.mode = 0700;
    EXPECT_EQ(run(mkdir), 0);
    EXPECT_EQ(run(mkdir), -EEXIST);
    IoOp symlink;
    symlink.kind = IoOp::Kind::Symlinkat;
    symlink.path = "g";
    symlink.path2 = sym.c_str();
    EXPECT_EQ(run(symlink), 0);
    IoOp link;
    link.kind = IoOp::Kind::Linkat;
    link.fd = AT_FDCWD;
    link.path = moved.c_str();
    link.path2 = hard.c_str();
    EXPECT_EQ(run(link), 0);
    for (const std::string* p : {&moved, &sym, &hard}) {
        IoOp unlink;
        unlink.kind = IoOp::Kind::Unlinkat;
        unlink.fd = AT_FDCWD;
        unlink.path = p->c_str();
        EXPECT_EQ(run(unlink), 0);
    }
    IoOp rmdir;
    rmdir.kind = IoOp::Kind::Unlinkat;
    rmdir.fd = AT_FDCWD;
    rmdir.path = sub.c_str();
    rmdir.flags = AT_REMOVEDIR;
    EXPECT_EQ(run(rmdir), 0);
    EXPECT_EQ(::rmdir(dir.c_str()), 0);
}

TEST(MakeBackend, DefaultAndUnknownChoices) {
    ::unsetenv("AIO_IO_BACKEND");
    auto def = aio::detail::make_backend();  // io_uring where the kernel allows it
    EXPECT_TRUE(std::string(def->name()) == "io_uring" || std::string(def->name()) == "epoll");
    ::setenv("AIO_IO_BACKEND", "threads", 1);
    auto threads = aio::detail::make_backend();
    EXPECT_STREQ(threads->name(), "epoll");
    EXPECT_FALSE(threads->supports(IoOp::Kind::Read));
    ::setenv("AIO_IO_BACKEND", "bogus", 1);
    auto fallback = aio::detail::make_backend();  // reported on stderr, then the default
    EXPECT_NE(fallback, nullptr);
    ::unsetenv("AIO_IO_BACKEND");
}
