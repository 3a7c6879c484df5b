// Micro benchmarks of the HTTP/1.1 protocol layer: parsing typical requests
// and responses on a keep-alive connection, writing heads, parsing URLs.
// Time per iteration is the time per message (or per batch, see the name);
// bytes_per_second is the parsing throughput; msgs/s counts messages.
#include <aio/http/parser.hpp>
#include <aio/http/url.hpp>
#include <aio/http/writer.hpp>

#include <benchmark/benchmark.h>

#include <string>

using namespace aio::http;

namespace {

// What a server typically answers for a small static file.
std::string response_1k() {
    std::string head =
        "HTTP/1.1 200 OK\r\n"
        "Server: example-server/1.22.1\r\n"
        "Date: Mon, 24 Nov 2025 10:00:00 GMT\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Length: 1024\r\n"
        "Last-Modified: Sun, 23 Nov 2025 08:00:00 GMT\r\n"
        "Connection: keep-alive\r\n"
        "ETag: \"6560a1b0-400\"\r\n"
        "Cache-Control: max-age=3600\r\n"
        "Accept-Ranges: bytes\r\n"
        "\r\n";
    return head + std::string(1024, 'x');
}

// What a browser typically sends.
const std::string kRequest =
    "GET /api/v1/items?page=2&sort=name HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=4f6d2a1b9c8e7f00; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "\r\n";

struct Sink final : RequestParser::Handler, ResponseParser::Handler {
    std::size_t heads = 0, body = 0, done = 0;
    ParserAction on_head(RequestHead& h) override {
        heads += h.headers.size();
        return ParserAction::proceed;
    }
    ParserAction on_head(ResponseHead& h) override {
        heads += h.headers.size();
        return ParserAction::proceed;
    }
    ParserAction on_body(std::string_view d) override {
        body += d.size();
        return ParserAction::proceed;
    }
    ParserAction on_message_complete() override {
        ++done;
        return ParserAction::proceed;
    }
};

void report(benchmark::State& state, std::size_t bytes, std::size_t messages) {
    state.SetBytesProcessed(static_cast<std::int64_t>(static_cast<std::size_t>(state.iterations()) * bytes));
    state.counters["msgs/s"] =
        benchmark::Counter(static_cast<double>(static_cast<std::size_t>(state.iterations()) * messages), benchmark::Counter::kIsRate);
}

void BM_ParseResponse200With1KiBBody(benchmark::State& state) {
    const std::string msg = response_1k();
    Sink sink;
    ResponseParser parser(sink);
    for (auto _ : state) benchmark::DoNotOptimize(parser.feed(msg));
    if (sink.done != static_cast<std::size_t>(state.iterations())) state.SkipWithError("parse failed");
    report(state, msg.size(), 1);
}
BENCHMARK(BM_ParseResponse200With1KiBBody);

void BM_ParseGetRequest(benchmark::State& state) {
    Sink sink;
    RequestParser parser(sink);
    for (auto _ : state) benchmark::DoNotOptimize(parser.feed(kRequest));
    if (sink.done != static_cast<std::size_t>(state.iterations())) state.SkipWithError("parse failed");
    report(state, kRequest.size(), 1);
}
BENCHMARK(BM_ParseGetRequest);

// 16 pipelined requests per feed (the time is per batch of 16).
void BM_ParseGetRequestPipelinedX16(benchmark::State& state) {
    std::string batch;
    for (int i = 0; i < 16; ++i) batch += kRequest;
    Sink sink;
    RequestParser parser(sink);
    for (auto _ : state) benchmark::DoNotOptimize(parser.feed(batch));
    report(state, batch.size(), 16);
}
BENCHMARK(BM_ParseGetRequestPipelinedX16);

// The head arrives in two reads, split mid-field: the slow path through the line buffer.
void BM_ParseGetRequestSplitInTwo(benchmark::State& state) {
    Sink sink;
    RequestParser parser(sink);
    std::string_view all = kRequest;
    const std::size_t cut = all.size() / 2 + 7;
    for (auto _ : state) {
        parser.feed(all.substr(0, cut));
        benchmark::DoNotOptimize(parser.feed(all.substr(cut)));
    }
    report(state, kRequest.size(), 1);
}
BENCHMARK(BM_ParseGetRequestSplitInTwo);

void BM_ParseChunkedResponse1KiBIn4Chunks(benchmark::State& state) {
    std::string msg = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) append_chunk(msg, std::string(256, 'j'));
    append_last_chunk(msg);
    Sink sink;
    ResponseParser parser(sink);
    for (auto _ : state) benchmark::DoNotOptimize(parser.feed(msg));
    report(state, msg.size(), 1);
}
BENCHMARK(BM_ParseChunkedResponse1KiBIn4Chunks);

void BM_WriteResponseHead(benchmark::State& state) {
    Headers h{{"Server", "aio"},
              {"Date", "Mon, 24 Nov 2025 10:00:00 GMT"},
              {"Content-Type", "application/json"},
              {"Content-Length", "1024"}};
    std::string out;
    for (auto _ : state) {
        out.clear();
        append_response_head(out, 200, "", h);
        benchmark::DoNotOptimize(out.data());
    }
    report(state, out.size(), 1);
}
BENCHMARK(BM_WriteResponseHead);

void BM_ParseURL(benchmark::State& state) {
    const std::string text = "https://api.example.com:8443/v1/users/42/orders?status=open&limit=50#top";
    for (auto _ : state) {
        URL u(text);
        benchmark::DoNotOptimize(u.str().data());
    }
    report(state, text.size(), 1);
}
BENCHMARK(BM_ParseURL);

}  // namespace

BENCHMARK_MAIN();
