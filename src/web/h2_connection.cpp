// HTTP/2 server connections: nghttp2 driven by aio streams.
#include "web/h2_connection.hpp"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>

#include "aio/exceptions.hpp"
#include "aio/http/status.hpp"
#include "aio/sleep.hpp"
#include "aio/timeouts.hpp"
#include "aio/web/exceptions.hpp"
#include "web/protocol.hpp"
#include "web/util.hpp"

namespace aio::web::detail {

namespace {

/// Output handed to the socket before the writer task waits for it to drain.
constexpr std::size_t kWriteHighWater = 64 * 1024;
/// Response body bytes a stream queues before its writer waits for nghttp2
/// (and the client's window) to take them.
constexpr std::size_t kStreamOutputLimit = 64 * 1024;
/// The connection-level receive window. Connection-level credit is given
/// back as bytes arrive; what bounds memory is each stream's window.
constexpr std::int32_t kConnectionWindow = 16 * 1024 * 1024;

Task<> wait_event(aio::Event& e) { co_await e.wait(); }

/// Waits for `e` at most `limit`; false when the time ran out first.
Task<bool> wait_event_for(aio::Event& e, std::chrono::milliseconds limit) {
    if (e.is_set()) co_return true;
    auto waiting = aio::timeout(limit, wait_event(e));
    bool late = false;
    try {
        co_await std::move(waiting);
    } catch (const aio::TimeoutError&) {
        late = true;
    }
    co_return !late;
}

std::string_view as_view(const std::uint8_t* p, std::size_t n) {
    return {reinterpret_cast<const char*>(p), n};
}

/// Fields HTTP/2 forbids (RFC 9113 §8.2.2): the connection's own framing.
bool connection_specific(std::string_view lower) {
    return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
           lower == "transfer-encoding" || lower == "upgrade" || lower == "content-length";
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                      NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// ---------------------------------------------------------------------------
// H2Connection

H2Connection::H2Connection(ServerState& server, StreamReader reader, StreamWriter writer, bool tls)
    : ServerConnection(server), reader_(std::move(reader)), writer_(std::move(writer)), tls_(tls) {
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0) throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, on_begin_frame);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_option* opt = nullptr;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        throw std::bad_alloc();
    }
    // Stream windows open as the handler reads the body, not as bytes
    // arrive: a handler that reads slowly slows its client, and a stream
    // holds at most its window (read_limit) unread.
    nghttp2_option_set_no_auto_window_update(opt, 1);
    // nghttp2's defaults guard the known floods: 1000 queued SETTINGS/PING
    // acknowledgements (NGHTTP2_ERR_FLOODED), 32 settings per frame, 8
    // CONTINUATION frames per header block, and a token bucket of stream
    // resets (1000, refilled at 33/s) against rapid reset; set them
    // explicitly so the protection does not hang on a library default.
    nghttp2_option_set_max_outbound_ack(opt, 1000);
    nghttp2_option_set_max_settings(opt, 32);
    nghttp2_option_set_max_continuations(opt, 8);
    nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
    int rv = nghttp2_session_server_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) throw std::bad_alloc();

    const ServerOptions& o = server_.opts;
    std::uint32_t window = static_cast<std::uint32_t>(std::clamp<std::size_t>(o.read_limit, 16384, 0x7fffffff));
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, std::max<std::uint32_t>(1, o.http2_max_concurrent_streams)},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
         static_cast<std::uint32_t>(std::min<std::size_t>(o.limits.max_headers_size, 0xffffffff))},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, std::size(iv));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    // The preface (and the first request) is owed within header_timeout.
    phase = Phase::reading_head;
    deadline = aio::detail::deadline_after(o.header_timeout);
}

H2Connection::~H2Connection() {
    streams_.clear();
    nghttp2_session_del(session_);
}

H2Stream* H2Connection::find(std::int32_t id) noexcept {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
}

void H2Connection::log_error(std::string_view what) {
    if (!server_.opts.error_log) return;
    std::string peer;
    try {
        peer = writer_.peername().to_string();
    } catch (...) {
        peer = "?";
    }
    server_.opts.error_log(peer + ": HTTP/2: " + std::string(what));
}

void H2Connection::update_phase() noexcept {
    if (!streams_.empty()) {
        phase = Phase::handling;
    } else if (phase != Phase::idle) {
        phase = Phase::idle;
        deadline = aio::detail::deadline_after(server_.opts.keepalive_timeout);
    }
}

void H2Connection::going_away() noexcept {
    if (goaway_sent_) return;
    goaway_sent_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    schedule_write();
}

void H2Connection::start_stream(H2Stream& s) {
    s.started_task_ = true;
    s.task_ = aio::create_task(H2Stream::serve(this, s.id_));
}

void H2Connection::maybe_erase(std::int32_t id) noexcept {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    H2Stream& s = *it->second;
    if (!s.closed_ && !tearing_down_) return;
    if (s.started_task_ && !s.task_done_) return;
    streams_.erase(it);
    if (streams_.empty()) streams_gone_.set();
    update_phase();
}

int H2Connection::on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* self) {
    auto* c = static_cast<H2Connection*>(self);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    // Streams whose handlers are still winding down count too: a client
    // that opens and resets streams faster than handlers end (rapid reset)
    // is stopped here, whatever nghttp2's own count of open streams says.
    if (c->streams_.size() >= 2 * static_cast<std::size_t>(std::max<std::uint32_t>(1, c->server_.opts.http2_max_concurrent_streams))) {
        c->log_error("too many streams in progress at once (rapid reset?): ENHANCE_YOUR_CALM");
        nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
        return 0;
    }
    std::int32_t id = frame->hd.stream_id;
    c->streams_.emplace(id, std::make_unique<H2Stream>(*c, id));
    c->phase = Phase::handling;
    return 0;
}

int H2Connection::on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                            std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                            void* self) {
    auto* c = static_cast<H2Connection*>(self);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers
    H2Stream* s = c->find(frame->hd.stream_id);
    if (!s || s->headers_too_large_) return 0;
    // RFC 9113 §6.5.2: a field's size is its name and value plus 32.
    s->header_bytes_ += namelen + valuelen + 32;
    const http::ParserLimits& lim = c->server_.opts.limits;
    if (s->header_bytes_ > lim.max_headers_size || s->req_.headers.size() >= lim.max_headers ||
        valuelen > lim.max_field_size) {
        s->headers_too_large_ = true;  // answered 431 once the head is complete
        return 0;
    }
    std::string_view n = as_view(name, namelen), v = as_view(value, valuelen);
    if (!n.empty() && n[0] == ':') {
        if (n == ":method") {
            s->req_.method.assign(v);
        } else if (n == ":path") {
            s->req_.path.assign(v);
        } else if (n == ":authority") {
            s->authority_.assign(v);
        }
        return 0;
    }
    if (n == "content-length") {
        std::uint64_t len = 0;
        auto r = std::from_chars(v.data(), v.data() + v.size(), len);
        if (r.ec == std::errc() && r.ptr == v.data() + v.size()) s->req_.content_length = len;
    }
    s->req_.headers.add(n, v);
    return 0;
}

int H2Connection::on_begin_frame(nghttp2_session* session, const nghttp2_frame_hd* hd, void* self) {
    auto* c = static_cast<H2Connection*>(self);
    c->window_check_.frame_begins(session, *hd, c->streams_);
    return 0;
}

int H2Connection::on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* self) {
    auto* c = static_cast<H2Connection*>(self);
    if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
        c->window_check_.settings_applied(session);
        return 0;
    }
    H2Stream* s = c->find(frame->hd.stream_id);
    if (!s) return 0;
    bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        s->message_done_ = end;
        // A body of unknown length (no content-length, and more frames to
        // come) reads like a chunked one to the handler: it exists.
        s->req_.chunked = !end && !s->req_.content_length;
        c->start_stream(*s);
        return 0;
    }
    if (end && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS)) {
        s->message_done_ = true;
        s->body_event_.set();
    }
    return 0;
}

int H2Connection::on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self) {
    auto* c = static_cast<H2Connection*>(self);
    // A GOAWAY with an error: the client may still be sending what will not
    // be read, so the connection ends with a lingering close.
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) c->linger_ = true;
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
    if (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Stream* s = c->find(frame->hd.stream_id);
    if (!s) return 0;
    s->response_sent_ = true;
    s->out_event_.set();
    // The response is out but the client still sends a body nobody reads:
    // stop it (RFC 9113 §8.1: RST_STREAM with NO_ERROR).
    if (!s->message_done_ && (s->task_done_ || !s->reading_body_))
        nghttp2_submit_rst_stream(c->session_, NGHTTP2_FLAG_NONE, s->id_, NGHTTP2_NO_ERROR);
    return 0;
}

int H2Connection::on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                                const std::uint8_t* data, std::size_t len, void* self) {
    auto* c = static_cast<H2Connection*>(self);
    nghttp2_session_consume_connection(session, len);
    H2Stream* s = c->find(stream_id);
    if (!s || s->task_done_ || s->response_sent_) {
        nghttp2_session_consume_stream(session, stream_id, len);  // nobody reads it: discarded
        return 0;
    }
    s->body_buf_.append(as_view(data, len));
    s->unconsumed_ += len;
    s->body_event_.set();
    return 0;
}

int H2Connection::on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* self) {
    auto* c = static_cast<H2Connection*>(self);
    H2Stream* s = c->find(stream_id);
    if (!s) return 0;
    s->closed_ = true;
    s->close_code_ = error_code;
    s->body_event_.set();
    s->out_event_.set();
    // Reset before its response was out: the client gave up on it, and so
    // does its handler (as when an HTTP/1.1 client disconnects).
    if (s->started_task_ && !s->task_done_ && !s->response_sent_) s->abandon();
    c->maybe_erase(stream_id);
    return 0;
}

ssize_t H2Connection::read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                                std::uint32_t* flags, nghttp2_data_source*, void* self) {
    auto* c = static_cast<H2Connection*>(self);
    H2Stream* s = c->find(stream_id);
    if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    std::size_t avail = s->out_.size() - s->out_pos_;
    std::size_t n = std::min(avail, length);
    if (n > 0) {
        std::memcpy(buf, s->out_.data() + s->out_pos_, n);
        s->out_pos_ += n;
        if (s->out_pos_ == s->out_.size()) {
            s->out_.clear();
            s->out_pos_ = 0;
        }
        s->out_event_.set();
    }
    if (s->out_eof_ && s->out_pos_ == s->out_.size()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return static_cast<ssize_t>(n);
    }
    if (n == 0) {
        s->deferred_ = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return static_cast<ssize_t>(n);
}

Task<> H2Connection::drain_timed() {
    if (writer_.buffer_size() <= writer_.get_write_buffer_limits().second) {  // drain() will not wait: no timer
        co_await writer_.drain();
        co_return;
    }
    auto drain = writer_.drain();
    auto guarded = aio::timeout(server_.opts.send_timeout, std::move(drain));
    bool late = false;
    try {
        co_await std::move(guarded);
    } catch (const aio::TimeoutError&) {
        late = true;
    }
    if (late)
        throw aio::TimeoutError("the client took no bytes for " + std::to_string(server_.opts.send_timeout.count()) +
                                " ms (send_timeout)");
}

Task<> H2Connection::write_loop() {
    try {
        while (true) {
            co_await want_write_.wait();
            want_write_.clear();
            // nghttp2 hands out a frame (or a frame's header) at a time:
            // gathered into one write per batch, not a send(2) per frame.
            while (true) {
                const std::uint8_t* data = nullptr;
                ssize_t n = nghttp2_session_mem_send(session_, &data);
                if (n < 0) throw aio::RuntimeError(std::string("nghttp2: ") + nghttp2_strerror(static_cast<int>(n)));
                if (n == 0) break;
                batch_.append(as_view(data, static_cast<std::size_t>(n)));
                if (batch_.size() >= kWriteHighWater) {
                    writer_.write(batch_);
                    batch_.clear();
                    if (writer_.buffer_size() >= kWriteHighWater) co_await drain_timed();
                }
            }
            if (!batch_.empty()) {
                writer_.write(batch_);
                batch_.clear();
            }
            co_await drain_timed();
            if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
                // GOAWAY exchanged and no stream left: the connection is done.
                finished_ = true;
                stop_run();
                co_return;
            }
        }
    } catch (const CancelledError&) {
        throw;
    } catch (const std::exception& e) {
        log_error(e.what());
    }
    failed_ = true;
    stop_run();
}

void H2Connection::stop_run() noexcept {
    // run() waits in reader_.fill(): the cancellation wakes it. It is taken
    // back when run() ends (a cancel that arrives while run()'s task is not
    // suspended stays pending, and would end the task cancelled).
    if (stopped_run_) return;
    stopped_run_ = true;
    task.cancel();
}

Task<> H2Connection::run() {
    task = current_task();
    writer_task_ = aio::create_task(write_loop());
    schedule_write();  // the server's SETTINGS
    bool cancelled = false;
    try {
        while (true) {
            std::string_view buf = reader_.buffered();
            if (!buf.empty()) {
                ssize_t r = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(buf.data()),
                                                     buf.size());
                if (r < 0) {
                    // nghttp2 queued a GOAWAY with the error where the protocol has one.
                    log_error(std::string("closing the connection: ") + nghttp2_strerror(static_cast<int>(r)));
                    break;
                }
                reader_.consume(buf.size());
                schedule_write();
                update_phase();
            }
            if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) break;
            bool more = co_await reader_.fill();
            if (!more) break;
        }
    } catch (const CancelledError&) {
        cancelled = true;
    } catch (const aio::OSError& e) {
        log_error(e.what());
        failed_ = true;
    }
    // An idle connection past its deadline, or a graceful shutdown: say so.
    if (cancelled && !finished_ && !failed_) going_away();

    // The streams' tasks end first (they use this connection), then the writer.
    tearing_down_ = true;
    std::vector<std::int32_t> ids;
    for (auto& [id, s] : streams_) ids.push_back(id);
    for (std::int32_t id : ids) {
        H2Stream* s = find(id);
        if (!s) continue;
        if (s->started_task_ && !s->task_done_) s->abandon();
        maybe_erase(id);
    }
    while (!streams_.empty()) {
        streams_gone_.clear();
        try {
            co_await streams_gone_.wait();
        } catch (const CancelledError&) {
            // Cancelled again (the runner's last step): the stream tasks
            // are cancelled already and end soon; they use this object.
        }
    }
    if (!failed_) {
        // What is left (a GOAWAY): written and flushed by close(), best effort.
        const std::uint8_t* data = nullptr;
        ssize_t n = 0;
        while ((n = nghttp2_session_mem_send(session_, &data)) > 0)
            writer_.write(as_view(data, static_cast<std::size_t>(n)));
    }
    if (writer_task_.valid() && !writer_task_.done()) {
        writer_task_.cancel();
        while (!writer_task_.done()) {
            try {
                co_await aio::sleep(std::chrono::seconds(0));
            } catch (const CancelledError&) {
            }
        }
    }
    if (stopped_run_) task.uncancel();
    // A client that stalled past send_timeout (or reset) gets nothing more:
    // closing would hold the descriptor until it read the rest.
    if (failed_) {
        writer_.abort();
    } else if (linger_ && !server_.shutting_down) {
        phase = Phase::handling;  // bounded by lingering_time, not by the idle sweeper
        co_await close_lingering(reader_, writer_);
    } else {
        writer_.close();
    }
}

// ---------------------------------------------------------------------------
// H2Stream

H2Stream::H2Stream(H2Connection& conn, std::int32_t id) : Exchange(conn.server(), conn.tls()), conn_(conn), id_(id) {
    req_.version = http::HttpVersion20;
    head_ = &req_;
}

H2Stream::~H2Stream() = default;

SocketAddress H2Stream::peername() const { return conn_.writer().peername(); }
SocketAddress H2Stream::sockname() const { return conn_.writer().sockname(); }

void H2Stream::throw_reset() const {
    throw aio::ConnectionResetError(ECONNRESET,
                                    "the client reset HTTP/2 stream " + std::to_string(id_) + " (" +
                                        nghttp2_http2_strerror(close_code_) + ")",
                                    "");
}

void H2Stream::body_consume(std::size_t n) noexcept {
    Exchange::body_consume(n);
    n = std::min(n, unconsumed_);
    unconsumed_ -= n;
    if (!closed_ && n > 0) {
        nghttp2_session_consume_stream(conn_.session(), id_, n);
        conn_.schedule_write();  // the WINDOW_UPDATE
    }
}

Task<bool> H2Stream::pull() {
    reading_body_ = true;
    while (true) {
        if (body_pos_ < body_buf_.size()) co_return true;
        if (message_done_) co_return false;
        if (closed_) throw_reset();
        body_event_.clear();
        bool in_time = co_await wait_event_for(body_event_, state_.opts.body_timeout);
        if (!in_time) {
            log_error("no request body bytes for " + std::to_string(state_.opts.body_timeout.count()) +
                      " ms (body_timeout)");
            throw HTTPRequestTimeout({.text = "408: Request Timeout\n\nthe request body did not arrive in time\n"});
        }
    }
}

void H2Stream::abandon() noexcept {
    if (task_.valid()) task_.cancel();
    // A task cancelled before its first step never runs its body (see
    // docs/cancellation.md), so it would never free its stream: it is done.
    if (!running_) task_done_ = true;
}

Task<> H2Stream::serve(H2Connection* conn, std::int32_t id) {
    H2Stream* s = conn->find(id);
    s->running_ = true;
    ServerState& server = conn->server();
    ++server.in_flight;
    try {
        co_await s->exchange();
    } catch (const CancelledError&) {
        // The client reset the stream, or the connection is closing.
    } catch (const aio::OSError&) {
        // The client reset the stream while its response was written.
    } catch (...) {
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler({"Error in an HTTP/2 stream", std::current_exception(), {}});
    }
    --server.in_flight;
    // Body bytes received and never read: their window is given back.
    if (s->unconsumed_ > 0 && !s->closed_) {
        nghttp2_session_consume_stream(conn->session(), id, s->unconsumed_);
        s->unconsumed_ = 0;
        conn->schedule_write();
    }
    Task<> self = std::move(s->task_);  // dropped when this frame ends; the task runs to its end
    s->task_done_ = true;
    conn->maybe_erase(id);  // frees s when nghttp2 is done with the stream
}

void H2Stream::reset_after_failure(const char* context, std::exception_ptr failure) {
    if (auto* loop = running_loop_or_null()) loop->call_exception_handler({context, std::move(failure), {}});
    nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
    conn_.schedule_write();
}

Task<> H2Stream::exchange() {
    started_ = std::chrono::steady_clock::now();
    request_->reset();
    if (headers_too_large_) {
        answer_error(431, "the request's header fields are too large");
    } else if (!parse_target(req_.path)) {
        answer_error(400, "the path is not valid UTF-8 once decoded");
    } else {
        // Handlers read Host; HTTP/2 carries it as :authority (RFC 9113 §8.3.1).
        if (!authority_.empty() && !req_.headers.contains("Host")) req_.headers.add("Host", authority_);
        StreamResponse resp;
        std::exception_ptr failure;
        try {
            resp = co_await state_.app->handle(*request_);
        } catch (const HTTPException& e) {
            resp = e.response();
        } catch (const http::HttpProcessingError& e) {
            resp = Response({.status = e.status(), .text = std::to_string(e.status()) + ": " + e.message()});
        } catch (const CancelledError&) {
            throw;
        } catch (...) {
            if (closed_) throw;  // a write to a reset stream: the client is gone
            failure = std::current_exception();
        }
        if (failure) {
            if (submitted_) {  // a head (and maybe part of a body) is out
                reset_after_failure("Error handling request", failure);
                co_return;
            }
            if (auto* loop = running_loop_or_null())
                loop->call_exception_handler({"Error handling request", failure, {}});
            resp = Response({.status = 500, .text = "500 Internal Server Error\n\nServer got itself in trouble"});
        }
        // Sending can fail after the head is out (a file that shrank or
        // could not be read while it was being sent).
        std::exception_ptr send_failure;
        try {
            co_await send_response(resp);
        } catch (const CancelledError&) {
            throw;
        } catch (...) {
            if (closed_) throw;  // a write to a reset stream: the client is gone
            send_failure = std::current_exception();
        }
        if (send_failure) {
            reset_after_failure("Error sending a response", send_failure);
            co_return;
        }
    }
    // Until nghttp2 has sent the whole response: each step of progress
    // within send_timeout, or the stream is reset (a client that never
    // opens its window holds nothing for long). Most responses are out once
    // the writer task has had its turn: one yield first spares them a timer.
    if (!response_sent_ && !closed_) co_await aio::sleep(std::chrono::seconds(0));
    while (!response_sent_ && !closed_) {
        out_event_.clear();
        bool progressed = co_await wait_event_for(out_event_, state_.opts.send_timeout);
        if (!progressed && !response_sent_ && !closed_) {
            log_error("stream " + std::to_string(id_) + ": the client took no response bytes for " +
                      std::to_string(state_.opts.send_timeout.count()) + " ms (send_timeout)");
            nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
            conn_.schedule_write();
            break;
        }
    }
}

void H2Stream::answer_error(int status, std::string_view message) {
    std::string body = std::to_string(status) + ": " + std::string(http::reason_phrase(status)) + "\n\n" +
                       std::string(message) + "\n";
    http::Headers h;
    h.add("Content-Type", "text/plain; charset=utf-8");
    submit_head(status, h, body.size(), true);
    out_ = std::move(body);
    out_eof_ = true;
    log_access(status, out_.size());
}

void H2Stream::submit_head(int status, const http::Headers& headers, std::optional<std::uint64_t> length,
                           bool with_body) {
    if (status < 200 || status > 999) throw aio::ValueError("status out of range for HTTP/2: " + std::to_string(status));
    // Names go out in lower case (RFC 9113 §8.2.1), written into the
    // connection's scratch buffer (reserved first: the name/value pairs
    // point into it) and copied by nghttp2 at submission: no allocation per
    // header once the buffers have grown.
    std::string& lower = conn_.names_scratch_;
    std::vector<nghttp2_nv>& nva = conn_.nva_scratch_;
    lower.clear();
    nva.clear();
    std::size_t total = 0;
    for (auto [name, value] : headers) total += name.size();
    lower.reserve(total);
    char status_text[4];
    std::to_chars(status_text, status_text + 3, status);
    nva.push_back(make_nv(":status", std::string_view(status_text, 3)));
    bool has_date = false, has_server = false, has_type = false;
    for (auto [name, value] : headers) {
        std::size_t at = lower.size();
        for (char ch : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
        std::string_view n = std::string_view(lower).substr(at);
        if (connection_specific(n)) {
            lower.resize(at);
            continue;
        }
        if (n.empty() || n[0] == ':' ||
            !nghttp2_check_header_name(reinterpret_cast<const std::uint8_t*>(n.data()), n.size()))
            throw aio::ValueError("header name is not a token: " + std::string(name));
        if (!nghttp2_check_header_value(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()))
            throw aio::ValueError("control character in the value of header " + std::string(name));
        has_date |= n == "date";
        has_server |= n == "server";
        has_type |= n == "content-type";
        nva.push_back(make_nv(n, value));
    }
    char length_text[24];
    if (!has_type && with_body && length.value_or(1) > 0) nva.push_back(make_nv("content-type", "application/octet-stream"));
    if (length) {
        auto end = std::to_chars(length_text, length_text + sizeof length_text, *length).ptr;
        nva.push_back(make_nv("content-length", std::string_view(length_text, end - length_text)));
    }
    if (!has_date) {
        std::string_view line = date_header_line();  // "Date: ...\r\n", stable for this second
        nva.push_back(make_nv("date", line.substr(6, line.size() - 8)));
    }
    if (!has_server && !state_.opts.server_header.empty()) nva.push_back(make_nv("server", state_.opts.server_header));
    nghttp2_data_provider provider{};
    provider.read_callback = H2Connection::read_body;
    int rv = nghttp2_submit_response(conn_.session(), id_, nva.data(), nva.size(), with_body ? &provider : nullptr);
    if (rv != 0) {
        closed_ = true;
        throw_reset();
    }
    submitted_ = true;
    conn_.schedule_write();
}

Task<> H2Stream::wait_output_below(std::size_t limit) {
    while (out_.size() - out_pos_ > limit && !closed_) {
        out_event_.clear();
        bool progressed = co_await wait_event_for(out_event_, state_.opts.send_timeout);
        if (!progressed && !closed_) {
            nghttp2_submit_rst_stream(conn_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
            conn_.schedule_write();
            throw aio::TimeoutError("the client took no bytes of stream " + std::to_string(id_) + " for " +
                                    std::to_string(state_.opts.send_timeout.count()) + " ms (send_timeout)");
        }
    }
    if (closed_ && !response_sent_) throw_reset();
}

Task<> H2Stream::queue_body(std::string_view data, bool last) {
    if (closed_) throw_reset();
    out_.append(data);
    if (last) out_eof_ = true;
    if (deferred_) {
        deferred_ = false;
        nghttp2_session_resume_data(conn_.session(), id_);
    }
    conn_.schedule_write();
    co_await wait_output_below(kStreamOutputLimit);
}

Task<> H2Stream::send_response(StreamResponse& resp) {
    if (resp.prepared()) {
        StreamState& st = *resp.stream_;
        if (!st.eof) co_await write_stream(st, {}, true);
        log_access(resp.status(), st.body_bytes);
        co_return;
    }
    if (resp.kind() == StreamResponse::Kind::file) {
        co_await send_file(resp);
        co_return;
    }
    int status = resp.status();
    bool head_only = req_.method == "HEAD" || status < 200 || status == 204 || status == 304;
    std::string compressed;
    const std::string* body = &outgoing_body(resp, !head_only, compressed);
    std::optional<std::uint64_t> length;
    if (status >= 200 && status != 204 && status != 304) length = body->size();
    bool with_body = !head_only && !body->empty();
    try {
        submit_head(status, resp.headers_, length, with_body);
    } catch (const aio::ValueError&) {
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler({"Bad response header", std::current_exception(), {}});
        answer_error(500, "the handler returned a malformed response");
        co_return;
    }
    if (with_body) {
        out_ = body == &compressed ? std::move(compressed) : std::move(resp.body_);
        out_eof_ = true;
        conn_.schedule_write();
    }
    log_access(status, with_body ? out_.size() : 0);
}

Task<> H2Stream::send_file(StreamResponse& resp) {
    FilePlan plan = co_await plan_file(resp);
    if (plan.instead) {
        co_await send_response(*plan.instead);
        co_return;
    }
    bool with_body = !plan.head_only && plan.count > 0;
    submit_head(plan.status, resp.headers_, plan.count, with_body);
    log_access(plan.status, with_body ? plan.count : 0);
    std::uint64_t offset = plan.offset, count = plan.count;
    while (with_body && count > 0) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(count, resp.chunk_size_));
        std::string chunk = co_await read_file_piece(plan.opened, offset, n);
        offset += chunk.size();
        count -= chunk.size();
        co_await queue_body(chunk, count == 0);
    }
}

Task<> H2Stream::prepare_stream(StreamResponse& resp, StreamState& st) {
    st.conn = this;
    int status = resp.status();
    st.head_only = req_.method == "HEAD" || status < 200 || status == 204 || status == 304;
    std::optional<std::uint64_t> length = resp.content_length();
    start_coding(resp, st, length);
    submit_head(status, resp.headers_, length, !st.head_only);
    if (st.head_only) st.eof = true;
    co_return;
}

Task<> H2Stream::write_stream(StreamState& st, std::string_view data, bool last) {
    if (st.eof) {
        if (st.head_only) co_return;  // HEAD, 204, 304: the head was the whole response
        throw aio::RuntimeError("write() after write_eof()");
    }
    std::string encoded;
    std::string_view payload = st.encode(data, last, encoded);
    st.body_bytes += payload.size();
    if (last) st.eof = true;
    co_await queue_body(payload, last);
}

}  // namespace aio::web::detail
