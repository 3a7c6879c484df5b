// Server behaviours pinned by inputs the fuzz targets found (fuzz/regressions/).
#include <gtest/gtest.h>

#include "support/support.hpp"
#include "web/web_fixture.hpp"

using aio::test::RawClient;
using aio::test::WebServer;
using namespace aio::web;

namespace {

aio::Task<StreamResponse> stream_body_back(Request& req) {
    StreamResponse resp;
    resp.headers().set("Content-Type", "text/plain");
    co_await resp.prepare(req);
    while (true) {
        std::string piece = co_await req.content().readany();
        if (piece.empty()) break;
        co_await resp.write(piece);
    }
    co_await resp.write_eof();
    co_return resp;
}

}  // namespace

// fuzz/regressions/web_connection/prepared_then_bad_chunk: a handler that has
// sent its head (prepare) and then meets a malformed request body must not be
// followed by a second response (a 400 written where the client expects a
// chunk): the server ends the connection instead.
TEST(WebFuzzRegressions, NoSecondResponseAfterAPreparedOneFails) {
    WebServer s([](Application& app) { app.router().add_post("/stream", stream_body_back); });
    RawClient c(s.port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\nzz\r\n"));
    bool closed = false;
    std::string out = c.read_all(&closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(aio::test::status_of(out), 200);
    EXPECT_EQ(aio::test::count_substr(out, "HTTP/1.1 "), 1) << out;
    EXPECT_EQ(out.find("400"), std::string::npos) << out;
}

// The same when the handler fails with an ordinary exception after prepare():
// no 500 after the head that went out.
TEST(WebFuzzRegressions, NoServerErrorResponseAfterAPreparedOne) {
    WebServer s([](Application& app) {
        app.router().add_get("/fail", [](Request& req) -> aio::Task<StreamResponse> {
            StreamResponse resp;
            co_await resp.prepare(req);
            co_await resp.write("partial");
            throw aio::RuntimeError("handler failed after prepare");
        });
    });
    RawClient c(s.port());
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("GET /fail HTTP/1.1\r\nHost: x\r\n\r\nGET /fail HTTP/1.1\r\nHost: x\r\n\r\n"));
    bool closed = false;
    std::string out = c.read_all(&closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(aio::test::count_substr(out, "HTTP/1.1 "), 1) << out;
    EXPECT_EQ(out.find("500"), std::string::npos) << out;
}

// fuzz/regressions/web_conditions/leap_second_past_9999: a leap second at
// the last second of 9999 normalised into year 10000 and was taken as a
// date; it is not a valid HTTP-date, so If-Modified-Since holding it is
// ignored (RFC 9110 13.1.3) and the file is sent, not a 304.
TEST(WebFuzzRegressions, ADatePastYear9999IsNoDate) {
    WebServer s([](Application& app) {
        app.router().add_get("/file", [](Request&) -> aio::Task<StreamResponse> {
            co_return FileResponse(aio::test::source_path("fuzz/regressions/README.md"));
        });
    });
    RawClient c(s.port());
    ASSERT_TRUE(c.send("GET /file HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Fri, 31 Dec 9999 23:59:60 GMT\r\n"
                       "Connection: close\r\n\r\n"));
    std::string out = c.read_all();
    EXPECT_EQ(aio::test::status_of(out), 200) << out.substr(0, 200);
    RawClient valid(s.port());
    ASSERT_TRUE(valid.send("GET /file HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n"
                           "Connection: close\r\n\r\n"));
    std::string later = valid.read_all();
    EXPECT_EQ(aio::test::status_of(later), 304) << later.substr(0, 200);
}
