// aio-test-shards: 5
// WebSocket interop: aio's client against three independent servers, and
// three independent clients against aio's server — Python's `websockets`,
// aiohttp's own WebSocket, and Node's `ws` (tests/web/peers/ws/README.md
// has the peers' contract). Text and binary from 0 bytes to 16 MiB,
// fragmented messages, compression on and off, ping/pong, every close path,
// subprotocols, and wss:// with a CA made for the test.
#include <gtest/gtest.h>

#include <aio/http.hpp>

#include <fstream>
#include <iterator>
#include <mutex>

#include "support/support.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace web = aio::web;
namespace http = aio::http;
using aio::Task;
using aio::test::run_client;
using aio::test::PeerServer;
using aio::test::run_command;
using aio::test::source_path;
using http::WSMsgType;

namespace {

std::string peer_command(const std::string& peer) {
    std::string dir = source_path("tests/web/peers/ws/");
    if (peer == "node") return "env NODE_PATH=/usr/share/nodejs node " + dir + "ws_node.js";
    return "/usr/bin/python3 " + dir + "ws_" + peer + ".py";
}

/// A CA and a localhost certificate it signed, in a fresh directory.
struct TestPki {
    std::string dir;
    bool ok = false;
    TestPki() {
        char tmpl[] = "/tmp/aio-ws-pki.XXXXXX";
        dir = ::mkdtemp(tmpl);
        ok = run_command("cd " + dir +
                         " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
                         "-subj /CN=aio-test-ca >/dev/null 2>&1"
                         " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
                         "-subj /CN=localhost >/dev/null 2>&1"
                         " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf"
                         " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                         "-out server.pem -days 2 -extfile ext.cnf >/dev/null 2>&1")
                 .status == 0;
    }
    ~TestPki() { run_command("rm -rf " + dir); }
};

/// How long a check waits for what a peer does after the exchange (prints
/// a line, or closes): it returns as soon as that is seen, and a peer under a
/// loaded CI host (sanitizer builds beside it) may take seconds to get there.
constexpr int kPeerWaitSteps = 3000;  // × 10 ms

/// Waits until the peer server printed `line` (it prints `CLOSED <code>` as
/// each connection ends).
bool peer_printed(PeerServer& s, const std::string& line) { return s.proc.wait_printed(line, kPeerWaitSteps * 10ms); }


std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    std::uint32_t x = seed;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        s[i] = static_cast<char>(x >> 24);
    }
    return s;
}

std::string text_pattern(std::size_t n) {
    std::string s = pattern(n, 7);
    for (char& c : s) c = static_cast<char>(0x21 + static_cast<unsigned char>(c) % 94);
    return s;
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class Interop : public ::testing::TestWithParam<std::string> {};

}  // namespace

// ---- aio's client against each peer's server ---------------------------------

TEST_P(Interop, AioClientAgainstPeerServer) {
    PeerServer peer(peer_command(GetParam()) + " server --port {port} --protocols chat,superchat",
                    aio::test::free_port());
    ASSERT_TRUE(peer.up) << peer.why;
    std::string url = "ws://127.0.0.1:" + std::to_string(peer.port) + "/";
    int fds_before = aio::test::count_open_fds();
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions offer{.protocols = {"superchat", "chat"}, .max_msg_size = 64 << 20};
        auto ws = co_await session.ws_connect(url, offer);
        EXPECT_EQ(ws.protocol(), "superchat");
        EXPECT_GT(ws.compress(), 0);
        const std::string ask_compress = "compress", ask_protocol = "protocol";
        co_await ws.send_str(ask_compress);
        std::string on = co_await ws.receive_str();
        EXPECT_EQ(on, "on");
        co_await ws.send_str(ask_protocol);
        std::string proto = co_await ws.receive_str();
        EXPECT_EQ(proto, "superchat");
        const std::vector<std::size_t> sizes = {0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20};
        for (std::size_t n : sizes) {
            std::string text = text_pattern(n);
            co_await ws.send_str(text);
            http::WSMessage t = co_await ws.receive();
            EXPECT_EQ(t.type, WSMsgType::TEXT) << n;
            EXPECT_TRUE(t.data == text) << "text of " << n << " bytes came back different";
            std::string bin = pattern(n, static_cast<unsigned>(n));
            co_await ws.send_bytes(bin);
            http::WSMessage b = co_await ws.receive();
            EXPECT_EQ(b.type, WSMsgType::BINARY) << n;
            EXPECT_TRUE(b.data == bin) << "binary of " << n << " bytes came back different";
        }
        // A fragmented message arrives whole; a PING from the server is answered.
        const std::string frag = "frag 7 100000", ping = "ping are you there";
        co_await ws.send_str(frag);
        std::string xs = co_await ws.receive_str();
        EXPECT_EQ(xs, std::string(100000, 'x'));
        co_await ws.send_str(ping);
        std::string pong = co_await ws.receive_str();
        EXPECT_EQ(pong, "pong are you there");
        // The server closes first.
        const std::string close_cmd = "close 4001 bye bye";
        co_await ws.send_str(close_cmd);
        http::WSMessage c = co_await ws.receive();
        EXPECT_EQ(c.type, WSMsgType::CLOSE);
        EXPECT_EQ(c.code, 4001);
        EXPECT_EQ(c.extra, "bye bye");
        EXPECT_TRUE(ws.closed());
    });
    EXPECT_TRUE(peer_printed(peer, "CLOSED 4001")) << peer.proc.output();

    run_client([&](http::ClientSession& session) -> Task<> {
        // Uncompressed, closed by the client.
        http::WSConnectOptions plain{.compress = 0, .max_msg_size = 64 << 20};
        auto ws = co_await session.ws_connect(url, plain);
        EXPECT_EQ(ws.compress(), 0);
        EXPECT_EQ(ws.protocol(), "");
        const std::string ask = "compress";
        co_await ws.send_str(ask);
        std::string off = co_await ws.receive_str();
        EXPECT_EQ(off, "off");
        std::string big = pattern(16 << 20, 3);
        co_await ws.send_bytes(big);
        std::string back = co_await ws.receive_bytes();
        EXPECT_TRUE(back == big);
        bool closed = co_await ws.close(4002, "client done");
        EXPECT_TRUE(closed);
        EXPECT_EQ(ws.close_code(), 4002);
    });
    EXPECT_TRUE(peer_printed(peer, "CLOSED 4002")) << peer.proc.output();

    run_client([&](http::ClientSession& session) -> Task<> {
        // The server drops the connection without a close frame.
        auto ws = co_await session.ws_connect(url);
        const std::string abort = "abort";
        co_await ws.send_str(abort);
        http::WSMessage m = co_await ws.receive();
        EXPECT_TRUE(m.type == WSMsgType::CLOSED || m.type == WSMsgType::ERROR) << to_string(m.type);
        EXPECT_EQ(ws.close_code(), 1006);
    });
    EXPECT_EQ(aio::test::count_open_fds(), fds_before);
}

TEST_P(Interop, AioClientOverTlsWithTheTestCa) {
    TestPki pki;
    ASSERT_TRUE(pki.ok);
    PeerServer peer(peer_command(GetParam()) + " server --port {port} --tls " + pki.dir + "/server.pem " + pki.dir +
                        "/server.key",
                    aio::test::free_port());
    ASSERT_TRUE(peer.up) << peer.why;
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ctx = aio::create_default_context();
        ctx.load_verify_locations(pki.dir + "/ca.pem");
        http::WSConnectOptions tls{.ssl = ctx};
        std::string url = "wss://localhost:" + std::to_string(peer.port) + "/";
        auto ws = co_await session.ws_connect(url, tls);
        std::string text = text_pattern(300000);
        co_await ws.send_str(text);
        std::string back = co_await ws.receive_str();
        EXPECT_TRUE(back == text);
        co_await ws.close();
        EXPECT_EQ(ws.close_code(), 1000);
    });
}

// ---- each peer's client against aio's server ---------------------------------

namespace {

/// aio's side of the peers' server contract (README.md of the peers).
struct ContractServer {
    std::mutex mu;
    std::vector<int> closed;  // each connection's close code, as the peers print them

    void record(int code) {
        std::lock_guard lock(mu);
        closed.push_back(code);
    }
    bool saw(int code) {
        for (int i = 0; i < kPeerWaitSteps; ++i) {
            {
                std::lock_guard lock(mu);
                if (std::find(closed.begin(), closed.end(), code) != closed.end()) return true;
            }
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    Task<web::StreamResponse> handle(web::Request& r) {
        web::WebSocketResponse ws(web::WebSocketOptions{
            .autoping = false, .protocols = {"chat", "superchat"}, .max_msg_size = 64 << 20});
        co_await ws.prepare(r);
        int code = 1006;
        while (true) {
            http::WSMessage m = co_await ws.receive();
            if (m.type == WSMsgType::TEXT) {
                const std::string& t = m.data;
                if (t.starts_with("close ")) {
                    std::size_t sp = t.find(' ', 6);
                    int c = std::stoi(t.substr(6, sp - 6));
                    std::string reason = sp == std::string::npos ? "" : t.substr(sp + 1);
                    co_await ws.close(c, reason);
                    code = ws.close_code().value_or(1006);
                    break;
                }
                if (t.starts_with("frag ")) {
                    std::size_t sp = t.find(' ', 5);
                    std::string xs(std::stoul(t.substr(sp + 1)), 'x');
                    co_await ws.send_str(xs);  // aio sends a message as one frame
                } else if (t == "ping" || t.starts_with("ping ")) {
                    std::string payload = t.size() > 5 ? t.substr(5) : "";
                    co_await ws.ping(payload);
                } else if (t == "protocol") {
                    std::string p = ws.ws_protocol().empty() ? "-" : ws.ws_protocol();
                    co_await ws.send_str(p);
                } else if (t == "compress") {
                    std::string c = ws.compress() ? "on" : "off";
                    co_await ws.send_str(c);
                } else {
                    co_await ws.send_str(t);
                }
            } else if (m.type == WSMsgType::BINARY) {
                co_await ws.send_bytes(m.data);
            } else if (m.type == WSMsgType::PING) {
                co_await ws.pong(m.data);
            } else if (m.type == WSMsgType::PONG) {
                std::string said = "pong " + m.data;
                co_await ws.send_str(said);
            } else {
                code = m.type == WSMsgType::CLOSE ? m.code : ws.close_code().value_or(1006);
                break;
            }
        }
        record(code);
        co_return ws;
    }
};

std::string run_peer_client(const std::string& peer, const std::string& url, const std::string& script,
                            const std::string& extra = "") {
    char tmpl[] = "/tmp/aio-ws-script.XXXXXX";
    int fd = ::mkstemp(tmpl);
    ssize_t wrote = ::write(fd, script.data(), script.size());
    (void)wrote;
    ::close(fd);
    auto r = run_command(peer_command(peer) + " client " + url + " " + extra + " --script " + tmpl + " 2>&1");
    ::unlink(tmpl);
    return r.output;
}

}  // namespace

TEST_P(Interop, PeerClientAgainstAioServer) {
    ContractServer contract;
    aio::test::WebServer server([&](web::Application& app) {
        app.router().add_get("/", [&](web::Request& r) { return contract.handle(r); });
    });
    std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/";
    std::string out = run_peer_client(GetParam(), url,
                                      "expect compress on\n"
                                      "expect protocol superchat\n"
                                      "echo text 0\n"
                                      "echo text 1\n"
                                      "echo text 125\n"
                                      "echo bin 126\n"
                                      "echo bin 65536\n"
                                      "echo text 1048576\n"
                                      "echo bin 16777216\n"
                                      "echo frag 4 100000\n"
                                      "echo fragbin 3 70000\n"
                                      "echo str h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80\n"
                                      "ping hi there\n"
                                      "cmd frag 5 1000\n"
                                      "expect xs 1000\n"
                                      "cmd ping hey\n"
                                      "expect text pong hey\n"
                                      "cmd protocol\n"
                                      "expect text superchat\n"
                                      "cmd close 4001 bye\n"
                                      "expect close 4001 bye\n",
                                      "--protocols superchat,chat");
    EXPECT_NE(out.find("\nOK\n"), std::string::npos) << out;
    EXPECT_TRUE(contract.saw(4001));

    std::string plain = run_peer_client(GetParam(), url,
                                        "expect compress off\n"
                                        "expect protocol -\n"
                                        "echo bin 1048576\n"
                                        "echo frag 3 5000\n"
                                        "close 4002 client done\n",
                                        "--no-compress");
    EXPECT_NE(plain.find("\nOK\n"), std::string::npos) << plain;
    EXPECT_NE(plain.find("server answered 4002"), std::string::npos) << plain;
    EXPECT_TRUE(contract.saw(4002));
}

TEST_P(Interop, PeerClientAgainstAioServerOverTls) {
    TestPki pki;
    ASSERT_TRUE(pki.ok);
    auto ctx = aio::create_default_context(aio::Purpose::CLIENT_AUTH);
    ctx.load_cert_chain(pki.dir + "/server.pem", pki.dir + "/server.key");
    ContractServer contract;
    web::SiteOptions site;
    site.ssl = ctx;
    aio::test::WebServer server(
        [&](web::Application& app) { app.router().add_get("/", [&](web::Request& r) { return contract.handle(r); }); },
        {}, site);
    ASSERT_EQ(server.error(), "");
    std::string url = "wss://localhost:" + std::to_string(server.port()) + "/";
    std::string out = run_peer_client(GetParam(), url,
                                      "echo text 300000\n"
                                      "echo bin 70000\n"
                                      "close 1000\n",
                                      "--ca " + pki.dir + "/ca.pem");
    EXPECT_NE(out.find("\nOK\n"), std::string::npos) << out;
    EXPECT_TRUE(contract.saw(1000));
}

INSTANTIATE_TEST_SUITE_P(Peers, Interop, ::testing::Values("websockets", "aiohttp", "node"),
                         [](const auto& info) { return info.param; });

// ---- through an HTTP proxy (CONNECT) ------------------------------------------

TEST(WebSocketProxy, WsAndWssGoThroughAConnectTunnel) {
    TestPki pki;
    ASSERT_TRUE(pki.ok);
    auto server_ctx = aio::create_default_context(aio::Purpose::CLIENT_AUTH);
    server_ctx.load_cert_chain(pki.dir + "/server.pem", pki.dir + "/server.key");
    web::SiteOptions tls_site;
    tls_site.ssl = server_ctx;
    auto echo_app = [](web::Application& app) {
        app.router().add_get("/", [](web::Request& r) -> Task<web::StreamResponse> {
            web::WebSocketResponse ws;
            co_await ws.prepare(r);
            http::WSMessage m = co_await ws.receive();
            std::string reply = "via proxy: " + m.data;
            co_await ws.send_str(reply);
            co_await ws.close();
            co_return ws;
        });
    };
    aio::test::WebServer server(echo_app);
    aio::test::WebServer tls_server(echo_app, {}, tls_site);
    ASSERT_EQ(tls_server.error(), "");
    char tmpl[] = "/tmp/aio-ws-proxy.XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    int proxy_port = aio::test::free_port();
    write_text(dir + "/tinyproxy.conf", "Port " + std::to_string(proxy_port) +
                                                         "\nListen 127.0.0.1\nAllow 127.0.0.1\nMaxClients 20\n"
                                                         "LogLevel Connect\nLogFile \"" + dir + "/proxy.log\"\n");
    aio::test::Process proxy("/usr/bin/tinyproxy -d -c " + dir + "/tinyproxy.conf");
    ASSERT_TRUE(aio::test::wait_listening(proxy_port, &proxy)) << proxy.output();
    run_client([&](http::ClientSession& session) -> Task<> {
        http::WSConnectOptions via{.proxy = "http://127.0.0.1:" + std::to_string(proxy_port)};
        std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/";
        auto ws = co_await session.ws_connect(url, via);
        const std::string hello = "hello";
        co_await ws.send_str(hello);
        std::string r = co_await ws.receive_str();
        EXPECT_EQ(r, "via proxy: hello");
        http::WSMessage end = co_await ws.receive();
        EXPECT_EQ(end.type, WSMsgType::CLOSE);
    });
    run_client([&](http::ClientSession& session) -> Task<> {
        auto ctx = aio::create_default_context();
        ctx.load_verify_locations(pki.dir + "/ca.pem");
        http::WSConnectOptions via{.ssl = ctx, .proxy = "http://127.0.0.1:" + std::to_string(proxy_port)};
        std::string url = "wss://localhost:" + std::to_string(tls_server.port()) + "/";
        auto ws = co_await session.ws_connect(url, via);
        const std::string hello = "secret";
        co_await ws.send_str(hello);
        std::string r = co_await ws.receive_str();
        EXPECT_EQ(r, "via proxy: secret");
    });
    std::string log = read_text(dir + "/proxy.log");
    EXPECT_NE(log.find("CONNECT 127.0.0.1:" + std::to_string(server.port())), std::string::npos) << log;
    EXPECT_NE(log.find("CONNECT localhost:" + std::to_string(tls_server.port())), std::string::npos) << log;
    run_command("rm -rf " + dir);
}
