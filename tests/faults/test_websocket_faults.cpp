// aio's WebSocket server against hostile and dying peers: a client that
// stops reading, one that vanishes mid-frame, a frame claiming 2^63 bytes,
// a flood of pings. Each test checks that the server lives, serves the next
// client, and holds no more descriptors than before.
#include <gtest/gtest.h>

#include <aio/http.hpp>

#include <fcntl.h>
#include <poll.h>

#include <atomic>

#include "faults/server_faults_support.hpp"
#include "support/support.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace web = aio::web;
namespace http = aio::http;
using aio::Task;
using aio::test::count_open_fds;
using aio::test::RawClient;
using aio::test::WebServer;
using aio::test::faults::fds_settle_to;
using aio::test::faults::serves;

namespace {

struct Seen {
    std::atomic<int> handlers_done{0};
    std::atomic<int> last_type{-1};
    std::atomic<int> close_code{0};
};

/// /echo echoes until the end; /talk sends 64 KiB messages until a send fails.
void fault_app(web::Application& app, Seen* seen) {
    app.router().add_get("/", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.text = "Hello, world"});
    });
    app.router().add_get("/echo", [seen](web::Request& r) -> Task<web::StreamResponse> {
        web::WebSocketResponse ws(web::WebSocketOptions{.max_msg_size = 1 << 20});
        co_await ws.prepare(r);
        while (true) {
            http::WSMessage msg = co_await ws.receive();
            if (msg.type == http::WSMsgType::TEXT) {
                co_await ws.send_str(msg.data);
                continue;
            }
            seen->last_type = static_cast<int>(msg.type);
            seen->close_code = ws.close_code().value_or(0);
            break;
        }
        ++seen->handlers_done;
        co_return ws;
    });
    app.router().add_get("/talk", [seen](web::Request& r) -> Task<web::StreamResponse> {
        web::WebSocketResponse ws;
        co_await ws.prepare(r);
        const std::string chunk(64 * 1024, 'm');
        try {
            while (true) co_await ws.send_bytes(chunk);
        } catch (const aio::OSError&) {
            // The client went away: the send says so.
        }
        ++seen->handlers_done;
        co_return ws;
    });
}

constexpr const char* kHandshake =
    "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Opens a WebSocket by hand; true when the server answered 101.
bool handshake(RawClient& c, const std::string& path) {
    std::string req = kHandshake;
    req.replace(req.find("{path}"), 6, path);
    if (!c.send(req)) return false;
    std::string head = c.read_until("\r\n\r\n");
    return aio::test::status_of(head) == 101;
}

/// A masked client frame (mask key 1,2,3,4) with a payload length field as given.
std::string masked_frame(unsigned char first, std::string_view payload) {
    std::string f;
    f += static_cast<char>(first);
    const unsigned char key[4] = {1, 2, 3, 4};
    if (payload.size() < 126) {
        f += static_cast<char>(0x80 | payload.size());
    } else if (payload.size() < 65536) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xff);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i) f += static_cast<char>((std::uint64_t(payload.size()) >> (8 * i)) & 0xff);
    }
    f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
    return f;
}

/// The close code in the first close frame of `wire` (server frames are unmasked), or -1.
int close_code_in(const std::string& wire) {
    std::size_t p = 0;
    while (p + 2 <= wire.size()) {
        unsigned char op = static_cast<unsigned char>(wire[p]) & 0x0f;
        std::uint64_t len = static_cast<unsigned char>(wire[p + 1]) & 0x7f;
        std::size_t at = p + 2;
        if (len == 126) {
            if (at + 2 > wire.size()) return -1;
            len = (std::uint64_t(std::uint8_t(wire[at])) << 8) | std::uint8_t(wire[at + 1]);
            at += 2;
        } else if (len == 127) {
            if (at + 8 > wire.size()) return -1;
            len = 0;
            for (int i = 0; i < 8; ++i) len = (len << 8) | std::uint8_t(wire[at + i]);
            at += 8;
        }
        if (op == 0x8) {
            if (len < 2 || at + 2 > wire.size()) return len == 0 ? 1005 : -1;
            return (std::uint8_t(wire[at]) << 8) | std::uint8_t(wire[at + 1]);
        }
        p = at + len;
    }
    return -1;
}

/// Counts what the server's loop reports to its exception handler.
struct Reports {
    explicit Reports(WebServer& s) {
        s.on_loop([this] {
            aio::get_running_loop().set_exception_handler([this](aio::EventLoop&, const aio::ExceptionContext& c) {
                last = c.message;
                ++count;
            });
        });
    }
    std::atomic<int> count{0};
    std::string last;
};

}  // namespace

TEST(WebSocketFaults, AClientThatVanishesMidFrameEndsOnlyItsWebSocket) {
    Seen seen;
    WebServer s([&](web::Application& app) { fault_app(app, &seen); });
    ASSERT_TRUE(serves(s.port()));
    int before = count_open_fds();
    for (int i = 0; i < 5; ++i) {
        RawClient c(s.port());
        ASSERT_TRUE(handshake(c, "/echo"));
        std::string frame = masked_frame(0x81, std::string(1000, 'q'));
        c.send(std::string_view(frame).substr(0, 300));  // then gone
        aio::test::faults::reset(c.fd());
        c.close();
    }
    while (seen.handlers_done < 5) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(serves(s.port()));
    EXPECT_TRUE(fds_settle_to(before));
}

TEST(WebSocketFaults, AFrameClaiming2To63BytesIs1009AndAnOverlongLengthIs1002) {
    Seen seen;
    WebServer s([&](web::Application& app) { fault_app(app, &seen); });
    int before = count_open_fds();
    {
        RawClient c(s.port());
        ASSERT_TRUE(handshake(c, "/echo"));
        std::string huge = "\x82\xff";
        huge += std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8);  // 2^63 - 1
        huge += std::string("\x01\x02\x03\x04", 4);
        c.send(huge);
        bool closed = false;
        std::string wire = c.read_all(&closed);
        EXPECT_TRUE(closed);
        EXPECT_EQ(close_code_in(wire), 1009);
    }
    {
        RawClient c(s.port());
        ASSERT_TRUE(handshake(c, "/echo"));
        std::string bad = "\x82\xff";
        bad += std::string("\x80\x00\x00\x00\x00\x00\x00\x00", 8);  // the most significant bit set
        bad += std::string("\x01\x02\x03\x04", 4);
        c.send(bad);
        bool closed = false;
        std::string wire = c.read_all(&closed);
        EXPECT_TRUE(closed);
        EXPECT_EQ(close_code_in(wire), 1002);
    }
    while (seen.handlers_done < 2) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(seen.last_type.load(), static_cast<int>(http::WSMsgType::ERROR));
    EXPECT_TRUE(serves(s.port()));
    EXPECT_TRUE(fds_settle_to(before));
}

TEST(WebSocketFaults, AFloodOfPingsIsAnsweredAtTheReadersPace) {
    Seen seen;
    WebServer s([&](web::Application& app) { fault_app(app, &seen); });
    int before = count_open_fds();
    {
        RawClient flooder(s.port(), 500);
        ASSERT_TRUE(handshake(flooder, "/echo"));
        // Pings of 125 bytes, never reading the pongs: the server's pongs
        // back up, it stops reading, and the kernel's buffers push back on
        // the sender. Without that, it would hold 64 MB of pongs.
        std::string ping = masked_frame(0x89, std::string(125, 'p'));
        std::string burst;
        for (int i = 0; i < 1000; ++i) burst += ping;
        const std::size_t cap = std::size_t(64) << 20;
        std::size_t sent = 0;
        ::fcntl(flooder.fd(), F_SETFL, ::fcntl(flooder.fd(), F_GETFL) | O_NONBLOCK);
        std::size_t off = 0;
        while (sent < cap) {
            ssize_t n = ::send(flooder.fd(), burst.data() + off, burst.size() - off, MSG_NOSIGNAL);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                off = (off + static_cast<std::size_t>(n)) % burst.size();
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) break;
            pollfd p{flooder.fd(), POLLOUT, 0};
            if (::poll(&p, 1, 500) == 0) break;  // the server has stopped reading
        }
        EXPECT_LT(sent, cap);
        // Meanwhile another client is served.
        RawClient other(s.port());
        ASSERT_TRUE(handshake(other, "/echo"));
        other.send(masked_frame(0x81, "still serving"));
        std::string echo = other.read_until("still serving");
        EXPECT_NE(echo.find("still serving"), std::string::npos);
        other.send(masked_frame(0x88, "\x03\xe8"));
        other.read_all();
    }
    while (seen.handlers_done < 2) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(serves(s.port()));
    EXPECT_TRUE(fds_settle_to(before));
}

TEST(WebSocketFaults, AClientThatStopsReadingStallsOnlyItsHandlerUntilItGoes) {
    Seen seen;
    WebServer s([&](web::Application& app) { fault_app(app, &seen); });
    int before = count_open_fds();
    {
        RawClient c(s.port());
        ASSERT_TRUE(handshake(c, "/talk"));
        std::this_thread::sleep_for(200ms);  // the server fills the socket and waits
        EXPECT_EQ(seen.handlers_done.load(), 0);
        EXPECT_TRUE(serves(s.port()));
        aio::test::faults::reset(c.fd());
    }
    while (seen.handlers_done < 1) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(serves(s.port()));
    EXPECT_TRUE(fds_settle_to(before));
}

TEST(WebSocketFaults, AClientThatNeverAnswersTheCloseLeavesNoStrayErrorBehind) {
    Seen seen;
    WebServer s([&](web::Application& app) {
        fault_app(app, &seen);
        // Closes at once; the client never answers, so the close times out
        // and the server drops the connection while nothing else happens on it.
        app.router().add_get("/bye", [&seen](web::Request& r) -> Task<web::StreamResponse> {
            web::WebSocketResponse ws(web::WebSocketOptions{.timeout = 50ms});
            co_await ws.prepare(r);
            co_await aio::sleep(10ms);
            co_await ws.close();
            seen.close_code = ws.close_code().value_or(0);
            ++seen.handlers_done;
            co_return ws;
        });
    });
    Reports reports(s);
    int before = count_open_fds();
    for (int i = 0; i < 5; ++i) {
        RawClient c(s.port());
        ASSERT_TRUE(handshake(c, "/bye"));
        bool closed = false;
        std::string wire = c.read_all(&closed);
        EXPECT_TRUE(closed);
        EXPECT_EQ(close_code_in(wire), 1000);
    }
    while (seen.handlers_done < 5) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(seen.close_code.load(), 1006);  // no answer: abnormal
    EXPECT_TRUE(fds_settle_to(before));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(reports.count.load(), 0) << reports.last;
}

TEST(WebSocketFaults, ClientsThatCloseOrHangUpLeaveNoStrayErrorBehind) {
    Seen seen;
    WebServer s([&](web::Application& app) { fault_app(app, &seen); });
    Reports reports(s);
    int before = count_open_fds();
    for (int i = 0; i < 20; ++i) {
        RawClient c(s.port());
        ASSERT_TRUE(handshake(c, "/echo"));
        for (int k = 0; k < 3; ++k) {
            c.send(masked_frame(0x81, "one"));
            c.read_until("one");
        }
        if (i % 2) {
            aio::test::faults::reset(c.fd());  // hangs up
        } else {
            c.send(masked_frame(0x88, "\x03\xe8"));  // closes properly
            c.read_all();
        }
    }
    while (seen.handlers_done < 20) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(fds_settle_to(before));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(reports.count.load(), 0) << reports.last;
}
