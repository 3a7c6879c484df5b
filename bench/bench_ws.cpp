// R13 ws-echo (shared/bench/WORKLOADS.md) for aio's WebSockets; run by
// bench/r13_ws.sh beside Boost.Beast, aiohttp, Python websockets and Node ws
// (bench/peers/ws/), with the same command line and the same measurement.
//
//   bench_ws server --port N
//     an aio::web app on 127.0.0.1:N (0: any free port) whose route "/" echoes
//     TEXT as TEXT and BINARY as BINARY through a WebSocketResponse; prints
//     "PORT <n>" once listening.
//   bench_ws client --url ws://127.0.0.1:N/ --conns 64 --secs 10 --size 1024
//     opens `conns` WebSockets with ClientSession::ws_connect, then each task
//     sends a `size`-byte text message, awaits its echo and sends again until
//     `secs` have passed; prints "RESULT msgs_per_s=<x> p99_us=<y>" (echoes
//     received in the window over its length; 99th percentile of all round trips).
//
// Permessage-deflate is off on both ends, as in every R13 peer.
#include <aio/aio.hpp>
#include <aio/http/client/websocket.hpp>
#include <aio/web.hpp>
#include <aio/web/websocket.hpp>

#include "peers/ws/r13_load.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace http = aio::http;
namespace web = aio::web;
using Clock = std::chrono::steady_clock;

namespace {

aio::Task<web::StreamResponse> echo(web::Request& request) {
    web::WebSocketResponse ws(web::WebSocketOptions{.compress = false, .max_msg_size = 0});
    co_await ws.prepare(request);
    for (;;) {
        http::WSMessage msg = co_await ws.receive();
        if (msg.type == http::WSMsgType::TEXT) {
            co_await ws.send_str(msg.data);
        } else if (msg.type == http::WSMsgType::BINARY) {
            co_await ws.send_bytes(msg.data);
        } else {
            break;  // CLOSE (answered), CLOSING, CLOSED or ERROR
        }
    }
    co_return ws;
}

int server(std::uint16_t port) {
    web::Application app;
    app.router().add_get("/", echo);
    web::run_app(app, {.host = "127.0.0.1", .port = port, .on_listening = [](std::uint16_t p) {
                           std::printf("PORT %u\n", p);
                           std::fflush(stdout);
                       }});
    return 0;
}

struct Load {
    std::string message;
    Clock::time_point deadline{};
    std::vector<double> rtt_us;
    long bad = 0;
};

aio::Task<> one_connection(http::ClientWebSocketResponse& ws, Load& load) {
    for (;;) {
        auto sent = Clock::now();
        if (sent >= load.deadline) break;
        co_await ws.send_str(load.message);
        std::string got = co_await ws.receive_str();
        auto now = Clock::now();
        if (got != load.message) ++load.bad;
        if (now < load.deadline) load.rtt_us.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
    }
    co_await ws.close();
}

aio::Task<int> client(std::string url, int conns, double secs, std::size_t size) {
    http::ClientSession session;
    http::WSConnectOptions opts{.compress = 0, .max_msg_size = 0};
    std::vector<http::ClientWebSocketResponse> sockets;
    sockets.reserve(static_cast<std::size_t>(conns));
    for (int i = 0; i < conns; ++i) {
        http::ClientWebSocketResponse ws = co_await session.ws_connect(url, opts);
        sockets.push_back(std::move(ws));
    }
    Load load;
    load.message = r13::make_message(size);
    load.rtt_us.reserve(static_cast<std::size_t>(secs * 400000));
    load.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
    std::vector<aio::Task<>> tasks;
    for (auto& ws : sockets) tasks.push_back(one_connection(ws, load));
    co_await aio::gather(std::move(tasks));
    sockets.clear();
    co_await session.close();
    if (load.bad) {
        std::fprintf(stderr, "bench_ws: %ld echoes differed from the message sent\n", load.bad);
        co_return 1;
    }
    co_return r13::print_result(load.rtt_us, secs);
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    std::string url;
    long port = 0;
    int conns = 64;
    double secs = 10;
    long size = 1024;
    bool ok = mode == "server" || mode == "client";
    for (int i = 2; ok && i < argc; i += 2) {
        std::string k = argv[i];
        if (i + 1 >= argc) {
            ok = false;
            break;
        }
        std::string v = argv[i + 1];
        if (k == "--port") port = std::atol(v.c_str());
        else if (k == "--url") url = v;
        else if (k == "--conns") conns = std::atoi(v.c_str());
        else if (k == "--secs") secs = std::atof(v.c_str());
        else if (k == "--size") size = std::atol(v.c_str());
        else ok = false;
    }
    if (ok && mode == "server" && port >= 0 && port <= 65535) return server(static_cast<std::uint16_t>(port));
    if (ok && mode == "client" && !url.empty() && conns > 0 && secs > 0 && size >= 0) {
        return aio::run(client(url, conns, secs, static_cast<std::size_t>(size)));
    }
    std::fprintf(stderr,
                 "usage: %s server --port N\n"
                 "       %s client --url ws://127.0.0.1:N/ [--conns 64] [--secs 10] [--size 1024]\n",
                 argv[0], argv[0]);
    return 2;
}
