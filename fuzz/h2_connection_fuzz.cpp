// Fuzzes the server's HTTP/2 connection (src/web/h2_connection.cpp): the
// nghttp2 session aio drives, the streams mapped to handlers, flow control
// given back as bodies are read, streamed and file responses, resets.
//
// Each input runs in a loop of its own: the client preface, then the input's
// bytes (frames, valid or not), go to a real H2Connection over a Unix socket
// pair, cut into pieces; the client then ends its side and reads until the
// server closes. Checks, besides "no crash, leak, hang or undefined
// behaviour": what the server wrote is a sequence of whole HTTP/2 frames
// (after its SETTINGS), nothing escapes the connection or a stream as an
// unexpected exception, no connection or request is still counted, and
// every descriptor is closed afterwards.
//
// Input layout: byte 0 = options (bit 0 small header limits, bit 1
// compression off, bit 2 a window of 16 KiB and 2 concurrent streams),
// bytes 1-2 = seed of the cut points, the rest = what follows the preface.
#include "server_harness.hpp"

#include <algorithm>
#include <cstdint>

namespace {

using aio::Task;
using namespace aio::web;

Task<StreamResponse> big(Request&) { co_return Response({.text = std::string(100000, 'b')}); }

Application& app() {
    static Application* a = [] {
        auto* app = new Application(ApplicationOptions{.client_max_size = 64 * 1024});
        app->router().add_route(METH_ANY, "/", fuzz::hello);
        app->router().add_route(METH_ANY, "/echo", fuzz::echo);
        app->router().add_route(METH_ANY, "/stream", fuzz::stream_back);
        app->router().add_route(METH_ANY, "/big", big);
        return app;
    }();
    return *a;
}

/// Whole frames, one after another, and nothing else.
void check_frames(std::string_view out) {
    while (!out.empty()) {
        if (out.size() < 9) fuzz::fail("a frame header cut short", out);
        std::size_t len = (std::size_t(std::uint8_t(out[0])) << 16) | (std::size_t(std::uint8_t(out[1])) << 8) |
                          std::uint8_t(out[2]);
        if (out.size() < 9 + len) fuzz::fail("a frame cut short");
        out.remove_prefix(9 + len);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::uint8_t flags = data[0];
    std::uint32_t seed = data[1] | (data[2] << 8);
    std::string input = std::string(aio::web::detail::kH2Preface) +
                        std::string(reinterpret_cast<const char*>(data + 3), size - 3);

    ServerOptions opts;
    if (flags & 1)
        opts.limits = aio::http::ParserLimits{.max_line_size = 64, .max_field_size = 48, .max_headers_size = 256,
                                              .max_headers = 8, .max_body_size = 256};
    opts.compress = !(flags & 2);
    if (flags & 4) {
        opts.read_limit = 16384;
        opts.http2_max_concurrent_streams = 2;
    }
    std::vector<std::size_t> cuts;
    for (std::uint32_t k = 0, n = seed % 8; k < n; ++k) {
        seed = seed * 1103515245u + 12345u;
        cuts.push_back((seed >> 8) % (input.size() + 1));
    }
    std::sort(cuts.begin(), cuts.end());

    const int fds_before = fuzz::count_fds();
    std::string output = aio::run(fuzz::exchange(app(), opts, input, cuts, true));
    if (fuzz::count_fds() != fds_before) fuzz::fail("descriptors left open");
    check_frames(output);
    return 0;
}
