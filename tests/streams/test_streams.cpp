// Streams over TCP and Unix sockets: aio against itself, against Python's
// asyncio streams and against socat; faults and limits; no descriptor leaks.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <any>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "faults/sigpipe_recorder.hpp"
#include "streams/connection.hpp"
#include "support/support.hpp"
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {

/// An aio echo server on 127.0.0.1 (port chosen by the kernel).
aio::Task<aio::Server> echo_server() {
    auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
        while (true) {
            std::string data = co_await r.read(65536);
            if (data.empty()) break;
            w.write(data);
            co_await w.drain();
        }
        w.close();
        co_await w.wait_closed();
    };
    co_return co_await aio::start_server(handler, "127.0.0.1", 0);
}

std::uint16_t port_of(const aio::Server& s) { return s.sockets().at(0).getsockname().port(); }

}  // namespace

TEST(Streams, EchoRoundTripWithEveryReadForm) {
    int fds_before = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        w.write("hello\nworld\n");
        w.writelines({"abc", "defXYZ", "tail"});
        co_await w.drain();
        auto line = co_await r.readline();
        EXPECT_EQ(line, "hello\n");
        auto chunk = co_await r.readuntil("\n");
        EXPECT_EQ(chunk, "world\n");
        auto exact = co_await r.readexactly(3);
        EXPECT_EQ(exact, "abc");
        auto chunk2 = co_await r.readuntil("XYZ");
        EXPECT_EQ(chunk2, "defXYZ");
        w.write_eof();
        auto data = co_await r.read();
        EXPECT_EQ(data, "tail");  // to EOF
        EXPECT_TRUE(r.at_eof());
        auto data2 = co_await r.read(10);
        EXPECT_EQ(data2, "");
        EXPECT_EQ(w.peername().port(), port_of(server));
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

// abort() closes at once with data still buffered for a peer that reads
// nothing (close() would wait for it): the socket is gone, the peer sees
// the connection end, and wait_closed() returns.
TEST(Streams, AbortDropsWhatIsBufferedAndClosesNow) {
    int fds_before = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::Event done;
        std::size_t peer_got = 0;
        // The peer reads nothing until the writer has aborted.
        auto handler = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            co_await done.wait();
            while (true) {
                std::string data;
                try {
                    data = co_await r.read(1 << 20);
                } catch (const aio::ConnectionResetError&) {
                    break;
                }
                if (data.empty()) break;
                peer_got += data.size();
            }
            w.close();
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        w.write(std::string(64 << 20, 'a'));  // far more than the kernel takes
        EXPECT_GT(w.buffer_size(), 0u);
        w.abort();
        EXPECT_TRUE(w.is_closing());
        co_await w.wait_closed();
        done.set();
        co_await aio::sleep(std::chrono::milliseconds(200));
        EXPECT_LT(peer_got, std::size_t(64) << 20);  // the buffered rest was dropped
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST(Streams, AServerAssignedOverIsClosed) {
    aio::run([]() -> aio::Task<> {
        aio::Server a = co_await echo_server();
        aio::Server b = co_await echo_server();
        std::uint16_t old_port = port_of(a), new_port = port_of(b);
        a = std::move(b);  // the server `a` held stops listening, as if destroyed
        EXPECT_EQ(port_of(a), new_port);
        bool refused = false;
        try {
            auto conn = co_await aio::open_connection("127.0.0.1", old_port);
            conn.second.close();
        } catch (const aio::ConnectionRefusedError&) {
            refused = true;
        }
        EXPECT_TRUE(refused) << "the replaced server still accepts on port " << old_port;
        auto [r, w] = co_await aio::open_connection("127.0.0.1", new_port);
        w.write("ping");
        std::string echoed = co_await r.readexactly(4);
        EXPECT_EQ(echoed, "ping");
        w.close();
        a.close();
        co_await a.wait_closed();
    }());
}

TEST(Streams, LargeTransfersKeepOrder) {
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::string big(8 * 1024 * 1024, '\0');
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
        auto reader = [&]() -> aio::Task<std::string> { co_return co_await r.readexactly(big.size()); };
        auto got = aio::create_task(reader());
        w.write(big);
        co_await w.drain();
        std::string received = co_await got;
        EXPECT_TRUE(received == big);  // not EXPECT_EQ: 8 MiB would be printed on failure
        server.close();
    }());
}

// read(n) of all a well-filled buffer hands its storage over (no copy) and
// the next read fills new storage; read() to EOF takes the rest: every byte
// comes out once and in order, whatever the mix.
TEST(Streams, LargeTransfersReadInPiecesKeepOrder) {
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::string big(8 * 1024 * 1024, '\0');
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
        auto reader = [&]() -> aio::Task<std::string> {
            std::string got;
            for (int turn = 0; got.size() < big.size() - 100'000; ++turn) {
                std::string piece = co_await r.read(turn % 3 == 2 ? 1000 : 1 << 20);
                if (piece.empty()) break;
                got += piece;
            }
            got += co_await r.read();  // to EOF
            co_return got;
        };
        auto got = aio::create_task(reader());
        w.write(big);
        co_await w.drain();
        w.write_eof();
        std::string received = co_await got;
        EXPECT_EQ(received.size(), big.size());
        EXPECT_TRUE(received == big);  // not EXPECT_EQ: 8 MiB would be printed on failure
        server.close();
    }());
}

// readexactly(n) asks the kernel for what it still needs in one read, but
// takes memory as bytes come: a length a peer announced and never sends
// (a terabyte) costs what was sent, not what was promised.
TEST(Streams, IncompleteReadCarriesThePartialBytes) {
    for (std::size_t n : {std::size_t{10}, std::size_t{1} << 40}) {
        aio::run([](std::size_t n) -> aio::Task<> {
            auto server = co_await echo_server();
            auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
            w.write("12345");
            w.write_eof();
            try {
                co_await r.readexactly(n);
                ADD_FAILURE() << n;
            } catch (const aio::IncompleteReadError& e) {
                EXPECT_EQ(e.partial(), "12345");
                EXPECT_EQ(e.expected(), std::optional<std::size_t>(n));
            }
            server.close();
        }(n));
    }
}

TEST(Streams, LimitOverrunAndOverlongLines) {
    aio::StreamReader r(16);
    r.feed_data("0123456789abcdefghij");
    aio::run([&]() -> aio::Task<> {
        try {
            co_await r.readuntil("!");
            ADD_FAILURE();
        } catch (const aio::LimitOverrunError& e) {
            EXPECT_GE(e.consumed(), 16u);
        }
        EXPECT_EQ(r.buffered().size(), 20u);  // the data stays
        r.feed_data("\nok\n");
        {  // expects aio::ValueError; the long line is dropped
            auto raised = co_await aio::test::raises<aio::ValueError>(r.readline());
            EXPECT_TRUE(raised.has_value()) << "r.readline() did not throw aio::ValueError";
        }
        auto line2 = co_await r.readline();
        EXPECT_EQ(line2, "ok\n");
        r.feed_eof();
        auto line3 = co_await r.readline();
        EXPECT_EQ(line3, "");
    }());
}

TEST(Streams, HandFedReaderWakesAWaitingRead) {
    aio::run([]() -> aio::Task<> {
        aio::StreamReader r;
        auto reader = [&]() -> aio::Task<std::string> { co_return co_await r.readexactly(4); };
        auto t = aio::create_task(reader());
        co_await aio::sleep(0s);
        r.feed_data("ab");
        co_await aio::sleep(0s);
        EXPECT_FALSE(t.done());
        r.feed_data("cd");
        auto t_result = co_await t;
        EXPECT_EQ(t_result, "abcd");
    }());
}

TEST(Streams, CancelledReadLosesNoBytes) {
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        auto reader = [&]() -> aio::Task<std::string> { co_return co_await r.readexactly(6); };
        auto t = aio::create_task(reader());
        w.write("abc");
        co_await aio::sleep(20ms);
        t.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "t did not throw aio::CancelledError";
        }
        w.write("def");
        auto exact = co_await r.readexactly(6);
        EXPECT_EQ(exact, "abcdef");
        server.close();
    }());
}

// A read keeps its connection: the reader may be destroyed while the read
// waits (a process pool ends a worker under a call this way), and the read
// still ends on the bytes that arrive. Under the sanitizers this is the test
// that the read never touches the destroyed reader.
TEST(Streams, AReadOutlivesItsReader) {
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::optional<aio::StreamReader> reader(std::move(r));
        auto exact = aio::create_task(reader->readexactly(6));
        w.write("abc");
        co_await aio::sleep(20ms);
        reader.reset();  // the read is suspended in the middle of its bytes
        w.write("def");
        std::string got = co_await exact;
        EXPECT_EQ(got, "abcdef");
        server.close();
    }());
}

// Both halves destroyed while a read waits (the writer's end closes the
// connection): the read ends with what it had, as at EOF.
TEST(Streams, AReadOutlivesBothHalves) {
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::optional<aio::StreamReader> reader(std::move(r));
        std::optional<aio::StreamWriter> writer(std::move(w));
        auto exact = aio::create_task(reader->readexactly(6));
        writer->write("abc");
        co_await aio::sleep(20ms);  // "abc" is buffered; the read waits for 3 more
        reader.reset();
        writer.reset();
        std::optional<std::string> partial;
        try {
            co_await exact;
        } catch (const aio::IncompleteReadError& e) {
            partial = e.partial();
        }
        EXPECT_EQ(partial, std::optional<std::string>("abc")) << "the read did not end at the closed connection";
        server.close();
    }());
}

// readuntil keeps its own copy of the separator: the caller's string may end
// before the read does.
TEST(Streams, ReaduntilKeepsItsSeparator) {
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::optional<aio::Task<std::string>> until;
        {
            std::string separator = "--end--";
            until.emplace(aio::create_task(r.readuntil(separator)));
        }
        co_await aio::sleep(10ms);
        w.write("body--end--rest");
        std::string got = co_await *until;
        EXPECT_EQ(got, "body--end--");
        server.close();
    }());
}

TEST(Streams, SocketRecvCancelledAsBytesArriveLosesNone) {
    // The bytes arrive and the cancellation is asked in the same loop step:
    // either the receive is withdrawn (CancelledError, the bytes stay in the
    // socket) or it already took them (they are returned, and the task's
    // next await raises CancelledError). Never are bytes dropped.
    aio::run([]() -> aio::Task<> {
        for (int round = 0; round < 20; ++round) {
            int sv[2];
            EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
            aio::Socket a = aio::Socket::adopt(sv[0]);
            aio::Socket b = aio::Socket::adopt(sv[1]);
            std::string got;
            bool next_await_cancelled = false;
            auto receiver = [&]() -> aio::Task<> {
                char buf[16];
                std::size_t n = co_await a.recv(buf, sizeof buf);
                got.assign(buf, n);
                try {
                    co_await aio::sleep(0s);
                } catch (const aio::CancelledError&) {
                    next_await_cancelled = true;
                    throw;
                }
            };
            auto t = aio::create_task(receiver());
            co_await aio::sleep(round % 2 == 0 ? 0ms : 1ms);  // the receive is pending
            co_await b.sendall("hello");
            t.cancel();
            bool cancelled = false;
            try {
                co_await t;
            } catch (const aio::CancelledError&) {
                cancelled = true;
            }
            EXPECT_TRUE(cancelled);
            if (!got.empty()) {
                EXPECT_TRUE(next_await_cancelled);
            }
            while (got.size() < 5) {
                char buf[16];
                std::size_t n = co_await a.recv(buf, sizeof buf);
                if (n == 0) break;
                got.append(buf, n);
            }
            EXPECT_EQ(got, "hello");
        }
    }());
}

TEST(Streams, ConnectionRefused) {
    auto port = static_cast<std::uint16_t>(aio::test::free_port());
    aio::run([&]() -> aio::Task<> {
        {  // expects aio::ConnectionRefusedError
            auto raised = co_await aio::test::raises<aio::ConnectionRefusedError>(aio::open_connection("127.0.0.1", port));
            EXPECT_TRUE(raised.has_value()) << "aio::open_connection(\"127.0.0.1\", port) did not throw aio::ConnectionRefusedError";
        }
    }());
}

TEST(Streams, BadServiceIsAGaiError) {
    aio::run([]() -> aio::Task<> {
        {  // expects aio::gaierror
            auto raised = co_await aio::test::raises<aio::gaierror>(aio::getaddrinfo("localhost", "no-such-service"));
            EXPECT_TRUE(raised.has_value()) << "aio::getaddrinfo(\"localhost\", \"no-such-service\") did not throw aio::gaierror";
        }
        auto infos = co_await aio::getaddrinfo("127.0.0.1", "80");
        EXPECT_FALSE(infos.empty());
        EXPECT_EQ(infos[0].address.to_string(), "127.0.0.1:80");
    }());
}

// A Resolver whose ttl is the clock's largest duration (a user's "cache for
// good") keeps its entries; the expiry was now() + ttl unchecked, a signed
// overflow (UBSan) that put it in the past. A ttl of the clock's smallest
// duration caches nothing lasting.
TEST(Streams, AResolverTtlOfTheClocksLimitsNeitherOverflowsNorExpiresEarly) {
    aio::run([]() -> aio::Task<> {
        aio::Resolver forever(std::chrono::steady_clock::duration::max());
        auto first = co_await forever.resolve("localhost", 80);
        auto second = co_await forever.resolve("localhost", 80);
        EXPECT_FALSE(first.empty());
        EXPECT_EQ(second.size(), first.size());
        EXPECT_EQ(forever.size(), 1u);
        aio::Resolver never(std::chrono::steady_clock::duration::min());
        auto once = co_await never.resolve("localhost", 80);
        EXPECT_FALSE(once.empty());
    }());
}

// A host, port or Unix socket path holding a NUL byte reached the C library
// cut at the NUL ("localhost\0.example.com" looked up "localhost"): now
// ValueError, as Python's. An abstract Unix address (a leading NUL) may hold
// NULs and still works.
TEST(Streams, NamesHoldingANulByteAreValueErrors) {
    aio::run([]() -> aio::Task<> {
        const std::string host("localhost\0.example.com", 21);
        auto lookup = co_await aio::test::raises<aio::ValueError>(aio::getaddrinfo(host, "80"));
        EXPECT_EQ(lookup.value_or("no ValueError"), "embedded null byte");
        auto port = co_await aio::test::raises<aio::ValueError>(aio::getaddrinfo("localhost", std::string("80\0" "1", 4)));
        EXPECT_EQ(port.value_or("no ValueError"), "embedded null byte");
        auto connect = co_await aio::test::raises<aio::ValueError>(aio::open_connection(host, 80));
        EXPECT_EQ(connect.value_or("no ValueError"), "embedded null byte");
        auto unix_connect = co_await aio::test::raises<aio::ValueError>(
            aio::open_unix_connection(std::string("/tmp/aio-no-such\0.sock", 23)));
        EXPECT_EQ(unix_connect.value_or("no ValueError"), "embedded null byte");
    }());
    const std::string abstract("\0aio\0abstract", 14);
    EXPECT_EQ(aio::SocketAddress::unix_path(abstract).family(), AF_UNIX);
}

TEST(Streams, BothEndsNameEachOtherAsTheKernelDoes) {
    // A connecting side keeps the address it connected to and a serving side
    // the one accept() gave, instead of asking getpeername(): the names must
    // be the kernel's all the same.
    aio::run([]() -> aio::Task<> {
        for (const char* host : {"127.0.0.1", "::1"}) {
            std::optional<aio::SocketAddress> server_peer, server_local;
            aio::Event seen;
            auto handler = [&](aio::StreamReader, aio::StreamWriter w) -> aio::Task<> {
                server_peer = w.peername();
                server_local = w.sockname();
                seen.set();
                w.close();
                co_return;
            };
            std::optional<aio::Server> server;
            try {
                server.emplace(co_await aio::start_server(handler, host, 0));
            } catch (const aio::OSError&) {
                continue;  // no IPv6 here
            }
            auto [r, w] = co_await aio::open_connection(host, port_of(*server));
            auto served = [&]() -> aio::Task<> { co_await seen.wait(); };
            co_await aio::wait_for(served(), 10s);
            const int fd = std::any_cast<int>(w.get_extra_info("socket"));
            sockaddr_storage peer{}, local{};
            socklen_t plen = sizeof peer, llen = sizeof local;
            EXPECT_EQ(::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen), 0);
            EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen), 0);
            EXPECT_EQ(w.peername().to_string(), aio::SocketAddress(reinterpret_cast<sockaddr*>(&peer), plen).to_string());
            EXPECT_EQ(w.sockname().to_string(), aio::SocketAddress(reinterpret_cast<sockaddr*>(&local), llen).to_string());
            EXPECT_EQ(w.peername().port(), port_of(*server));
            EXPECT_EQ(server_peer->to_string(), w.sockname().to_string());
            EXPECT_EQ(server_local->to_string(), w.peername().to_string());
            w.close();
            co_await w.wait_closed();
            server->close();
            co_await server->wait_closed();
        }
    }());
}

TEST(Streams, HappyEyeballsFallsBackAcrossAddresses) {
    // "localhost" resolves to ::1 and 127.0.0.1; only IPv4 listens, so an
    // attempt on ::1 (if tried first) is refused and 127.0.0.1 must win.
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("localhost", port_of(server));
        w.write("x");
        auto exact = co_await r.readexactly(1);
        EXPECT_EQ(exact, "x");
        server.close();
    }());
}

TEST(Streams, IPv6Loopback) {
    {
        int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        if (fd >= 0) ::close(fd);
        if (!ok) GTEST_SKIP() << "no IPv6 loopback on this machine";
    }
    aio::run([]() -> aio::Task<> {
        auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            w.write(co_await r.readexactly(2));
            co_await w.drain();
        };
        auto server = co_await aio::start_server(handler, "::1", 0);
        auto [r, w] = co_await aio::open_connection("::1", port_of(server));
        w.write("v6");
        auto exact = co_await r.readexactly(2);
        EXPECT_EQ(exact, "v6");
        EXPECT_EQ(w.peername().family(), AF_INET6);
        server.close();
    }());
}

TEST(Streams, PeerResetMidReadIsAConnectionResetError) {
    aio::run([]() -> aio::Task<> {
        auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            co_await r.readexactly(2);  // the client is connected and reading
            linger l{1, 0};             // close with RST
            ::setsockopt(std::any_cast<int>(w.get_extra_info("socket")), SOL_SOCKET, SO_LINGER, &l, sizeof l);
            w.write("partial");
            co_await w.drain();
            w.close();
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        w.write("go");
        co_await aio::sleep(20ms);
        bool reset = false;
        try {
            std::string got = co_await r.readexactly(100);
        } catch (const aio::ConnectionResetError&) {
            reset = true;
        } catch (const aio::IncompleteReadError&) {
            reset = true;  // the data may arrive before the RST is seen
        }
        EXPECT_TRUE(reset);
        server.close();
    }());
}

// The peer resets the connection; the writer keeps writing. Socket writes
// use MSG_NOSIGNAL: the error is typed at drain() and no SIGPIPE is raised
// (a recording handler replaces whatever disposition the loop chose).
TEST(Streams, WritingToAResetPeerIsATypedErrorNotSigpipe) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    std::string error;
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            co_await r.readexactly(2);
            linger l{1, 0};  // close with RST
            ::setsockopt(std::any_cast<int>(w.get_extra_info("socket")), SOL_SOCKET, SO_LINGER, &l, sizeof l);
            w.close();
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        w.write("go");
        co_await w.drain();
        std::string chunk(64 * 1024, 'x');
        try {
            for (int i = 0; i < 1000; ++i) {
                w.write(chunk);
                co_await w.drain();
                if (i % 8 == 0) co_await aio::sleep(1ms);  // the RST arrives
            }
        } catch (const aio::BrokenPipeError& e) {
            error = std::string("BrokenPipeError: ") + e.what();
        } catch (const aio::ConnectionResetError& e) {
            error = std::string("ConnectionResetError: ") + e.what();
        }
        // Afterwards write() takes bytes silently (the stream is closed for
        // the error, as asyncio's transport after connection_lost) and
        // drain() raises the error again.
        try {
            w.write("more");
        } catch (const std::exception& e) {
            ADD_FAILURE() << "write() after the failure threw: " << e.what();
        }
        bool drain_raised = false;
        try {
            co_await w.drain();
        } catch (const aio::OSError&) {
            drain_raised = true;
        }
        EXPECT_TRUE(drain_raised);
        signals = sigpipe.deliveries();
        w.close();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_FALSE(error.empty()) << "1000 writes to a reset peer succeeded";
    EXPECT_EQ(signals, 0) << error;
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(Streams, DrainBlocksWhileThePeerDoesNotRead) {
    aio::run([]() -> aio::Task<> {
        aio::Event release;
        std::size_t received = 0;
        auto lazy_reader = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            co_await release.wait();
            while (true) {
                auto s = co_await r.read(1 << 20);
                if (s.empty()) break;
                received += s.size();
            }
            w.close();
        };
        auto server = co_await aio::start_server(lazy_reader, "127.0.0.1", 0);
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::string chunk(1 << 20, 'x');
        auto writer = [&]() -> aio::Task<> {
            for (int i = 0; i < 32; ++i) {
                w.write(chunk);
                co_await w.drain();
            }
            w.write_eof();
        };
        auto t = aio::create_task(writer());
        for (int i = 0; i < 20; ++i) co_await aio::sleep(1ms);
        EXPECT_FALSE(t.done());                       // drain() is holding the writer back...
        EXPECT_LE(w.buffer_size(), 2u * (1u << 20));  // ...and the buffer stays bounded
        release.set();
        co_await t;
        for (int i = 0; i < 2000 && received < 32u << 20; ++i) co_await aio::sleep(5ms);
        EXPECT_EQ(received, 32u << 20);
        server.close();
        co_await server.wait_closed();
    }());
}

TEST(Streams, AgainstPythonAsyncioEchoServer) {
    auto port = aio::test::free_port();
    std::string script = aio::test::source_path("tests/streams/peers/asyncio_echo.py");
    aio::test::PeerServer peer("/usr/bin/python3 " + script + " {port}", port);
    ASSERT_TRUE(peer.up) << peer.why;
    aio::run([&]() -> aio::Task<> {
        auto [r, w] = co_await aio::open_connection("127.0.0.1", static_cast<std::uint16_t>(port));
        for (int i = 0; i < 100; ++i) {
            w.write("line " + std::to_string(i) + "\n");
            co_await w.drain();
            auto line = co_await r.readline();
            EXPECT_EQ(line, "line " + std::to_string(i) + "\n");
        }
        w.close();
        co_await w.wait_closed();
    }());
}

TEST(Streams, PythonAsyncioClientAgainstAioServer) {
    aio::run([]() -> aio::Task<> {
        auto server = co_await echo_server();
        std::string script = aio::test::source_path("tests/streams/peers/asyncio_client.py");
        std::string cmd = "/usr/bin/python3 " + script + " 127.0.0.1 " + std::to_string(port_of(server));
        auto result = co_await aio::to_thread(aio::test::run_command, cmd);
        EXPECT_EQ(result.status, 0);
        EXPECT_EQ(result.output, "ok 1000\n");
        server.close();
        co_await server.wait_closed();
    }());
}

TEST(Streams, UnixSocketsAgainstSocat) {
    std::string dir = ::testing::TempDir();
    std::string path = dir + "/aio-test-" + std::to_string(::getpid()) + ".sock";
    int fds_before = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            std::string line = co_await r.readline();
            w.write("echo: " + line);
            co_await w.drain();
            w.close();
        };
        auto server = co_await aio::start_unix_server(handler, path);
        auto cmd = "printf 'over unix\\n' | socat -t 5 - UNIX-CONNECT:" + path;
        auto result = co_await aio::to_thread(aio::test::run_command, cmd);
        EXPECT_EQ(result.output, "echo: over unix\n");
        // And aio's own Unix client.
        auto [r, w] = co_await aio::open_unix_connection(path);
        w.write("direct\n");
        auto line2 = co_await r.readline();
        EXPECT_EQ(line2, "echo: direct\n");
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_NE(::access(path.c_str(), F_OK), 0);  // the socket file is removed on close
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST(Streams, ReadsStartSmallAndGrowWhileTheyFillTheirRoom) {
    // A stream's first read asks for a little (a response of a few hundred
    // bytes never takes a large buffer); each read that fills what it asked
    // for doubles the next, up to 256 KiB (asyncio's max_size). read(n)
    // returns what one read got once the buffer is empty, so the pieces show
    // the sizes asked for. Going idle (a pooled client connection, a server
    // between requests), the connection gives back a buffer grown past
    // 64 KiB.
    std::string path = ::testing::TempDir() + "/aio-grow-" + std::to_string(::getpid()) + ".sock";
    int fds_before = aio::test::count_open_fds();
    std::string big(512 * 1024 + 100, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 13 + i / 1000);
    bool all_queued = false;  // the kernel holds every byte before the client reads
    aio::run([&]() -> aio::Task<> {
        aio::Event queued;  // every byte is in the client's socket (or cannot be: !all_queued)
        auto handler = [&](aio::StreamReader, aio::StreamWriter w) -> aio::Task<> {
            // Room in the kernel for all of it before the client reads: past
            // net.core.wmem_max (208 KiB on a fresh machine) as root, else as
            // much as that allows. Without the room the client reads as the
            // bytes come, and only what it got is checked.
            const int fd = std::any_cast<int>(w.get_extra_info("socket"));
            int want = 4 << 20;
            if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) != 0)
                ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
            int have = 0;
            socklen_t len = sizeof have;
            ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len);
            all_queued = static_cast<std::size_t>(have) >= 2 * big.size();  // each piece's overhead counts too
            if (!all_queued) queued.set();
            w.write(big);
            co_await w.drain();
            queued.set();
            w.close();
            co_await w.wait_closed();
        };
        auto server = co_await aio::start_unix_server(handler, path);
        auto [r, w] = co_await aio::open_unix_connection(path);
        co_await queued.wait();
        std::string got;
        std::vector<std::size_t> pieces;
        while (true) {
            std::string piece = co_await r.read(1 << 20);
            if (piece.empty()) break;
            pieces.push_back(piece.size());
            got += piece;
        }
        EXPECT_TRUE(got == big);  // not EXPECT_EQ: 512 KiB would be printed on failure
        EXPECT_FALSE(pieces.empty());
        if (!pieces.empty()) {
            EXPECT_LE(pieces.front(), 4096u);
        }
        if (all_queued) {
            std::size_t largest = 0;
            for (std::size_t i = 0; i < pieces.size(); ++i) {
                largest = std::max(largest, pieces[i]);
                if (i > 0 && pieces[i - 1] < 256 * 1024 && i + 1 < pieces.size()) {
                    EXPECT_EQ(pieces[i], pieces[i - 1] * 2) << "piece " << i;
                }
            }
            EXPECT_EQ(largest, 256u * 1024);
            // The last read (the end of the stream) asked for 256 KiB: that
            // room is given back when the connection goes idle.
            EXPECT_GE(aio::detail::StreamAccess::read_buffer(r).room(), 256u * 1024);
            aio::detail::StreamAccess::going_idle(r);
            EXPECT_EQ(aio::detail::StreamAccess::read_buffer(r).room(), 0u);
        }
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
    if (!all_queued) GTEST_SKIP() << "no room in the kernel for 512 KiB before the client reads (not root, "
                                     "small net.core.wmem_max): the sizes of the reads were not checked";
}

TEST(Streams, APeerThatDiesWhileReadsGrowEndsTheReadWithATypedError) {
    // The peer sends 600 KiB and then resets the connection or closes it,
    // before the 1 MiB the client waits for: with readexactly (one read asks
    // for all it needs), and with read(n) a piece at a time, whose reads grow
    // from 2 KiB to their largest (256 KiB) on the way. The read ends in
    // ConnectionResetError, or with what came (IncompleteReadError, or the
    // end of the stream); the loop lives on and every descriptor comes back.
    constexpr std::size_t kSent = 600 * 1024;
    for (bool reset : {true, false}) {
        for (bool whole : {true, false}) {
            const std::string what = std::string(reset ? "reset" : "close") + (whole ? ", readexactly" : ", read(n)");
            int fds_before = aio::test::count_open_fds();
            aio::run([reset, whole, &what]() -> aio::Task<> {
                auto handler = [reset](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
                    co_await r.readexactly(2);  // the client is connected and reading
                    if (reset) {
                        linger l{1, 0};
                        ::setsockopt(std::any_cast<int>(w.get_extra_info("socket")), SOL_SOCKET, SO_LINGER, &l,
                                     sizeof l);
                    }
                    w.write(std::string(kSent, 'x'));
                    co_await w.drain();
                    co_await aio::sleep(20ms);  // the client has read some of it
                    w.close();
                };
                auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
                auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
                w.write("go");
                bool typed = false;
                std::size_t got = 0;  // read(n): what came before the end
                try {
                    if (whole) {
                        (void)co_await r.readexactly(1024 * 1024);
                    } else {
                        while (got < 1024 * 1024) {
                            const std::string piece = co_await r.read(1 << 20);
                            if (piece.empty()) break;
                            got += piece.size();
                        }
                        typed = got <= kSent && (reset || got == kSent);
                    }
                } catch (const aio::ConnectionResetError&) {
                    typed = reset;
                } catch (const aio::IncompleteReadError& e) {
                    typed = e.partial().size() <= kSent && (reset || e.partial().size() == kSent);
                }
                EXPECT_TRUE(typed) << what;
                w.close();
                co_await w.wait_closed();
                server.close();
                co_await server.wait_closed();
            }());
            EXPECT_EQ(aio::test::count_open_fds(), fds_before) << what;
        }
    }
}

TEST(Streams, ServeForeverEndsWhenCancelledAndHandlersFinish) {
    int fds_before = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        bool handler_cancelled = false;
        auto handler = [&](aio::StreamReader r, aio::StreamWriter) -> aio::Task<> {
            try {
                co_await r.read(1);  // waits for ever
            } catch (const aio::CancelledError&) {
                handler_cancelled = true;
                throw;
            }
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto forever = aio::create_task(server.serve_forever());
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        co_await aio::sleep(10ms);
        forever.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(forever);
            EXPECT_TRUE(raised.has_value()) << "forever did not throw aio::CancelledError";
        }
        EXPECT_FALSE(server.is_serving());
        server.close_clients();
        co_await server.wait_closed();
        EXPECT_TRUE(handler_cancelled);
        auto data = co_await r.read();
        EXPECT_EQ(data, "");  // the server side closed
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST(Streams, ConnectTimeoutCoversTheTlsHandshake) {
    // A server that accepts but never answers: the TLS handshake cannot
    // finish, and the connect timeout must end the attempt.
    aio::run([]() -> aio::Task<> {
        auto silent = [](aio::StreamReader r, aio::StreamWriter) -> aio::Task<> { co_await r.read(); };
        auto server = co_await aio::start_server(silent, "127.0.0.1", 0);
        aio::ConnectOptions tls{.ssl = true, .timeout = 100ms};
        {  // expects aio::TimeoutError
            auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::open_connection("127.0.0.1", port_of(server), tls));
            EXPECT_TRUE(raised.has_value()) << "aio::open_connection(\"127.0.0.1\", port_of(server), tls) did not throw aio::TimeoutError";
        }
        server.close_clients();
        server.close();
        co_await server.wait_closed();
    }());
}

TEST(Datagram, RoundTripAndConnectedMode) {
    int fds_before = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::DatagramOptions local{.local_host = "127.0.0.1"};
        auto a = co_await aio::create_datagram_endpoint(local);
        auto b = co_await aio::create_datagram_endpoint(local);
        co_await a.sendto("ping", b.sockname());
        auto [data, from] = co_await b.recvfrom();
        EXPECT_EQ(data, "ping");
        EXPECT_EQ(from.port(), a.sockname().port());
        aio::DatagramOptions to_b{.remote_host = "127.0.0.1", .remote_port = b.sockname().port()};
        auto c = co_await aio::create_datagram_endpoint(to_b);
        co_await c.send("connected");
        auto [d2, f2] = co_await b.recvfrom();
        EXPECT_EQ(d2, "connected");
        co_await b.sendto("back", f2);
        auto msg = co_await c.recv();
        EXPECT_EQ(msg, "back");
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

// recvfrom(max) takes memory for the datagram that came, not for max: a max
// of SIZE_MAX or 2^40 ("any size") was a std::length_error or a terabyte
// zero-filled before the first byte.
TEST(Datagram, AHugeMaxTakesTheDatagramNotMaxBytes) {
    int fds_before = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::DatagramOptions local{.local_host = "127.0.0.1"};
        auto a = co_await aio::create_datagram_endpoint(local);
        auto b = co_await aio::create_datagram_endpoint(local);
        const std::string big(60000, 'x');
        for (std::size_t max : {SIZE_MAX, std::size_t{1} << 40, std::size_t{65537}}) {
            co_await a.sendto("ping", b.sockname());
            auto [data, from] = co_await b.recvfrom(max);
            EXPECT_EQ(data, "ping") << max;
            EXPECT_EQ(from.port(), a.sockname().port());
            co_await a.sendto(big, b.sockname());
            auto [whole, f2] = co_await b.recvfrom(max);
            EXPECT_EQ(whole.size(), big.size()) << max;
            co_await a.sendto("", b.sockname());
            auto [empty, f3] = co_await b.recvfrom(max);
            EXPECT_EQ(empty, "") << max;
        }
        co_await a.sendto("truncated", b.sockname());
        auto [cut, f4] = co_await b.recvfrom(5);
        EXPECT_EQ(cut, "trunc");
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

// A connected endpoint whose peer is gone: the kernel's ICMP answer comes
// out of a receive of any max (the peek a huge max makes included) as
// ConnectionRefusedError, and every descriptor comes back.
TEST(Datagram, APeerThatIsGoneIsRefusedWhateverTheMax) {
    int fds_before = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        for (std::size_t max : {std::size_t{65536}, SIZE_MAX}) {
            aio::test::ClosedPort nobody;
            aio::DatagramOptions to{.remote_host = "127.0.0.1", .remote_port = static_cast<std::uint16_t>(nobody.port)};
            auto c = co_await aio::create_datagram_endpoint(to);
            co_await c.send("anyone?");
            auto refused = co_await aio::test::raises<aio::ConnectionRefusedError>(c.recv(max));
            EXPECT_TRUE(refused.has_value()) << max;
        }
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST(Datagram, AgainstSocat) {
    aio::run([]() -> aio::Task<> {
        aio::DatagramOptions local{.local_host = "127.0.0.1"};
        auto ep = co_await aio::create_datagram_endpoint(local);
        auto port = ep.sockname().port();
        auto cmd = "printf 'from socat' | socat -u - UDP-SENDTO:127.0.0.1:" + std::to_string(port);
        auto sender = aio::create_task(aio::to_thread(aio::test::run_command, cmd));
        auto [data, from] = co_await ep.recvfrom();
        EXPECT_EQ(data, "from socat");
        co_await sender;
    }());
}

// ---- writes on each backend ------------------------------------------------
// On io_uring a plain socket's write() only buffers: the send leaves with the
// loop's next poll, beside the other streams' (one system call for all). On
// epoll write() sends at once. Either way every byte arrives, in order, and
// bytes written just before the loop ends or the stream is aborted still go.

namespace {

class StreamWrites : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override { ::setenv("AIO_IO_BACKEND", GetParam(), 1); }
    void TearDown() override { ::unsetenv("AIO_IO_BACKEND"); }
};

/// A blocking listener on 127.0.0.1 the test accepts from after its loop has ended.
struct PlainListener {
    int fd = -1;
    std::uint16_t port = 0;
    explicit PlainListener(int backlog = 4) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            ADD_FAILURE() << "listener: " << std::strerror(errno);
        port = ntohs(a.sin_port);
    }
    ~PlainListener() { ::close(fd); }
    /// Accepts one connection and reads it to its end (2 s receive timeout).
    std::string accept_and_read_all() const {
        int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return "accept failed";
        timeval tv{2, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string all;
        char buf[65536];
        while (true) {
            ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;  // SO_RCVTIMEO: never restarted by the kernel
            if (n <= 0) break;
            all.append(buf, static_cast<std::size_t>(n));
        }
        ::close(c);
        return all;
    }
};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Backends, StreamWrites, ::testing::Values("uring", "epoll"));

TEST_P(StreamWrites, ManyWritesOfOneIterationArriveWholeAndInOrder) {
    int fds_before = aio::test::count_open_fds();
    std::string expected;
    for (int i = 0; i < 3000; ++i) {
        // 1 byte to 48 KiB: some pieces fill the socket, so sends wait for room.
        std::size_t n = (i % 7 == 0) ? 48 * 1024 + static_cast<std::size_t>(i) : 1 + static_cast<std::size_t>(i % 97);
        expected += std::string(n, static_cast<char>('a' + i % 26)) + std::to_string(i) + ";";
    }
    std::string received;
    aio::run([&]() -> aio::Task<> {
        aio::Event finished;
        auto handler = [&](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
            received = co_await r.read();  // to EOF
            w.close();
            finished.set();
        };
        auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        std::size_t at = 0;
        for (int round = 0; at < expected.size(); ++round) {
            // A few hundred writes without a pause, then a drain (it waits only
            // above the high-water mark), and so on.
            for (int k = 0; k < 300 && at < expected.size(); ++k) {
                std::size_t n = std::min<std::size_t>(expected.size() - at, 1 + (static_cast<std::size_t>(round * 31 + k * 17) % 9000));
                w.write(std::string_view(expected).substr(at, n));
                at += n;
            }
            co_await w.drain();
        }
        w.write_eof();
        co_await finished.wait();
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
    EXPECT_EQ(received.size(), expected.size());
    EXPECT_TRUE(received == expected) << "the bytes arrived out of order or changed";
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

namespace {

/// The main task of a loop that connects to `port`, writes `pieces` and ends
/// the stream with `end(writer)`, then returns at once: the loop shuts down
/// (cancelling the writer's flusher) while sends may still be pending.
template <class End>
aio::Task<> write_and_end(std::uint16_t port, std::vector<std::string> pieces, End end) {
    auto [r, w] = co_await aio::open_connection("127.0.0.1", port);
    for (const std::string& p : pieces) w.write(p);
    co_await end(w);
}

/// The peer that read nothing while the stream ended reads it now: some of
/// `sent`, not all of it, the first bytes, then the end of the stream.
void expect_a_prefix_then_eof(const PlainListener& peer, const std::string& sent) {
    const std::string got = peer.accept_and_read_all();
    EXPECT_GT(got.size(), 0u);
    EXPECT_LT(got.size(), sent.size());
    EXPECT_TRUE(got == sent.substr(0, got.size())) << "the bytes that came are not the first ones";
}

/// Takes the pending connection and resets it: SO_LINGER 0, then close.
void accept_and_reset(const PlainListener& peer) {
    int c = ::accept4(peer.fd, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(c, 0) << std::strerror(errno);
    linger lg{1, 0};
    ::setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(c);
}

}  // namespace

TEST_P(StreamWrites, BytesWrittenJustBeforeTheLoopEndsAreSent) {
    // A close frame or a last reply written, the stream closed, and the
    // program's main task returns at once: the loop's shutdown cancels the
    // writer's flusher, and the bytes must still reach the peer.
    PlainListener peer;
    int fds_before = aio::test::count_open_fds();
    aio::run(write_and_end(peer.port, {"last ", "words"}, [](aio::StreamWriter& w) -> aio::Task<> {
        w.close();
        co_return;
    }));
    EXPECT_EQ(peer.accept_and_read_all(), "last words");
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST_P(StreamWrites, AbortRightAfterAWriteStillSendsWhatTheKernelTakes) {
    // asyncio's write() hands the bytes to the kernel at once when it can,
    // and abort() drops only what it could not take. On io_uring the send
    // that write() starts goes on.
    PlainListener peer;
    int fds_before = aio::test::count_open_fds();
    aio::run(write_and_end(peer.port, {"first and only"}, [](aio::StreamWriter& w) -> aio::Task<> {
        w.abort();
        co_await w.wait_closed();
    }));
    EXPECT_EQ(peer.accept_and_read_all(), "first and only");
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST_P(StreamWrites, AbortWhileASendIsInFlightStillSendsTheWritesAfterIt) {
    // Three writes in one iteration, then abort(): asyncio would have handed
    // all three to the kernel (the socket has room), so all three arrive, in
    // order. On io_uring the first write's send is still in flight when the
    // others come (they wait in the buffer) and when abort() is called.
    PlainListener peer;
    int fds_before = aio::test::count_open_fds();
    aio::run(write_and_end(peer.port, {"first, ", "second, ", "third"}, [](aio::StreamWriter& w) -> aio::Task<> {
        w.abort();
        EXPECT_TRUE(w.is_closing());
        co_await w.wait_closed();
    }));
    EXPECT_EQ(peer.accept_and_read_all(), "first, second, third");
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST_P(StreamWrites, AbortWhileASendWaitsForRoomClosesWithoutWaitingForThePeer) {
    // The peer reads nothing: the send in flight waits for room when abort()
    // comes. The stream still closes without the peer reading (wait_closed()
    // returns), the peer gets a prefix of the bytes and then the end of the
    // stream, and the descriptor comes back.
    PlainListener peer;
    const std::string big(64 << 20, 'y');
    int fds_before = aio::test::count_open_fds();
    aio::run(write_and_end(peer.port, {big, "after"}, [](aio::StreamWriter& w) -> aio::Task<> {
        co_await aio::sleep(std::chrono::milliseconds(20));  // the first send fills the socket and waits
        w.abort();
        co_await w.wait_closed();
    }));
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
    expect_a_prefix_then_eof(peer, big);
}

TEST_P(StreamWrites, AbortWhileASendIsInFlightToAPeerThatResetsClosesCleanly) {
    // The send waits for room; abort() comes, and in the same iteration the
    // peer resets the connection. What the flusher still pushes out meets
    // the reset (EPIPE or ECONNRESET, never SIGPIPE): the stream closes,
    // wait_closed() returns (asyncio: abort() is connection_lost(None)), and
    // the descriptor comes back.
    PlainListener peer;
    const std::string big(16 << 20, 'r');  // more than both sockets' buffers hold
    int fds_before = aio::test::count_open_fds();
    bool closed = false;
    aio::run(write_and_end(peer.port, {big, "after"}, [&](aio::StreamWriter& w) -> aio::Task<> {
        co_await aio::sleep(std::chrono::milliseconds(20));  // the first send fills the socket and waits
        w.abort();
        accept_and_reset(peer);
        co_await w.wait_closed();
        closed = true;
    }));
    EXPECT_TRUE(closed);
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST_P(StreamWrites, AbortAfterThePeerResetDuringASendClosesCleanly) {
    // The peer resets while the send waits for room; the send fails with the
    // reset. abort() after it still closes the stream, wait_closed() ends
    // (returning, or raising the reset the transport saw: never hanging), and
    // the descriptor comes back.
    PlainListener peer;
    const std::string big(16 << 20, 's');
    int fds_before = aio::test::count_open_fds();
    bool ended = false;
    aio::run(write_and_end(peer.port, {big, "after"}, [&](aio::StreamWriter& w) -> aio::Task<> {
        co_await aio::sleep(std::chrono::milliseconds(20));
        accept_and_reset(peer);
        co_await aio::sleep(std::chrono::milliseconds(20));  // the send meets the reset
        w.abort();
        EXPECT_TRUE(w.is_closing());
        try {
            co_await w.wait_closed();
        } catch (const aio::ConnectionError&) {
        }
        ended = true;
    }));
    EXPECT_TRUE(ended);
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST_P(StreamWrites, ALoopEndingWhileThePeerReadsNothingClosesTheStream) {
    // A peer that stalls: it takes the connection and reads nothing until
    // the program has ended. 64 MiB are written and the stream closed; the
    // send waiting for room is cancelled by the loop's shutdown. The process
    // lives, the descriptor comes back, and the peer gets a prefix of the
    // bytes, then the end of the stream.
    PlainListener peer;
    const std::string big(64 << 20, 'z');
    int fds_before = aio::test::count_open_fds();
    aio::run(write_and_end(peer.port, {big}, [](aio::StreamWriter& w) -> aio::Task<> {
        w.close();
        co_return;
    }));
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
    expect_a_prefix_then_eof(peer, big);
}

TEST(StreamWritesOnUring, ThirtyTwoQueuedSendsReachThePeersBeforeTheIterationEnds) {
    // One iteration writes to 33 streams. On io_uring the sends are handed
    // to the kernel once 32 are queued, not only when the loop next polls:
    // while the task still runs (it blocks here, so the loop cannot poll),
    // exactly 32 peers have their byte, and the 33rd gets it after.
    ::setenv("AIO_IO_BACKEND", "uring", 1);
    PlainListener peer(64);
    constexpr int kStreams = 33;
    int with_data = -1, after = -1;
    aio::run([&]() -> aio::Task<> {
        std::vector<aio::StreamWriter> writers;
        std::vector<aio::StreamReader> readers;
        for (int i = 0; i < kStreams; ++i) {
            auto [r, w] = co_await aio::open_connection("127.0.0.1", peer.port);
            readers.push_back(std::move(r));
            writers.push_back(std::move(w));
        }
        std::vector<int> accepted;
        for (int i = 0; i < kStreams; ++i) accepted.push_back(::accept4(peer.fd, nullptr, nullptr, SOCK_CLOEXEC));
        for (auto& w : writers) w.write("x");
        // Wait (blocking the loop) until the early sends have landed.
        auto count = [&] {
            int n = 0;
            for (int fd : accepted) {
                pollfd p{fd, POLLIN, 0};
                n += ::poll(&p, 1, 0) == 1;
            }
            return n;
        };
        for (int i = 0; i < 500 && count() < kStreams - 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        with_data = count();
        co_await aio::sleep(std::chrono::milliseconds(0));  // the loop polls: the last send goes
        for (int i = 0; i < 500 && count() < kStreams; ++i) {
            co_await aio::sleep(std::chrono::milliseconds(10));
        }
        after = count();
        for (auto& w : writers) w.close();
        for (int fd : accepted) ::close(fd);
    }());
    ::unsetenv("AIO_IO_BACKEND");
    EXPECT_EQ(with_data, kStreams - 1);
    EXPECT_EQ(after, kStreams);
}

TEST_P(StreamWrites, BufferSizeCountsBytesUntilTheKernelHasThem) {
    const bool behind = std::string(GetParam()) == "uring";
    aio::run([&]() -> aio::Task<> {
        auto server = co_await echo_server();
        auto [r, w] = co_await aio::open_connection("127.0.0.1", port_of(server));
        w.set_write_buffer_limits(1000, 100);
        EXPECT_EQ(w.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>(100, 1000)));
        w.write(std::string(1024, 'x'));
        // Sent with the next poll on io_uring, at once on epoll.
        EXPECT_EQ(w.buffer_size(), behind ? 1024u : 0u);
        co_await w.drain();  // above the high-water mark on io_uring: waits for the send
        EXPECT_EQ(w.buffer_size(), 0u);
        std::string back = co_await r.readexactly(1024);
        EXPECT_EQ(back, std::string(1024, 'x'));
        w.close();
        co_await w.wait_closed();
        server.close();
        co_await server.wait_closed();
    }());
}
