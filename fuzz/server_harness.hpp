// Runs aio::web's real server connection (HttpConnection, or H2Connection) over a Unix socket
// pair inside one event loop per input, for the server fuzz targets.
//
// The client half writes the input in the pieces the caller chose (yielding to
// the loop between them, so that the server sees partial requests), ends its
// side (write EOF), and reads until the server closes. The loop finishes
// because the server closes once it reads EOF. Afterwards every byte the
// server wrote is parsed with aio's own ResponseParser, the HEAD-ness of each
// response taken from the requests the input holds.
#pragma once

#include <dirent.h>
#include <sys/socket.h>

#include <aio/http/parser.hpp>
#include <aio/runners.hpp>
#include <aio/sleep.hpp>
#include <aio/sockets.hpp>
#include <aio/streams.hpp>
#include <aio/web.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "streams/connection.hpp"
#include "web/h2_connection.hpp"
#include "web/protocol.hpp"

namespace fuzz {

inline void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "invariant broken: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

/// Open descriptors of this process.
inline int count_fds() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (::readdir(d)) ++n;
        ::closedir(d);
    }
    return n;
}

/// Handlers both server fuzz targets serve: a fixed answer, the body
/// echoed whole, and the body streamed back as it arrives.
inline aio::Task<aio::web::StreamResponse> hello(aio::web::Request&) {
    co_return aio::web::Response({.text = "hello"});
}

inline aio::Task<aio::web::StreamResponse> echo(aio::web::Request& req) {
    std::string body = co_await req.read();
    co_return aio::web::Response({.body = std::move(body)});
}

inline aio::Task<aio::web::StreamResponse> stream_back(aio::web::Request& req) {
    aio::web::StreamResponse resp;
    resp.headers().set("Content-Type", "text/plain");
    co_await resp.prepare(req);
    while (true) {
        std::string piece = co_await req.content().readany();
        if (piece.empty()) break;
        co_await resp.write(piece);
    }
    co_await resp.write_eof();
    co_return resp;
}

/// The output is capped: a response can echo the input, so a few MiB is plenty.
constexpr std::size_t kMaxOutput = 8u << 20;

inline aio::Task<std::string> read_all(aio::StreamReader r) {
    std::string out;
    while (true) {
        std::string piece;
        try {
            piece = co_await r.read(64 * 1024);
        } catch (const aio::ConnectionResetError&) {
            // The server closed with input unread (after an error answer or
            // Connection: close): the kernel reports a reset once the bytes
            // sent before it are read.
            break;
        }
        if (piece.empty()) break;
        if (out.size() < kMaxOutput) out += piece;
    }
    co_return out;
}

inline aio::Task<> serve(std::shared_ptr<aio::web::detail::ServerState> state, aio::StreamReader r,
                         aio::StreamWriter w, bool http2) {
    if (http2) {
        aio::web::detail::H2Connection conn(*state, std::move(r), std::move(w), false);
        co_await conn.run();
    } else {
        aio::web::detail::HttpConnection conn(*state, std::move(r), std::move(w), false);
        co_await conn.run();
    }
}

inline std::shared_ptr<aio::detail::Connection> stream_of(int fd, std::size_t limit) {
    return std::make_shared<aio::detail::Connection>(aio::detail::make_socket_transport(aio::Socket::adopt(fd)),
                                                     limit);
}

/// Serves `input` (cut at `cuts`) to `app` over HTTP/1.1 (or HTTP/2 when
/// `http2`: the input then starts with the client preface); returns what the
/// server wrote.
inline aio::Task<std::string> exchange(aio::web::Application& app, aio::web::ServerOptions opts, std::string input,
                                       std::vector<std::size_t> cuts, bool http2 = false) {
    auto& loop = aio::get_running_loop();
    loop.set_exception_handler([](aio::EventLoop&, const aio::ExceptionContext& ctx) {
        // A handler failing gives a 500 (expected for some inputs); anything
        // escaping the connection itself is a bug.
        if (ctx.message == "Error in an HTTP connection" || ctx.message == "Error in an HTTP/2 stream" ||
            ctx.message == "Bad response header") {
            std::string what;
            try {
                if (ctx.exception) std::rethrow_exception(ctx.exception);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
                what = "?";
            }
            fail(std::string(ctx.message).c_str(), what);
        }
    });
    if (!app.frozen()) co_await app.startup();
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) fail("socketpair");
    auto state = std::make_shared<aio::web::detail::ServerState>();
    state->app = &app;
    state->opts = std::move(opts);
    auto server_side = stream_of(sv[0], state->opts.read_limit);
    auto client_side = stream_of(sv[1], aio::kDefaultStreamLimit);
    aio::Task<> server =
        aio::create_task(serve(state, aio::StreamReader(server_side), aio::StreamWriter(server_side), http2));
    server_side.reset();
    aio::Task<std::string> reader = aio::create_task(read_all(aio::StreamReader(client_side)));
    aio::StreamWriter writer(client_side);
    client_side.reset();
    std::size_t prev = 0;
    cuts.push_back(input.size());
    for (std::size_t cut : cuts) {
        if (cut < prev || cut > input.size()) continue;
        try {
            writer.write(std::string_view(input).substr(prev, cut - prev));
            co_await writer.drain();
        } catch (const aio::OSError&) {
            break;  // the server closed early (an error response): it reads no more
        }
        prev = cut;
        co_await aio::sleep(std::chrono::seconds(0));
    }
    if (!writer.is_closing()) writer.write_eof();
    std::string out = co_await std::move(reader);
    co_await std::move(server);
    if (!state->connections.empty() || state->in_flight != 0) fail("the server still counts a connection or request");
    writer.close();
    co_return out;
}

/// Records the responses the server wrote.
struct ResponseLog final : aio::http::ResponseParser::Handler {
    std::vector<int> statuses;
    std::size_t finals = 0;  // complete final (non-1xx) responses
    bool tunnel = false;
    aio::http::ParserAction on_head(aio::http::ResponseHead& h) override {
        statuses.push_back(h.status);
        if (h.upgrade) tunnel = true;
        return aio::http::ParserAction::pause;
    }
    aio::http::ParserAction on_body(std::string_view) override { return aio::http::ParserAction::proceed; }
    aio::http::ParserAction on_message_complete() override {
        if (statuses.empty() || statuses.back() >= 200 || statuses.back() == 101) ++finals;
        return aio::http::ParserAction::pause;
    }
};

/// The methods of the requests in `input`, in order, as the server's parser reads them.
struct MethodLog final : aio::http::RequestParser::Handler {
    std::vector<std::string> methods;
    aio::http::ParserAction on_head(aio::http::RequestHead& h) override {
        methods.push_back(h.method);
        return aio::http::ParserAction::proceed;
    }
    aio::http::ParserAction on_body(std::string_view) override { return aio::http::ParserAction::proceed; }
    aio::http::ParserAction on_message_complete() override { return aio::http::ParserAction::proceed; }
};

inline std::vector<std::string> request_methods(std::string_view input, const aio::http::ParserLimits& limits) {
    MethodLog log;
    aio::http::RequestParser p(log, limits);
    try {
        p.feed(input);
    } catch (const aio::http::HttpProcessingError&) {
    }
    return log.methods;
}

/// Checks that `output` is a sequence of well-formed responses to the
/// requests of `input`; returns the statuses (1xx included).
inline ResponseLog check_responses(std::string_view input, std::string_view output,
                                   const aio::http::ParserLimits& limits) {
    std::vector<std::string> methods = request_methods(input, limits);
    ResponseLog log;
    aio::http::ResponseParser p(log, aio::http::ParserLimits{});
    auto method_for = [&](std::size_t i) { return i < methods.size() ? methods[i] : std::string("GET"); };
    p.set_request_method(method_for(0));
    std::string_view rest = output;
    try {
        while (!rest.empty() && !log.tunnel) {
            std::size_t before = log.finals;
            std::size_t n = p.feed(rest);
            rest.remove_prefix(n);
            if (log.finals != before) p.set_request_method(method_for(log.finals));
            if (n == 0 && p.stopped()) break;
        }
        if (!log.tunnel) {
            try {
                p.feed_eof();
            } catch (const aio::http::HttpProcessingError&) {
                // The last response was cut short: how a server that sent a
                // head (a streamed response) and then failed must end it.
            }
        }
    } catch (const aio::http::HttpProcessingError& e) {
        std::string detail = std::string(e.what()) + "\n--- output:\n" + std::string(output.substr(0, 4096));
        fail("the server wrote a response aio's parser refuses", detail);
    }
    if (log.finals > methods.size() + 1) fail("more responses than requests", output.substr(0, 4096));
    return log;
}

}  // namespace fuzz
