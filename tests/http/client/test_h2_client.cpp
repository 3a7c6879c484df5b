// ClientSession over HTTP/2: against nginx (h2 by ALPN, h2c with prior
// knowledge, ALPN falling back to HTTP/1.1) and against a Python h2 server
// that misbehaves on purpose (tests/http/client/peers/h2_server.py).
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "client_peers.hpp"

namespace http = aio::http;
using namespace std::chrono_literals;

namespace {

/// nginx with HTTP/2 on TLS and h2c, and a TLS port offering HTTP/1.1 only.
struct H2Nginx {
    std::string dir;
    int h2_port = 0, h2c_port = 0, h1s_port = 0;
    std::unique_ptr<aio::test::Process> nginx;
    bool up = false;
    std::string why = "the test's CA could not be made with openssl";

    H2Nginx() {
        char tmpl[] = "/tmp/aio-h2-nginx.XXXXXX";
        dir = ::mkdtemp(tmpl);
        h2_port = aio::test::free_port();
        h2c_port = aio::test::free_port();
        h1s_port = aio::test::free_port();
        std::string d = dir;
        std::string setup =
            aio::test::make_test_ca_commands(d) + "mkdir -p www/upload && "
            "head -c 8388608 /dev/urandom > www/big.bin && "
            "sed -e 's|@DIR@|" + d + "|g' -e 's|@H2_PORT@|" + std::to_string(h2_port) + "|g' -e 's|@H2C_PORT@|" +
            std::to_string(h2c_port) + "|g' -e 's|@H1S_PORT@|" + std::to_string(h1s_port) + "|g' " +
            aio::test::source_path("tests/http/client/peers/nginx_h2.conf.in") + " > nginx.conf";
        if (aio::test::run_command(setup).status != 0) return;
        aio::test::write_file(d + "/www/hello.txt", hello());
        aio::test::write_file(d + "/www/many.txt", hello());
        nginx = std::make_unique<aio::test::Process>("/usr/sbin/nginx -c " + d + "/nginx.conf -p " + d);
        up = aio::test::wait_listening(h2_port, nginx.get()) && aio::test::wait_listening(h2c_port, nginx.get()) &&
             aio::test::wait_listening(h1s_port, nginx.get());
        if (!up) why = "nginx " + nginx->how_it_ended() + ": " + nginx->output();
    }
    ~H2Nginx() {
        nginx.reset();
        aio::test::run_command("rm -rf " + dir);
    }
    static std::string hello() {
        std::string text;
        for (int i = 0; i < 2000; ++i) text += "hello h2 " + std::to_string(i) + "\n";
        return text;
    }
    std::string https(const std::string& path) const {
        return "https://localhost:" + std::to_string(h2_port) + path;
    }
    std::string h2c(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(h2c_port) + path; }
    aio::SSLContext ca() const { return aio::create_default_context(aio::Purpose::SERVER_AUTH, dir + "/ca.pem"); }
    /// The connection numbers nginx logged for HTTP/2 requests to `uri`.
    std::set<std::string> connections_for(const std::string& uri) const {
        std::ifstream log(dir + "/access.log");
        std::set<std::string> conns;
        std::string line;
        while (std::getline(log, line)) {
            std::istringstream in(line);
            std::string conn, proto, method, u;
            in >> conn >> proto >> method >> u;
            if (proto == "HTTP/2.0" && u == uri) conns.insert(conn);
        }
        return conns;
    }
};

H2Nginx* nginx = nullptr;

class ClientH2Nginx : public ::testing::Test {
protected:
    static void SetUpTestSuite() { nginx = new H2Nginx(); }
    static void TearDownTestSuite() {
        delete nginx;
        nginx = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(nginx->up) << nginx->why; }
};

aio::AsyncGenerator<std::string> three_parts() {
    for (int i = 0; i < 3; ++i) {
        co_await aio::sleep(1ms);
        co_yield "part" + std::to_string(i) + ";";
    }
}

aio::Task<std::string> get_text(http::ClientSession& s, std::string url) {
    auto resp = co_await s.get(url);
    EXPECT_EQ(resp.version(), (http::HttpVersion{2, 0}));
    co_return co_await resp.text();
}

}  // namespace

TEST_F(ClientH2Nginx, AlpnChoosesH2ForGetPutGzipAndRedirects) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.ssl = nginx->ca()});
        auto resp = co_await session.get(nginx->https("/hello.txt"));
        EXPECT_EQ(resp.version(), (http::HttpVersion{2, 0}));
        EXPECT_EQ(resp.status(), 200);
        EXPECT_EQ(resp.reason(), "OK");
        EXPECT_EQ(resp.stream_id() % 2, 1);
        EXPECT_EQ(resp.headers().get("Content-Encoding"), "gzip");
        auto text = co_await resp.text();
        EXPECT_EQ(text, H2Nginx::hello());

        http::RequestOptions put{.data = std::string(300000, 'p')};
        auto created = co_await session.put(nginx->https("/upload/a.bin"), put);
        EXPECT_EQ(created.status(), 201);
        co_await created.read();
        auto back = co_await session.get(nginx->https("/upload/a.bin"));
        auto back_body = co_await back.read();
        EXPECT_EQ(back_body, std::string(300000, 'p'));

        http::RequestOptions streamed{.data = three_parts()};
        auto created2 = co_await session.put(nginx->https("/upload/b.txt"), streamed);
        EXPECT_EQ(created2.status() / 100, 2);
        co_await created2.read();
        auto back2 = co_await session.get(nginx->https("/upload/b.txt"));
        auto back2_body = co_await back2.text();
        EXPECT_EQ(back2_body, "part0;part1;part2;");

        auto moved = co_await session.get(nginx->https("/moved"));
        EXPECT_EQ(moved.history().size(), 1u);
        EXPECT_EQ(moved.history()[0].status(), 301);
        auto moved_text = co_await moved.text();
        EXPECT_EQ(moved_text, H2Nginx::hello());

        auto missing = co_await session.get(nginx->https("/nope"));
        EXPECT_EQ(missing.status(), 404);
        co_await missing.read();
        EXPECT_EQ(session.pool_stats().opened, 1u);
        EXPECT_EQ(session.pool_stats().http2, 1u);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Nginx, H2cWithPriorKnowledge) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.http_version = http::HttpVersionPolicy::http2_prior_knowledge});
        auto text = co_await get_text(session, nginx->h2c("/hello.txt"));
        EXPECT_EQ(text, H2Nginx::hello());
        // The default policy speaks HTTP/1.1 on http:, which nginx's h2c port does not answer.
        http::ClientSession plain;
        bool failed = false;
        try {
            auto r = co_await plain.get(nginx->h2c("/hello.txt"));
            co_await r.read();
        } catch (const http::ClientError&) {
            failed = true;
        }
        EXPECT_TRUE(failed);
        co_await plain.close();
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Nginx, HundredConcurrentRequestsShareOneConnection) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.ssl = nginx->ca()});
        std::vector<aio::Task<std::string>> tasks;
        for (int i = 0; i < 100; ++i) tasks.push_back(get_text(session, nginx->https("/many.txt")));
        std::vector<std::string> texts = co_await aio::gather(std::move(tasks));
        for (const auto& t : texts) EXPECT_EQ(t, H2Nginx::hello());
        EXPECT_EQ(session.pool_stats().opened, 1u);
        EXPECT_EQ(session.pool_stats().streams, 0u);
        co_await session.close();
    }());
    EXPECT_EQ(nginx->connections_for("/many.txt").size(), 1u);  // one connection in nginx's log too
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Nginx, LargeDownloadStreamsWithBoundedMemory) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.http_version = http::HttpVersionPolicy::http2_prior_knowledge});
        aio::test::MemoryGrowth growth;
        auto resp = co_await session.get(nginx->h2c("/big.bin"));
        EXPECT_EQ(resp.content_length(), 8388608u);
        std::size_t total = 0;
        while (true) {
            std::string chunk = co_await resp.content().read(4096);
            if (chunk.empty()) break;
            total += chunk.size();
            growth.sample();
        }
        EXPECT_EQ(total, 8388608u);
        // The stream's window (256 KiB) bounds what is held, not the 8 MiB body.
        EXPECT_LT(growth.growth_kib(), 4096);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Nginx, AlpnFallsBackToHttp11AndHttp1OnlyNeverOffersH2) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.ssl = nginx->ca()});
        auto resp = co_await session.get("https://localhost:" + std::to_string(nginx->h1s_port) + "/hello.txt");
        EXPECT_EQ(resp.version(), http::HttpVersion11);
        auto text = co_await resp.text();
        EXPECT_EQ(text, H2Nginx::hello());
        co_await session.close();

        http::ClientSession h1({.ssl = false, .http_version = http::HttpVersionPolicy::http1_only});
        auto r1 = co_await h1.get(nginx->https("/hello.txt"));
        EXPECT_EQ(r1.version(), http::HttpVersion11);
        co_await r1.read();
        EXPECT_EQ(h1.pool_stats().http2, 0u);
        // A request may ask for HTTP/2 on its own.
        http::RequestOptions want_h2{.http_version = http::HttpVersionPolicy::automatic};
        auto r2 = co_await h1.get(nginx->https("/hello.txt"), want_h2);
        EXPECT_EQ(r2.version(), (http::HttpVersion{2, 0}));
        co_await r2.read();
        co_await h1.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

// ---------------------------------------------------------------------------
// A Python h2 server with faults

namespace {

std::string h2_command(const std::string& mode) {
    return "/usr/bin/python3 " + aio::test::source_path("tests/http/client/peers/h2_server.py") + " {port} " + mode;
}

class ClientH2Faults : public ::testing::Test {
protected:
    void SetUp() override {
        if (!aio::test::python_has_module("h2")) GTEST_SKIP() << "python3-h2 is not installed";
    }
    static http::SessionOptions h2c_options() {
        http::SessionOptions o;
        o.http_version = http::HttpVersionPolicy::http2_prior_knowledge;
        return o;
    }
};

}  // namespace

TEST_F(ClientH2Faults, TrailersArriveAfterTheBody) {
    aio::test::PeerServer server(h2_command("normal"), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session(h2c_options());
        auto resp = co_await session.get(server.base() + "/trailers");
        EXPECT_TRUE(resp.trailers().empty());
        auto body = co_await resp.text();
        EXPECT_EQ(body, "body before trailers");
        EXPECT_EQ(resp.trailers().get("x-checksum"), "abc123");
        EXPECT_EQ(resp.trailers().get("grpc-status"), "0");
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Faults, RefusedStreamIsRetriedOnceAndPostBodiesEchoed) {
    aio::test::PeerServer server(h2_command("normal"), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        int retries = 0;
        std::vector<std::int32_t> stream_ids;
        http::TraceConfig trace;
        trace.on_request_retry = [&](const http::TraceRequestRetry&) { ++retries; };
        trace.on_request_end = [&](const http::TraceRequestEnd& e) { stream_ids.push_back(e.stream_id); };
        http::SessionOptions o = h2c_options();
        o.trace_configs.push_back(trace);
        http::ClientSession session(o);
        // A POST (not idempotent) is still sent again: the server did not process it.
        http::RequestOptions post{.data = std::string("refused body")};
        auto resp = co_await session.post(server.base() + "/refuse-once", post);
        auto body = co_await resp.text();
        EXPECT_EQ(body, "second try");
        EXPECT_EQ(retries, 1);

        http::RequestOptions echo{.data = std::string(200000, 'e')};
        auto echoed = co_await session.post(server.base() + "/echo", echo);
        auto echoed_body = co_await echoed.read();
        EXPECT_EQ(echoed_body, std::string(200000, 'e'));
        EXPECT_FALSE(stream_ids.empty());
        if (!stream_ids.empty()) {
            EXPECT_EQ(stream_ids.back(), echoed.stream_id());
        }
        EXPECT_GT(echoed.stream_id(), 0);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Faults, GoawayRetriesTheStreamsAboveItsLastStreamId) {
    aio::test::PeerServer server(h2_command("normal"), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session(h2c_options());
        auto fetch = [&](int) -> aio::Task<std::string> {
            auto r = co_await session.get(server.base() + "/goaway");
            co_return co_await r.text();
        };
        std::vector<aio::Task<std::string>> tasks;
        for (int i = 0; i < 3; ++i) tasks.push_back(fetch(i));
        std::vector<std::string> got = co_await aio::gather(std::move(tasks));
        int before = 0, after = 0;
        for (const auto& g : got) {
            if (g.rfind("before goaway", 0) == 0) ++before;
            if (g.rfind("after goaway", 0) == 0) ++after;
        }
        EXPECT_EQ(before, 1);
        EXPECT_EQ(after, 2);
        EXPECT_GE(session.pool_stats().opened, 2u);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Faults, RstStreamMidBodyIsATypedErrorWithItsCode) {
    aio::test::PeerServer server(h2_command("normal"), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session(h2c_options());
        auto resp = co_await session.get(server.base() + "/reset-mid-body");
        EXPECT_EQ(resp.status(), 200);
        bool caught = false;
        try {
            co_await resp.read();
        } catch (const http::ClientHttp2StreamError& e) {
            caught = true;
            EXPECT_EQ(e.error_code(), 2u);  // INTERNAL_ERROR
            EXPECT_EQ(e.stream_id(), resp.stream_id());
            EXPECT_NE(std::string(e.what()).find("INTERNAL_ERROR"), std::string::npos) << e.what();
        }
        EXPECT_TRUE(caught);
        // The connection lives on for other streams.
        auto ok = co_await session.get(server.base() + "/hello");
        auto ok_text = co_await ok.text();
        EXPECT_EQ(ok_text, "hello h2");
        EXPECT_EQ(session.pool_stats().opened, 1u);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Faults, ServerThatNeverOpensItsWindowTimesOut) {
    aio::test::PeerServer server(h2_command("nowindow"), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session(h2c_options());
        http::RequestOptions post{.data = std::string(100000, 'w'),
                                  .timeout = http::ClientTimeout{.total = 5s, .sock_read = 300ms}};
        bool timed_out = false;
        try {
            auto r = co_await session.post(server.base() + "/echo", post);
            co_await r.read();
        } catch (const http::SocketTimeoutError&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Faults, MaxConcurrentStreamsTwoOpensASecondConnection) {
    aio::test::PeerServer server(h2_command("maxstreams2"), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session(h2c_options());
        auto fetch = [&](int) -> aio::Task<std::string> {
            auto r = co_await session.get(server.base() + "/slow");
            co_return co_await r.text();
        };
        std::vector<aio::Task<std::string>> tasks;
        for (int i = 0; i < 3; ++i) tasks.push_back(fetch(i));
        std::vector<std::string> got = co_await aio::gather(std::move(tasks));
        for (const auto& g : got) EXPECT_EQ(g.rfind("slow ", 0), 0u) << g;
        EXPECT_EQ(session.pool_stats().opened, 2u);
        EXPECT_EQ(session.pool_stats().http2, 2u);
        co_await session.close();

        // With limit_per_host = 1 the third waits for a stream instead.
        http::SessionOptions o = h2c_options();
        o.limit_per_host = 1;
        http::ClientSession one(o);
        auto fetch1 = [&](int) -> aio::Task<std::string> {
            auto r = co_await one.get(server.base() + "/slow");
            co_return co_await r.text();
        };
        std::vector<aio::Task<std::string>> tasks1;
        for (int i = 0; i < 3; ++i) tasks1.push_back(fetch1(i));
        std::vector<std::string> got1 = co_await aio::gather(std::move(tasks1));
        for (const auto& g : got1) EXPECT_EQ(g.rfind("slow ", 0), 0u) << g;
        EXPECT_EQ(one.pool_stats().opened, 1u);
        co_await one.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Faults, HostileServersEndInTypedErrors) {
    aio::test::PeerServer server(h2_command("normal"), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session(h2c_options());
        // A header list over the limit: the stream is reset, typed.
        bool big = false;
        try {
            auto r = co_await session.get(server.base() + "/bigheaders");
            co_await r.read();
        } catch (const http::ClientHttp2StreamError& e) {
            big = true;
            EXPECT_NE(std::string(e.what()).find("header list"), std::string::npos) << e.what();
        }
        EXPECT_TRUE(big);
        // A DATA frame on stream 0: aio ends the connection with PROTOCOL_ERROR.
        bool bad = false;
        try {
            auto r = co_await session.get(server.base() + "/badframe");
            co_await r.read();
        } catch (const http::ClientHttp2ConnectionError& e) {
            bad = true;
            EXPECT_EQ(e.error_code(), 1u) << e.what();
        } catch (const http::ServerDisconnectedError& e) {
            bad = true;
            ADD_FAILURE() << "untyped: " << e.what();
        }
        EXPECT_TRUE(bad);
        // No answer at all: sock_read.
        http::RequestOptions quick{.timeout = http::ClientTimeout{.sock_read = 300ms}};
        bool stalled = false;
        try {
            co_await session.get(server.base() + "/stall", quick);
        } catch (const http::SocketTimeoutError&) {
            stalled = true;
        }
        EXPECT_TRUE(stalled);
        // The session still works.
        auto ok = co_await session.get(server.base() + "/hello");
        auto ok_text = co_await ok.text();
        EXPECT_EQ(ok_text, "hello h2");
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientH2Faults, ServerSettingsOutsideTheProtocolEndTheConnectionWithTheirCode) {
    struct Case {
        const char* mode;
        std::uint32_t code;
        const char* detail;  // nghttp2's reason, in the message
    };
    // A SETTINGS ACK with a payload right behind the server's SETTINGS
    // (FRAME_SIZE_ERROR), and SETTINGS_MAX_FRAME_SIZE = 2^24 (PROTOCOL_ERROR):
    // the request gets the connection's error, not a stream "refused" by a
    // server that never saw it, nor an empty "()" for the reason. A
    // SETTINGS_INITIAL_WINDOW_SIZE that takes an open stream's window past
    // 2^31-1 is FLOW_CONTROL_ERROR for the connection (RFC 9113 §6.9.2),
    // not a reset of that stream.
    for (const Case& c : {Case{"badack", 6, ""}, Case{"hugeframes", 1, "SETTINGS_MAX_FRAME_SIZE"},
                          Case{"windowoverflow", 3, ""}}) {
        SCOPED_TRACE(c.mode);
        aio::test::PeerServer server(h2_command(c.mode), aio::test::free_port());
        ASSERT_TRUE(server.up) << server.why;
        int fds = aio::test::count_open_fds();
        bool typed = false;
        std::uint32_t code = 0;
        std::string what;
        aio::run([&]() -> aio::Task<> {
            http::ClientSession session(h2c_options());
            try {
                auto r = co_await session.get(server.base() + "/hello");
                co_await r.read();
            } catch (const http::ClientHttp2ConnectionError& e) {
                typed = true;
                code = e.error_code();
                what = e.what();
            } catch (const std::exception& e) {
                what = e.what();
            }
            co_await session.close();
        }());
        EXPECT_TRUE(typed) << what;
        EXPECT_EQ(code, c.code) << what;
        EXPECT_EQ(what.find("()"), std::string::npos) << what;
        EXPECT_NE(what.find(c.detail), std::string::npos) << what;
        EXPECT_EQ(aio::test::count_open_fds(), fds);
    }
}
