// ClientSession against nginx (static files, gzip with chunked coding,
// redirects, TLS with a CA made by the test) and through tinyproxy (plain
// requests and CONNECT tunnels).
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <cstdlib>

#include "client_peers.hpp"

namespace http = aio::http;

namespace {

/// nginx and tinyproxy with a test-made CA, shared by the tests of this file.
struct Peers {
    std::string dir;
    int http_port = 0, https_port = 0, proxy_port = 0;
    std::unique_ptr<aio::test::Process> nginx, proxy;
    bool up = false;
    std::string why = "the test's CA could not be made with openssl";

    Peers() {
        char tmpl[] = "/tmp/aio-client-nginx.XXXXXX";
        dir = ::mkdtemp(tmpl);
        http_port = aio::test::free_port();
        https_port = aio::test::free_port();
        proxy_port = aio::test::free_port();
        std::string d = dir;
        std::string ssl =
            aio::test::make_test_ca_commands(d) + "sed -e 's|@DIR@|" + d + "|g' -e 's|@HTTP_PORT@|" + std::to_string(http_port) +
            "|g' -e 's|@HTTPS_PORT@|" + std::to_string(https_port) + "|g' " +
            aio::test::source_path("tests/http/client/peers/nginx.conf.in") + " > nginx.conf && "
            "printf 'Port " + std::to_string(proxy_port) +
            "\\nListen 127.0.0.1\\nAllow 127.0.0.1\\nMaxClients 50\\nLogLevel Critical\\n' > tinyproxy.conf";
        if (aio::test::run_command(ssl).status != 0) return;
        std::string text;
        for (int i = 0; i < 2000; ++i) text += "hello nginx " + std::to_string(i) + "\n";
        aio::test::write_file(d + "/www/hello.txt", text);
        nginx = std::make_unique<aio::test::Process>("/usr/sbin/nginx -c " + d + "/nginx.conf -p " + d);
        proxy = std::make_unique<aio::test::Process>("/usr/bin/tinyproxy -d -c " + d + "/tinyproxy.conf");
        up = aio::test::wait_listening(http_port, nginx.get()) && aio::test::wait_listening(https_port, nginx.get()) &&
             aio::test::wait_listening(proxy_port, proxy.get());
        if (!up) why = "nginx " + nginx->how_it_ended() + ": " + nginx->output() + "\ntinyproxy " +
                       proxy->how_it_ended() + ": " + proxy->output();
    }
    ~Peers() {
        nginx.reset();
        proxy.reset();
        aio::test::run_command("rm -rf " + dir);
    }
    std::string hello() const {
        std::string text;
        for (int i = 0; i < 2000; ++i) text += "hello nginx " + std::to_string(i) + "\n";
        return text;
    }
};

Peers* peers = nullptr;

class ClientNginx : public ::testing::Test {
protected:
    static void SetUpTestSuite() { peers = new Peers(); }
    static void TearDownTestSuite() {
        delete peers;
        peers = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(peers->up) << peers->why; }
};

}  // namespace

TEST_F(ClientNginx, GzipChunkedStaticFilesAndRedirects) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        std::string base = "http://127.0.0.1:" + std::to_string(peers->http_port);
        auto resp = co_await session.get(base + "/hello.txt");
        EXPECT_EQ(resp.headers().get("Content-Encoding"), "gzip");
        EXPECT_EQ(resp.headers().get("Transfer-Encoding"), "chunked");
        auto text = co_await resp.text();
        EXPECT_EQ(text, peers->hello());
        auto moved = co_await session.get(base + "/moved");
        EXPECT_EQ(moved.history().size(), 1u);
        EXPECT_EQ(moved.history()[0].status(), 301);
        auto moved_text = co_await moved.text();
        EXPECT_EQ(moved_text, peers->hello());
        auto missing = co_await session.get(base + "/nope");
        EXPECT_EQ(missing.status(), 404);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientNginx, HttpsVerifiesAgainstTheGivenCaAndRejectsOthers) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        std::string url = "https://localhost:" + std::to_string(peers->https_port) + "/hello.txt";
        auto ctx = aio::create_default_context(aio::Purpose::SERVER_AUTH, peers->dir + "/ca.pem");
        http::ClientSession session({.ssl = ctx});
        auto resp = co_await session.get(url);
        auto text = co_await resp.text();
        EXPECT_EQ(text, peers->hello());
        EXPECT_GT(resp.timings().tls.count(), 0);

        // The system's CAs do not know the test CA: a certificate error naming the URL.
        http::ClientSession strict;
        bool rejected = false;
        try {
            co_await strict.get(url);
        } catch (const http::ClientConnectorCertificateError& e) {
            rejected = true;
            EXPECT_EQ(e.url(), url);
        }
        EXPECT_TRUE(rejected);
        // ssl = false skips verification, as aiohttp's ssl=False.
        aio::http::RequestOptions opts1{.ssl = false};  // named: g++ 12 and braced temporaries in co_await
        auto unverified = co_await strict.get(url, opts1);
        EXPECT_EQ(unverified.status(), 200);
        co_await unverified.read();
        co_await strict.close();
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientNginx, ThroughTinyproxyPlainAndConnect) {
    aio::run([]() -> aio::Task<> {
        std::string proxy = "http://127.0.0.1:" + std::to_string(peers->proxy_port);
        auto ctx = aio::create_default_context(aio::Purpose::SERVER_AUTH, peers->dir + "/ca.pem");
        http::ClientSession session({.ssl = ctx});
        http::RequestOptions via_proxy{.proxy = proxy};
        auto plain = co_await session.get("http://127.0.0.1:" + std::to_string(peers->http_port) + "/hello.txt",
                                          via_proxy);
        auto plain_text = co_await plain.text();
        EXPECT_EQ(plain_text, peers->hello());
        EXPECT_TRUE(plain.headers().contains("Via"));  // tinyproxy adds it
        http::RequestOptions tunnel{.proxy = proxy};  // named: g++ 12 and braced temporaries in co_await
        auto tunneled =
            co_await session.get("https://localhost:" + std::to_string(peers->https_port) + "/hello.txt", tunnel);
        auto tunneled_text = co_await tunneled.text();
        EXPECT_EQ(tunneled_text, peers->hello());
        co_await session.close();

        // trust_env: HTTP_PROXY from the environment, NO_PROXY honoured.
        ::setenv("http_proxy", proxy.c_str(), 1);
        ::setenv("no_proxy", "localhost", 1);
        http::ClientSession env_session({.trust_env = true});
        auto via_env = co_await env_session.get("http://127.0.0.1:" + std::to_string(peers->http_port) + "/hello.txt");
        EXPECT_TRUE(via_env.headers().contains("Via"));
        co_await via_env.read();
        auto bypass = co_await env_session.get("http://localhost:" + std::to_string(peers->http_port) + "/hello.txt");
        EXPECT_FALSE(bypass.headers().contains("Via"));
        co_await bypass.read();
        ::unsetenv("http_proxy");
        ::unsetenv("no_proxy");
        co_await env_session.close();

        // A proxy that is not there: ClientProxyConnectionError.
        http::ClientSession broken({.proxy = "http://127.0.0.1:" + std::to_string(aio::test::free_port())});
        bool refused = false;
        try {
            co_await broken.get("http://127.0.0.1:" + std::to_string(peers->http_port) + "/hello.txt");
        } catch (const http::ClientProxyConnectionError&) {
            refused = true;
        }
        EXPECT_TRUE(refused);
        co_await broken.close();
    }());
}
