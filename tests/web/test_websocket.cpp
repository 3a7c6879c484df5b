// WebSockets: aio's client (ClientSession::ws_connect) against aio's server
// (web::WebSocketResponse) on loopback, and each against raw sockets that
// break the protocol.
#include <gtest/gtest.h>

#include <aio/http.hpp>

#include <limits>
#include <thread>

#include "support/raises.hpp"
#include "support/support.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace web = aio::web;
namespace http = aio::http;
using aio::Task;
using aio::test::run_client;
using aio::test::RawClient;
using aio::test::WebServer;
using http::WSMsgType;

namespace {

/// Echoes TEXT and BINARY. Commands (TEXT): "close <code> <reason>" closes
/// from the server; "throw" fails the handler; "leave" returns without closing;
/// "protocol" answers the subprotocol; "compress" the window bits.
Task<web::StreamResponse> echo_handler(web::Request& request, web::WebSocketOptions opts) {
    web::WebSocketResponse ws(std::move(opts));
    co_await ws.prepare(request);
    while (true) {
        http::WSMessage msg = co_await ws.receive();
        if (msg.type == WSMsgType::TEXT) {
            if (msg.data.starts_with("close ")) {
                std::size_t sp = msg.data.find(' ', 6);
                int code = std::stoi(msg.data.substr(6, sp - 6));
                std::string reason = sp == std::string::npos ? "" : msg.data.substr(sp + 1);
                co_await ws.close(code, reason);
                break;
            }
            if (msg.data == "throw") throw std::runtime_error("the handler failed");
            if (msg.data == "leave") break;
            if (msg.data == "protocol") {
                std::string p = ws.ws_protocol().empty() ? "-" : ws.ws_protocol();
                co_await ws.send_str(p);
                continue;
            }
            if (msg.data == "compress") {
                std::string c = std::to_string(ws.compress());
                co_await ws.send_str(c);
                continue;
            }
            co_await ws.send_str(msg.data);
        } else if (msg.type == WSMsgType::BINARY) {
            co_await ws.send_bytes(msg.data);
        } else {
            break;
        }
    }
    co_return ws;
}

struct Recorded {
    std::atomic<int> close_code{0};
    std::string close_extra;
    std::atomic<bool> done{false};
};

void ws_app(web::Application& app, Recorded* rec = nullptr) {
    app.router().add_get("/ws", [](web::Request& r) { return echo_handler(r, {}); });
    app.router().add_get("/chat", [](web::Request& r) {
        return echo_handler(r, web::WebSocketOptions{.protocols = {"chat", "superchat"}});
    });
    app.router().add_get("/small", [](web::Request& r) {
        return echo_handler(r, web::WebSocketOptions{.max_msg_size = 1024});
    });
    app.router().add_get("/unlimited", [](web::Request& r) {
        return echo_handler(r, web::WebSocketOptions{.max_msg_size = std::numeric_limits<std::uint64_t>::max()});
    });
    app.router().add_get("/plain", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.text = "not a websocket"});
    });
    app.router().add_get("/record", [rec](web::Request& r) -> Task<web::StreamResponse> {
        web::WebSocketResponse ws;
        co_await ws.prepare(r);
        while (true) {
            http::WSMessage msg = co_await ws.receive();
            if (msg.type == WSMsgType::CLOSE) {
                rec->close_extra = msg.extra;
                rec->close_code = msg.code;
                break;
            }
            if (msg.type != WSMsgType::TEXT && msg.type != WSMsgType::BINARY) break;
        }
        rec->done = true;
        co_return ws;
    });
    // Never answers pings (autoping off, and it does not read): a heartbeat
    // peer gives up on it.
    app.router().add_get("/deaf", [](web::Request& r) -> Task<web::StreamResponse> {
        web::WebSocketResponse ws(web::WebSocketOptions{.autoping = false});
        co_await ws.prepare(r);
        while (true) {
            http::WSMessage m = co_await ws.receive();
            if (m.type != WSMsgType::PING) break;  // seen, never answered
        }
        co_return ws;
    });
    // Reports the handshake's Cookie, Authorization and Origin, then echoes.
    app.router().add_get("/whoami", [](web::Request& r) -> Task<web::StreamResponse> {
        web::WebSocketResponse ws;
        co_await ws.prepare(r);
        std::string who = "cookie=" + std::string(r.headers().get("Cookie").value_or("-")) +
                          " auth=" + std::string(r.headers().get("Authorization").value_or("-")) +
                          " origin=" + std::string(r.headers().get("Origin").value_or("-"));
        co_await ws.send_str(who);
        http::WSMessage m = co_await ws.receive();
        (void)m;
        co_return ws;
    });
    // Pings the client every 20 ms with heartbeat; a client that answers stays.
    app.router().add_get("/beating", [](web::Request& r) -> Task<web::StreamResponse> {
        web::WebSocketResponse ws(web::WebSocketOptions{.heartbeat = 200ms});
        co_await ws.prepare(r);
        http::WSMessage m = co_await ws.receive();
        std::string said = std::string(to_string(m.type)) + ":" + m.data;
        co_await ws.send_str(said);
        http::WSMessage end = co_await ws.receive();
        (void)end;
        co_return ws;
    });
    app.router().add_get("/ready", [](web::Request& r) -> Task<web::StreamResponse> {
        web::WebSocketResponse ws(web::WebSocketOptions{.protocols = {"p1"}});
        web::WebSocketReady ready = ws.can_prepare(r);
        if (!ready) co_return web::Response({.text = "no"});
        co_await ws.prepare(r);
        std::string said = "ok " + (ready.protocol.empty() ? std::string("-") : ready.protocol);
        co_await ws.send_str(said);
        co_await ws.close();
        co_return ws;
    });
}


std::string ws_url(const WebServer& s, const std::string& path) {
    return "ws://127.0.0.1:" + std::to_string(s.port()) + path;
}

}  // namespace

TEST(WebSocket, EchoesTextAndBinaryOfEverySize) {
    WebServer server([](web::Application& app) { ws_app(app); });
    int fds_before = aio::test::count_open_fds();
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        EXPECT_EQ(ws.status(), 101);
        EXPECT_EQ(ws.compress(), 15);
        const std::vector<std::size_t> sizes = {0, 1, 125, 126, 65535, 65536, std::size_t(1) << 20};
        for (std::size_t size : sizes) {
            std::string text(size, 'a');
            for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
            co_await ws.send_str(text);
            http::WSMessage got = co_await ws.receive();
            EXPECT_EQ(got.type, WSMsgType::TEXT);
            EXPECT_EQ(got.data, text) << size;
            std::string bytes(size, '\0');
            for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 7919 % 251);
            co_await ws.send_bytes(bytes);
            got = co_await ws.receive();
            EXPECT_EQ(got.type, WSMsgType::BINARY);
            EXPECT_EQ(got.data, bytes) << size;
        }
        std::string unicode = "h\xc3\xa9llo \xf0\x9f\x98\x80";
        co_await ws.send_str(unicode);
        std::string back = co_await ws.receive_str();
        EXPECT_EQ(back, unicode);
        const aio::json::Value doc = aio::json::Object{{"a", 1}, {"b", aio::json::Array{true, nullptr}}};
        co_await ws.send_json(doc);
        aio::json::Value v = co_await ws.receive_json();
        EXPECT_EQ(aio::json::dumps(v), R"({"a": 1, "b": [true, null]})");
        bool closed = co_await ws.close();
        EXPECT_TRUE(closed);
        EXPECT_TRUE(ws.closed());
        EXPECT_EQ(ws.close_code(), 1000);
        bool again = co_await ws.close();
        EXPECT_FALSE(again);
    });
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST(WebSocket, WithoutCompressionWhenTheClientOffersNone) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions plain{.compress = 0};
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"), plain);
        EXPECT_EQ(ws.compress(), 0);
        co_await ws.send_str("compress");
        std::string c = co_await ws.receive_str();
        EXPECT_EQ(c, "0");
        co_await ws.close();
    });
}

TEST(WebSocket, ServerCompressionFollowsTheOffer) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions narrow{.compress = 10};
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"), narrow);
        co_await ws.send_str("compress");
        std::string c = co_await ws.receive_str();
        EXPECT_EQ(c, "10");  // the server writes with the window the client asked for
        std::string big(300000, 'z');
        co_await ws.send_str(big);
        std::string back = co_await ws.receive_str();
        EXPECT_EQ(back, big);
        co_await ws.close();
    });
}

TEST(WebSocket, NegotiatesTheSubprotocolInTheClientsOrder) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions offer{.protocols = {"superchat", "chat"}};
        auto ws = co_await session.ws_connect(ws_url(server, "/chat"), offer);
        EXPECT_EQ(ws.protocol(), "superchat");
        co_await ws.send_str("protocol");
        std::string p = co_await ws.receive_str();
        EXPECT_EQ(p, "superchat");
        co_await ws.close();
        http::WSConnectOptions other{.protocols = {"mqtt"}};
        auto none = co_await session.ws_connect(ws_url(server, "/chat"), other);
        EXPECT_EQ(none.protocol(), "");
        co_await none.close();
    });
}

TEST(WebSocket, ClientClosesFirstAndTheServerSeesItsCodeAndReason) {
    Recorded rec;
    WebServer server([&](web::Application& app) { ws_app(app, &rec); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/record"));
        bool closed = co_await ws.close(4001, "bye now");
        EXPECT_TRUE(closed);
        EXPECT_EQ(ws.close_code(), 4001);  // echoed by the server
    });
    while (!rec.done) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(rec.close_code.load(), 4001);
    EXPECT_EQ(rec.close_extra, "bye now");
}

TEST(WebSocket, ServerClosesFirst) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        co_await ws.send_str("close 4000 done here");
        http::WSMessage msg = co_await ws.receive();
        EXPECT_EQ(msg.type, WSMsgType::CLOSE);
        EXPECT_EQ(msg.code, 4000);
        EXPECT_EQ(msg.extra, "done here");
        EXPECT_TRUE(ws.closed());
        EXPECT_EQ(ws.close_code(), 4000);
        http::WSMessage after = co_await ws.receive();
        EXPECT_EQ(after.type, WSMsgType::CLOSED);
        auto raised = co_await aio::test::raises<aio::ConnectionResetError>(ws.send_str("late"));
        EXPECT_TRUE(raised.has_value());
    });
}

TEST(WebSocket, AHandlerThatReturnsOpenClosesWith1000AndOneThatFailsWith1011) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        co_await ws.send_str("leave");
        http::WSMessage msg = co_await ws.receive();
        EXPECT_EQ(msg.type, WSMsgType::CLOSE);
        EXPECT_EQ(msg.code, 1000);
        auto failing = co_await session.ws_connect(ws_url(server, "/ws"));
        co_await failing.send_str("throw");
        http::WSMessage bad = co_await failing.receive();
        EXPECT_EQ(bad.type, WSMsgType::CLOSE);
        EXPECT_EQ(bad.code, 1011);
    });
}

TEST(WebSocket, IterationEndsAtTheClose) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        co_await ws.send_str("one");
        co_await ws.send_bytes("two");
        co_await ws.send_str("close 1000 end");
        std::vector<std::string> seen;
        auto messages = ws.messages();
        while (true) {
            auto m = co_await messages.next();
            if (!m) break;
            seen.push_back(std::string(to_string(m->type)) + ":" + m->data);
        }
        EXPECT_EQ(seen, (std::vector<std::string>{"TEXT:one", "BINARY:two"}));
        EXPECT_EQ(ws.close_code(), 1000);
    });
}

TEST(WebSocket, PingsAreAnsweredAndPongsSeenWithoutAutoping) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions manual{.autoping = false};
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"), manual);
        co_await ws.ping("are you there");
        http::WSMessage msg = co_await ws.receive();
        EXPECT_EQ(msg.type, WSMsgType::PONG);
        EXPECT_EQ(msg.data, "are you there");
        const std::string long_payload(126, 'p');
        auto too_long = co_await aio::test::raises<aio::ValueError>(ws.ping(long_payload));
        EXPECT_TRUE(too_long.has_value());
        co_await ws.close();
    });
}

TEST(WebSocket, ReceiveTimesOutAndTheConnectionLivesOn) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        auto late = co_await aio::test::raises<aio::TimeoutError>(ws.receive(50ms));
        EXPECT_TRUE(late.has_value());
        co_await ws.send_str("still here");
        std::string back = co_await ws.receive_str();
        EXPECT_EQ(back, "still here");
        co_await ws.close();
    });
}

TEST(WebSocket, CloseWhileAReceiveRunsDeliversWhatWasInFlight) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        std::vector<std::string> got;
        auto reader = aio::create_task([](http::ClientWebSocketResponse& w, std::vector<std::string>& out) -> Task<int> {
            while (true) {
                http::WSMessage m = co_await w.receive();
                if (m.type != WSMsgType::TEXT) co_return static_cast<int>(m.type);
                out.push_back(m.data);
            }
        }(ws, got));
        co_await aio::sleep(0s);
        const std::string a = "one", b = "two";
        co_await ws.send_str(a);
        co_await ws.send_str(b);
        bool closed = co_await ws.close();  // the reader sees the echoes, then the server's CLOSE
        EXPECT_TRUE(closed);
        int last = co_await std::move(reader);
        EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
        EXPECT_EQ(last, static_cast<int>(WSMsgType::CLOSE));
        EXPECT_EQ(ws.close_code(), 1000);
        http::WSMessage after = co_await ws.receive();
        EXPECT_EQ(after.type, WSMsgType::CLOSED);
    });
}

TEST(WebSocket, AHeartbeatWithoutAnswerEndsTheConnection) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions beat{.heartbeat = 50ms};
        auto ws = co_await session.ws_connect(ws_url(server, "/deaf"), beat);
        http::WSMessage m = co_await ws.receive();
        EXPECT_EQ(m.type, WSMsgType::CLOSED);
        EXPECT_EQ(ws.close_code(), 1006);
        bool timed_out = false;
        try {
            if (ws.exception()) std::rethrow_exception(ws.exception());
        } catch (const aio::TimeoutError&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
    });
}

// Durations meant as "never" (infinity, 1e300 s) for the heartbeat and the
// timeouts: the WebSocket works and never pings (the heartbeat's deadline was
// an unchecked cast of infinity, undefined behaviour that UBSan reported).
TEST(WebSocket, DurationsOfInfinityMeanNever) {
    WebServer server([](web::Application& app) { ws_app(app); });
    const int before = aio::test::count_open_fds();
    run_client([&](http::ClientSession& session) -> Task<> {
        const double forever_values[] = {std::numeric_limits<double>::infinity(), 1e300};
        for (double forever : forever_values) {
            const http::WSConnectOptions::Seconds never(forever);
            http::WSConnectOptions o{.timeout = http::ClientWSTimeout{.ws_receive = never, .ws_close = never},
                                     .heartbeat = never};
            auto ws = co_await session.ws_connect(ws_url(server, "/ws"), o);
            const std::string hello = "hello";
            co_await ws.send_str(hello);
            std::string back = co_await ws.receive_str();
            EXPECT_EQ(back, "hello") << forever;
            bool closed = co_await ws.close();
            EXPECT_TRUE(closed);
            EXPECT_EQ(ws.close_code(), 1000);
        }
    });
    // A heartbeat or timer of "never" holds no socket once the connections
    // are closed: both ends' descriptors come back (the server's side closes
    // a moment after the closing handshake).
    for (int i = 0; i < 200 && aio::test::count_open_fds() > before; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_LE(aio::test::count_open_fds(), before);
}

TEST(WebSocket, AHeartbeatThatIsAnsweredKeepsTheConnection) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/beating"));
        // The server pings every 200 ms of silence and waits 100 ms for the
        // PONG (aiohttp's heartbeat / 2: wide enough for a loaded machine);
        // the client's pending receive() answers each, so a second later
        // the server is still there.
        auto late = co_await aio::test::raises<aio::TimeoutError>(ws.receive(1000ms));
        EXPECT_TRUE(late.has_value());
        const std::string hello = "still here";
        co_await ws.send_str(hello);
        std::string back = co_await ws.receive_str();
        EXPECT_EQ(back, "TEXT:still here");
        co_await ws.close();
        EXPECT_EQ(ws.close_code(), 1000);
    });
}

TEST(WebSocket, TheSessionsCookiesAuthAndOriginGoWithTheHandshake) {
    WebServer server([](web::Application& app) { ws_app(app); });
    aio::run([&]() -> Task<> {
        http::SessionOptions so;
        so.cookies.add("sid", "abc123");
        http::ClientSession session(so);
        http::WSConnectOptions o{.origin = "http://app.example", .auth = http::BasicAuth{"user", "pass"}};
        auto ws = co_await session.ws_connect(ws_url(server, "/whoami"), o);
        std::string who = co_await ws.receive_str();
        EXPECT_EQ(who, "cookie=sid=abc123 auth=Basic dXNlcjpwYXNz origin=http://app.example");
        co_await ws.close();
        co_await session.close();
    }());
}

TEST(WebSocket, WithoutAutocloseTheProgramAnswersTheClose) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions manual{.autoclose = false};
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"), manual);
        const std::string cmd = "close 4003 over";
        co_await ws.send_str(cmd);
        http::WSMessage m = co_await ws.receive();
        EXPECT_EQ(m.type, WSMsgType::CLOSE);
        EXPECT_EQ(m.code, 4003);
        EXPECT_FALSE(ws.closed());  // not answered yet
        bool closed = co_await ws.close();
        EXPECT_TRUE(closed);
        EXPECT_TRUE(ws.closed());
        EXPECT_EQ(ws.close_code(), 4003);
    });
}

TEST(WebSocket, ABadCloseCodeIsAValueError) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        auto bad = co_await aio::test::raises<aio::ValueError>(ws.close(1005));
        EXPECT_TRUE(bad.has_value());
        const std::string invalid("\xff\xfe", 2);
        auto not_text = co_await aio::test::raises<aio::ValueError>(ws.send_str(invalid));
        EXPECT_TRUE(not_text.has_value());
        EXPECT_FALSE(ws.closed());
        co_await ws.close();
    });
}

TEST(WebSocket, CloseRefusesACodePast16BitsAMessageWithoutCodeAndOneNotUtf8) {
    Recorded rec;
    WebServer server([&](web::Application& app) { ws_app(app, &rec); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/record"));
        // 66536 and -64536 are 1000 in 16 bits: refused, not sent as 1000.
        auto wrapped = co_await aio::test::raises<aio::ValueError>(ws.close(66536));
        EXPECT_TRUE(wrapped.has_value());
        auto negative = co_await aio::test::raises<aio::ValueError>(ws.close(-64536));
        EXPECT_TRUE(negative.has_value());
        // A reason needs a code: refused at once, not a close frame that is
        // never sent and a wait of the whole close timeout.
        const auto before = std::chrono::steady_clock::now();
        auto no_code = co_await aio::test::raises<aio::ValueError>(ws.close(0, "why"));
        EXPECT_TRUE(no_code.has_value());
        EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
        // The peer would fail the connection with 1007 for it.
        const std::string not_utf8("\xff\xfe", 2);
        auto invalid = co_await aio::test::raises<aio::ValueError>(ws.close(4000, not_utf8));
        EXPECT_TRUE(invalid.has_value());
        EXPECT_FALSE(ws.closed());
        bool closed = co_await ws.close(4000, "bye");
        EXPECT_TRUE(closed);
        EXPECT_EQ(ws.close_code(), 4000);
    });
    while (!rec.done) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(rec.close_code.load(), 4000);
    EXPECT_EQ(rec.close_extra, "bye");
}

TEST(WebSocket, AMaxMsgSizeOfUint64MaxIsNoLimitForCompressedMessagesToo) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        const http::WSConnectOptions o{.max_msg_size = std::numeric_limits<std::uint64_t>::max()};
        auto ws = co_await session.ws_connect(ws_url(server, "/unlimited"), o);
        EXPECT_EQ(ws.compress(), 15);
        const std::vector<std::size_t> sizes = {0, 1, 100000};
        for (std::size_t size : sizes) {
            const std::string text(size, 'u');
            co_await ws.send_str(text);
            std::string back = co_await ws.receive_str();
            EXPECT_EQ(back, text) << size;
        }
        co_await ws.close();
    });
}

TEST(WebSocket, ACancelledReceiveLosesNoMessage) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        // Cancelled while it waits: nothing had arrived, nothing is lost.
        auto waiting = aio::create_task(ws.receive());
        co_await aio::sleep(0s);
        waiting.cancel();
        auto cancelled = co_await aio::test::raises<aio::CancelledError>(waiting);
        EXPECT_TRUE(cancelled.has_value());
        // Cancelled with the echoes on their way: the next receives get every one.
        const std::string one = "one", two = "two";
        co_await ws.send_str(one);
        co_await ws.send_str(two);
        auto racing = aio::create_task(ws.receive());
        racing.cancel();
        std::vector<std::string> got;
        try {
            http::WSMessage m = co_await std::move(racing);
            got.push_back(m.data);
        } catch (const aio::CancelledError&) {
        }
        while (got.size() < 2) {
            http::WSMessage m = co_await ws.receive();
            if (m.type != WSMsgType::TEXT) {
                ADD_FAILURE() << "got " << to_string(m.type);
                break;
            }
            got.push_back(m.data);
        }
        EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
        co_await ws.close();
        EXPECT_EQ(ws.close_code(), 1000);
    });
}

TEST(WebSocket, ConcurrentReceiveIsRefused) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/ws"));
        auto first = aio::create_task(ws.receive());
        co_await aio::sleep(0s);
        auto second = co_await aio::test::raises<aio::RuntimeError>(ws.receive());
        EXPECT_TRUE(second.has_value());
        co_await ws.send_str("x");
        http::WSMessage m = co_await std::move(first);
        EXPECT_EQ(m.data, "x");
        co_await ws.close();
    });
}

TEST(WebSocket, AMessageOverTheLimitCloses1009) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(ws_url(server, "/small"));
        const std::string fits(1000, 'k'), too_big(2000, 'k');
        co_await ws.send_str(fits);
        std::string ok = co_await ws.receive_str();
        EXPECT_EQ(ok.size(), 1000u);
        co_await ws.send_str(too_big);
        http::WSMessage msg = co_await ws.receive();
        EXPECT_EQ(msg.type, WSMsgType::CLOSE);
        EXPECT_EQ(msg.code, 1009);
    });
}

TEST(WebSocket, HandshakeErrorsSayWhatWasWrong) {
    WebServer server([](web::Application& app) { ws_app(app); });
    run_client([&](http::ClientSession& session) -> Task<> {
        std::optional<int> status;
        std::string message;
        try {
            co_await session.ws_connect(ws_url(server, "/plain"));
        } catch (const http::WSServerHandshakeError& e) {
            status = e.status();
            message = e.message();
        }
        EXPECT_EQ(status, 200);
        EXPECT_EQ(message, "Invalid response status");
        // A plain GET of a WebSocket route is a 400 that says why.
        auto resp = co_await session.get(server.url("/ws"));
        EXPECT_EQ(resp.status(), 400);
        std::string body = co_await resp.text();
        EXPECT_NE(body.find("No WebSocket UPGRADE hdr"), std::string::npos) << body;
        auto ready = co_await session.get(server.url("/ready"));
        std::string r = co_await ready.text();
        EXPECT_EQ(r, "no");
        http::WSConnectOptions p1{.protocols = {"p0", "p1"}};
        auto ws = co_await session.ws_connect(ws_url(server, "/ready"), p1);
        std::string yes = co_await ws.receive_str();
        EXPECT_EQ(yes, "ok p1");
        auto plain = co_await session.ws_connect(ws_url(server, "/ready"));
        std::string none = co_await plain.receive_str();
        EXPECT_EQ(none, "ok -");
    });
}

TEST(WebSocket, ServerRefusesAnUnmaskedClientFrameWith1002) {
    WebServer server([](web::Application& app) { ws_app(app); });
    RawClient raw(server.port());
    ASSERT_TRUE(raw.connected());
    raw.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::string head = raw.read_until("\r\n\r\n");
    EXPECT_EQ(aio::test::status_of(head), 101);
    EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
    raw.send(std::string("\x81\x05hello", 7));  // unmasked: only a server may send that
    bool closed = false;
    std::string rest = raw.read_all(&closed);
    EXPECT_TRUE(closed);
    ASSERT_GE(rest.size(), 4u);
    EXPECT_EQ(static_cast<unsigned char>(rest[0]), 0x88);
    EXPECT_EQ((static_cast<unsigned char>(rest[2]) << 8) | static_cast<unsigned char>(rest[3]), 1002);
}

TEST(WebSocket, AGracefulShutdownClosesOpenWebSocketsWith1001) {
    auto server = std::make_unique<WebServer>([](web::Application& app) { ws_app(app); });
    std::string url = ws_url(*server, "/ws");
    // Joined once the client's loop is done: joining inside it would stop
    // the loop from writing the answer to the close frame, and the server's
    // shutdown would wait its whole timeout for it.
    std::thread stopper;
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ws = co_await session.ws_connect(url);
        co_await ws.send_str("hi");
        std::string hi = co_await ws.receive_str();
        EXPECT_EQ(hi, "hi");
        stopper = std::thread([&] { server->stop(); });
        http::WSMessage msg = co_await ws.receive();
        EXPECT_EQ(msg.type, WSMsgType::CLOSE);
        EXPECT_EQ(msg.code, 1001);
    });
    stopper.join();
}
