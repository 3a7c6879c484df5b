// R7 server: aio::web serving GET /1k (a 1,024-byte body) for wrk.
//
//     bench_web PORT [WORKERS]   (bench/r7_peers.sh; bench/r7x2_peers.sh runs 2 workers)
#include <aio/web.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

const std::string kBody(1024, 'x');

aio::Task<aio::web::StreamResponse> one_k(aio::web::Request&) {
    co_return aio::web::Response({.body = kBody, .content_type = "text/plain"});
}

}  // namespace

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? static_cast<std::uint16_t>(std::atoi(argv[1])) : 8080;
    unsigned workers = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 1;
    aio::web::AppFactory make_app = [] {
        auto app = std::make_unique<aio::web::Application>();
        app->router().add_get("/1k", one_k);
        return app;
    };
    aio::web::RunAppOptions opts;
    opts.host = "127.0.0.1";
    opts.port = port;
    opts.workers = workers;
    opts.on_listening = [](std::uint16_t p) {
        std::printf("listening %u\n", p);
        std::fflush(stdout);
    };
    aio::web::run_app(make_app, opts);
}
