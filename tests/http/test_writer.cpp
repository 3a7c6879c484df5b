// aio-test-labels: sync
// aio/http/writer.hpp: heads and chunked bodies, and that the parser reads them back.
#include <aio/http/parser.hpp>
#include <aio/http/status.hpp>
#include <aio/http/writer.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace aio::http;

namespace {

struct Collect : RequestParser::Handler, ResponseParser::Handler {
    RequestHead req;
    ResponseHead resp;
    std::string body;
    Headers trailers;
    int done = 0;
    ParserAction on_head(RequestHead& h) override {
        req = std::move(h);
        return ParserAction::proceed;
    }
    ParserAction on_head(ResponseHead& h) override {
        resp = std::move(h);
        return ParserAction::proceed;
    }
    ParserAction on_body(std::string_view d) override {
        body += d;
        return ParserAction::proceed;
    }
    ParserAction on_trailers(Headers& t) override {
        trailers = std::move(t);
        return ParserAction::proceed;
    }
    ParserAction on_message_complete() override {
        ++done;
        return ParserAction::proceed;
    }
};

}  // namespace

TEST(Writer, RequestHead) {
    std::string out = "prefix|";
    append_request_head(out, "GET", "/a?b=1", Headers{{"Host", "example.com"}, {"Accept", "*/*"}});
    EXPECT_EQ(out, "prefix|GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
    std::string ten;
    append_request_head(ten, "HEAD", "/", Headers{}, HttpVersion10);
    EXPECT_EQ(ten, "HEAD / HTTP/1.0\r\n\r\n");
}

TEST(Writer, ResponseHeadUsesTheStandardReasonWhenNoneIsGiven) {
    std::string out;
    append_response_head(out, 404, "", Headers{{"Content-Length", "0"}});
    EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    out.clear();
    append_response_head(out, 200, "Fine", Headers{});
    EXPECT_EQ(out, "HTTP/1.1 200 Fine\r\n\r\n");
    out.clear();
    append_response_head(out, 599, "", Headers{});
    EXPECT_EQ(out, "HTTP/1.1 599 \r\n\r\n");
}

TEST(Writer, RefusesHeaderInjection) {
    std::string out = "keep";
    EXPECT_THROW(append_response_head(out, 200, "", Headers{{"X", "a\r\nSet-Cookie: evil"}}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 200, "", Headers{{"X", "a\nb"}}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 200, "", Headers{{"X", std::string("a\0b", 3)}}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 200, "", Headers{{"X\r\nY", "a"}}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 200, "", Headers{{"X Y", "a"}}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 200, "", Headers{{"", "a"}}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 200, "OK\r\nX: y", Headers{}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 99, "", Headers{}), aio::ValueError);
    EXPECT_THROW(append_response_head(out, 1000, "", Headers{}), aio::ValueError);
    EXPECT_THROW(append_request_head(out, "GET", "/a b", Headers{}), aio::ValueError);
    EXPECT_THROW(append_request_head(out, "GET", "", Headers{}), aio::ValueError);
    EXPECT_THROW(append_request_head(out, "GET", "/\r\n", Headers{}), aio::ValueError);
    EXPECT_THROW(append_request_head(out, "G T", "/", Headers{}), aio::ValueError);
    EXPECT_THROW(append_request_head(out, "GET", "/", Headers{}, HttpVersion{10, 0}), aio::ValueError);
    EXPECT_EQ(out, "keep");
    append_response_head(out = "", 200, "", Headers{{"X", "tab\tand obs-text \xc3\xa9"}});
    EXPECT_NE(out.find("X: tab\tand obs-text \xc3\xa9\r\n"), std::string::npos);
}

TEST(Writer, Chunks) {
    std::string out;
    append_chunk(out, "hello");
    append_chunk(out, "");
    append_chunk(out, std::string(300, 'x'));
    append_chunk_header(out, 0xabcdef);
    append_last_chunk(out);
    EXPECT_EQ(out, "5\r\nhello\r\n12c\r\n" + std::string(300, 'x') + "\r\nabcdef\r\n0\r\n\r\n");
    std::string t;
    append_last_chunk(t, Headers{{"X-Checksum", "42"}});
    EXPECT_EQ(t, "0\r\nX-Checksum: 42\r\n\r\n");
    EXPECT_THROW(append_chunk_header(t, 0), aio::ValueError);
    EXPECT_THROW(append_last_chunk(t, Headers{{"X", "\n"}}), aio::ValueError);
}

TEST(Writer, TheParserReadsBackWhatTheWriterWrites) {
    std::string wire;
    append_request_head(wire, "POST", "/upload?x=1",
                        Headers{{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"X-Dup", "1"}, {"x-dup", "2"}});
    append_chunk(wire, "abc");
    append_chunk(wire, std::string(5000, 'z'));
    append_last_chunk(wire, Headers{{"T", "v"}});
    Collect c;
    RequestParser p(c);
    EXPECT_EQ(p.feed(wire), wire.size());
    EXPECT_EQ(c.done, 1);
    EXPECT_EQ(c.req.method, "POST");
    EXPECT_EQ(c.req.path, "/upload?x=1");
    EXPECT_EQ(c.req.headers.get_all("X-DUP").size(), 2u);
    EXPECT_EQ(c.body, "abc" + std::string(5000, 'z'));
    EXPECT_EQ(c.trailers.get("t"), "v");

    std::string resp;
    append_response_head(resp, 201, "", Headers{{"Content-Length", "2"}});
    resp += "ok";
    Collect r;
    ResponseParser q(r);
    q.feed(resp);
    EXPECT_EQ(r.resp.status, 201);
    EXPECT_EQ(r.resp.reason, "Created");
    EXPECT_EQ(r.body, "ok");
}

TEST(Status, ReasonPhrases) {
    EXPECT_EQ(reason_phrase(200), "OK");
    EXPECT_EQ(reason_phrase(404), "Not Found");
    EXPECT_EQ(reason_phrase(413), "Request Entity Too Large");
    EXPECT_EQ(reason_phrase(418), "I'm a Teapot");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
    EXPECT_EQ(reason_phrase(299), "");
    EXPECT_EQ(reason_phrase(-1), "");
}
