// Faults against a misbehaving raw server: each a typed ClientError naming
// the URL and the reason; the pool stays healthy; no descriptor leaks.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <functional>

#include "client_peers.hpp"

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
    EXPECT_EQ(co_await ok.text(), "ok");
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
        EXPECT_EQ(co_await first.text(), "ok");
        co_await aio::sleep(200ms);  // the server has closed the pooled connection by now
        auto second = co_await session.get(url("/ok"));
        EXPECT_EQ(co_await second.text(), "ok");
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

