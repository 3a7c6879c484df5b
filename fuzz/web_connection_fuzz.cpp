// Fuzzes the server's connection state machine (src/web/connection.cpp):
// pipelined requests, Expect: 100-continue, unread bodies drained or not,
// keep-alive and close, chunked bodies, streamed and file responses.
//
// Each input runs in a loop of its own: the bytes go to a real HttpConnection
// over a Unix socket pair, cut into pieces, then the client ends its side and
// reads until the server closes. Checks, besides "no crash, leak, hang or
// undefined behaviour": every byte the server wrote parses with aio's own
// ResponseParser as responses to the requests sent, no more final responses
// than requests (plus one error answer), nothing escapes the connection as an
// unexpected exception, and every descriptor is closed afterwards.
//
// Input layout: byte 0 = options (bit 0 small parser limits, bit 1
// compression off, bit 2 small read buffer), bytes 1-2 = seed of the cut
// points, the rest = the bytes the client sends.
#include "server_harness.hpp"

#include <unistd.h>

#include <aio/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>

namespace {

using aio::Task;
using namespace aio::web;

/// A file for FileResponse, removed at exit (held by a pointer that is never
/// freed, so that the exit handler can still read it).
const std::filesystem::path& test_file() {
    static const std::filesystem::path* path = [] {
        auto* p = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                            ("aio-fuzz-file-" + std::to_string(::getpid()) + ".txt"));
        std::FILE* f = std::fopen(p->c_str(), "w");
        for (int i = 0; i < 100; ++i) std::fprintf(f, "line %02d of the file served by the fuzz target\n", i);
        std::fclose(f);
        std::atexit([] { ::unlink(test_file().c_str()); });
        return p;
    }();
    return *path;
}

Task<StreamResponse> ignore(Request&) { co_return Response({.text = "the body was not read"}); }

Task<StreamResponse> partial(Request& req) {
    std::string first = co_await req.content().readany();
    co_return Response({.text = "read " + std::to_string(first.size())});
}

Task<StreamResponse> json(Request& req) {
    aio::json::Value v;
    try {
        v = co_await req.json();
    } catch (const aio::ValueError&) {
        co_return Response({.status = 400, .text = "not JSON"});
    }
    co_return json_response(v);
}

Task<StreamResponse> form(Request& req) {
    Form f = co_await req.post();
    std::uint64_t sum = 0;
    for (auto [k, v] : f.fields) {
        (void)k;
        sum += v.size();
    }
    for (const auto& file : f.files) sum += file.size;
    co_return Response({.text = std::to_string(f.fields.size()) + " fields, " + std::to_string(f.files.size()) +
                                " files, " + std::to_string(sum) + " bytes"});
}

Task<StreamResponse> file(Request&) { co_return FileResponse(test_file()); }

Application& app() {
    static Application* a = [] {
        auto* app = new Application(ApplicationOptions{.client_max_size = 64 * 1024});
        app->router().add_route(METH_ANY, "/", fuzz::hello);
        app->router().add_route(METH_ANY, "/echo", fuzz::echo);
        app->router().add_route(METH_ANY, "/ignore", ignore);
        app->router().add_route(METH_ANY, "/partial", partial);
        app->router().add_route(METH_ANY, "/stream", fuzz::stream_back);
        app->router().add_route(METH_ANY, "/json", json);
        app->router().add_route(METH_ANY, "/form", form);
        app->router().add_get("/file", file);
        return app;
    }();
    return *a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::uint8_t flags = data[0];
    std::uint32_t seed = data[1] | (data[2] << 8);
    std::string input(reinterpret_cast<const char*>(data + 3), size - 3);
    (void)test_file();

    ServerOptions opts;
    if (flags & 1)
        opts.limits = aio::http::ParserLimits{.max_line_size = 64, .max_field_size = 48, .max_headers_size = 256,
                                              .max_headers = 8, .max_body_size = 256};
    opts.compress = !(flags & 2);
    if (flags & 4) opts.read_limit = 16;
    // Up to 7 cut points from a small linear congruential generator.
    std::vector<std::size_t> cuts;
    for (std::uint32_t k = 0, n = seed % 8; k < n && !input.empty(); ++k) {
        seed = seed * 1103515245u + 12345u;
        cuts.push_back((seed >> 8) % (input.size() + 1));
    }
    std::sort(cuts.begin(), cuts.end());

    const int fds_before = fuzz::count_fds();
    std::string output = aio::run(fuzz::exchange(app(), opts, input, cuts));
    if (fuzz::count_fds() != fds_before) fuzz::fail("descriptors left open");
    fuzz::check_responses(input, output, opts.limits);
    return 0;
}
