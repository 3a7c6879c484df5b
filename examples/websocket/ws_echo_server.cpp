// A WebSocket echo server, as aiohttp's documentation writes one:
//
//     async def websocket_handler(request):
//         ws = web.WebSocketResponse()
//         await ws.prepare(request)
//         async for msg in ws:
//             if msg.type == aiohttp.WSMsgType.TEXT:
//                 if msg.data == 'close':
//                     await ws.close()
//                 else:
//                     await ws.send_str(msg.data + '/answer')
//         print('websocket connection closed')
//         return ws
//
//     app = web.Application()
//     app.add_routes([web.get('/ws', websocket_handler)])
//     web.run_app(app, host='127.0.0.1', port=8080)
//
//     ./ws_echo_server [PORT]        (8080 by default; 0 picks a free one)
//
// It prints the URL it listens on, then one line per connection that ends,
// and serves until SIGINT or SIGTERM. ws_echo_client is its client.
#include <aio/aio.hpp>
#include <aio/web.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <string>

namespace web = aio::web;
using aio::http::WSMsgType;

aio::Task<web::StreamResponse> websocket_handler(web::Request& request) {
    web::WebSocketResponse ws;
    co_await ws.prepare(request);
    auto messages = ws.messages();  // async for msg in ws
    while (true) {
        auto msg = co_await messages.next();
        if (!msg) break;
        if (msg->type == WSMsgType::TEXT) {
            if (msg->data == "close") {
                co_await ws.close();
            } else {
                std::string answer = msg->data + "/answer";
                co_await ws.send_str(answer);
            }
        }
    }
    fmt::print("websocket connection closed\n");
    std::fflush(stdout);
    co_return ws;
}

int main(int argc, char** argv) {
    web::Application app;
    app.router().add_get("/ws", websocket_handler);
    web::RunAppOptions opts;
    opts.host = "127.0.0.1";
    opts.port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
    opts.on_listening = [](std::uint16_t port) {
        fmt::print("listening on ws://127.0.0.1:{}/ws\n", port);
        std::fflush(stdout);
    };
    web::run_app(app, opts);
}
