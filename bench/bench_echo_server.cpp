// The aio side of the echo benchmark (bench/echo.sh): an asyncio-style streams
// server that writes back whatever each connection sends.
//
//     bench_echo_server PORT
#include <aio/aio.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <string>

namespace {

aio::Task<> echo(aio::StreamReader reader, aio::StreamWriter writer) {
    while (true) {
        std::string data = co_await reader.read(65536);
        if (data.empty()) break;
        writer.write(data);
        co_await writer.drain();
    }
    writer.close();
}

aio::Task<> serve(std::uint16_t port) {
    aio::Server server = co_await aio::start_server(echo, "127.0.0.1", port);
    fmt::print("listening on 127.0.0.1:{}\n", port);
    std::fflush(stdout);
    co_await server.serve_forever();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        fmt::print(stderr, "usage: {} PORT\n", argv[0]);
        return 2;
    }
    aio::run(serve(static_cast<std::uint16_t>(std::atoi(argv[1]))));
}
