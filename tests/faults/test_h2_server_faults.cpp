// The server against hostile and broken HTTP/2 clients: floods, rapid reset,
// windows never opened, resets, stalls and garbage. Each ends that
// connection (or stream) alone: the server goes on serving and every
// descriptor comes back.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "faults/server_faults_support.hpp"
#include "support/support.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace web = aio::web;
using aio::Task;
using aio::test::RawClient;
using aio::test::run_command;
using aio::test::source_path;
using aio::test::WebServer;
using aio::test::faults::ErrorLog;
using aio::test::faults::fds_settle_to;
using aio::test::faults::serves;

namespace {

std::atomic<int> handlers_running{0};

void app(web::Application& a) {
    a.router().add_get("/", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.text = "Hello, world"});
    });
    a.router().add_get("/big", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.body = std::string(4'000'000, 'b')});
    });
    a.router().add_get("/huge", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.body = std::string(32 << 20, 'z')});
    });
    // Reads the whole body: a client that leaves mid-upload ends the read.
    a.router().add_post("/sum", [](web::Request& r) -> Task<web::StreamResponse> {
        std::string body = co_await r.read();
        co_return web::Response({.text = std::to_string(body.size())});
    });
    // Waits a while: a reset stream's handler is cancelled, never leaked.
    a.router().add_get("/slow", [](web::Request&) -> Task<web::StreamResponse> {
        ++handlers_running;
        struct Done {
            ~Done() { --handlers_running; }
        } done;
        co_await aio::sleep(200ms);
        co_return web::Response({.text = "slow"});
    });
}

std::string peer(const std::string& scenario, std::uint16_t port, const std::string& args = "") {
    return run_command("/usr/bin/python3 " + source_path("tests/web/peers/h2_peer.py") + " " + scenario + " " +
                       std::to_string(port) + " " + args + " 2>&1")
        .output;
}

/// Whether `bytes` (what a server sent, read to its end) hold an HTTP/2
/// frame of `type` on stream 0, walking the frames from the first.
bool has_connection_frame(std::string_view bytes, std::uint8_t type) {
    while (bytes.size() >= 9) {
        std::size_t len = (std::size_t(std::uint8_t(bytes[0])) << 16) | (std::size_t(std::uint8_t(bytes[1])) << 8) |
                          std::uint8_t(bytes[2]);
        std::uint32_t stream = ((std::uint32_t(std::uint8_t(bytes[5])) & 0x7f) << 24) |
                               (std::uint32_t(std::uint8_t(bytes[6])) << 16) |
                               (std::uint32_t(std::uint8_t(bytes[7])) << 8) | std::uint8_t(bytes[8]);
        if (std::uint8_t(bytes[3]) == type && stream == 0) return true;
        if (bytes.size() < 9 + len) return false;
        bytes.remove_prefix(9 + len);
    }
    return false;
}

constexpr std::uint8_t kGoaway = 7;

/// The preface, then a frame of an absurd length: a connection error.
const std::string kAbsurdFrame =
    std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\xff\xff\xff\x01\x00\x00\x00\x00\x01", 9);

/// Sends `bytes` on a fresh connection and reads until the server closes it:
/// a GOAWAY must have come first.
void expect_goaway_then_close(std::uint16_t port, const std::string& bytes) {
    RawClient c(port, 10000);
    ASSERT_TRUE(c.connected());
    c.send(bytes);
    bool closed = false;
    std::string back = c.read_all(&closed);
    EXPECT_TRUE(closed);
    EXPECT_TRUE(has_connection_frame(back, kGoaway));
}

/// A GET / over HTTP/2 answered 200 on a fresh connection.
bool serves_h2(std::uint16_t port) {
    return peer("get", port, "/ 1") == "status 200 len 12\n";
}

}  // namespace

TEST(Http2ServerFaults, RapidResetIsStoppedAndLeavesNoHandlerBehind) {
    ErrorLog log;
    web::ServerOptions opts;
    opts.error_log = log.sink();
    WebServer s(app, opts);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    // CVE-2023-44487: thousands of streams opened and reset at once.
    std::string out = peer("rapid-reset", s.port(), "/slow 5000");
    // Ended with a GOAWAY: nghttp2's reset rate limit (INTERNAL_ERROR, 2) or
    // aio's cap on streams in progress (ENHANCE_YOUR_CALM, 11), whichever trips
    // first. When it is missing, the server's log says which way the
    // connection ended (once, under load in CI, it was missing).
    std::string logged;
    for (const std::string& line : log.lines()) logged += "\n  log: " + line;
    EXPECT_TRUE(out.find("goaway 11\n") != std::string::npos || out.find("goaway 2\n") != std::string::npos)
        << out << logged;
    EXPECT_NE(out.find("after 200\n"), std::string::npos) << out;  // and the next client is served
    for (int i = 0; i < 500 && handlers_running > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(handlers_running.load(), 0);
    EXPECT_EQ(s.runner()->requests_in_flight(), 0u);
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves(s.port()));
}

TEST(Http2ServerFaults, AFloodLongerThanTheSocketBuffersStillGetsItsGoaway) {
    // 400,000 streams opened and reset (about 15 MB, past what the socket
    // buffers of both ends hold) in one write, read by the client only once
    // all is sent: the server gives up after a thousand or so and must keep
    // taking (and discarding) the rest until the client closes. Closed at
    // once, the client's send fails on a reset and the GOAWAY is never read.
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    std::string out = peer("raw-reset-flood", s.port(), "/slow 400000");
    EXPECT_TRUE(out.find("goaway 11\n") != std::string::npos || out.find("goaway 2\n") != std::string::npos)
        << out;
    EXPECT_NE(out.find("after 200\n"), std::string::npos) << out;
    for (int i = 0; i < 500 && handlers_running > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(handlers_running.load(), 0);
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves_h2(s.port()));
}

TEST(Http2ServerFaults, AContinuationFloodEndsTheConnection) {
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    // CVE-2024-27316 and kin: a header block that never ends.
    std::string out = peer("continuation-flood", s.port());
    EXPECT_NE(out.find("closed\n"), std::string::npos) << out;
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves_h2(s.port()));
}

TEST(Http2ServerFaults, PingAndSettingsFloodsEndTheConnection) {
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    // Frames that each owe an acknowledgement, sent by a client that reads none.
    std::string ping = peer("ping-flood", s.port(), "200000");
    EXPECT_NE(ping.find("closed\n"), std::string::npos) << ping;
    std::string settings = peer("settings-flood", s.port(), "200000");
    EXPECT_NE(settings.find("closed\n"), std::string::npos) << settings;
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves_h2(s.port()));
}

TEST(Http2ServerFaults, AWindowNeverOpenedResetsTheStreamAfterTheSendTimeout) {
    ErrorLog log;
    web::ServerOptions opts;
    opts.send_timeout = 300ms;
    opts.error_log = log.sink();
    WebServer s(app, opts);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    std::string out = peer("zero-window", s.port(), "/big");
    EXPECT_NE(out.find("status 200\n"), std::string::npos) << out;
    EXPECT_NE(out.find("reset 8\n"), std::string::npos) << out;  // CANCEL
    EXPECT_NE(out.find("after 200\n"), std::string::npos) << out;
    EXPECT_TRUE(log.contains("send_timeout"));
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_EQ(s.runner()->requests_in_flight(), 0u);
}

TEST(Http2ServerFaults, AClientResettingMidDownloadEndsOnlyItsConnection) {
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    for (int i = 0; i < 5; ++i) {
        // curl reads a little of a 4 MB body, then the connection is cut.
        run_command("timeout -s KILL 0.3 curl -sS --http2-prior-knowledge --limit-rate 100k -o /dev/null " +
                    s.url("/big") + " 2>&1");
    }
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves_h2(s.port()));
    for (int i = 0; i < 500 && s.runner()->requests_in_flight() > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(s.runner()->requests_in_flight(), 0u);
}

TEST(Http2ServerFaults, GarbageAfterThePrefaceIsAConnectionError) {
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    expect_goaway_then_close(s.port(), kAbsurdFrame + std::string(100, 'z'));
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves_h2(s.port()));
}

// After a GOAWAY with an error the server reads and discards what the
// client still sends (a lingering close), but not for ever: a client that
// never stops sending is cut off once lingering_time has passed, and one
// that sends nothing and does not close is left once lingering_timeout has.
TEST(Http2ServerFaults, TheLingeringCloseAfterAGoawayEndsForClientsThatNeverStopOrClose) {
    web::ServerOptions opts;
    opts.lingering_time = 200ms;
    opts.lingering_timeout = 50ms;
    WebServer s(app, opts);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    {
        // Sends for ever (up to 64 GiB): only the server ending the lingering can stop it.
        RawClient c(s.port(), 10000);
        ASSERT_TRUE(c.connected());
        std::uint64_t sent = 0;
        EXPECT_TRUE(aio::test::faults::send_until_cut_off(c.fd(), kAbsurdFrame, std::uint64_t(64) << 30, sent))
            << sent << " bytes sent and the server still read them";
    }
    {
        // Reads the GOAWAY and the FIN, then neither sends nor closes: the
        // server's end closes once lingering_timeout has passed (the
        // client's own socket is the one descriptor left).
        RawClient c(s.port(), 10000);
        ASSERT_TRUE(c.connected());
        c.send(kAbsurdFrame);
        bool closed = false;
        EXPECT_TRUE(has_connection_frame(c.read_all(&closed), kGoaway));
        EXPECT_TRUE(closed);
        EXPECT_TRUE(fds_settle_to(before + 1));
    }
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves_h2(s.port()));
}

TEST(Http2ServerFaults, AStalledPrefaceAndAnIdleConnectionAreClosedOnTime) {
    web::ServerOptions opts;
    opts.header_timeout = 300ms;
    opts.keepalive_timeout = 300ms;
    WebServer s(app, opts);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    {
        RawClient c(s.port(), 5000);
        c.send("PRI * HTTP/2.0\r\n");  // half a preface, then nothing
        bool closed = false;
        c.read_all(&closed);
        EXPECT_TRUE(closed);
    }
    {
        // A full preface and SETTINGS, no request: idle, closed with a GOAWAY.
        RawClient c(s.port(), 5000);
        c.send(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9));
        bool closed = false;
        std::string back = c.read_all(&closed);
        EXPECT_TRUE(closed);
        EXPECT_TRUE(has_connection_frame(back, kGoaway));
    }
    EXPECT_TRUE(fds_settle_to(before));
}

TEST(Http2ServerFaults, AClientGoawayLetsItsRequestFinish) {
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    std::string script =
        "import socket, sys, h2.connection, h2.events, h2.config\n"
        "s = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); s.settimeout(5)\n"
        "c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))\n"
        "c.initiate_connection()\n"
        "c.send_headers(1, [(':method','GET'),(':path','/slow'),(':scheme','http'),(':authority','x')], "
        "end_stream=True)\n"
        "s.sendall(c.data_to_send())\n"
        "s.sendall(b'\\x00\\x00\\x08\\x07\\x00\\x00\\x00\\x00\\x00' + bytes(8))  # GOAWAY(0, NO_ERROR)\n"
        "got = b''\n"
        "while b'slow' not in got:\n"
        "    d = s.recv(65536)\n"
        "    if not d: break\n"
        "    got += d\n"
        "print('answered' if b'slow' in got else 'cut')\n";
    aio::test::faults::ScratchDir dir;
    std::ofstream(dir.path / "g.py") << script;
    auto r = run_command("/usr/bin/python3 " + (dir.path / "g.py").string() + " " + std::to_string(s.port()) +
                         " 2>&1");
    EXPECT_EQ(r.output, "answered\n");
}

TEST(Http2ServerFaults, AContentLengthThatLiesResetsTheStream) {
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    // 20 DATA bytes after "content-length: 10": a malformed request (RFC 9113 §8.1.1).
    std::string out = peer("lying-length", s.port(), "/sum");
    EXPECT_NE(out.find("reset 1\n"), std::string::npos) << out;  // PROTOCOL_ERROR
    EXPECT_NE(out.find("after 200\n"), std::string::npos) << out;
    for (int i = 0; i < 500 && s.runner()->requests_in_flight() > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(s.runner()->requests_in_flight(), 0u);
    EXPECT_TRUE(fds_settle_to(before));
}

TEST(Http2ServerFaults, AClientExitingMidUploadFreesItsStreamAndConnection) {
    ErrorLog log;
    web::ServerOptions opts;
    opts.error_log = log.sink();
    WebServer s(app, opts);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    for (int i = 0; i < 3; ++i) {
        std::string out = peer("upload-then-exit", s.port(), "/sum");
        EXPECT_EQ(out, "exited\n");
    }
    for (int i = 0; i < 500 && s.runner()->requests_in_flight() > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(s.runner()->requests_in_flight(), 0u);
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(serves_h2(s.port()));
}

TEST(Http2ServerFaults, AClientThatStopsReadingIsCutOffBySendTimeout) {
    ErrorLog log;
    web::ServerOptions opts;
    opts.send_timeout = 300ms;
    opts.error_log = log.sink();
    WebServer s(app, opts);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    // Every window open, a 32 MB response, and a client that reads nothing
    // for 2 s: the server's socket writes stall, not the HTTP/2 windows.
    aio::test::Process client("/usr/bin/python3 " + source_path("tests/web/peers/h2_peer.py") + " no-read " +
                              std::to_string(s.port()) + " /huge");
    bool gone = false;
    for (int i = 0; i < 150 && !gone && !client.exited(); ++i) {
        std::this_thread::sleep_for(10ms);
        std::size_t n = 1;
        s.on_loop([&] { n = s.runner()->connections(); });
        gone = i > 20 && n == 0;  // the connection came, stalled, and was dropped while the client slept
    }
    EXPECT_TRUE(gone);
    // The server's descriptor is back while the client still sleeps on its
    // end (close() would keep it until the client read the rest).
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_FALSE(client.exited()) << client.output();  // it was still there, reading nothing
    EXPECT_TRUE(log.contains("send_timeout"));
    EXPECT_TRUE(serves_h2(s.port()));
}
