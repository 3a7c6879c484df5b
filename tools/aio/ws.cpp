// aio ws: a WebSocket from the command line, as websocat and wscat: each line
// of standard input goes out as a TEXT message, each message received is
// printed on a line of its own; at the end of input the WebSocket closes
// with 1000 and the command waits for the server's close.
#include "aio_tool.hpp"

#include <aio/aio.hpp>
#include <aio/http.hpp>
#include <aio/sockets.hpp>
#include <fmt/core.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace aio::tool {

namespace {

std::string base64(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                          std::uint8_t(in[i + 2]);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i < in.size()) {
        std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
        if (i + 1 < in.size()) v |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// Standard input, read without blocking the loop: a pipe or terminal is
/// waited on, a regular file read directly.
class StdinLines {
public:
    StdinLines() {
        struct stat st {};
        regular_ = ::fstat(0, &st) == 0 && S_ISREG(st.st_mode);
        if (!regular_) {
            flags_ = ::fcntl(0, F_GETFL);
            if (flags_ >= 0) ::fcntl(0, F_SETFL, flags_ | O_NONBLOCK);
        }
    }
    ~StdinLines() {
        if (!regular_ && flags_ >= 0) ::fcntl(0, F_SETFL, flags_);
    }
    /// The next line without its "\n"; nullopt at the end of input.
    Task<std::optional<std::string>> next() {
        while (true) {
            std::size_t nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                co_return line;
            }
            if (eof_) {
                if (buf_.empty()) co_return std::nullopt;
                std::string line = std::move(buf_);
                buf_.clear();
                co_return line;
            }
            char chunk[65536];
            ssize_t n = ::read(0, chunk, sizeof chunk);
            if (n > 0) {
                buf_.append(chunk, static_cast<std::size_t>(n));
            } else if (n == 0) {
                eof_ = true;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                co_await aio::detail::wait_fd(0, true);
            } else if (errno != EINTR) {
                throw aio::OSError(errno, "reading standard input", "");
            }
        }
    }

private:
    std::string buf_;
    bool eof_ = false;
    bool regular_ = false;
    int flags_ = -1;
};

/// Prints every message until the WebSocket ends; returns the exit status.
Task<int> print_messages(http::ClientWebSocketResponse& ws, bool raw_binary) {
    while (true) {
        http::WSMessage msg = co_await ws.receive();
        switch (msg.type) {
            case http::WSMsgType::TEXT:
                std::fwrite(msg.data.data(), 1, msg.data.size(), stdout);
                std::fputc('\n', stdout);
                std::fflush(stdout);
                break;
            case http::WSMsgType::BINARY: {
                std::string line = raw_binary ? msg.data : base64(msg.data);
                std::fwrite(line.data(), 1, line.size(), stdout);
                std::fputc('\n', stdout);
                std::fflush(stdout);
                break;
            }
            case http::WSMsgType::CLOSE:
                if (msg.code == 1000 || msg.code == 1005) co_return 0;
                fmt::print(stderr, "aio: the server closed the WebSocket with {}{}{}\n", msg.code,
                           msg.extra.empty() ? "" : ": ", msg.extra);
                co_return 1;
            case http::WSMsgType::ERROR: {
                std::string what = "unknown error";
                try {
                    if (msg.error) std::rethrow_exception(msg.error);
                } catch (const std::exception& e) {
                    what = e.what();
                }
                fmt::print(stderr, "aio: the WebSocket failed ({}): {}\n", ws.close_code().value_or(1006), what);
                co_return 1;
            }
            case http::WSMsgType::CLOSED: {
                int code = ws.close_code().value_or(1006);
                if (code == 1000) co_return 0;
                std::string why;
                try {
                    if (ws.exception()) std::rethrow_exception(ws.exception());
                } catch (const std::exception& e) {
                    why = std::string(": ") + e.what();  // e.g. no PONG for a --ping-interval PING
                }
                fmt::print(stderr, "aio: the WebSocket closed abnormally ({}){}\n", code, why);
                co_return 1;
            }
            default: break;
        }
    }
}

/// Sends each line of standard input; at its end, closes with 1000. A line
/// that cannot be a TEXT message (not UTF-8: send_str sends nothing), or
/// standard input failing, closes with 1000 too and is kept in
/// `input_error`: the printer would otherwise wait for messages that never
/// come.
Task<> send_lines(http::ClientWebSocketResponse& ws, std::exception_ptr& input_error) {
    StdinLines input;
    for (std::size_t n = 1;; ++n) {
        std::optional<std::string> line;
        try {
            std::optional<std::string> got = co_await input.next();
            line = std::move(got);
        } catch (const aio::OSError&) {
            input_error = std::current_exception();
            break;
        }
        if (!line) break;
        bool sent = true;
        try {
            co_await ws.send_str(*line);
        } catch (const aio::ValueError&) {
            sent = false;
        }
        if (!sent) {
            input_error = std::make_exception_ptr(aio::ValueError(
                fmt::format("line {} of standard input is not UTF-8, which a TEXT message must be", n)));
            break;
        }
    }
    co_await ws.close();
}

Task<int> ws_main(const WsOptions& opts) {
    http::WSConnectOptions o;
    for (const std::string& h : opts.headers) {
        std::size_t colon = h.find(':');
        if (colon == std::string::npos || colon == 0) throw UsageError("a header is 'Name: value', not '" + h + "'");
        std::string_view value = std::string_view(h).substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        o.headers.add(h.substr(0, colon), value);
    }
    o.protocols = opts.protocols;
    o.compress = opts.no_compress ? 0 : 15;
    if (opts.ping_interval > 0) o.heartbeat = std::chrono::duration<double>(opts.ping_interval);
    if (!opts.cafile.empty()) {
        auto ctx = aio::create_default_context();
        ctx.load_verify_locations(opts.cafile);
        o.ssl = ctx;
    }
    http::ClientSession session;
    int status = 1;
    std::exception_ptr err, input_error;
    try {
        auto ws = co_await session.ws_connect(opts.url, std::move(o));
        auto printer = aio::create_task(print_messages(ws, opts.binary));
        auto pump = aio::create_task(send_lines(ws, input_error));
        status = co_await std::move(printer);
        if (!pump.done()) pump.cancel();
        try {
            co_await std::move(pump);
        } catch (...) {
            // Cancelled, or a send after the server had gone: the printer said what happened.
        }
    } catch (...) {
        err = std::current_exception();
    }
    co_await session.close();
    if (err) std::rethrow_exception(err);
    if (input_error) std::rethrow_exception(input_error);
    co_return status;
}

}  // namespace

int run_ws(const WsOptions& opts) {
    if (opts.url.rfind("ws://", 0) != 0 && opts.url.rfind("wss://", 0) != 0)
        throw UsageError("the URL must start with ws:// or wss://, not '" + opts.url + "'");
    try {
        return aio::run(ws_main(opts));
    } catch (const http::WSServerHandshakeError& e) {
        fmt::print(stderr, "aio: the server refused the WebSocket handshake: {} {}\n", e.status(), e.message());
        return 1;
    }
}

}  // namespace aio::tool
