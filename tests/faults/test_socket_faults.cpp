// aio::Socket (loop.sock_*) against hostile peers, on io_uring and on epoll.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "../../src/loop/io_backend.hpp"
#include "support/raises.hpp"
#include "support/support.hpp"

using namespace std::chrono_literals;

namespace {

class SocketFaults : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ::setenv("AIO_IO_BACKEND", GetParam().c_str(), 1);
        try {
            (void)aio::detail::make_backend();
        } catch (const std::exception& e) {
            ::unsetenv("AIO_IO_BACKEND");
            GTEST_SKIP() << "no " << GetParam() << " here: " << e.what();
        }
        fds_ = aio::test::count_open_fds();
    }
    void TearDown() override {
        ::unsetenv("AIO_IO_BACKEND");
        EXPECT_EQ(aio::test::count_open_fds(), fds_);
    }
    int fds_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, SocketFaults, ::testing::Values("uring", "epoll"),
                         [](const auto& info) { return info.param; });

struct Pair {
    aio::Socket a, b;
};
Pair stream_pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) throw std::runtime_error("socketpair");
    return Pair{aio::Socket::adopt(sv[0]), aio::Socket::adopt(sv[1])};
}

/// A connected TCP pair over loopback (listener closed).
aio::Task<Pair> tcp_pair() {
    aio::Socket l(AF_INET, SOCK_STREAM);
    l.bind(aio::SocketAddress::ip("127.0.0.1", 0));
    l.listen(4);
    auto addr = l.getsockname();
    aio::Socket c(AF_INET, SOCK_STREAM);
    auto conn = aio::create_task(c.connect(addr));
    auto accepted = co_await l.accept();
    co_await conn;
    co_return Pair{std::move(c), std::move(accepted.first)};
}

void reset_close(aio::Socket& s) {
    linger lg{1, 0};
    ::setsockopt(s.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    s.close();
}

}  // namespace

TEST_P(SocketFaults, OperationsOnAClosedSocketAreOSErrorEBADF) {
    aio::run([]() -> aio::Task<> {
        Pair p = stream_pair();
        p.a.close();
        char buf[16];
        for (int op = 0; op < 6; ++op) {
            int code = -1;
            try {
                switch (op) {
                    case 0: co_await p.a.recv(buf, sizeof buf); break;
                    case 1: co_await p.a.sendall("x"); break;
                    case 2: co_await p.a.wait_ready(true); break;
                    case 3: co_await p.a.wait_ready(false); break;
                    case 4: co_await aio::detail::send_some(p.a.fd(), "x", 1); break;
                    case 5: co_await p.a.recvfrom(10); break;
                }
                ADD_FAILURE() << "operation " << op << " did not throw";
            } catch (const aio::OSError& e) {
                code = e.errno_code();
            }
            EXPECT_EQ(code, EBADF) << "operation " << op;
        }
    }());
}

TEST_P(SocketFaults, PeerResetMidTransfer) {
    aio::run([]() -> aio::Task<> {
        Pair p = co_await tcp_pair();
        std::string big(1 << 20, 'x');
        co_await p.b.sendall(big);
        reset_close(p.b);
        std::string got(1 << 16, '\0');
        bool reset = false;
        try {
            for (int i = 0; i < 100; ++i) {
                std::size_t n = co_await p.a.recv(got.data(), got.size());
                if (n == 0) break;
            }
        } catch (const aio::ConnectionResetError&) {
            reset = true;
        }
        EXPECT_TRUE(reset);
        bool send_failed = false;
        try {
            std::string more(1 << 22, 'y');
            co_await p.a.sendall(more);
        } catch (const aio::ConnectionError&) {
            send_failed = true;
        } catch (const aio::OSError& e) {
            ADD_FAILURE() << e.what();
        }
        EXPECT_TRUE(send_failed);
    }());
}

TEST_P(SocketFaults, SendallToAStalledPeerTimesOut) {
    aio::run([]() -> aio::Task<> {
        Pair p = co_await tcp_pair();
        std::string big(64 << 20, 'x');
        auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::wait_for(p.a.sendall(big), 200ms));
        EXPECT_TRUE(raised.has_value());
        // The socket stays usable: once the peer drains what was sent, a new sendall goes through.
        auto drain = aio::create_task([](aio::Socket& s) -> aio::Task<std::size_t> {
            std::string buf(1 << 20, '\0');
            std::size_t total = 0;
            while (true) {
                std::size_t n = co_await s.recv(buf.data(), buf.size());
                if (n == 0) break;
                total += n;
            }
            co_return total;
        }(p.b));
        co_await aio::wait_for(p.a.sendall("end"), 5s);
        p.a.shutdown_write();
        std::size_t total = co_await aio::wait_for(std::move(drain), 5s);
        EXPECT_GT(total, 3u);
    }());
}

TEST_P(SocketFaults, HalfClose) {
    aio::run([]() -> aio::Task<> {
        Pair p = co_await tcp_pair();
        p.b.shutdown_write();
        char buf[16];
        std::size_t n = co_await p.a.recv(buf, sizeof buf);
        EXPECT_EQ(n, 0u);
        n = co_await p.a.recv(buf, sizeof buf);
        EXPECT_EQ(n, 0u);
        co_await p.a.sendall("hello");
        n = co_await p.b.recv(buf, sizeof buf);
        EXPECT_EQ(n, 5u);
    }());
}

TEST_P(SocketFaults, RecvZeroAndSendallEmpty) {
    aio::run([]() -> aio::Task<> {
        Pair p = co_await tcp_pair();
        char buf[16];
        std::size_t n = co_await aio::wait_for(p.a.recv(buf, 0), 1s);
        EXPECT_EQ(n, 0u);
        co_await aio::wait_for(p.a.sendall(""), 1s);
        co_await aio::wait_for(p.a.sendall(std::string_view()), 1s);
        std::string huge(64 << 20, '\0');
        co_await p.b.sendall("abc");
        n = co_await p.a.recv(huge.data(), huge.size());
        EXPECT_EQ(n, 3u);
    }());
}

TEST_P(SocketFaults, TwoConcurrentRecvs) {
    aio::run([]() -> aio::Task<> {
        Pair p = co_await tcp_pair();
        char b1[4], b2[4];
        auto r1 = aio::create_task(p.a.recv(b1, 4));
        auto r2 = aio::create_task(p.a.recv(b2, 4));
        co_await aio::sleep(10ms);
        co_await p.b.sendall("abcdefgh");
        auto n1 = co_await aio::wait_for(std::move(r1), 1s);
        auto n2 = co_await aio::wait_for(std::move(r2), 1s);
        // Both complete (which one gets the first bytes is the backend's
        // order); no byte is lost or read twice.
        EXPECT_EQ(n1 + n2, 8u);
        std::string got = std::string(b1, n1) + std::string(b2, n2);
        EXPECT_TRUE(got == "abcdefgh" || got == "efghabcd") << got;
    }());
}

TEST_P(SocketFaults, ConnectRefusedAndBlackhole) {
    aio::run([]() -> aio::Task<> {
        aio::Socket l(AF_INET, SOCK_STREAM);
        l.bind(aio::SocketAddress::ip("127.0.0.1", 0));
        auto addr = l.getsockname();
        l.close();
        aio::Socket c(AF_INET, SOCK_STREAM);
        auto raised = co_await aio::test::raises<aio::ConnectionRefusedError>(c.connect(addr));
        EXPECT_TRUE(raised.has_value());
        // A listener whose backlog is full drops SYNs: the connect hangs.
        aio::Socket full(AF_INET, SOCK_STREAM);
        full.bind(aio::SocketAddress::ip("127.0.0.1", 0));
        full.listen(0);
        auto faddr = full.getsockname();
        std::vector<aio::Socket> fillers;
        bool hung = false;
        for (int i = 0; i < 8 && !hung; ++i) {
            aio::Socket s(AF_INET, SOCK_STREAM);
            try {
                co_await aio::wait_for(s.connect(faddr), 300ms);
                fillers.push_back(std::move(s));
            } catch (const aio::TimeoutError&) {
                hung = true;
            }
        }
        EXPECT_TRUE(hung);
    }());
}

TEST_P(SocketFaults, AConnectThatMustWaitCompletesWhenTheListenerMakesRoom) {
    // A connect over loopback is usually finished when connect(2) returns,
    // and goes on at once; one whose SYN a full backlog dropped waits for
    // writability, and completes when the listener accepts and the kernel
    // sends the SYN again (about a second later).
    aio::run([]() -> aio::Task<> {
        aio::Socket full(AF_INET, SOCK_STREAM);
        full.bind(aio::SocketAddress::ip("127.0.0.1", 0));
        full.listen(0);
        auto addr = full.getsockname();
        // Held by pointer: a connect in progress refers to its socket.
        std::vector<std::unique_ptr<aio::Socket>> sockets;
        std::optional<aio::Task<>> pending;
        for (int i = 0; i < 8 && !pending; ++i) {
            sockets.push_back(std::make_unique<aio::Socket>(AF_INET, SOCK_STREAM));
            std::vector<aio::Task<>> one;
            one.push_back(aio::create_task(sockets.back()->connect(addr)));
            auto r = co_await aio::wait(std::move(one), aio::ALL_COMPLETED, 300ms);
            if (r.pending.empty())
                co_await std::move(r.done.front());  // connected (its error, if any, fails the test)
            else
                pending.emplace(std::move(r.pending.front()));
        }
        EXPECT_TRUE(pending.has_value());
        if (!pending) co_return;
        auto first = co_await full.accept();  // room for the next SYN
        co_await aio::wait_for(std::move(*pending), 10s);
        std::uint16_t waiting_port = sockets.back()->getsockname().port();
        // The backlog held the earlier ones: the waiting socket is among those accepted next.
        bool seen = false;
        for (std::size_t i = 1; i < sockets.size() && !seen; ++i) {
            auto next = co_await aio::wait_for(full.accept(), 10s);
            seen = next.second.port() == waiting_port;
        }
        EXPECT_TRUE(seen);
        (void)first;
    }());
}

namespace {

/// An abstract Unix listener (on a name of this process's own: tests in
/// parallel never share one) with a backlog of none, filled with plain
/// non-blocking connects (`queued`) until the kernel refuses one room.
/// `filled` is false (a test failure) when it never does.
struct FullUnixBacklog {
    explicit FullUnixBacklog(const char* what)
        : addr(aio::SocketAddress::unix_path(std::string(1, '\0') + what + "-" + std::to_string(::getpid()))) {
        listener.bind(addr);
        listener.listen(0);
        for (int i = 0; i < 16 && !filled; ++i) {
            auto s = std::make_unique<aio::Socket>(AF_UNIX, SOCK_STREAM);
            filled = ::connect(s->fd(), addr.data(), addr.size()) != 0 && errno == EAGAIN;
            if (!filled) queued.push_back(std::move(s));
        }
        EXPECT_TRUE(filled) << "the kernel kept room for 16 connects";
    }
    aio::SocketAddress addr;
    aio::Socket listener{AF_UNIX, SOCK_STREAM};
    std::vector<std::unique_ptr<aio::Socket>> queued;
    bool filled = false;
};

/// `s.connect(full.addr)` as a task, still waiting after `grace`; none (and
/// a test failure) when it finished, as it must not while the backlog has
/// no room.
aio::Task<std::optional<aio::Task<>>> connect_that_waits(aio::Socket& s, FullUnixBacklog& full,
                                                          std::chrono::milliseconds grace) {
    std::vector<aio::Task<>> one;
    one.push_back(aio::create_task(s.connect(full.addr)));
    auto r = co_await aio::wait(std::move(one), aio::ALL_COMPLETED, grace);
    EXPECT_EQ(r.pending.size(), 1u) << "the connect finished while the backlog had no room";
    if (r.pending.empty()) co_return std::nullopt;
    co_return std::move(r.pending.front());
}

}  // namespace

TEST_P(SocketFaults, AUnixConnectToAFullBacklogWaitsForRoomInsteadOfPassingUnconnected) {
    // connect(2) on a Unix socket whose listener's backlog is full fails with
    // EAGAIN and leaves the socket unconnected, yet writable with SO_ERROR 0:
    // a connect that took that for success handed back a socket whose first
    // send failed with ENOTCONN. It must wait until the listener accepts.
    aio::run([]() -> aio::Task<> {
        FullUnixBacklog full("aio-full-backlog");
        if (!full.filled) co_return;
        aio::Socket waiting(AF_UNIX, SOCK_STREAM);
        std::optional<aio::Task<>> pending = co_await connect_that_waits(waiting, full, 100ms);
        if (!pending) co_return;
        // Room for one: every accept takes one queued connect, the waiting one among them last.
        std::vector<aio::Socket> accepted;  // open: the waiting socket's peer among them
        for (std::size_t i = 0; i <= full.queued.size(); ++i) {
            auto next = co_await aio::wait_for(full.listener.accept(), 10s);
            accepted.push_back(std::move(next.first));
            if (i == 0) co_await aio::wait_for(std::move(*pending), 10s);
        }
        EXPECT_NO_THROW((void)waiting.getpeername());
        co_await aio::wait_for(waiting.sendall("x"), 10s);
    }());
}

TEST_P(SocketFaults, AUnixConnectWaitingForRoomFailsWhenTheListenerCloses) {
    // A connect waiting for room in a full backlog tries again now and then;
    // once the listener is gone the name leads nowhere, and the connect
    // must end with ConnectionRefusedError instead of waiting for ever.
    aio::run([]() -> aio::Task<> {
        FullUnixBacklog full("aio-backlog-closes");
        if (!full.filled) co_return;
        aio::Socket waiting(AF_UNIX, SOCK_STREAM);
        std::optional<aio::Task<>> pending = co_await connect_that_waits(waiting, full, 50ms);
        if (!pending) co_return;
        full.listener.close();
        auto raised = co_await aio::test::raises<aio::ConnectionRefusedError>(aio::wait_for(std::move(*pending), 10s));
        EXPECT_TRUE(raised.has_value());
    }());
}

TEST_P(SocketFaults, AUnixConnectWaitingForRoomCanBeCancelled) {
    // A connect between its tries is a sleep: a timeout around it ends it at
    // once, and the socket can be closed and its descriptor comes back.
    aio::run([]() -> aio::Task<> {
        FullUnixBacklog full("aio-backlog-cancel");
        if (!full.filled) co_return;
        aio::Socket waiting(AF_UNIX, SOCK_STREAM);
        auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::wait_for(waiting.connect(full.addr), 30ms));
        EXPECT_TRUE(raised.has_value());
        waiting.close();
    }());
}

TEST_P(SocketFaults, AcceptCancelled) {
    aio::run([]() -> aio::Task<> {
        aio::Socket l(AF_INET, SOCK_STREAM);
        l.bind(aio::SocketAddress::ip("127.0.0.1", 0));
        l.listen(4);
        auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::wait_for(l.accept(), 50ms));
        EXPECT_TRUE(raised.has_value());
        aio::Socket c(AF_INET, SOCK_STREAM);
        auto conn = aio::create_task(c.connect(l.getsockname()));
        auto acc = co_await aio::wait_for(l.accept(), 2s);
        co_await conn;
        EXPECT_TRUE(static_cast<bool>(acc.first));
    }());
}

TEST_P(SocketFaults, ClosedWhileRecvWaits) {
    aio::run([]() -> aio::Task<> {
        Pair p = co_await tcp_pair();
        char buf[4];
        auto r = aio::create_task(p.a.recv(buf, 4));
        co_await aio::sleep(10ms);
        p.a.close();
        auto raised = co_await aio::test::raises<aio::OSError>(aio::wait_for(std::move(r), 2s));
        EXPECT_TRUE(raised.has_value());
    }());
}
