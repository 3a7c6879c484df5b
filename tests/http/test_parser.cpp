// aio-test-labels: sync
// aio::http::RequestParser / ResponseParser: framing, strictness, limits, and
// the same events for every way of splitting the input.
#include <aio/http/parser.hpp>

#include <gtest/gtest.h>

#include <string>
#include <typeinfo>
#include <vector>

using namespace aio::http;
using namespace std::string_literals;

namespace {

// Records every event, both as structured data and as a transcript in which
// consecutive body pieces are merged (so that the transcript does not depend
// on how the input was split).
struct Recorder : RequestParser::Handler, ResponseParser::Handler {
    std::string log;
    std::vector<RequestHead> requests;
    std::vector<ResponseHead> responses;
    std::vector<std::string> bodies;
    std::vector<Headers> trailers;
    int completed = 0;
    bool pause_always = false;
    bool pause_on_head = false;
    bool paused = false;
    bool in_body = false;

    ParserAction act(bool pause = false) {
        if (pause_always || pause) {
            paused = true;
            return ParserAction::pause;
        }
        return ParserAction::proceed;
    }
    void event(const std::string& s) {
        in_body = false;
        log += s;
    }
    static std::string fields(const Headers& h) {
        std::string s;
        for (auto [k, v] : h) s += "  " + std::string(k) + ": " + std::string(v) + "\n";
        return s;
    }
    ParserAction on_head(RequestHead& h) override {
        event("REQUEST " + h.method + " " + h.path + " " + std::to_string(h.version.major) + "." +
              std::to_string(h.version.minor) + " close=" + std::to_string(h.should_close) +
              " upgrade=" + std::to_string(h.upgrade) + " chunked=" + std::to_string(h.chunked) +
              " expect=" + std::to_string(h.expect_continue) +
              " cl=" + (h.content_length ? std::to_string(*h.content_length) : "-") + "\n" + fields(h.headers));
        requests.push_back(h);
        bodies.emplace_back();
        return act(pause_on_head);
    }
    ParserAction on_head(ResponseHead& h) override {
        event("RESPONSE " + std::to_string(h.status) + " [" + h.reason + "] " + std::to_string(h.version.major) +
              "." + std::to_string(h.version.minor) + " close=" + std::to_string(h.should_close) +
              " upgrade=" + std::to_string(h.upgrade) + " chunked=" + std::to_string(h.chunked) +
              " cl=" + (h.content_length ? std::to_string(*h.content_length) : "-") + "\n" + fields(h.headers));
        responses.push_back(h);
        bodies.emplace_back();
        return act(pause_on_head);
    }
    ParserAction on_body(std::string_view d) override {
        EXPECT_FALSE(d.empty());
        if (!in_body) log += "BODY ";
        in_body = true;
        log += d;
        bodies.back() += d;
        return act();
    }
    ParserAction on_trailers(Headers& t) override {
        event("\nTRAILERS\n" + fields(t));
        trailers.push_back(t);
        return act();
    }
    ParserAction on_message_complete() override {
        event("\nEND\n");
        ++completed;
        return act();
    }
};

std::string describe_error(const std::exception& e) {
    std::string s = "ERROR ";
    if (dynamic_cast<const BodyTooLarge*>(&e))
        s += "BodyTooLarge";
    else if (dynamic_cast<const BadHttpMethod*>(&e))
        s += "BadHttpMethod";
    else if (dynamic_cast<const BadStatusLine*>(&e))
        s += "BadStatusLine";
    else if (dynamic_cast<const LineTooLong*>(&e))
        s += "LineTooLong";
    else if (dynamic_cast<const InvalidHeader*>(&e))
        s += "InvalidHeader";
    else if (dynamic_cast<const ContentLengthError*>(&e))
        s += "ContentLengthError";
    else if (dynamic_cast<const TransferEncodingError*>(&e))
        s += "TransferEncodingError";
    else if (dynamic_cast<const BadHttpMessage*>(&e))
        s += "BadHttpMessage";
    else
        s += "other";
    // Appended piecewise: g++ 12 warns falsely (-Wrestrict, GCC PR 105329) on `" " + std::string`.
    if (auto* h = dynamic_cast<const HttpProcessingError*>(&e)) s.append(" ").append(std::to_string(h->status()));
    s.append(" ").append(e.what()).append("\n");
    return s;
}

enum class Kind { request, response };

struct Outcome {
    Recorder rec;
    std::string transcript;  // rec.log plus stop / error / eof lines
    std::size_t consumed = 0;
};

// Feeds `input` cut at `cuts`, re-feeding after pauses, then (if `eof`) feed_eof.
template <class Parser>
void drive(Parser& parser, Outcome& run, std::string_view input, const std::vector<std::size_t>& cuts, bool eof) {
    std::vector<std::string_view> pieces;
    std::size_t prev = 0;
    for (std::size_t c : cuts) {
        pieces.push_back(input.substr(prev, c - prev));
        prev = c;
    }
    pieces.push_back(input.substr(prev));
    std::string tail;
    try {
        for (std::string_view piece : pieces) {
            while (true) {
                run.rec.paused = false;
                std::size_t n = parser.feed(piece);
                run.consumed += n;
                piece.remove_prefix(n);
                if (run.rec.paused) continue;  // resume, even with nothing left: an event may be pending
                if (!piece.empty()) {
                    tail = "STOP at " + std::to_string(run.consumed) + "\n";
                    goto stopped;
                }
                break;
            }
        }
        if (eof) {
            parser.feed_eof();
            tail = "EOF\n";
        }
    stopped:;
    } catch (const std::exception& e) {
        tail = describe_error(e);
        run.consumed = 0;  // feed reports nothing when it throws
    }
    run.transcript = run.rec.log + tail;
}

struct Options {
    Kind kind = Kind::request;
    bool eof = false;
    ParserLimits limits{};
    std::string method = "GET";
    bool pause_always = false;
};

Outcome parse(std::string_view input, Options o = {}, std::vector<std::size_t> cuts = {}) {
    Outcome run;
    run.rec.pause_always = o.pause_always;
    if (o.kind == Kind::request) {
        RequestParser p(run.rec, o.limits);
        drive(p, run, input, cuts, o.eof);
    } else {
        ResponseParser p(run.rec, o.limits);
        p.set_request_method(o.method);
        drive(p, run, input, cuts, o.eof);
    }
    return run;
}

Outcome parse_response(std::string_view input, bool eof = false, std::string method = "GET") {
    return parse(input, Options{.kind = Kind::response, .eof = eof, .method = method});
}

// The error a request (or response) raises, checked by type; returns it for more checks.
template <class E>
E error_of(std::string_view input, Options o = {}) {
    try {
        Outcome run;
        if (o.kind == Kind::request) {
            RequestParser p(run.rec, o.limits);
            p.feed(input);
            if (o.eof) p.feed_eof();
        } else {
            ResponseParser p(run.rec, o.limits);
            p.set_request_method(o.method);
            p.feed(input);
            if (o.eof) p.feed_eof();
        }
    } catch (const E& e) {
        return e;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type " << typeid(e).name() << ": " << e.what() << "\nfor "
                      << testing::PrintToString(std::string(input));
        throw;
    }
    ADD_FAILURE() << "no exception for " << testing::PrintToString(std::string(input));
    throw std::logic_error("no exception");
}

Options response(bool eof = false) { return Options{.kind = Kind::response, .eof = eof}; }

// Every way of splitting in two, byte by byte, and pausing at every event
// gives the transcript of the one-piece parse.
void expect_split_invariant(std::string_view input, Options o = {}) {
    Outcome whole = parse(input, o);
    SCOPED_TRACE(testing::PrintToString(std::string(input)));
    for (std::size_t i = 1; i < input.size(); ++i) {
        Outcome split = parse(input, o, {i});
        ASSERT_EQ(split.transcript, whole.transcript) << "split at " << i;
        ASSERT_EQ(split.consumed, whole.consumed) << "split at " << i;
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
    Outcome bytes = parse(input, o, every);
    ASSERT_EQ(bytes.transcript, whole.transcript) << "byte by byte";
    Options paused = o;
    paused.pause_always = true;
    Outcome p = parse(input, paused);
    ASSERT_EQ(p.transcript, whole.transcript) << "pausing at every event";
    Outcome pb = parse(input, paused, every);
    ASSERT_EQ(pb.transcript, whole.transcript) << "pausing, byte by byte";
}

const std::string kGet =
    "GET /index.html?q=1 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: aio-test\r\n"
    "Accept: */*\r\n"
    "\r\n";

}  // namespace

// ---------------------------------------------------------------------------
// Requests

TEST(RequestParser, ParsesASimpleGet) {
    Outcome r = parse(kGet);
    ASSERT_EQ(r.rec.requests.size(), 1u);
    const RequestHead& h = r.rec.requests[0];
    EXPECT_EQ(h.method, "GET");
    EXPECT_EQ(h.path, "/index.html?q=1");
    EXPECT_EQ(h.version, HttpVersion11);
    EXPECT_EQ(h.headers.size(), 3u);
    EXPECT_EQ(h.headers.get("host"), "example.com");
    EXPECT_EQ((*h.headers.begin()).first, "Host");
    EXPECT_FALSE(h.should_close);
    EXPECT_FALSE(h.upgrade);
    EXPECT_FALSE(h.chunked);
    EXPECT_FALSE(h.content_length);
    EXPECT_EQ(r.rec.completed, 1);
    EXPECT_EQ(r.consumed, kGet.size());
    EXPECT_EQ(r.rec.bodies[0], "");
}

TEST(RequestParser, TrimsOptionalWhitespaceAroundValuesAndKeepsInnerSpaces) {
    Outcome r = parse("GET / HTTP/1.1\r\nX-A: \t a  b \t\r\nX-Empty:\r\nX-B:c\r\n\r\n");
    ASSERT_EQ(r.rec.requests.size(), 1u);
    EXPECT_EQ(r.rec.requests[0].headers.get("x-a"), "a  b");
    EXPECT_EQ(r.rec.requests[0].headers.get("x-empty"), "");
    EXPECT_EQ(r.rec.requests[0].headers.get("x-b"), "c");
}

TEST(RequestParser, AcceptsObsTextInValuesButNotInTheTarget) {
    Outcome r = parse("GET /caf%C3%A9 HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n");
    ASSERT_EQ(r.rec.requests.size(), 1u);
    EXPECT_EQ(r.rec.requests[0].path, "/caf%C3%A9");
    EXPECT_EQ(r.rec.requests[0].headers.get("x"), "caf\xc3\xa9");
}

TEST(RequestParser, RawBytesAbove0x7fInTheTargetAre400) {
    for (std::string target : {"/caf\xc3\xa9", "/\x80", "/a?q=\xff", "http://h/\xe2\x82\xac"}) {
        auto e = error_of<BadStatusLine>("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n");
        EXPECT_EQ(e.status(), 400);
        EXPECT_NE(e.message().find("not ASCII"), std::string::npos) << e.message();
    }
}

TEST(RequestParser, ConnectWithContentLengthHasNoBody) {
    Recorder rec;
    RequestParser p(rec);
    std::string head = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 5\r\n\r\n";
    std::string in = head + "\x16\x03\x01\x00\x05";
    EXPECT_EQ(p.feed(in), head.size());
    ASSERT_EQ(rec.requests.size(), 1u);
    EXPECT_FALSE(rec.requests[0].content_length.has_value());
    EXPECT_TRUE(rec.bodies.empty() || rec.bodies[0].empty());
    EXPECT_EQ(rec.completed, 1);
    EXPECT_TRUE(p.upgraded());
}

TEST(RequestParser, ReadsAContentLengthBody) {
    Outcome r = parse("POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
    ASSERT_EQ(r.rec.requests.size(), 1u);
    EXPECT_EQ(r.rec.requests[0].content_length, 11u);
    EXPECT_EQ(r.rec.bodies[0], "hello world");
    EXPECT_EQ(r.rec.completed, 1);
}

TEST(RequestParser, ZeroContentLengthCompletesAtTheHead) {
    Outcome r = parse("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(r.rec.completed, 1);
    EXPECT_EQ(r.rec.requests[0].content_length, 0u);
}

TEST(RequestParser, ContentLengthWithLeadingZerosIsANumber) {
    Outcome r = parse("POST / HTTP/1.1\r\nContent-Length: 003\r\n\r\nabc");
    EXPECT_EQ(r.rec.bodies[0], "abc");
}

TEST(RequestParser, BodyBytesArePassedWithoutCopy) {
    struct Check : RequestParser::Handler {
        const char* base = nullptr;
        std::size_t size = 0;
        bool inside = true;
        ParserAction on_head(RequestHead&) override { return ParserAction::proceed; }
        ParserAction on_body(std::string_view d) override {
            inside = inside && d.data() >= base && d.data() + d.size() <= base + size;
            return ParserAction::proceed;
        }
        ParserAction on_message_complete() override { return ParserAction::proceed; }
    } check;
    std::string msg = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde";
    check.base = msg.data();
    check.size = msg.size();
    RequestParser p(check);
    p.feed(msg);
    EXPECT_TRUE(check.inside);
}

TEST(RequestParser, DecodesChunkedBodiesWithExtensionsAndTrailers) {
    Outcome r = parse(
        "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n"
        "6;name=value;flag\r\n world\r\n"
        "A ; q=\"a \\\"quoted\\\" ;x\"\r\n0123456789\r\n"
        "0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n");
    ASSERT_EQ(r.rec.requests.size(), 1u) << r.transcript;
    EXPECT_TRUE(r.rec.requests[0].chunked);
    EXPECT_FALSE(r.rec.requests[0].content_length);
    EXPECT_EQ(r.rec.bodies[0], "hello world0123456789");
    ASSERT_EQ(r.rec.trailers.size(), 1u);
    EXPECT_EQ(r.rec.trailers[0].get("x-checksum"), "abc");
    EXPECT_EQ(r.rec.trailers[0].size(), 2u);
    EXPECT_EQ(r.rec.completed, 1);
}

TEST(RequestParser, ChunkedWithoutTrailersReportsNoTrailers) {
    Outcome r = parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(r.rec.bodies[0], "abc");
    EXPECT_TRUE(r.rec.trailers.empty());
    EXPECT_EQ(r.rec.completed, 1);
}

TEST(RequestParser, TransferCodingNamesAreCaseInsensitive) {
    Outcome r = parse("POST / HTTP/1.1\r\nTransfer-Encoding: ChUnKeD\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    EXPECT_EQ(r.rec.bodies.at(0), "x");
}

TEST(RequestParser, ParsesPipelinedRequestsInOrder) {
    std::string in = kGet +
                     "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                     "PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
                     "DELETE /c HTTP/1.1\r\n\r\n";
    Outcome r = parse(in);
    ASSERT_EQ(r.rec.requests.size(), 4u) << r.transcript;
    EXPECT_EQ(r.rec.requests[1].method, "POST");
    EXPECT_EQ(r.rec.bodies[1], "abc");
    EXPECT_EQ(r.rec.bodies[2], "xy");
    EXPECT_EQ(r.rec.requests[3].path, "/c");
    EXPECT_EQ(r.rec.completed, 4);
    EXPECT_EQ(r.consumed, in.size());
}

TEST(RequestParser, SkipsEmptyLinesBeforeARequest) {
    Outcome r = parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.rec.requests.size(), 1u);
}

TEST(RequestParser, Http10ClosesByDefaultAndStopsAfterTheMessage) {
    std::string in = "GET / HTTP/1.0\r\n\r\nGET /next HTTP/1.0\r\n\r\n";
    RequestParser* seen = nullptr;
    Outcome r;
    RequestParser p(r.rec);
    seen = &p;
    std::size_t n = p.feed(in);
    EXPECT_EQ(n, in.find("GET /next"));
    EXPECT_TRUE(r.rec.requests.at(0).should_close);
    EXPECT_TRUE(seen->stopped());
    EXPECT_FALSE(seen->upgraded());
    EXPECT_EQ(p.feed("more"), 0u);
}

TEST(RequestParser, Http10KeepAliveStaysOpen) {
    Outcome r = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    ASSERT_EQ(r.rec.requests.size(), 2u);
    EXPECT_FALSE(r.rec.requests[0].should_close);
    EXPECT_TRUE(r.rec.requests[1].should_close);
}

TEST(RequestParser, ConnectionCloseInHttp11Closes) {
    Outcome r = parse("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n");
    EXPECT_TRUE(r.rec.requests.at(0).should_close);
}

TEST(RequestParser, UpgradeStopsBeforeTheNewProtocolsBytes) {
    std::string head =
        "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Key: x\r\n\r\n";
    std::string in = head + "\x81\x05hello";
    Recorder rec;
    RequestParser p(rec);
    EXPECT_EQ(p.feed(in), head.size());
    EXPECT_TRUE(rec.requests.at(0).upgrade);
    EXPECT_EQ(rec.completed, 1);
    EXPECT_TRUE(p.upgraded());
    EXPECT_TRUE(p.stopped());
    EXPECT_EQ(p.feed("more"), 0u);
    p.resume_after_upgrade();  // the server declined: back to HTTP
    EXPECT_FALSE(p.upgraded());
    p.feed("GET /again HTTP/1.1\r\n\r\n");
    EXPECT_EQ(rec.requests.size(), 2u);
}

TEST(RequestParser, UpgradeFieldWithoutConnectionUpgradeIsNoUpgrade) {
    Outcome r = parse("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
    EXPECT_FALSE(r.rec.requests.at(0).upgrade);
}

TEST(RequestParser, ConnectIsAnUpgradeWithAnAuthorityTarget) {
    Recorder rec;
    RequestParser p(rec);
    std::string in = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03";
    EXPECT_EQ(p.feed(in), in.size() - 2);
    EXPECT_TRUE(rec.requests.at(0).upgrade);
    EXPECT_EQ(rec.requests[0].path, "example.com:443");
    EXPECT_TRUE(p.upgraded());
}

TEST(RequestParser, RequestTargetForms) {
    EXPECT_EQ(parse("GET http://example.com/x?y HTTP/1.1\r\n\r\n").rec.requests.at(0).path, "http://example.com/x?y");
    EXPECT_EQ(parse("OPTIONS * HTTP/1.1\r\n\r\n").rec.requests.at(0).path, "*");
    EXPECT_NE(error_of<BadStatusLine>("GET * HTTP/1.1\r\n\r\n").message().find("OPTIONS"), std::string::npos);
    error_of<BadStatusLine>("CONNECT /path HTTP/1.1\r\n\r\n");
    error_of<BadStatusLine>("CONNECT example.com HTTP/1.1\r\n\r\n");
    error_of<BadStatusLine>("CONNECT example.com:x HTTP/1.1\r\n\r\n");
    error_of<BadStatusLine>("GET index.html HTTP/1.1\r\n\r\n");
    error_of<BadStatusLine>("GET 1http://x/ HTTP/1.1\r\n\r\n");
}

TEST(RequestParser, ExpectContinueIsFlaggedOnHttp11Only) {
    EXPECT_TRUE(parse("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx")
                    .rec.requests.at(0)
                    .expect_continue);
    EXPECT_FALSE(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx")
                     .rec.requests.at(0)
                     .expect_continue);
    EXPECT_FALSE(parse("POST / HTTP/1.1\r\nExpect: something\r\n\r\n").rec.requests.at(0).expect_continue);
}

TEST(RequestParser, PauseReturnsAtTheEventAndResumesWithTheRest) {
    Recorder rec;
    rec.pause_on_head = true;
    RequestParser p(rec);
    std::string in = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n";
    std::size_t n = p.feed(in);
    EXPECT_EQ(n, in.find("abc"));
    EXPECT_EQ(rec.requests.size(), 1u);
    EXPECT_TRUE(rec.bodies[0].empty());
    EXPECT_TRUE(p.message_in_progress());
    std::size_t m = p.feed(std::string_view(in).substr(n));
    EXPECT_EQ(n + m, in.size() - 0) << "the second head pauses at its end, which is the end of the input";
    EXPECT_EQ(rec.bodies[0], "abc");
    EXPECT_EQ(rec.requests.size(), 2u);
}

TEST(RequestParser, MessageInProgressTellsIdleFromBusy) {
    Recorder rec;
    RequestParser p(rec);
    EXPECT_FALSE(p.message_in_progress());
    p.feed("GE");
    EXPECT_TRUE(p.message_in_progress());
    p.feed("T / HTTP/1.1\r\nContent-Length: 2\r\n\r\na");
    EXPECT_TRUE(p.message_in_progress());
    p.feed("b");
    EXPECT_FALSE(p.message_in_progress());
}

TEST(RequestParser, EofBetweenMessagesIsFine) {
    Outcome r = parse(kGet, Options{.eof = true});
    EXPECT_EQ(r.transcript.substr(r.transcript.size() - 4), "EOF\n");
}

TEST(RequestParser, EofInTheMiddleIsAnError) {
    EXPECT_NE(error_of<BadHttpMessage>("GET / HT", Options{.eof = true}).message().find("start line"),
              std::string::npos);
    EXPECT_NE(error_of<BadHttpMessage>("GET / HTTP/1.1\r\nHost: x\r\n", Options{.eof = true}).message().find("head"),
              std::string::npos);
    auto cl = error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", Options{.eof = true});
    EXPECT_NE(cl.message().find("3 of the 10"), std::string::npos) << cl.message();
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                                    Options{.eof = true});
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
                                    Options{.eof = true});
}

TEST(RequestParser, AFailedParserRethrowsItsError) {
    Recorder rec;
    RequestParser p(rec);
    EXPECT_THROW(p.feed("BAD\x01 / HTTP/1.1\r\n"), BadHttpMethod);
    EXPECT_TRUE(p.stopped());
    EXPECT_THROW(p.feed("GET / HTTP/1.1\r\n\r\n"), BadHttpMethod);
    EXPECT_THROW(p.feed_eof(), BadHttpMethod);
}

TEST(RequestParser, HandlerExceptionsPropagateAndFailTheParser) {
    struct Thrower : RequestParser::Handler {
        ParserAction on_head(RequestHead&) override { throw std::runtime_error("handler"); }
        ParserAction on_body(std::string_view) override { return ParserAction::proceed; }
        ParserAction on_message_complete() override { return ParserAction::proceed; }
    } h;
    RequestParser p(h);
    EXPECT_THROW(p.feed(kGet), std::runtime_error);
    EXPECT_TRUE(p.stopped());
}

TEST(RequestParser, IsMovable) {
    Recorder rec;
    RequestParser a(rec);
    a.feed("GET / HTTP/1.1\r\n");
    RequestParser b(std::move(a));
    b.feed("\r\n");
    EXPECT_EQ(rec.completed, 1);
}

// ---------------------------------------------------------------------------
// Request smuggling and framing errors

TEST(RequestSmuggling, ContentLengthWithTransferEncodingIsRejected) {
    auto e = error_of<ContentLengthError>(
        "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(e.status(), 400);
    error_of<ContentLengthError>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n");
}

TEST(RequestSmuggling, RepeatedContentLengthIsRejectedEvenWhenEqual) {
    error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd");
    error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd");
    error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: 4, 4\r\n\r\nabcd");
}

TEST(RequestSmuggling, ContentLengthMustBeDigits) {
    for (std::string v : std::vector<std::string>{"abc", "-1", "+5", "5 5", "0x10", "1.0", "5\t5", "", "1e3"}) {
        auto e = error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: " + v + "\r\n\r\n");
        EXPECT_EQ(e.status(), 400) << v;
    }
}

TEST(RequestSmuggling, OverflowingContentLengthIsRejected) {
    error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n");
    error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: 18446744073709551617\r\n\r\n");
    error_of<ContentLengthError>("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n");
    Outcome r = parse("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n");
    EXPECT_EQ(r.rec.requests.at(0).content_length, 9223372036854775807ull);
}

TEST(RequestSmuggling, ChunkedMustBeTheFinalCoding) {
    auto e = error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").status(), 400);
    error_of<TransferEncodingError>(
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n");
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
    error_of<TransferEncodingError>(
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(RequestSmuggling, UnknownTransferCodingIs501) {
    auto e = error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    EXPECT_EQ(e.status(), 501);
    EXPECT_NE(e.message().find("gzip"), std::string::npos);
}

TEST(RequestSmuggling, MalformedTransferEncodingListsAreRejected) {
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: , chunked\r\n\r\n");
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked,\r\n\r\n");
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n");
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;x=1\r\n\r\n");
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n");
    error_of<TransferEncodingError>("POST / HTTP/1.1\r\nTransfer-Encoding: chun ked\r\n\r\n");
}

TEST(RequestSmuggling, TransferEncodingInHttp10IsRejected) {
    error_of<TransferEncodingError>("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
}

TEST(RequestSmuggling, BadChunkSizesAreRejected) {
    const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::string line : std::vector<std::string>{"zz", "", "-1", "0x5", " 5", "5 ", "+5", "5;", "5;=x", "5;a=", "5;a=\"x", "5 x",
                             "5;a=b c", "5;a b", "\x00" "5"s}) {
        SCOPED_TRACE(testing::PrintToString(line));
        auto e = error_of<TransferEncodingError>(head + line + "\r\nhello\r\n0\r\n\r\n");
        EXPECT_EQ(e.status(), 400);
    }
}

TEST(RequestSmuggling, OverflowingChunkSizesAreRejected) {
    const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    error_of<TransferEncodingError>(head + "ffffffffffffffffff\r\n");
    error_of<TransferEncodingError>(head + "10000000000000000\r\n");
    error_of<TransferEncodingError>(head + "8000000000000000\r\n");
    // Leading zeros are only zeros.
    Outcome r = parse(head + "000000000000000000000003\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(r.rec.bodies.at(0), "abc");
}

TEST(RequestSmuggling, ChunkDataMustEndWithCrlf) {
    const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    error_of<TransferEncodingError>(head + "3\r\nabcd\r\n0\r\n\r\n");
    error_of<TransferEncodingError>(head + "3\r\nabc\n0\r\n\r\n");
    error_of<TransferEncodingError>(head + "3\r\nabc\rX0\r\n\r\n");
    error_of<BadHttpMessage>(head + "3\nabc\r\n0\r\n\r\n");  // bare LF after the size
}

TEST(RequestSmuggling, ObsoleteLineFoldingIsRejected) {
    auto e = error_of<InvalidHeader>("GET / HTTP/1.1\r\nX-A: a\r\n  folded\r\n\r\n");
    EXPECT_NE(e.message().find("folding"), std::string::npos);
    error_of<InvalidHeader>("GET / HTTP/1.1\r\nX-A: a\r\n\tfolded\r\n\r\n");
    error_of<InvalidHeader>("GET / HTTP/1.1\r\n Host: x\r\n\r\n");
    error_of<InvalidHeader>("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n ,chunked\r\n\r\n");
}

TEST(RequestSmuggling, WhitespaceBeforeColonIsRejected) {
    auto e = error_of<InvalidHeader>("POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello");
    EXPECT_NE(e.message().find("whitespace"), std::string::npos);
    error_of<InvalidHeader>("GET / HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n");
}

TEST(RequestSmuggling, InvalidHeaderNamesAreRejected) {
    for (std::string line : std::vector<std::string>{"X A: b", ": empty", "X\"A: b", "X(A): b", "NoColon", "X\x01" "A: b", "X\x7f: b",
                             "\xc3\xa9: b", "X[]: b", "X/Y: b", "X=Y: b"}) {
        SCOPED_TRACE(testing::PrintToString(line));
        error_of<InvalidHeader>("GET / HTTP/1.1\r\n" + line + "\r\n\r\n");
    }
}

TEST(RequestSmuggling, ControlCharactersInValuesAreRejected) {
    for (std::string v : std::vector<std::string>{"a\x01" "b", "a\x7f" "b", "a\x00" "b"s, "a\x1b" "b", "a\x0b" "b", "a\x0c" "b"}) {
        SCOPED_TRACE(testing::PrintToString(v));
        error_of<InvalidHeader>("GET / HTTP/1.1\r\nX: " + v + "\r\n\r\n");
    }
    Outcome ok = parse("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n");
    EXPECT_EQ(ok.rec.requests.at(0).headers.get("x"), "a\tb");
}

TEST(RequestSmuggling, BareCrIsRejected) {
    auto e = error_of<InvalidHeader>("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n");
    EXPECT_NE(e.message().find("bare CR"), std::string::npos) << e.message();
    error_of<BadStatusLine>("GET /\r HTTP/1.1\r\n\r\n");
    error_of<InvalidHeader>("GET / HTTP/1.1\r\nX: a\r\r\n\r\n");
    error_of<BadHttpMessage>("GET / HTTP/1.1\r\nX: a\r\n\r\r\n");
}

TEST(RequestSmuggling, BareLfLineEndingsAreRejectedInRequests) {
    auto e = error_of<BadHttpMessage>("GET / HTTP/1.1\nHost: x\r\n\r\n");
    EXPECT_NE(e.message().find("bare LF"), std::string::npos);
    error_of<BadHttpMessage>("GET / HTTP/1.1\r\nHost: x\n\r\n");
    error_of<BadHttpMessage>("GET / HTTP/1.1\r\nHost: x\r\n\n");
    error_of<BadHttpMessage>("\nGET / HTTP/1.1\r\n\r\n");
    error_of<BadHttpMessage>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n");
}

TEST(RequestSmuggling, NulBytesAreRejectedEverywhere) {
    error_of<BadHttpMethod>("G\0T / HTTP/1.1\r\n\r\n"s);
    error_of<BadStatusLine>("GET /\0 HTTP/1.1\r\n\r\n"s);
    error_of<BadStatusLine>("GET / HTTP/1.1\0\r\n\r\n"s);
    error_of<InvalidHeader>("GET / HTTP/1.1\r\nX\0: a\r\n\r\n"s);
    error_of<InvalidHeader>("GET / HTTP/1.1\r\nX: \0\r\n\r\n"s);
}

TEST(RequestSmuggling, RepeatedHostIsRejected) {
    error_of<InvalidHeader>("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n");
}

TEST(RequestLine, InvalidMethodsAreBadHttpMethod) {
    for (std::string line : std::vector<std::string>{"G(T / HTTP/1.1", "GE T / HTTP/1.1", " GET / HTTP/1.1", "G\x80T / HTTP/1.1",
                             "GET\t/ HTTP/1.1", "GET"}) {
        SCOPED_TRACE(testing::PrintToString(line));
        auto e = error_of<BadStatusLine>(line + "\r\n\r\n");
        EXPECT_EQ(e.status(), 400);
    }
    error_of<BadHttpMethod>("G(T / HTTP/1.1\r\n\r\n");
    error_of<BadHttpMethod>("@ / HTTP/1.1\r\n\r\n");
    // Unknown but well-formed methods are the server's business.
    EXPECT_EQ(parse("PURGE / HTTP/1.1\r\n\r\n").rec.requests.at(0).method, "PURGE");
}

TEST(RequestLine, MalformedLinesAreBadStatusLine) {
    for (std::string line : std::vector<std::string>{"GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /  HTTP/1.1", "GET /", "GET / HTTP/1.1 x",
                             "GET / http/1.1", "GET / HTTP/1", "GET / HTTP/1.1.1", "GET / HTTP/a.b", "GET / HTTP/11",
                             "GET / HTTP/1.1x", "GET /a b HTTP/1.1", "GET /\x7f HTTP/1.1"}) {
        SCOPED_TRACE(testing::PrintToString(line));
        auto e = error_of<BadStatusLine>(line + "\r\n\r\n");
        EXPECT_EQ(e.status(), 400);
    }
}

TEST(RequestLine, UnsupportedVersionsAre505) {
    for (std::string v : std::vector<std::string>{"HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0"}) {
        auto e = error_of<BadStatusLine>("GET / " + v + "\r\n\r\n");
        EXPECT_EQ(e.status(), 505) << v;
    }
}

// ---------------------------------------------------------------------------
// Limits

TEST(ParserLimits, RequestLineAtTheLimitPassesAndOneByteMoreIs414) {
    ParserLimits lim{.max_line_size = 64};
    std::string target = "/" + std::string(50, 'a');  // "GET " + target + " HTTP/1.1" == 64
    std::string line = "GET " + target + " HTTP/1.1";
    ASSERT_EQ(line.size(), 64u);
    EXPECT_EQ(parse(line + "\r\n\r\n", Options{.limits = lim}).rec.requests.size(), 1u);
    auto e = error_of<LineTooLong>("GET a" + target + " HTTP/1.1\r\n\r\n", Options{.limits = lim});
    EXPECT_EQ(e.status(), 414);
}

TEST(ParserLimits, AnEndlessLineIsRefusedBeforeItEnds) {
    Recorder rec;
    RequestParser p(rec, ParserLimits{.max_line_size = 100});
    p.feed(std::string(100, 'G'));  // still within the limit
    try {
        p.feed("G");
        FAIL() << "no error";
    } catch (const LineTooLong& e) {
        EXPECT_EQ(e.status(), 414);
    }
    Recorder rec2;
    RequestParser q(rec2);
    EXPECT_THROW(q.feed(std::string(1 << 20, 'x')), LineTooLong);
}

TEST(ParserLimits, UnlimitedLimitsWork) {
    ParserLimits lim{.max_line_size = SIZE_MAX, .max_field_size = SIZE_MAX, .max_headers_size = SIZE_MAX,
                     .max_headers = SIZE_MAX};
    std::string big = "GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nX: " + std::string(100000, 'b') + "\r\n\r\n";
    Outcome r = parse(big, Options{.limits = lim}, {7, 50000, 150000});
    ASSERT_EQ(r.rec.requests.size(), 1u) << r.transcript.substr(0, 200);
    EXPECT_EQ(r.rec.requests[0].headers.get("x")->size(), 100000u);
}

TEST(ParserLimits, HeaderFieldOverTheLimitIs431) {
    ParserLimits lim{.max_field_size = 32};
    std::string field = "X: " + std::string(29, 'v');
    ASSERT_EQ(field.size(), 32u);
    EXPECT_EQ(parse("GET / HTTP/1.1\r\n" + field + "\r\n\r\n", Options{.limits = lim}).rec.requests.size(), 1u);
    auto e = error_of<LineTooLong>("GET / HTTP/1.1\r\n" + field + "v\r\n\r\n", Options{.limits = lim});
    EXPECT_EQ(e.status(), 431);
    EXPECT_NE(e.message().find("header field"), std::string::npos);
}

TEST(ParserLimits, HeaderSectionOverTheLimitIs431) {
    ParserLimits lim{.max_headers_size = 100};
    std::string fields;
    for (int i = 0; i < 10; ++i) fields += "X-" + std::to_string(i) + ": 12345\r\n";  // 10 bytes each
    EXPECT_EQ(parse("GET / HTTP/1.1\r\n" + fields + "\r\n", Options{.limits = lim}).rec.requests.size(), 1u);
    auto e = error_of<LineTooLong>("GET / HTTP/1.1\r\n" + fields + "Y: z\r\n\r\n", Options{.limits = lim});
    EXPECT_EQ(e.status(), 431);
    EXPECT_NE(e.message().find("header section"), std::string::npos);
}

TEST(ParserLimits, TooManyHeaderFieldsIs431) {
    ParserLimits lim{.max_headers = 3};
    EXPECT_EQ(parse("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n", Options{.limits = lim}).rec.completed, 1);
    auto e = error_of<LineTooLong>("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n", Options{.limits = lim});
    EXPECT_EQ(e.status(), 431);
}

TEST(ParserLimits, TrailersHaveTheirOwnBudget) {
    ParserLimits lim{.max_headers = 1};
    std::string in = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\n\r\n";
    EXPECT_EQ(parse(in, Options{.limits = lim}).rec.completed, 1);
    error_of<LineTooLong>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\n\r\n",
                          Options{.limits = lim});
    error_of<InvalidHeader>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA : 1\r\n\r\n");
}

TEST(ParserLimits, ChunkSizeLineOverTheLimit) {
    ParserLimits lim{.max_line_size = 40};
    std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    error_of<LineTooLong>(head + "1;" + std::string(60, 'e') + "\r\nx\r\n0\r\n\r\n", Options{.limits = lim});
}

TEST(ParserLimits, DeclaredBodyOverTheLimitIs413) {
    ParserLimits lim{.max_body_size = 10};
    EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", Options{.limits = lim})
                  .rec.bodies.at(0)
                  .size(),
              10u);
    auto e = error_of<BodyTooLarge>("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", Options{.limits = lim});
    EXPECT_EQ(e.status(), 413);
}

TEST(ParserLimits, ChunkedBodyOverTheLimitIs413AtTheChunkSize) {
    // 10 data bytes and three chunk-size lines of 3 bytes each ("5\r\n", "5\r\n", "0\r\n").
    ParserLimits lim{.max_body_size = 19};
    std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    EXPECT_EQ(parse(head + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", Options{.limits = lim}).rec.completed, 1);
    Outcome r = parse(head + "5\r\n01234\r\n9\r\n567890123\r\n0\r\n\r\n", Options{.limits = lim});
    EXPECT_EQ(r.rec.bodies.at(0), "01234");
    EXPECT_NE(r.transcript.find("ERROR BodyTooLarge 413"), std::string::npos) << r.transcript;
}

TEST(ParserLimits, ChunkSizeLinesCountAgainstTheBodyLimit) {
    // One data byte per chunk, carried by long extensions or leading zeros:
    // the data alone (20 bytes) is far under the limit, the bytes sent are not.
    ParserLimits lim{.max_body_size = 200};
    std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string ext, zeros;
    for (int i = 0; i < 20; ++i) ext += "1;name=" + std::string(20, 'v') + "\r\nx\r\n";
    for (int i = 0; i < 20; ++i) zeros += std::string(20, '0') + "1\r\nx\r\n";
    for (const std::string& body : {ext, zeros}) {
        Outcome r = parse(head + body + "0\r\n\r\n", Options{.limits = lim});
        EXPECT_EQ(r.rec.completed, 0);
        EXPECT_NE(r.transcript.find("ERROR BodyTooLarge 413"), std::string::npos) << r.transcript;
        expect_split_invariant(head + body + "0\r\n\r\n", Options{.limits = lim});
    }
    // The same chunks with short lines fit.
    std::string plain;
    for (int i = 0; i < 20; ++i) plain += "1\r\nx\r\n";
    EXPECT_EQ(parse(head + plain + "0\r\n\r\n", Options{.limits = lim}).rec.completed, 1);
}

TEST(ParserLimits, FramingBytesAreReported) {
    Recorder rec;
    RequestParser p(rec);
    p.feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(p.framing_bytes(), 7u + 3u);
}

TEST(ParserLimits, BodyUntilCloseOverTheLimitDeliversTheLimitThenFails) {
    Options o = response(true);
    o.limits.max_body_size = 4;
    Outcome r = parse("HTTP/1.1 200 OK\r\n\r\n0123456789", o);
    EXPECT_EQ(r.rec.bodies.at(0), "0123");
    EXPECT_NE(r.transcript.find("ERROR BodyTooLarge"), std::string::npos);
    expect_split_invariant("HTTP/1.1 200 OK\r\n\r\n0123456789", o);
}

// ---------------------------------------------------------------------------
// Responses

TEST(ResponseParser, ParsesStatusReasonHeadersAndBody) {
    Outcome r = parse_response("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope");
    ASSERT_EQ(r.rec.responses.size(), 1u);
    const ResponseHead& h = r.rec.responses[0];
    EXPECT_EQ(h.status, 404);
    EXPECT_EQ(h.reason, "Not Found");
    EXPECT_EQ(h.version, HttpVersion11);
    EXPECT_EQ(h.headers.get("content-type"), "text/plain");
    EXPECT_EQ(h.content_length, 4u);
    EXPECT_FALSE(h.should_close);
    EXPECT_EQ(r.rec.bodies[0], "nope");
    EXPECT_EQ(r.rec.completed, 1);
}

TEST(ResponseParser, ReasonMayBeEmptyOrAbsent) {
    EXPECT_EQ(parse_response("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").rec.responses.at(0).reason, "");
    EXPECT_EQ(parse_response("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").rec.responses.at(0).status, 200);
    EXPECT_EQ(parse_response("HTTP/1.1 500 Oh  no\t!\r\nContent-Length: 0\r\n\r\n").rec.responses.at(0).reason,
              "Oh  no\t!");
}

TEST(ResponseParser, BodyWithoutLengthRunsUntilClose) {
    Outcome r = parse_response("HTTP/1.1 200 OK\r\n\r\nall of this until EOF", true);
    ASSERT_EQ(r.rec.responses.size(), 1u);
    EXPECT_TRUE(r.rec.responses[0].should_close);
    EXPECT_EQ(r.rec.bodies[0], "all of this until EOF");
    EXPECT_EQ(r.rec.completed, 1);
    Outcome open = parse_response("HTTP/1.1 200 OK\r\n\r\nabc", false);
    EXPECT_EQ(open.rec.completed, 0);
}

TEST(ResponseParser, ChunkedResponses) {
    Outcome r = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n");
    EXPECT_TRUE(r.rec.responses.at(0).chunked);
    EXPECT_EQ(r.rec.bodies[0], "Wikipedia");
    EXPECT_EQ(r.rec.completed, 1);
}

TEST(ResponseParser, LastCodingNotChunkedRunsUntilClose) {
    Outcome r = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nGZIPDATA", true);
    EXPECT_FALSE(r.rec.responses.at(0).chunked);
    EXPECT_TRUE(r.rec.responses[0].should_close);
    EXPECT_EQ(r.rec.bodies[0], "GZIPDATA");
    error_of<TransferEncodingError>("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", response());
    Outcome gz = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    EXPECT_TRUE(gz.rec.responses.at(0).chunked);
    EXPECT_EQ(gz.rec.bodies[0], "x");
}

TEST(ResponseParser, AnswersToHeadHaveNoBody) {
    Outcome r = parse_response(
        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        false, "HEAD");
    ASSERT_EQ(r.rec.responses.size(), 2u);
    EXPECT_EQ(r.rec.completed, 2);
    EXPECT_FALSE(r.rec.responses[0].content_length);
    EXPECT_EQ(r.rec.responses[0].headers.get("content-length"), "1000");
}

TEST(ResponseParser, NoContentAndNotModifiedHaveNoBody) {
    Outcome r = parse_response(
        "HTTP/1.1 204 No Content\r\n\r\n"
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    ASSERT_EQ(r.rec.responses.size(), 3u) << r.transcript;
    EXPECT_EQ(r.rec.bodies[0], "");
    EXPECT_EQ(r.rec.bodies[1], "");
    EXPECT_EQ(r.rec.bodies[2], "ok");
    EXPECT_EQ(r.rec.completed, 3);
}

TEST(ResponseParser, InformationalResponsesComeBeforeTheFinalOne) {
    Outcome r = parse_response(
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    ASSERT_EQ(r.rec.responses.size(), 3u);
    EXPECT_EQ(r.rec.responses[0].status, 100);
    EXPECT_EQ(r.rec.responses[1].status, 103);
    EXPECT_EQ(r.rec.bodies[2], "hi");
    EXPECT_EQ(r.rec.completed, 3);
}

TEST(ResponseParser, SwitchingProtocolsIsAnUpgrade) {
    Recorder rec;
    ResponseParser p(rec);
    std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    EXPECT_EQ(p.feed(head + "\x81\x00"), head.size());
    EXPECT_TRUE(rec.responses.at(0).upgrade);
    EXPECT_TRUE(p.upgraded());
}

TEST(ResponseParser, SuccessfulConnectIsATunnel) {
    Recorder rec;
    ResponseParser p(rec);
    p.set_request_method("CONNECT");
    std::string head = "HTTP/1.1 200 Connection established\r\n\r\n";
    EXPECT_EQ(p.feed(head + "\x16\x03\x01"), head.size());
    EXPECT_TRUE(p.upgraded());
    // A refused CONNECT is an ordinary response.
    Recorder rec2;
    ResponseParser q(rec2);
    q.set_request_method("CONNECT");
    q.feed("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 3\r\n\r\nno!");
    EXPECT_FALSE(q.upgraded());
    EXPECT_EQ(rec2.bodies.at(0), "no!");
}

TEST(ResponseParser, Http10KeepAliveAndClose) {
    EXPECT_TRUE(parse_response("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").rec.responses.at(0).should_close);
    EXPECT_FALSE(parse_response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                     .rec.responses.at(0)
                     .should_close);
    EXPECT_TRUE(parse_response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                    .rec.responses.at(0)
                    .should_close);
}

TEST(ResponseParser, AcceptsBareLfLineEndings) {
    Outcome r = parse_response("HTTP/1.1 200 OK\nContent-Length: 2\nX: y\r\n\nok");
    ASSERT_EQ(r.rec.responses.size(), 1u) << r.transcript;
    EXPECT_EQ(r.rec.responses[0].headers.get("x"), "y");
    EXPECT_EQ(r.rec.bodies[0], "ok");
    Outcome c = parse_response("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\nT: 1\n\n");
    EXPECT_EQ(c.rec.bodies.at(0), "ok");
    EXPECT_EQ(c.rec.completed, 1);
    error_of<InvalidHeader>("HTTP/1.1 200 OK\nX: a\rb\n\n", response());
}

TEST(ResponseParser, MalformedStatusLines) {
    for (std::string line : std::vector<std::string>{"HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 099 Low", "HTTP/1.1 abc OK",
                             "HTTP/1.1  200 OK", "HTTP/1.1 200OK", "HTTP/2 200 OK", "HTTP/2.0 200 OK",
                             "ICY 200 OK", "http/1.1 200 OK", "HTTP/1.1", "HTTP/1.1 200 O\x01K", "HTTP/1.1 200 O\rK",
                             "HTTP/1.1 200 \x7f"}) {
        SCOPED_TRACE(testing::PrintToString(line));
        error_of<BadStatusLine>(line + "\r\n\r\n", response());
    }
}

TEST(ResponseParser, StatusLineOverTheLimit) {
    Options o = response();
    o.limits.max_line_size = 30;
    auto e = error_of<LineTooLong>("HTTP/1.1 200 " + std::string(40, 'x') + "\r\n\r\n", o);
    EXPECT_EQ(e.status(), 400);
}

TEST(ResponseParser, SmugglingChecksApplyToResponsesToo) {
    error_of<ContentLengthError>("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", response());
    error_of<ContentLengthError>("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                                 response());
    error_of<InvalidHeader>("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", response());
    error_of<InvalidHeader>("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", response());
    error_of<TransferEncodingError>("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", response());
}

TEST(ResponseParser, EofCutsShort) {
    error_of<ContentLengthError>("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", response(true));
    error_of<TransferEncodingError>("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                                    response(true));
    error_of<BadHttpMessage>("HTTP/1.1 200 OK\r\nContent-", response(true));
}

// ---------------------------------------------------------------------------
// Split invariance: every split point, byte by byte, pausing everywhere

TEST(SplitInvariance, ValidRequests) {
    expect_split_invariant(kGet);
    expect_split_invariant(
        "\r\nPOST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n");
    expect_split_invariant(
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"b\"\r\nabc\r\n10\r\n0123456789abcdef\r\n"
        "0\r\nT: v\r\n\r\n");
    expect_split_invariant("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    expect_split_invariant("GET /ws HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nBINARY");
}

TEST(SplitInvariance, InvalidRequests) {
    ParserLimits small{.max_line_size = 20, .max_field_size = 12, .max_headers_size = 30, .max_headers = 3};
    for (std::string in : {
             "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"s,
             "GET / HTTP/1.1\nX: a\r\n\r\n"s,
             "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"s,
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n"s,
             "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n"s,
             "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n"s,
             "GET / HTTP/1.1\r\nX-Long: 0123456789\r\n\r\n"s,
             "GET / HTTP/1.1\r\nA: 1234567\r\nB: 1234567\r\nC: 12345678\r\n\r\n"s,
             "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"s,
             "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n"s,
             "GET / HTTP/1.1\r\nX\0Y: z\r\n\r\n"s,
         }) {
        expect_split_invariant(in, Options{.limits = small});
        expect_split_invariant(in);
    }
}

TEST(SplitInvariance, LimitsThatTieAreReportedTheSameWay) {
    // The field limit and the section limit fall on the same byte.
    ParserLimits lim{.max_field_size = 10, .max_headers_size = 18};
    expect_split_invariant("GET / HTTP/1.1\r\nA: 12345\r\nB: 1234567890123\r\n\r\n", Options{.limits = lim});
    // A line ending in CR right at the limit, then something else than LF.
    expect_split_invariant("GET / HTTP/1.1\r\nA: 123456\rX\r\n\r\n", Options{.limits = lim});
}

TEST(SplitInvariance, Responses) {
    Options o = response(true);
    expect_split_invariant("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 204 No\r\n\r\n", o);
    expect_split_invariant("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nuntil the end", o);
    expect_split_invariant("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n", o);
    expect_split_invariant("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", o);
    expect_split_invariant("HTTP/1.1 20x OK\r\n\r\n", o);
    expect_split_invariant("HTTP/1.1 101 Switching\r\n\r\nraw bytes", o);
}
