// Fuzzes the HTTP/1.1 parser (aio/http/parser.hpp).
//
// Checks, besides "no crash, no leak, no undefined behaviour":
//   - split invariance: parsing the input in one piece, cut at two points the
//     fuzzer picks (optionally pausing at every event), and byte by byte gives
//     the same events, the same error (type, status, message) and the same
//     number of bytes consumed;
//   - body pieces are never empty and bodies never exceed max_body_size.
//
// Input layout: byte 0 = options (bit 0 response, bit 1 feed_eof at the end,
// bit 2 small limits, bit 3 answer to HEAD, bit 4 answer to CONNECT, bit 5
// pause at every event in the split run), bytes 1-4 = two cut points, the
// rest = the bytes to parse.
#include <aio/http/parser.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <typeinfo>
#include <vector>

using namespace aio::http;

namespace {

struct Recorder final : RequestParser::Handler, ResponseParser::Handler {
    std::string log;
    bool in_body = false;
    bool pause_always = false;
    bool paused = false;
    std::uint64_t body_size = 0;
    std::uint64_t max_body = UINT64_MAX;

    ParserAction act() {
        if (!pause_always) return ParserAction::proceed;
        paused = true;
        return ParserAction::pause;
    }
    void event(const std::string& s) {
        in_body = false;
        log += s;
    }
    static void fields(std::string& s, const Headers& h) {
        for (auto [k, v] : h) {
            s += k;
            s += ": ";
            s += v;
            s += '\n';
        }
    }
    ParserAction on_head(RequestHead& h) override {
        std::string s = "REQ " + h.method + " " + h.path + " " + std::to_string(h.version.major) +
                        std::to_string(h.version.minor) + std::to_string(h.should_close) + std::to_string(h.upgrade) +
                        std::to_string(h.chunked) + std::to_string(h.expect_continue) +
                        (h.content_length ? std::to_string(*h.content_length) : "-") + "\n";
        fields(s, h.headers);
        event(s);
        body_size = 0;
        return act();
    }
    ParserAction on_head(ResponseHead& h) override {
        std::string s = "RESP " + std::to_string(h.status) + " " + h.reason + " " + std::to_string(h.version.major) +
                        std::to_string(h.version.minor) + std::to_string(h.should_close) + std::to_string(h.upgrade) +
                        std::to_string(h.chunked) + (h.content_length ? std::to_string(*h.content_length) : "-") +
                        "\n";
        fields(s, h.headers);
        event(s);
        body_size = 0;
        return act();
    }
    ParserAction on_body(std::string_view d) override {
        if (d.empty()) {
            std::fprintf(stderr, "empty body piece\n");
            std::abort();
        }
        body_size += d.size();
        if (body_size > max_body) {
            std::fprintf(stderr, "body over max_body_size\n");
            std::abort();
        }
        if (!in_body) log += "BODY ";
        in_body = true;
        log += d;
        return act();
    }
    ParserAction on_trailers(Headers& t) override {
        std::string s = "\nTRAILERS\n";
        fields(s, t);
        event(s);
        return act();
    }
    ParserAction on_message_complete() override {
        event("\nEND\n");
        return act();
    }
};

struct Options {
    bool response = false;
    bool eof = false;
    ParserLimits limits{};
    const char* method = "GET";
};

std::string describe(const HttpProcessingError& e) {
    return std::string("ERROR ") + typeid(e).name() + " " + std::to_string(e.status()) + " " + e.what() + "\n";
}

template <class Parser>
std::string drive(Parser& parser, Recorder& rec, std::string_view input, const std::vector<std::size_t>& cuts,
                  bool eof) {
    std::size_t consumed = 0;
    std::string tail;
    try {
        std::size_t prev = 0;
        bool stopped = false;
        for (std::size_t i = 0; i <= cuts.size() && !stopped; ++i) {
            std::size_t next = i < cuts.size() ? cuts[i] : input.size();
            std::string_view piece = input.substr(prev, next - prev);
            prev = next;
            while (true) {
                rec.paused = false;
                std::size_t n = parser.feed(piece);
                consumed += n;
                piece.remove_prefix(n);
                if (rec.paused) continue;
                if (!piece.empty()) stopped = true;
                break;
            }
        }
        if (stopped) {
            tail = "STOP " + std::to_string(consumed) + "\n";
        } else if (eof) {
            parser.feed_eof();
            tail = "EOF\n";
        } else {
            tail = "MORE " + std::to_string(parser.message_in_progress()) + "\n";
        }
    } catch (const HttpProcessingError& e) {
        tail = describe(e);
    }
    return rec.log + tail;
}

std::string run(std::string_view input, const Options& o, const std::vector<std::size_t>& cuts, bool pause) {
    Recorder rec;
    rec.pause_always = pause;
    rec.max_body = o.limits.max_body_size;
    if (o.response) {
        ResponseParser p(rec, o.limits);
        p.set_request_method(o.method);
        return drive(p, rec, input, cuts, o.eof);
    }
    RequestParser p(rec, o.limits);
    return drive(p, rec, input, cuts, o.eof);
}

void compare(const std::string& a, const std::string& b, const char* what) {
    if (a == b) return;
    std::fprintf(stderr, "split invariance broken (%s)\n--- one piece:\n%s\n--- %s:\n%s\n", what, a.c_str(), what,
                 b.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    const std::uint8_t flags = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 5), size - 5);
    Options o;
    o.response = flags & 1;
    o.eof = flags & 2;
    if (flags & 4) o.limits = ParserLimits{.max_line_size = 40, .max_field_size = 24, .max_headers_size = 64,
                                           .max_headers = 4, .max_body_size = 32};
    if (flags & 8) o.method = "HEAD";
    if (flags & 16) o.method = "CONNECT";

    std::size_t c1 = (data[1] | (data[2] << 8)) % (input.size() + 1);
    std::size_t c2 = (data[3] | (data[4] << 8)) % (input.size() + 1);
    if (c1 > c2) std::swap(c1, c2);

    const std::string whole = run(input, o, {}, false);
    compare(whole, run(input, o, {c1, c2}, flags & 32), "cut in three");
    if (input.size() <= 512) {
        std::vector<std::size_t> every;
        for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
        compare(whole, run(input, o, every, false), "byte by byte");
    }
    return 0;
}
