// One HTTP/1.1 server connection: parse straight from the StreamReader's
// buffer, run the application, serialise each response head into one
// buffer, and hand the writer one write per batch of pipelined responses.
#include <fcntl.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>

#include "aio/http/status.hpp"
#include "aio/http/writer.hpp"
#include "aio/sleep.hpp"
#include "aio/threads.hpp"
#include "aio/timeouts.hpp"
#include "aio/web/exceptions.hpp"
#include "web/protocol.hpp"
#include "http/websocket/session.hpp"
#include "streams/connection.hpp"
#include "web/util.hpp"

namespace aio::web::detail {

namespace {

/// Responses waiting in the output buffer are written once it holds this
/// much, even if more pipelined requests are ready: bounded memory per
/// connection, and the client starts reading early.
constexpr std::size_t kOutputBatch = 64 * 1024;
/// After a response, the unread rest of a request body is discarded (so the
/// connection can be reused) only if it is already buffered; otherwise the
/// connection closes rather than reading a body nobody wants.
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

/// sendfile(2) without SIGPIPE: unlike send(), it takes no MSG_NOSIGNAL, and a
/// peer that reset the connection raises SIGPIPE, whose default action ends
/// the process. Unless SIGPIPE is ignored already, it is blocked on this
/// thread for the call and a SIGPIPE the call raised is taken back, so the
/// caller sees only the EPIPE.
ssize_t sendfile_nosignal(int sock, int fd, off_t* off, std::size_t n) {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN)
        return ::sendfile(sock, fd, off, n);
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    ssize_t r = ::sendfile(sock, fd, off, n);
    int err = errno;
    if (r < 0 && err == EPIPE && !was_pending) {
        timespec zero{};
        while (::sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = err;
    return r;
}

bool token_char(unsigned char c) noexcept {
    return c > 0x20 && c < 0x7F && !std::strchr("\"(),/:;<=>?@[\\]{}", c);
}

void check_field(std::string_view name, std::string_view value) {
    if (name.empty()) throw aio::ValueError("empty header name");
    for (unsigned char c : name)
        if (!token_char(c)) throw aio::ValueError("header name is not a token: " + std::string(name));
    for (unsigned char c : value)
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            throw aio::ValueError("control character in the value of header " + std::string(name));
}

}  // namespace

HttpConnection::HttpConnection(ServerState& server, StreamReader reader, StreamWriter writer, bool tls)
    : ServerConnection(server),
      Exchange(server, tls),
      reader_(std::move(reader)),
      writer_(std::move(writer)),
      parser_(*this, server.opts.limits) {
    // A fresh connection owes its first request head within header_timeout
    // of the accept (not the keep-alive timeout: nothing was served yet).
    phase = Phase::reading_head;
    deadline = aio::detail::deadline_after(server_.opts.header_timeout);
}

Task<> HttpConnection::drain_timed() {
    try {
        if (writer_.buffer_size() <= writer_.get_write_buffer_limits().second) {
            // At most the high-water mark is waiting (on an io_uring loop a
            // response leaves with the loop's next poll): drain() only reports
            // a write error and never waits, so no timer is armed (one per
            // response otherwise).
            co_await writer_.drain();
        } else {
            auto drain = writer_.drain();
            auto guarded = aio::timeout(server_.opts.send_timeout, std::move(drain));
            co_await std::move(guarded);
        }
    } catch (const aio::TimeoutError&) {
        peer_failed_ = true;
        throw aio::TimeoutError("the client took no response bytes for " +
                                std::to_string(server_.opts.send_timeout.count()) + " ms (send_timeout)");
    } catch (const aio::OSError&) {
        peer_failed_ = true;
        throw;
    }
}

Task<> HttpConnection::send_bytes(std::string_view data) {
    // In pieces, each waited for with the send timeout: a slow reader that
    // keeps reading is served, one that stopped is cut off.
    while (!data.empty()) {
        std::string_view piece = data.substr(0, kOutputBatch);
        writer_.write(piece);
        data.remove_prefix(piece.size());
        co_await drain_timed();
    }
}

HttpConnection::~HttpConnection() = default;

http::ParserAction HttpConnection::on_head(http::RequestHead& head) {
    head_ = &head;
    have_head_ = true;
    return http::ParserAction::pause;
}

http::ParserAction HttpConnection::on_body(std::string_view data) {
    body_buf_.append(data);
    return http::ParserAction::proceed;
}

http::ParserAction HttpConnection::on_message_complete() {
    message_done_ = true;
    return http::ParserAction::pause;
}

Task<bool> HttpConnection::pull() {
    while (true) {
        if (message_done_) co_return false;
        std::size_t before = body_buf_.size();
        std::string_view buf = reader_.buffered();
        std::size_t used = parser_.feed(buf);
        reader_.consume(used);
        if (body_buf_.size() > before) co_return true;
        if (message_done_) co_return false;
        if (head_->expect_continue && !continue_sent_ && !responded_) {
            // After the responses to earlier pipelined requests still held
            // in the output, never before them.
            continue_sent_ = true;
            out_ += kContinue;
            co_await flush();
        }
        auto fill = reader_.fill();
        auto guarded = aio::timeout(server_.opts.body_timeout, std::move(fill));
        bool more = false;
        bool late = false;
        try {
            more = co_await std::move(guarded);
        } catch (const aio::TimeoutError&) {
            late = true;
        }
        if (late) {
            close_after_ = true;
            log_error("no request body bytes for " + std::to_string(server_.opts.body_timeout.count()) +
                      " ms (body_timeout)");
            throw HTTPRequestTimeout(
                {.text = "408: Request Timeout\n\nthe request body did not arrive in time\n"});
        }
        if (!more) {
            parser_.feed_eof();  // throws for a body cut short
            co_return false;
        }
    }
}

Task<> HttpConnection::flush() {
    queued_ = 0;
    if (!out_.empty()) {
        // Taken out first: a handler that sends a 100 Continue flushes from
        // its own task while the connection's may flush too.
        std::string data;
        data.swap(out_);
        co_await send_bytes(data);
        if (out_.empty()) {
            data.clear();
            out_.swap(data);  // keep the capacity
        }
    }
    if (writer_.buffer_size() > 0) co_await drain_timed();
}

Task<> HttpConnection::run() {
    task = current_task();
    int error_status = 0;
    std::string error_message;
    bool cancelled = false;
    try {
        while (true) {
            have_head_ = false;
            head_ = nullptr;
            message_done_ = false;
            bool closed = false;
            while (!have_head_) {
                std::string_view buf = reader_.buffered();
                if (!buf.empty()) {
                    std::size_t used = parser_.feed(buf);
                    reader_.consume(used);
                    if (have_head_) break;
                }
                if (parser_.stopped()) {
                    closed = true;
                    break;
                }
                if (!out_.empty()) {
                    phase = Phase::handling;  // the send timeout governs this wait
                    co_await flush();
                }
                // The deadlines: set when a phase begins, not on every read,
                // so that bytes which start no request (empty lines between
                // requests) do not keep an idle connection open.
                if (phase == Phase::handling) {
                    // The last response is out: idle, or the next request has begun.
                    if (parser_.message_in_progress()) {
                        phase = Phase::reading_head;
                        deadline = aio::detail::deadline_after(server_.opts.header_timeout);
                    } else {
                        phase = Phase::idle;
                        deadline = aio::detail::deadline_after(server_.opts.keepalive_timeout);
                        aio::detail::StreamAccess::going_idle(reader_);
                    }
                } else if (phase == Phase::idle && parser_.message_in_progress()) {
                    phase = Phase::reading_head;  // the first byte of a request: its head deadline starts
                    deadline = aio::detail::deadline_after(server_.opts.header_timeout);
                }
                if (phase == Phase::idle && server_.shutting_down) {
                    closed = true;
                    break;
                }
                bool more = co_await reader_.fill();
                if (!more) {
                    parser_.feed_eof();
                    closed = true;
                    break;
                }
            }
            if (closed) break;
            co_await handle_request();
            if (close_after_) break;
        }
    } catch (const http::HttpProcessingError& e) {
        error_status = e.status();
        error_message = e.message();
    } catch (const CancelledError&) {
        cancelled = true;
    } catch (const aio::OSError& e) {
        // The client reset the connection, or a write to it stalled past
        // send_timeout: nothing to answer; the server goes on.
        std::string what = e.what();
        if (dynamic_cast<const aio::BrokenPipeError*>(&e))
            what = "BrokenPipeError: " + what;
        else if (dynamic_cast<const aio::ConnectionResetError*>(&e))
            what = "ConnectionResetError: " + what;
        else if (dynamic_cast<const aio::TimeoutError*>(&e))
            what = "TimeoutError: " + what;
        log_error(what);
        peer_failed_ = true;
    } catch (...) {
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler({"Error in an HTTP connection", std::current_exception(), {}});
    }
    phase = Phase::handling;  // no longer subject to the sweeper
    try {
        if (error_status) {
            answer_error(error_status, error_message);
        } else if (cancelled && timed_out && parser_.message_in_progress()) {
            log_error("no complete request head within " + std::to_string(server_.opts.header_timeout.count()) +
                      " ms (header_timeout)");
            answer_error(408, "the request head did not arrive in time");
        }
        if (!out_.empty() && !peer_failed_) writer_.write(out_);
    } catch (...) {
    }
    out_.clear();
    // The client may still be sending the request the server did not read.
    bool unread = error_status != 0 || (have_head_ && !message_done_);
    if (unread && !cancelled && !peer_failed_ && !server_.shutting_down) {
        co_await close_lingering(reader_, writer_);
        co_return;
    }
    // A client that reset or stalled past send_timeout gets nothing more:
    // closing would hold the descriptor until it read the rest.
    if (peer_failed_)
        writer_.abort();
    else
        writer_.close();
}

void HttpConnection::answer_error(int status, std::string_view message) {
    close_after_ = true;
    std::string body = std::to_string(status) + ": " + std::string(http::reason_phrase(status)) + "\n\n" +
                       std::string(message) + "\n";
    http::Headers h;
    h.add("Content-Type", "text/plain; charset=utf-8");
    append_head(status, {}, h, body.size(), false, false);
    out_ += body;
    log_access(status, body.size());
}

Task<> HttpConnection::watch_disconnect(int fd, Task<StreamResponse> handler, std::shared_ptr<bool> fired) {
    while (true) {
        bool gone = false;
        try {
            co_await aio::detail::wait_fd(fd, true);
        } catch (const aio::OSError&) {
            gone = true;  // the descriptor was closed under the wait (a WebSocket ended)
        }
        if (gone) co_return;
        char c;
        ssize_t r = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r > 0) co_return;  // more bytes (a body, or the next request): the client is there
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
        // EOF: the client may have closed, or only ended its sending side
        // (shutdown(SHUT_WR)) and still wait for the answer; the two look
        // alike here. The handler goes on; a write to a closed client fails
        // later and ends the connection then.
        if (r == 0) co_return;
        *fired = true;
        handler.cancel();
        co_return;
    }
}

Task<> HttpConnection::handle_request() {
    phase = Phase::handling;
    ++server_.in_flight;
    struct InFlight {
        ServerState& s;
        ~InFlight() { --s.in_flight; }
    } in_flight{server_};
    started_ = std::chrono::steady_clock::now();
    responded_ = false;
    continue_sent_ = false;
    close_after_ = head_->should_close || server_.shutting_down;
    body_buf_.clear();
    body_pos_ = 0;
    request_->reset();

    // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without
    // Host (there is no other way to tell which site it is for).
    if (head_->version == http::HttpVersion11 && !head_->headers.contains("Host")) {
        answer_error(400, "an HTTP/1.1 request needs a Host header");
        co_return;
    }
    if (!parse_target(head_->path)) {
        answer_error(400, "the path is not valid UTF-8 once decoded");
        co_return;
    }

    StreamResponse resp;
    std::exception_ptr failure;
    bool client_gone = false;
    // Made only when a watcher is started (a handler that waits): most
    // handlers answer at once and cost no allocation here.
    std::shared_ptr<bool> fired;
    Task<StreamResponse> handler = aio::create_task(server_.app->handle(*request_));
    co_await aio::sleep(std::chrono::seconds(0));
    if (!handler.done() && !websocket_) {
        // The handler waits for something: send what earlier pipelined
        // requests produced, and cancel the handler if the client goes away.
        co_await flush();
        int fd = std::any_cast<int>(writer_.get_extra_info("socket"));
        fired = std::make_shared<bool>(false);
        watcher_ = aio::create_task(watch_disconnect(fd, handler.share(), fired));
    }
    try {
        resp = co_await std::move(handler);
    } catch (const HTTPException& e) {
        resp = e.response();
    } catch (const http::HttpProcessingError& e) {
        // The body the handler was reading broke the protocol.
        close_after_ = true;
        resp = Response({.status = e.status(), .text = std::to_string(e.status()) + ": " + e.message()});
    } catch (const CancelledError&) {
        if (!fired || !*fired) throw;
        client_gone = true;
    } catch (...) {
        // A write to the client failed inside the handler (a StreamResponse
        // to a client that reset): the client is gone, not the handler broken.
        if (peer_failed_)
            client_gone = true;
        else
            failure = std::current_exception();
    }
    if (watcher_.valid() && !watcher_.done()) watcher_.cancel();
    watcher_ = Task<>();
    if (websocket_) {
        // The handler answered with a WebSocket: finish its close handshake
        // (1011 if the handler failed), then the connection ends.
        auto ws = std::move(websocket_);
        close_after_ = true;
        responded_ = true;
        if (failure) {
            if (auto* loop = running_loop_or_null())
                loop->call_exception_handler({"Error handling request", failure, {}});
        }
        int code = failure ? static_cast<int>(http::WSCloseCode::INTERNAL_ERROR) : static_cast<int>(http::WSCloseCode::OK);
        bool cancelled = false;
        try {
            co_await ws->complete_close(code, "");
        } catch (const CancelledError&) {
            cancelled = true;
        } catch (...) {
        }
        ws->abort();
        if (cancelled) throw CancelledError();
        log_access(101, 0);
        co_return;
    }
    if (client_gone) {
        close_after_ = true;
        peer_failed_ = true;
        log_error(fired && *fired ? "the client reset the connection while its request was handled"
                         : "the client went away while the response was written");
        co_return;
    }
    if (failure) {
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler({"Error handling request", failure, {}});
        resp = Response({.status = 500,
                         .text = "500 Internal Server Error\n\nServer got itself in trouble"});
    }
    if (responded_ && !resp.prepared()) {
        // The handler sent a head (prepare()) and then failed: no other
        // response can follow a body cut short; closing is the only answer.
        close_after_ = true;
        co_return;
    }

    // The unread rest of the body: discard it if it is here already, else close.
    if (!message_done_ && !resp.prepared() && !close_after_) {
        if (head_->expect_continue && !continue_sent_) {
            close_after_ = true;
        } else {
            std::size_t used = parser_.feed(reader_.buffered());
            reader_.consume(used);
            body_buf_.clear();
            body_pos_ = 0;
            if (!message_done_) close_after_ = true;
        }
    }
    responded_ = true;
    co_await send_response(resp);
}

Task<> HttpConnection::send_response(StreamResponse& resp) {
    if (resp.prepared()) {
        StreamState& st = *resp.stream_;
        if (!st.eof) co_await write_stream(st, {}, true);
        if (!message_done_) close_after_ = true;
        log_access(resp.status(), st.body_bytes);
        co_return;
    }
    if (resp.kind() == StreamResponse::Kind::file) {
        co_await send_file(resp);
        co_return;
    }
    int status = resp.status();
    bool head_only = head_->method == "HEAD" || status < 200 || status == 204 || status == 304;
    std::string compressed;
    const std::string* body = &outgoing_body(resp, !head_only, compressed);
    std::optional<std::uint64_t> length;
    if (status >= 200 && status != 204 && status != 304) length = body->size();
    std::size_t mark = out_.size();
    try {
        append_head(status, resp.reason_, resp.headers_, length, false, head_only);
    } catch (const aio::ValueError& e) {
        out_.resize(mark);
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler({"Bad response header", std::current_exception(), {}});
        answer_error(500, "the handler returned a malformed response");
        co_return;
    }
    if (!head_only) out_ += *body;
    log_access(status, head_only ? 0 : body->size());
    ++queued_;
    if (out_.size() >= kOutputBatch || queued_ >= server_.opts.max_pipelined || reader_.buffered().empty() ||
        close_after_)
        co_await flush();
}

void HttpConnection::append_head(int status, std::string_view reason, const http::Headers& headers,
                                 std::optional<std::uint64_t> length, bool chunked, bool head_only) {
    (void)head_only;
    if (server_.shutting_down) close_after_ = true;
    if (status < 100 || status > 999) throw aio::ValueError("status out of range");
    if (reason.empty()) reason = http::reason_phrase(status);
    for (char c : reason)
        if (c == '\r' || c == '\n') throw aio::ValueError("control character in the reason");
    std::size_t mark = out_.size();
    out_.append("HTTP/1.1 ");
    char num[4];
    std::to_chars(num, num + 3, status);
    out_.append(num, 3);
    out_.push_back(' ');
    out_.append(reason);
    out_.append("\r\n");
    bool has_date = false, has_server = false, has_type = false;
    try {
        for (auto [name, value] : headers) {
            if (http::iequals(name, "Content-Length") || http::iequals(name, "Transfer-Encoding") ||
                http::iequals(name, "Connection"))
                continue;
            check_field(name, value);
            has_date |= http::iequals(name, "Date");
            has_server |= http::iequals(name, "Server");
            has_type |= http::iequals(name, "Content-Type");
            out_.append(name);
            out_.append(": ");
            out_.append(value);
            out_.append("\r\n");
        }
    } catch (...) {
        out_.resize(mark);
        throw;
    }
    if (!has_type && ((length && *length > 0) || chunked)) out_.append("Content-Type: application/octet-stream\r\n");
    if (length) {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, *length);
        out_.append("Content-Length: ");
        out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
        out_.append("\r\n");
    } else if (chunked) {
        out_.append("Transfer-Encoding: chunked\r\n");
    }
    if (!has_date) out_.append(date_header_line());
    if (!has_server && !server_.opts.server_header.empty()) {
        out_.append("Server: ");
        out_.append(server_.opts.server_header);
        out_.append("\r\n");
    }
    if (close_after_) {
        out_.append("Connection: close\r\n");
    } else if (have_head_ && head_->version == http::HttpVersion10) {
        out_.append("Connection: keep-alive\r\n");
    }
    out_.append("\r\n");
}

Task<> HttpConnection::prepare_stream(StreamResponse& resp, StreamState& st) {
    st.conn = this;
    int status = resp.status();
    st.head_only = head_->method == "HEAD" || status < 200 || status == 204 || status == 304;
    std::optional<std::uint64_t> length = resp.content_length();
    start_coding(resp, st, length);
    st.chunked = !st.head_only && (resp.chunked_ || !length) && head_->version == http::HttpVersion11;
    if (st.chunked) length.reset();
    if (!st.head_only && !length && !st.chunked) close_after_ = true;  // HTTP/1.0: the body ends at close
    if (resp.force_close_) close_after_ = true;
    if (!message_done_ && head_->expect_continue && !continue_sent_) close_after_ = true;
    append_head(status, resp.reason_, resp.headers_, length, st.chunked, st.head_only);
    responded_ = true;
    co_await flush();
}

Task<> HttpConnection::prepare_upgrade(StreamResponse& resp, StreamState& st) {
    if (server_.shutting_down) throw HTTPServiceUnavailable({.text = "the server is shutting down"});
    st.conn = this;
    st.head_only = true;
    st.eof = true;
    close_after_ = false;
    append_head(101, resp.reason_, resp.headers_, std::nullopt, false, true);
    out_.insert(out_.size() - 2, "Connection: upgrade\r\n");
    close_after_ = true;  // once the WebSocket ends, so does the connection
    responded_ = true;
    co_await flush();
}

void HttpConnection::adopt_websocket(std::shared_ptr<http::detail::WebSocketSession> ws) {
    websocket_ = std::move(ws);
    // Bytes from the client are frames now, and a vanished client ends the
    // WebSocket's receive(): the handler is no longer cancelled for it.
    if (watcher_.valid() && !watcher_.done()) watcher_.cancel();
}

void HttpConnection::going_away() noexcept {
    if (websocket_) websocket_->going_away();
}

Task<> HttpConnection::write_stream(StreamState& st, std::string_view data, bool last) {
    if (st.eof) throw aio::RuntimeError("write() after write_eof()");
    if (!st.head_only) {
        std::string encoded;
        std::string_view payload = st.encode(data, last, encoded);
        if (st.chunked) {
            http::append_chunk(out_, payload);
            if (last) http::append_last_chunk(out_);
        } else {
            out_.append(payload);
        }
        st.body_bytes += payload.size();
    }
    if (last) st.eof = true;
    co_await flush();
}

Task<> HttpConnection::sendfile_all(int fd, std::uint64_t offset, std::uint64_t count) {
    // sendfile needs the writer's own buffer empty first, so that bytes stay in order.
    writer_.set_write_buffer_limits(0, 0);
    co_await drain_timed();
    writer_.set_write_buffer_limits(64 * 1024, 16 * 1024);
    int sock = std::any_cast<int>(writer_.get_extra_info("socket"));
    off_t off = static_cast<off_t>(offset);
    while (count > 0) {
        std::size_t n = count > (std::size_t(1) << 30) ? (std::size_t(1) << 30) : static_cast<std::size_t>(count);
        ssize_t r = sendfile_nosignal(sock, fd, &off, n);
        if (r > 0) {
            count -= static_cast<std::uint64_t>(r);
            continue;
        }
        if (r == 0) throw aio::RuntimeError("the file shrank while it was being sent");
        int err = errno;
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) {
            // The client takes no bytes: wait at most send_timeout for room.
            auto writable = aio::detail::wait_fd(sock, false);
            auto guarded = aio::timeout(server_.opts.send_timeout, std::move(writable));
            bool late = false;
            try {
                co_await std::move(guarded);
            } catch (const aio::TimeoutError&) {
                late = true;
            }
            if (late) {
                peer_failed_ = true;
                throw aio::TimeoutError("the client took no file bytes for " +
                                        std::to_string(server_.opts.send_timeout.count()) + " ms (send_timeout)");
            }
            continue;
        }
        peer_failed_ = true;
        throw_os_error(err, "sendfile", "");
    }
}

Task<> HttpConnection::send_file(StreamResponse& resp) {
    FilePlan plan = co_await plan_file(resp);
    if (plan.instead) {
        co_await send_response(*plan.instead);
        co_return;
    }
    append_head(plan.status, plan.reason, resp.headers_, plan.count, false, plan.head_only);
    log_access(plan.status, plan.head_only ? 0 : plan.count);
    co_await flush();
    if (plan.head_only || plan.count == 0) co_return;
    std::uint64_t offset = plan.offset, count = plan.count;
    if (!tls_) {
        co_await sendfile_all(plan.opened->file.fd, offset, count);
        co_return;
    }
    std::string chunk;
    while (count > 0) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(count, resp.chunk_size_));
        chunk = co_await read_file_piece(plan.opened, offset, n);
        offset += chunk.size();
        count -= chunk.size();
        co_await send_bytes(chunk);
    }
}

}  // namespace aio::web::detail
