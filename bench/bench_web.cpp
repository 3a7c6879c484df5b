// R7 server: aio::web serving GET /1k (a 1,024-byte body) for wrk.
//
//     bench_web PORT      (bench/web.sh runs it beside nginx and aiohttp.web)
#include <aio/web.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

const std::string kBody(1024, 'x');

aio::Task<aio::web::StreamResponse> one_k(aio::web::Request&) {
    co_return aio::web::Response({.body = kBody, .content_type = "text/plain"});
}

}  // namespace

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::atoi(argv[1])) : 8080;
    aio::web::Application app;
    app.router().add_get("/1k", one_k);
    aio::web::run_app(app, {.host = "127.0.0.1", .port = port, .on_listening = [](std::uint16_t p) {
                                std::printf("listening %u\n", p);
                                std::fflush(stdout);
                            }});
}
