// A WebSocket client, as aiohttp's documentation writes one:
//
//     async with aiohttp.ClientSession() as session:
//         async with session.ws_connect(url) as ws:
//             for word in ['hello', 'async', 'world']:
//                 await ws.send_str(word)
//                 msg = await ws.receive()
//                 print(msg.type.name, msg.data)
//             await ws.send_str('close')
//             msg = await ws.receive()
//             print(msg.type.name, msg.data)
//
//     ./ws_echo_client ws://127.0.0.1:8080/ws
//
// Against ws_echo_server it prints three answers, then the server's close.
#include <aio/aio.hpp>
#include <fmt/core.h>

#include <string>
#include <vector>

using aio::http::WSMsgType;

aio::Task<> run(std::string url) {
    aio::http::ClientSession session;
    std::exception_ptr failed;
    try {
        auto ws = co_await session.ws_connect(url);
        const std::vector<std::string> words = {"hello", "async", "world"};
        for (const std::string& word : words) {
            co_await ws.send_str(word);
            aio::http::WSMessage msg = co_await ws.receive();
            fmt::print("{} {}\n", to_string(msg.type), msg.data);
        }
        const std::string bye = "close";
        co_await ws.send_str(bye);
        aio::http::WSMessage msg = co_await ws.receive();
        fmt::print("{} {}\n", to_string(msg.type), msg.code);  // msg.data is the close code in aiohttp
    } catch (...) {
        failed = std::current_exception();
    }
    co_await session.close();
    if (failed) std::rethrow_exception(failed);
}

int main(int argc, char** argv) {
    std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws";
    try {
        aio::run(run(url));
    } catch (const std::exception& e) {
        fmt::print(stderr, "ws_echo_client: {}\n", e.what());
        return 1;
    }
}
