// Client faults against misbehaving real peers (a raw Python server, openssl
// s_server with bad certificates): each a typed ClientError naming the URL
// and the reason; the process lives, the pool stays healthy, and the
// descriptors return to where they were once the session is closed.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

#include "http/client/client_peers.hpp"

using namespace std::chrono_literals;
namespace http = aio::http;

namespace {

using ClientFaults = aio::test::PeerSuite<aio::test::faulty_server_command>;

/// Fetches `path` (reading the body) and returns what was thrown, by category.
template <class Expected>
aio::Task<std::string> expect_fault(http::ClientSession& session, std::string base, std::string path) {
    std::string what;
    bool matched = false;
    try {
        auto resp = co_await session.get(base + path);
        co_await resp.read();
    } catch (const Expected& e) {
        matched = true;
        what = e.what();
        const http::ClientError& as_client = e;
        EXPECT_EQ(as_client.url(), base + path);
    } catch (const std::exception& e) {
        ADD_FAILURE() << path << ": unexpected " << e.what();
    }
    EXPECT_TRUE(matched) << path;
    // The pool is healthy: the next request on the same session works.
    auto ok = co_await session.get(base + "/ok");
    auto ok_text = co_await ok.text();
    EXPECT_EQ(ok_text, "ok");
    co_return what;
}

}  // namespace

TEST_F(ClientFaults, EachFaultIsATypedErrorAndThePoolStaysHealthy) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        auto w1 = co_await expect_fault<http::ClientResponseError>(session, server_->base(), "/bad-status");
        EXPECT_NE(w1.find("400, message="), std::string::npos) << w1;
        co_await expect_fault<http::ClientResponseError>(session, server_->base(), "/bad-header");
        co_await expect_fault<http::ClientResponseError>(session, server_->base(), "/both-lengths");
        co_await expect_fault<http::ClientResponseError>(session, server_->base(), "/huge-header");
        auto w2 = co_await expect_fault<http::ClientPayloadError>(session, server_->base(), "/lying-length");
        EXPECT_NE(w2.find("Response payload is not completed"), std::string::npos) << w2;
        co_await expect_fault<http::ClientPayloadError>(session, server_->base(), "/truncated-chunked");
        co_await expect_fault<http::ClientPayloadError>(session, server_->base(), "/bad-chunk");
        co_await expect_fault<http::ClientPayloadError>(session, server_->base(), "/close-mid-body");
        co_await expect_fault<http::ClientPayloadError>(session, server_->base(), "/bad-gzip");
        co_await expect_fault<http::ServerDisconnectedError>(session, server_->base(), "/no-response");
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientFaults, ADeadPooledConnectionIsRetriedOnceForIdempotentRequests) {
    aio::run([]() -> aio::Task<> {
        int retries = 0;
        http::TraceConfig trace;
        trace.on_request_retry = [&](const http::TraceRequestRetry&) { ++retries; };
        http::ClientSession session({.trace_configs = {trace}});
        auto first = co_await session.get(url("/ok-then-close"));
        auto first_text = co_await first.text();
        EXPECT_EQ(first_text, "ok");
        co_await aio::sleep(200ms);  // the server has closed the pooled connection by now
        auto second = co_await session.get(url("/ok"));
        auto second_text = co_await second.text();
        EXPECT_EQ(second_text, "ok");
        EXPECT_LE(retries, 1);
        co_await session.close();
    }());
}

TEST_F(ClientFaults, ConnectionRefusedIsAClientConnectorErrorAsAiohttpWordsIt) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        int port = aio::test::free_port();
        std::string what;
        try {
            co_await session.get("http://127.0.0.1:" + std::to_string(port) + "/x");
        } catch (const http::ClientConnectorError& e) {
            what = e.what();
            EXPECT_EQ(e.port(), port);
        }
        EXPECT_EQ(what, "Cannot connect to host 127.0.0.1:" + std::to_string(port) +
                            " ssl:default [Connect call failed ('127.0.0.1', " + std::to_string(port) + ")]");
        co_await session.close();
    }());
}


namespace {

/// What `get(url)` then read() threw, when it was an E ("" otherwise; a
/// failure is added for anything else or nothing).
template <class E>
aio::Task<std::string> caught(http::ClientSession& session, std::string url) {
    std::string what;
    bool matched = false;
    try {
        auto resp = co_await session.get(url);
        co_await resp.read();
    } catch (const E& e) {
        matched = true;
        what = e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << url << ": unexpected " << e.what();
    }
    EXPECT_TRUE(matched) << url << " threw nothing";
    co_return what;
}

}  // namespace

TEST_F(ClientFaults, AResetMidBodyIsAClientOSErrorNamingTheReset) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        int code = 0;
        std::string what;
        try {
            auto resp = co_await session.get(url("/reset-mid-body"));
            co_await resp.read();
        } catch (const http::ClientOSError& e) {
            code = e.errno_code();
            what = e.what();
            EXPECT_EQ(e.url(), url("/reset-mid-body"));
            const aio::OSError& as_os = dynamic_cast<const aio::OSError&>(e);
            EXPECT_EQ(as_os.errno_code(), ECONNRESET);
        }
        EXPECT_EQ(code, ECONNRESET) << what;
        auto ok = co_await session.get(url("/ok"));
        auto ok_text = co_await ok.text();
        EXPECT_EQ(ok_text, "ok");
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

// A body read piece by piece hands the connection's read buffers over whole;
// a reset after megabytes of it ends the reads with the reset, keeps every
// byte that came, and leaves nothing open.
TEST_F(ClientFaults, AResetAfterMegabytesReadInPiecesEndsTheReadsAndLeavesNothingOpen) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        std::size_t got = 0;
        bool all_m = true;
        int code = 0;
        try {
            auto resp = co_await session.get(url("/reset-after-megabytes"));
            while (true) {
                std::string piece = co_await resp.content().readany();
                if (piece.empty()) break;
                got += piece.size();
                all_m = all_m && piece.find_first_not_of('m') == std::string::npos;
            }
        } catch (const http::ClientOSError& e) {
            code = e.errno_code();
        }
        EXPECT_EQ(code, ECONNRESET);
        EXPECT_LE(got, 3'000'000u);
        EXPECT_TRUE(all_m);
        auto ok = co_await session.get(url("/ok"));
        auto ok_text = co_await ok.text();
        EXPECT_EQ(ok_text, "ok");
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientFaults, ExcessBytesAfterAShortContentLengthNeverAnswerTheNextRequest) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.limit = 1});
        auto first = co_await session.get(url("/short-length"));
        auto first_text = co_await first.text();
        EXPECT_EQ(first_text, "ok");
        co_await aio::sleep(150ms);  // the forged response has arrived on the idle connection
        auto second = co_await session.get(url("/ok"));
        auto second_text = co_await second.text();
        EXPECT_EQ(second_text, "ok");  // not "forged"
        EXPECT_EQ(session.pool_stats().opened, 2u);
        // Longer than what comes: a payload error, not a hang.
        auto w = co_await caught<http::ClientPayloadError>(session, url("/lying-length"));
        EXPECT_NE(w.find("Response payload is not completed"), std::string::npos) << w;
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientFaults, TruncatedGzipAndChunkedBodiesArePayloadErrors) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        auto gz = co_await caught<http::ClientPayloadError>(session, url("/truncated-gzip"));
        EXPECT_NE(gz.find("gzip stream was cut short"), std::string::npos) << gz;
        auto ch = co_await caught<http::ClientPayloadError>(session, url("/truncated-chunked"));
        EXPECT_NE(ch.find("Response payload is not completed"), std::string::npos) << ch;
        auto ok = co_await session.get(url("/ok"));
        auto ok_text = co_await ok.text();
        EXPECT_EQ(ok_text, "ok");
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientFaults, DecompressionBombsAreBoundedWhetherBufferedOrStreamed) {
    // 64 MiB of zeros, coded: read() stops at max_body_size with a payload
    // error; streaming decodes in bounded steps, so memory stays small.
    int fds = aio::test::count_open_fds();
    std::optional<aio::test::MemoryGrowth> memory;
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session({.max_body_size = 8u << 20});
        const char* const all_codings[] = {"gzip", "deflate", "br"};
        for (std::string coding : all_codings) {
            auto w = co_await caught<http::ClientPayloadError>(session, url("/bomb/" + coding));
            EXPECT_NE(w.find("max_body_size"), std::string::npos) << coding << ": " << w;
        }
        // Memory is measured from here: the streaming reads only.
        memory.emplace();
        const char* const streamed_codings[] = {"gzip", "br"};
        for (std::string coding : streamed_codings) {
            auto resp = co_await session.get(url("/bomb/" + coding));
            std::uint64_t total = 0;
            bool zeros = true;
            auto chunks = resp.content().iter_chunked(1 << 20);
            while (auto c = co_await chunks.next()) {
                total += c->size();
                zeros = zeros && std::all_of(c->begin(), c->end(), [](char ch) { return ch == 0; });
                memory->sample();
            }
            EXPECT_EQ(total, 64ull << 20) << coding;
            EXPECT_TRUE(zeros);
        }
        co_await session.close();
    }());
    EXPECT_LT(memory->growth_kib(), 16 * 1024);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientFaults, AHalfClosedServerEndsTheExchangeAndNeverHangs) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        // Shut before answering: the server is gone for this request.
        auto w = co_await caught<http::ServerDisconnectedError>(session, url("/half-close-before-head"));
        EXPECT_NE(w.find("Server disconnected"), std::string::npos) << w;
        // A body without length ends at the server's shutdown: complete, not an error.
        auto resp = co_await session.get(url("/half-close-body"));
        auto text = co_await resp.text();
        EXPECT_EQ(text, "until the end");
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientFaults, RedirectsAcrossOriginsThatFailAreTyped) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        aio::test::ClosedPort closed;
        std::string w;
        try {
            auto resp = co_await session.get(url("/redirect-port/" + std::to_string(closed.port)));
        } catch (const http::ClientConnectorError& e) {
            w = e.what();
            EXPECT_EQ(e.port(), closed.port);
            EXPECT_EQ(e.url(), "http://127.0.0.1:" + std::to_string(closed.port) + "/elsewhere");
        }
        EXPECT_NE(w.find("Cannot connect to host 127.0.0.1:" + std::to_string(closed.port)), std::string::npos) << w;
        bool invalid = false;
        try {
            co_await session.get(url("/redirect-scheme"));
        } catch (const http::InvalidURL& e) {
            invalid = std::string(e.what()).find("file:///etc/passwd") != std::string::npos;
        }
        EXPECT_TRUE(invalid);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

// ---------------------------------------------------------------------------
// Certificates: openssl s_server with a self-signed, an expired and a
// wrong-host certificate (made by peers/make_certs.py).

namespace {

class ClientCertFaults : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/aio-client-certs-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        auto r = aio::test::run_command("/usr/bin/python3 " +
                                        aio::test::source_path("tests/http/client/peers/make_certs.py") + " " + dir_ +
                                        " 2>&1");
        made_ = r.status == 0;
        why_ = r.output;
    }
    static void TearDownTestSuite() { aio::test::run_command("rm -rf " + dir_); }
    void SetUp() override { ASSERT_TRUE(made_) << why_; }
    /// An openssl s_server presenting `name`.pem.
    static std::unique_ptr<aio::test::PeerServer> serve(const std::string& name) {
        return std::make_unique<aio::test::PeerServer>("openssl s_server -quiet -www -accept 127.0.0.1:{port} -cert " +
                                                           dir_ + "/" + name + ".pem -key " + dir_ + "/" + name + ".key",
                                                       aio::test::free_port());
    }
    static inline std::string dir_;
    static inline bool made_ = false;
    static inline std::string why_;
};

/// Fetches `url` twice, catching the failure once as ClientSession's
/// ClientConnectorCertificateError and once as aio::SSLCertVerificationError;
/// returns the verify codes seen (-1 when not caught).
aio::Task<std::pair<long, long>> both_ways(aio::SSLOption ssl, std::string url) {
    aio::http::SessionOptions o{.ssl = ssl};
    http::ClientSession session(o);
    long as_client = -1, as_ssl = -1;
    try {
        co_await session.get(url);
    } catch (const http::ClientConnectorCertificateError& e) {
        as_client = e.verify_code();
        EXPECT_EQ(e.url(), url);
        EXPECT_NE(std::string(e.what()).find("Cannot connect to host localhost:"), std::string::npos) << e.what();
        EXPECT_NE(e.os_error().find("certificate verify failed"), std::string::npos) << e.os_error();
        // The aiohttp categories hold too.
        const http::ClientSSLError& ssl_err = e;
        const http::ClientConnectorError& conn_err = e;
        const http::ClientError& client_err = e;
        EXPECT_EQ(conn_err.host(), "localhost");
        EXPECT_EQ(std::string(ssl_err.what()), std::string(client_err.what()));
    }
    try {
        co_await session.get(url);
    } catch (const aio::SSLCertVerificationError& e) {
        as_ssl = e.verify_code();
        EXPECT_FALSE(e.verify_message().empty());
        const aio::SSLError& base = e;
        const std::exception& std_base = e;
        EXPECT_STREQ(base.what(), std_base.what());
    }
    co_await session.close();
    co_return std::make_pair(as_client, as_ssl);
}

}  // namespace

TEST_F(ClientCertFaults, BadCertificatesAreCaughtAsClientAndAsSslErrors) {
    auto good = serve("good");
    auto self = serve("self");
    auto expired = serve("expired");
    auto wronghost = serve("wronghost");
    for (auto* s : {good.get(), self.get(), expired.get(), wronghost.get()}) ASSERT_TRUE(s->up) << s->why;
    auto at = [](const aio::test::PeerServer& s) { return "https://localhost:" + std::to_string(s.port) + "/"; };
    std::string ca = dir_ + "/ca.pem";
    int fds = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        auto trusting = aio::create_default_context(aio::Purpose::SERVER_AUTH, ca);
        // The control: the CA's good certificate works.
        {
            aio::http::SessionOptions o{.ssl = trusting};
            http::ClientSession session(o);
            std::string good_url = at(*good);
            auto resp = co_await session.get(good_url);
            EXPECT_EQ(resp.status(), 200);
            co_await resp.read();
            co_await session.close();
        }
        // Self-signed, against the system's CAs.
        aio::SSLOption system_cas{};  // named: g++ 12 and temporaries in co_await
        std::string self_url = at(*self), expired_url = at(*expired), wronghost_url = at(*wronghost);
        auto r1 = co_await both_ways(system_cas, self_url);
        EXPECT_EQ(r1.first, 18);  // X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        EXPECT_EQ(r1.second, 18);
        auto r2 = co_await both_ways(trusting, expired_url);
        EXPECT_EQ(r2.first, 10);  // X509_V_ERR_CERT_HAS_EXPIRED
        EXPECT_EQ(r2.second, 10);
        auto r3 = co_await both_ways(trusting, wronghost_url);
        EXPECT_EQ(r3.first, 62);  // X509_V_ERR_HOSTNAME_MISMATCH
        EXPECT_EQ(r3.second, 62);
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

// read_csv_async with a progress report, from a peer that promises 1,000
// bytes and hangs up after 500: a typed payload error, the progress says how
// far it got against what was promised, and no descriptor is left open.
TEST_F(ClientFaults, ACsvCutShortIsAPayloadErrorWithItsProgressAndNothingLeftOpen) {
    int fds = aio::test::count_open_fds();
    aio::csv::ReadProgress progress;
    auto what = aio::run([&progress]() -> aio::Task<std::string> {
        http::ClientSession session;
        aio::csv::ReadOptions o;
        o.progress = &progress;
        std::string what;
        const std::string url = server_->base() + "/close-mid-body";
        try {
            aio::Table t = co_await aio::csv::read_csv_async(session, url, o);
            ADD_FAILURE() << "a body cut short gave a table of " << t.num_rows() << " rows";
        } catch (const http::ClientPayloadError& e) {
            what = e.what();
        }
        co_await session.close();
        co_return what;
    }());
    EXPECT_NE(what.find("Response payload is not completed"), std::string::npos) << what;
    EXPECT_EQ(progress.total_bytes.load(), 1000);
    EXPECT_EQ(progress.bytes_read.load(), 500u);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}
