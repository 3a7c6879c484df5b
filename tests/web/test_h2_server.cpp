// aio-test-shards: 4
// aio::web over HTTP/2 against real clients: curl (prior knowledge and ALPN),
// nghttp, h2load, Python's httpx and h2. The handlers are the HTTP/1.1 ones.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "faults/server_faults_support.hpp"
#include "support/support.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace web = aio::web;
using aio::Task;
using aio::test::Process;
using aio::test::run_command;
using aio::test::source_path;
using aio::test::WebServer;
using aio::test::faults::ScratchDir;

namespace {

std::string big_text() {
    std::string s;
    for (int i = 0; s.size() < 1'000'000; ++i) s += "line " + std::to_string(i) + " of a compressible body\n";
    return s;
}

/// The routes every test serves, each a kind of response.
void routes(web::Application& app) {
    app.router().add_get("/", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.text = "Hello, world"});
    });
    app.router().add_get("/info", [](web::Request& r) -> Task<web::StreamResponse> {
        std::string v = std::to_string(r.version().major) + "." + std::to_string(r.version().minor);
        co_return web::Response({.text = r.method() + " " + r.path() + "?" + std::string(r.query_string()) + " " + v +
                                         " host=" + r.host() + " scheme=" + std::string(r.scheme())});
    });
    app.router().add_get("/big", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.text = big_text()});
    });
    app.router().add_get("/stream", [](web::Request& r) -> Task<web::StreamResponse> {
        web::StreamResponse resp;
        resp.headers().set("Content-Type", "text/plain");
        co_await resp.prepare(r);
        for (int i = 0; i < 3; ++i) {
            std::string piece = "part " + std::to_string(i) + "\n";
            co_await resp.write(piece);
        }
        co_await resp.write_eof();
        co_return resp;
    });
    // Reads the body a piece at a time; answers its length and a checksum.
    app.router().add_post("/sum", [](web::Request& r) -> Task<web::StreamResponse> {
        std::uint64_t n = 0, sum = 0;
        while (true) {
            std::string piece = co_await r.content().read(16384);
            if (piece.empty()) break;
            n += piece.size();
            for (unsigned char c : piece) sum += c;
        }
        co_return web::Response({.text = std::to_string(n) + " " + std::to_string(sum)});
    });
    app.router().add_post("/echo", [](web::Request& r) -> Task<web::StreamResponse> {
        std::string body = co_await r.read();
        co_return web::Response({.body = std::move(body)});
    });
}

/// A self-signed certificate for 127.0.0.1 / localhost, and a server context.
struct Pki {
    ScratchDir dir;
    aio::SSLContext ctx = aio::create_default_context(aio::Purpose::CLIENT_AUTH);
    bool ok = false;
    Pki() {
        auto made = run_command("cd " + dir.path.string() +
                                " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 "
                                "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>&1");
        if (made.status != 0) return;
        ctx.load_cert_chain((dir.path / "cert.pem").string(), (dir.path / "key.pem").string());
        ok = true;
    }
    /// Site options serving TLS with this certificate.
    web::SiteOptions site() const {
        web::SiteOptions s;
        s.ssl = ctx;
        return s;
    }
};

std::string curl(const std::string& args) {
    auto r = run_command("curl -sS --max-time 20 " + args + " 2>&1");
    return r.output;
}

std::string python(const std::string& script_and_args) {
    return run_command("/usr/bin/python3 " + script_and_args + " 2>&1").output;
}

std::string peer(const std::string& scenario, std::uint16_t port, const std::string& args = "") {
    return python(source_path("tests/web/peers/h2_peer.py") + " " + scenario + " " + std::to_string(port) + " " +
                  args);
}

int count_of(const std::string& s, std::string_view what) {
    int n = 0;
    for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

}  // namespace

TEST(Http2Server, CurlWithPriorKnowledgeGetsEveryKindOfResponse) {
    WebServer s(routes);
    ASSERT_EQ(s.error(), "");
    std::string base = "--http2-prior-knowledge " + s.url("");
    EXPECT_EQ(curl("-w ' %{http_version}' " + base + "/"), "Hello, world 2");
    EXPECT_EQ(curl(base + "/info?a=1"), "GET /info?a=1 2.0 host=127.0.0.1:" + std::to_string(s.port()) +
                                              " scheme=http");
    EXPECT_EQ(curl(base + "/stream"), "part 0\npart 1\npart 2\n");
    EXPECT_EQ(curl("-o /dev/null -w '%{http_code} %{http_version}' " + base + "/missing"), "404 2");
    // HEAD: the head only, with the length the GET would have.
    std::string head = curl("-I " + base + "/");
    EXPECT_NE(head.find("HTTP/2 200"), std::string::npos) << head;
    EXPECT_NE(head.find("content-length: 12"), std::string::npos) << head;
    // Compression negotiated as over HTTP/1.1, decoded by curl.
    std::string big = curl("--compressed -D - -o /dev/null -w 'size=%{size_download}' " + base + "/big");
    EXPECT_NE(big.find("content-encoding: "), std::string::npos) << big;
    std::string plain = curl(base + "/big");
    EXPECT_EQ(plain, big_text());
    // A body up, echoed back.
    ScratchDir dir;
    std::string payload(300'000, 'x');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::ofstream(dir.path / "up.bin") << payload;
    std::string echoed = curl("--data-binary @" + (dir.path / "up.bin").string() + " " + base + "/echo");
    EXPECT_EQ(echoed, payload);
}

TEST(Http2Server, AlpnOffersH2AndHttp11OnTheSameTlsSite) {
    Pki pki;
    ASSERT_TRUE(pki.ok);
    web::SiteOptions site = pki.site();
    WebServer s(routes, {}, site);
    ASSERT_EQ(s.error(), "");
    std::string url = "https://127.0.0.1:" + std::to_string(s.port());
    EXPECT_EQ(curl("-k --http2 -w ' %{http_version}' " + url + "/"), "Hello, world 2");
    EXPECT_EQ(curl("-k --http1.1 -w ' %{http_version}' " + url + "/"), "Hello, world 1.1");
    EXPECT_EQ(curl("-k --http2 " + url + "/info"),
              "GET /info? 2.0 host=127.0.0.1:" + std::to_string(s.port()) + " scheme=https");
    EXPECT_EQ(curl("-k --http2 " + url + "/big"), big_text());
}

TEST(Http2Server, WithHttp2OffASiteSpeaksOnlyHttp11) {
    Pki pki;
    ASSERT_TRUE(pki.ok);
    web::ServerOptions opts;
    opts.http2 = false;
    web::SiteOptions site = pki.site();
    WebServer tls(routes, opts, site);
    ASSERT_EQ(tls.error(), "");
    std::string url = "https://127.0.0.1:" + std::to_string(tls.port());
    EXPECT_EQ(curl("-k --http2 -w ' %{http_version}' " + url + "/"), "Hello, world 1.1");
    WebServer plain(routes, opts);
    ASSERT_EQ(plain.error(), "");
    // The preface is no HTTP/1.1 request: refused, never served as one.
    auto r = run_command("curl -sS --max-time 10 --http2-prior-knowledge -o /dev/null -w '%{http_code}' " +
                         plain.url("/") + " 2>&1");
    EXPECT_EQ(r.output.find("200"), std::string::npos) << r.output;
}

TEST(Http2Server, NghttpFetchesManyStreamsOverOneConnection) {
    std::atomic<int> requests{0};
    web::ServerOptions opts;
    opts.access_log = [&](std::string_view line) {
        if (line.find("HTTP/2.0\" 200") != std::string_view::npos) ++requests;
    };
    WebServer s(routes, opts);
    ASSERT_EQ(s.error(), "");
    auto r = run_command("nghttp -n -m 50 " + s.url("/") + " 2>&1; echo status=$?");
    EXPECT_NE(r.output.find("status=0"), std::string::npos) << r.output;
    Pki pki;
    ASSERT_TRUE(pki.ok);
    web::SiteOptions site = pki.site();
    WebServer tls(routes, opts, site);
    ASSERT_EQ(tls.error(), "");
    auto v = run_command("nghttp -v -n -m 20 https://127.0.0.1:" + std::to_string(tls.port()) + "/big 2>&1");
    EXPECT_NE(v.output.find("The negotiated protocol: h2"), std::string::npos) << v.output.substr(0, 2000);
    EXPECT_EQ(count_of(v.output, ":status: 200"), 20);
    for (int i = 0; i < 500 && requests < 70; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(requests.load(), 70);
}

TEST(Http2Server, H2loadCompletesEveryRequestOnConcurrentStreams) {
    WebServer s(routes);
    ASSERT_EQ(s.error(), "");
    auto r = run_command("h2load -n 4000 -c 4 -m 20 " + s.url("/") + " 2>&1");
    EXPECT_NE(r.output.find("4000 succeeded, 0 failed, 0 errored"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("4000 2xx"), std::string::npos) << r.output;
}

TEST(Http2Server, HttpxSpeaksH2OverTlsAndWithPriorKnowledge) {
    ASSERT_TRUE(aio::test::python_has_module("httpx"));
    ASSERT_TRUE(aio::test::python_has_module("h2"));
    Pki pki;
    ASSERT_TRUE(pki.ok);
    web::SiteOptions site = pki.site();
    WebServer tls(routes, {}, site);
    WebServer plain(routes);
    ASSERT_EQ(tls.error(), "");
    ASSERT_EQ(plain.error(), "");
    std::string script =
        "import sys, httpx\n"
        "with httpx.Client(http2=True, verify=False) as c:\n"
        "    r = c.get(sys.argv[1] + '/')\n"
        "    print(r.http_version, r.status_code, r.text)\n"
        "    r = c.post(sys.argv[1] + '/sum', content=b'abc' * 100000)\n"
        "    print(r.http_version, r.status_code, r.text)\n"
        "with httpx.Client(http1=False, http2=True) as c:\n"
        "    r = c.get(sys.argv[2] + '/stream')\n"
        "    print(r.http_version, r.status_code, repr(r.text))\n";
    ScratchDir dir;
    std::ofstream(dir.path / "c.py") << script;
    std::string out = python((dir.path / "c.py").string() + " https://127.0.0.1:" + std::to_string(tls.port()) + " " +
                             plain.url(""));
    EXPECT_EQ(out,
              "HTTP/2 200 Hello, world\n"
              "HTTP/2 200 300000 " + std::to_string(300000 / 3 * ('a' + 'b' + 'c')) + "\n"
              "HTTP/2 200 'part 0\\npart 1\\npart 2\\n'\n");
}

TEST(Http2Server, ALargeUploadIsReadUnderFlowControl) {
    // A 64 KiB window per stream: the 3 MB body needs ~46 window updates,
    // which the server gives only as the handler reads.
    WebServer s(routes);
    ASSERT_EQ(s.error(), "");
    std::uint64_t sum = 0;
    for (int i = 0; i < 3'000'000; ++i) sum += static_cast<unsigned>((i * 7) % 251);
    std::string out = peer("post", s.port(), "/sum 3000000");
    EXPECT_EQ(out, "status 200 body 3000000 " + std::to_string(sum) + "\n");
}

TEST(Http2Server, ServerSettingsFollowTheOptions) {
    web::ServerOptions opts;
    opts.http2_max_concurrent_streams = 7;
    opts.read_limit = 128 * 1024;
    opts.limits.max_headers_size = 16384;
    WebServer s(routes, opts);
    ASSERT_EQ(s.error(), "");
    std::string out = peer("settings", s.port());
    EXPECT_NE(out.find("setting MAX_CONCURRENT_STREAMS 7\n"), std::string::npos) << out;
    EXPECT_NE(out.find("setting INITIAL_WINDOW_SIZE 131072\n"), std::string::npos) << out;
    EXPECT_NE(out.find("setting MAX_HEADER_LIST_SIZE 16384\n"), std::string::npos) << out;
    // Within the limit, every stream is served on one connection.
    std::string many = peer("get", s.port(), "/ 7");
    EXPECT_EQ(count_of(many, "status 200 len 12"), 7) << many;
    // Past it (a client ignoring the acknowledged setting): a protocol error.
    std::string over = peer("concurrency", s.port(), "/big 12");
    EXPECT_NE(over.find("goaway 1\n"), std::string::npos) << over;
    EXPECT_TRUE(aio::test::faults::serves(s.port()));
}

TEST(Http2Server, HeaderFieldsPastTheLimitAre431) {
    WebServer s(routes);
    ASSERT_EQ(s.error(), "");
    std::string out = peer("big-headers", s.port(), "40000");
    EXPECT_NE(out.find("status 431"), std::string::npos) << out;
    std::string ok = peer("big-headers", s.port(), "1000");
    EXPECT_NE(ok.find("status 200"), std::string::npos) << ok;
}

TEST(Http2Server, AnInitialWindowChangePastTheLargestWindowIsAConnectionError) {
    WebServer s(routes);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    // RFC 9113 §6.9.2: FLOW_CONTROL_ERROR for the connection, not a reset
    // of the stream whose window overflowed.
    std::string out = peer("window-overflow", s.port(), "/big");
    EXPECT_NE(out.find("goaway 3\n"), std::string::npos) << out;
    EXPECT_NE(out.find("closed\n"), std::string::npos) << out;
    std::string after = peer("get", s.port(), "/");
    EXPECT_NE(after.find("status 200"), std::string::npos) << after;
    EXPECT_TRUE(aio::test::faults::fds_settle_to(before));
}

TEST(Http2Server, AStreamResetByTheClientCancelsItsHandler) {
    std::atomic<bool> started{false}, cancelled{false};
    auto app = [&](web::Application& a) {
        routes(a);
        a.router().add_get("/wait", [&](web::Request&) -> Task<web::StreamResponse> {
            started = true;
            try {
                co_await aio::sleep(30s);
            } catch (const aio::CancelledError&) {
                cancelled = true;
                throw;
            }
            co_return web::Response({.text = "late"});
        });
    };
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    std::string out = peer("reset-after", s.port(), "/wait 300");
    EXPECT_EQ(out, "reset-sent\n");
    EXPECT_TRUE(started.load());
    for (int i = 0; i < 500 && !cancelled; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(cancelled.load());
    EXPECT_TRUE(aio::test::faults::fds_settle_to(before));
    for (int i = 0; i < 500 && s.runner()->requests_in_flight() > 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(s.runner()->requests_in_flight(), 0u);
}

// A file that shrank while it was being sent (read_file_piece failing after
// the head was out) left the stream open: the client waited for the rest of
// the body until it gave up. The stream is now reset (INTERNAL_ERROR), as a
// handler failing after prepare() resets it, and the connection lives on.
TEST(Http2Server, AFileThatShrinksWhileItIsSentResetsTheStream) {
    ScratchDir dir;
    std::filesystem::path file = dir.path / "big.bin";
    { std::ofstream(file) << ""; }
    std::filesystem::resize_file(file, 256u << 20);  // sparse: read as zeros
    WebServer s([&](web::Application& a) {
        routes(a);
        a.router().add_static("/static", dir.path);
    });
    ASSERT_EQ(s.error(), "");
    int before = aio::test::count_open_fds();
    aio::test::CommandResult got;
    std::thread client([&] {
        got = run_command("curl -s --http2-prior-knowledge --limit-rate 2M --max-time 15 -o /dev/null -w '%{http_code}' " +
                          s.url("/static/big.bin"));
    });
    std::this_thread::sleep_for(500ms);
    std::filesystem::resize_file(file, 64u << 10);
    client.join();
    // 28: curl gave up at its --max-time, still waiting for the rest of the body.
    EXPECT_NE(got.status, 28) << "curl waited for the rest of the body: " << got.output;
    EXPECT_NE(got.status, 0) << got.output;  // a body cut short is an error, never a success
    EXPECT_EQ(got.output, "200");
    // The server goes on, and the stream's file is closed.
    EXPECT_EQ(run_command("curl -s --http2-prior-knowledge " + s.url("/")).output, "Hello, world");
    EXPECT_TRUE(aio::test::faults::fds_settle_to(before));
}

TEST(Http2Server, GracefulShutdownSendsGoawayAndFinishesTheStreamsInProgress) {
    std::atomic<bool> started{false};
    auto app = [&](web::Application& a) {
        routes(a);
        a.router().add_get("/slow", [&](web::Request&) -> Task<web::StreamResponse> {
            started = true;
            co_await aio::sleep(500ms);
            co_return web::Response({.text = "done"});
        });
    };
    WebServer s(app);
    ASSERT_EQ(s.error(), "");
    Process client("/usr/bin/python3 " + source_path("tests/web/peers/h2_peer.py") + " goaway-wait " +
                   std::to_string(s.port()) + " /slow");
    for (int i = 0; i < 1000 && !started; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(started.load());
    s.stop();  // AppRunner::cleanup(): GOAWAY, then the request in progress finishes
    for (int i = 0; i < 1000 && !client.exited(); ++i) std::this_thread::sleep_for(10ms);
    std::string out = client.output();
    EXPECT_EQ(out, "goaway 0 1\nstatus 200 len 4\ndone\n");
}

namespace {

/// One round of aio's client against aio's server: GET, POST, a streamed
/// response, compression, and 100 requests at once; returns what it saw.
Task<std::string> client_round(aio::http::ClientSession& session, std::string base) {
    // Every argument named before the co_await (g++ 12 miscopies temporaries
    // built inside a co_await expression).
    std::string seen;
    const std::string info = base + "/info?x=1", sum = base + "/sum", stream = base + "/stream", big = base + "/big";
    auto r1 = co_await session.get(info);
    std::string t1 = co_await r1.text();
    seen += std::to_string(r1.version().major) + " " + t1 + "\n";
    aio::http::RequestOptions upload{.data = std::string(200'000, 'u')};
    auto r2 = co_await session.post(sum, std::move(upload));
    std::string t2 = co_await r2.text();
    seen += t2 + "\n";
    auto r3 = co_await session.get(stream);
    std::string t3 = co_await r3.text();
    seen += t3;
    auto r4 = co_await session.get(big);
    std::string t4 = co_await r4.text();
    seen += std::string(r4.headers().get("Content-Encoding").value_or("identity")) + " " +
            std::to_string(t4 == big_text()) + "\n";
    std::vector<Task<std::string>> many;
    const std::string root = base + "/";
    auto one = [&session, &root]() -> Task<std::string> {
        auto r = co_await session.get(root);
        std::string text = co_await r.text();
        co_return text;
    };
    for (int i = 0; i < 100; ++i) many.push_back(one());
    std::vector<std::string> all = co_await aio::gather(std::move(many));
    seen += std::to_string(std::count(all.begin(), all.end(), std::string("Hello, world"))) + "\n";
    co_return seen;
}

}  // namespace

TEST(Http2Server, AiosClientSpeaksH2ToAiosServerWithPriorKnowledgeAndByAlpn) {
    Pki pki;
    ASSERT_TRUE(pki.ok);
    web::SiteOptions site = pki.site();
    WebServer tls(routes, {}, site);
    WebServer plain(routes);
    ASSERT_EQ(tls.error(), "");
    ASSERT_EQ(plain.error(), "");
    int before = aio::test::count_open_fds();
    std::string port = std::to_string(plain.port()), tls_port = std::to_string(tls.port());
    std::uint64_t sum = 200'000ull * 'u';
    auto expected = [&](const std::string& p, const std::string& scheme) {
        return "2 GET /info?x=1 2.0 host=127.0.0.1:" + p + " scheme=" + scheme + "\n200000 " + std::to_string(sum) +
               "\npart 0\npart 1\npart 2\n" + "br 1\n100\n";
    };
    std::string h2c, alpn;
    std::size_t h2c_opened = 0, alpn_opened = 0;
    aio::run([&]() -> Task<> {
        aio::http::ClientSession session({.http_version = aio::http::HttpVersionPolicy::http2_prior_knowledge});
        h2c = co_await client_round(session, plain.url(""));
        h2c_opened = session.pool_stats().opened;
        co_await session.close();
        aio::http::ClientSession secure({.ssl = false});
        alpn = co_await client_round(secure, "https://127.0.0.1:" + tls_port);
        alpn_opened = secure.pool_stats().opened;
        co_await secure.close();
    }());
    EXPECT_EQ(h2c, expected(port, "http"));
    EXPECT_EQ(alpn, expected(tls_port, "https"));
    EXPECT_EQ(h2c_opened, 1u);  // every request on one connection
    EXPECT_EQ(alpn_opened, 1u);
    EXPECT_TRUE(aio::test::faults::fds_settle_to(before));
}
