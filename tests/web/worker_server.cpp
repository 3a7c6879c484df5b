// A server for the worker tests: run_app with an AppFactory, as many workers
// as asked, in threads or processes, on a port or on activated sockets.
//
//   aio_worker_server [--port N] [--workers N] [--processes] [--host H]
//                     [--shutdown-timeout-ms N]
//
// Prints "listening PORT" once every worker listens. Endpoints:
//   /whoami   "PID/APP": the process and which Application (worker) answered
//   /slow     holds the request until its worker's shutdown has begun, then
//             answers "done": every one is in flight when SIGTERM comes
//   /inflight "PID COUNT": how many /slow requests this process holds now
//   /block    blocks its worker's thread (no await) until /release
//   /release  lets /block go
#include <aio/aio.hpp>
#include <aio/web.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <unistd.h>

namespace web = aio::web;
using aio::Task;

namespace {

std::atomic<int> next_app{0};
std::atomic<int> slow_in_flight{0};
std::atomic<bool> released{false};

std::unique_ptr<web::Application> make_app() {
    auto app = std::make_unique<web::Application>();
    auto id = std::make_shared<int>(next_app++);
    auto shutting_down = std::make_shared<bool>(false);
    app->on_startup().push_back([id](web::Application&) -> Task<> {
        std::printf("startup %d\n", *id);
        std::fflush(stdout);
        co_return;
    });
    app->on_cleanup().push_back([id](web::Application&) -> Task<> {
        std::printf("cleanup %d\n", *id);
        std::fflush(stdout);
        co_return;
    });
    app->on_shutdown().push_back([shutting_down](web::Application&) -> Task<> {
        *shutting_down = true;
        co_return;
    });
    app->router().add_get("/whoami", [id](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.text = std::to_string(::getpid()) + "/" + std::to_string(*id)});
    });
    app->router().add_get("/inflight", [](web::Request&) -> Task<web::StreamResponse> {
        co_return web::Response({.text = std::to_string(::getpid()) + " " + std::to_string(slow_in_flight.load())});
    });
    app->router().add_get("/slow", [shutting_down](web::Request&) -> Task<web::StreamResponse> {
        ++slow_in_flight;
        while (!*shutting_down) co_await aio::sleep(std::chrono::milliseconds(5));
        co_await aio::sleep(std::chrono::milliseconds(20));
        --slow_in_flight;
        co_return web::Response({.text = "done"});
    });
    app->router().add_get("/block", [id](web::Request&) -> Task<web::StreamResponse> {
        // Deliberately blocks this worker's loop: the other workers go on.
        while (!released) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        co_return web::Response({.text = "unblocked " + std::to_string(*id)});
    });
    app->router().add_get("/release", [](web::Request&) -> Task<web::StreamResponse> {
        released = true;
        co_return web::Response({.text = "released"});
    });
    return app;
}

}  // namespace

int main(int argc, char** argv) {
    web::RunAppOptions opts;
    opts.host = "127.0.0.1";
    opts.port = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--port") {
            opts.port = static_cast<std::uint16_t>(std::stoi(next()));
        } else if (a == "--workers") {
            opts.workers = static_cast<unsigned>(std::stoi(next()));
        } else if (a == "--processes") {
            opts.worker_mode = web::WorkerMode::processes;
        } else if (a == "--host") {
            opts.host = next();
        } else if (a == "--shutdown-timeout-ms") {
            opts.server.shutdown_timeout = std::chrono::milliseconds(std::stoi(next()));
        } else {
            std::fprintf(stderr, "unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    opts.on_listening = [](std::uint16_t port) {
        std::printf("listening %u\n", static_cast<unsigned>(port));
        std::fflush(stdout);
    };
    try {
        web::run_app(make_app, opts);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "aio_worker_server: %s\n", e.what());
        return 1;
    }
    std::printf("stopped\n");
    return 0;
}
