// Fuzzes the server's multipart/form-data reader (Request::post() in
// src/web/request.cpp), through the real connection code.
//
// Input layout: byte 0 = options (bits 0-1 the boundary, bit 2 chunked
// instead of Content-Length, bit 3 a small client_max_size), bytes 1-2 =
// seed of the cut points, the rest = the body. Checks, besides "no crash,
// leak or hang": the form's text fields and files together hold no more
// bytes than the body; post() either gives a form or an HTTP error (400 or
// 413), never a 500; upload files are gone once the request is answered;
// the server's output parses as responses.
#include "server_harness.hpp"

#include <aio/http/writer.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>

namespace {

using aio::Task;
using namespace aio::web;

std::vector<std::filesystem::path> uploads;
std::uint64_t body_size = 0;

Task<StreamResponse> form(Request& req) {
    Form f = co_await req.post();
    std::uint64_t sum = 0;
    for (auto [k, v] : f.fields) {
        (void)k;
        sum += v.size();
    }
    for (const auto& file : f.files) {
        sum += file.size;
        uploads.push_back(file.path);
        std::error_code ec;
        if (std::filesystem::file_size(file.path, ec) != file.size) fuzz::fail("upload file size");
    }
    if (sum > body_size) fuzz::fail("parts hold more bytes than the body");
    co_return Response({.text = std::to_string(sum)});
}

Application& app(bool small) {
    static Application* apps[2] = {};
    Application*& a = apps[small];
    if (!a) {
        a = new Application(ApplicationOptions{.client_max_size = small ? 512u : 1024u * 1024u});
        a->router().add_post("/form", form);
    }
    return *a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    static constexpr const char* kBoundaries[] = {"b", "XyZ", "----WebKitFormBoundary7MA4YWxkTrZu0gW",
                                                  "\"quoted; boundary\""};
    const std::uint8_t flags = data[0];
    std::uint32_t seed = data[1] | (data[2] << 8);
    std::string_view body(reinterpret_cast<const char*>(data + 3), size - 3);
    body_size = body.size();
    uploads.clear();

    std::string input = "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=";
    input += kBoundaries[flags & 3];
    input += "\r\n";
    if (flags & 4) {
        input += "Transfer-Encoding: chunked\r\n\r\n";
        aio::http::append_chunk(input, body.substr(0, body.size() / 2));
        aio::http::append_chunk(input, body.substr(body.size() / 2));
        aio::http::append_last_chunk(input);
    } else {
        input += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
        input += body;
    }
    std::vector<std::size_t> cuts;
    for (std::uint32_t k = 0, n = seed % 6; k < n; ++k) {
        seed = seed * 1103515245u + 12345u;
        cuts.push_back((seed >> 8) % (input.size() + 1));
    }
    std::sort(cuts.begin(), cuts.end());

    const int fds_before = fuzz::count_fds();
    std::string output = aio::run(fuzz::exchange(app(flags & 8), ServerOptions{}, input, cuts));
    if (fuzz::count_fds() != fds_before) fuzz::fail("descriptors left open");
    fuzz::ResponseLog log = fuzz::check_responses(input, output, aio::http::ParserLimits{});
    for (int s : log.statuses)
        if (s != 200 && s != 400 && s != 413) fuzz::fail("post() answered other than 200, 400 or 413", output);
    for (const auto& p : uploads)
        if (std::filesystem::exists(p)) fuzz::fail("an upload file outlived its request", p.string());
    return 0;
}
