// aio serve: a static file server for one directory (aiohttp's add_static on
// run_app), on one or more workers, until SIGINT or SIGTERM; on the sockets of
// systemd socket activation when it was given any.
#include "aio_tool.hpp"

#include <aio/aio.hpp>
#include <aio/web.hpp>
#include <fmt/core.h>

#include <cerrno>
#include <filesystem>

namespace aio::tool {

int run_serve(const ServeOptions& opts) {
    std::error_code ec;
    if (!std::filesystem::exists(opts.dir, ec)) {
        fmt::print(stderr, "aio serve: no such directory '{}'\n", opts.dir);
        return 1;
    }
    if (!std::filesystem::is_directory(opts.dir, ec)) {
        fmt::print(stderr, "aio serve: '{}' is a file, not a directory; give the directory that holds it\n", opts.dir);
        return 1;
    }
    auto root = std::filesystem::canonical(opts.dir);
    // Each worker serves the directory with an Application of its own.
    web::AppFactory make_app = [root] {
        auto app = std::make_unique<web::Application>();
        web::StaticOptions so;
        so.show_index = true;
        app->router().add_static("/", root, so);
        return app;
    };

    web::RunAppOptions ro;
    ro.host = opts.host;
    ro.port = opts.port;
    ro.workers = opts.workers;
    ro.worker_mode = opts.processes ? web::WorkerMode::processes : web::WorkerMode::threads;
    ro.server.shutdown_timeout = std::chrono::milliseconds(static_cast<long long>(opts.shutdown_timeout * 1000));
    ro.server.access_log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
    // An empty --host listens on every interface; it is shown as 0.0.0.0, as
    // the server's own logs name it.
    const std::string shown_host = opts.host.empty() ? "0.0.0.0" : opts.host;
    ro.on_listening = [&](std::uint16_t port) {
        std::string host = shown_host.find(':') != std::string::npos ? "[" + shown_host + "]" : shown_host;
        std::string workers = opts.workers == 1 ? std::string()
                              : fmt::format(", {} worker {}", opts.workers, opts.processes ? "processes" : "threads");
        fmt::print("Serving {} on http://{}:{}/{} (Ctrl+C to stop)\n", root.string(), host, port, workers);
        std::fflush(stdout);
    };
    try {
        web::run_app(make_app, ro);
    } catch (const aio::OSError& e) {
        if (e.errno_code() == EADDRINUSE) {
            fmt::print(stderr,
                       "aio serve: port {} on {} is in use (another server is listening there); "
                       "choose another with --port, or --port 0 for a free one\n",
                       opts.port, shown_host);
        } else if (e.errno_code() == EACCES) {
            fmt::print(stderr, "aio serve: not allowed to listen on {}:{} ({}); ports below 1024 need root\n",
                       shown_host, opts.port, e.what());
        } else {
            fmt::print(stderr, "aio serve: cannot listen on {}:{}: {}; check --host and --port\n", shown_host,
                       opts.port, e.what());
        }
        return 1;
    }
    fmt::print(stderr, "aio serve: stopped\n");
    return 0;
}

}  // namespace aio::tool
