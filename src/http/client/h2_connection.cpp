// The client's HTTP/2 connection over nghttp2 (see h2_connection.hpp).
#include "http/client/h2_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <aio/events.hpp>
#include <aio/http/errors.hpp>

#include <algorithm>
#include <cstring>

namespace aio::http::detail {

namespace {

/// Output taken from nghttp2 before the writer drains: large enough for a
/// few full frames, small enough that a stalled server holds little.
constexpr std::size_t kWriteChunk = 64 * 1024;

H2Stream* stream_of(nghttp2_session* session, std::int32_t id) {
    return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session, id));
}

}  // namespace

std::string h2_code_name(std::uint32_t code) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", code);
    return std::string(nghttp2_http2_strerror(code)) + " (" + hex + ")";
}

std::exception_ptr h2_stream_error(const H2Stream& s, const std::string& url, bool before_head) {
    std::string id = std::to_string(s.id);
    if (!s.local_error.empty())
        return std::make_exception_ptr(ClientHttp2StreamError(
            "HTTP/2 stream " + id + ": " + s.local_error + "; aio reset the stream, url=" + url, url,
            NGHTTP2_INTERNAL_ERROR, s.id));
    if (s.conn_error) return s.conn_error;
    if (s.error_code != NGHTTP2_NO_ERROR)
        return std::make_exception_ptr(ClientHttp2StreamError(
            "HTTP/2 stream " + id + " was reset: " + h2_code_name(s.error_code) + ", url=" + url, url, s.error_code,
            s.id));
    if (before_head)
        return std::make_exception_ptr(ServerDisconnectedError(
            "Server disconnected: HTTP/2 stream " + id + " closed without a response, url=" + url, url));
    return std::make_exception_ptr(ClientPayloadError(
        "Response payload is not completed: HTTP/2 stream " + id + " closed before its end, url=" + url, url));
}

Task<> wait_h2_event(aio::Event& e) { co_await e.wait(); }

/// nghttp2's callbacks, with the connection as user data.
struct H2Connection::Callbacks {
    static H2Connection& conn(void* ud) { return *static_cast<H2Connection*>(ud); }

    static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*) { return 0; }

    static int on_begin_frame(nghttp2_session* session, const nghttp2_frame_hd* hd, void* ud) {
        H2Connection& c = conn(ud);
        c.window_check_.frame_begins(session, *hd, c.streams_);
        return 0;
    }

    static int on_header(nghttp2_session* session, const nghttp2_frame* frame, const std::uint8_t* name,
                         std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                         void*) {
        if (frame->hd.type != NGHTTP2_HEADERS) return 0;
        H2Stream* s = stream_of(session, frame->hd.stream_id);
        if (!s) return 0;
        // RFC 9113 6.5.2: each field counts its name, value and 32 bytes.
        s->header_bytes += namelen + valuelen + 32;
        if (s->header_bytes > kMaxHeaderList) {
            if (s->local_error.empty())
                s->local_error = "the response's header list is larger than " + std::to_string(kMaxHeaderList) +
                                 " bytes";
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
        }
        std::string_view n(reinterpret_cast<const char*>(name), namelen);
        std::string_view v(reinterpret_cast<const char*>(value), valuelen);
        if (n == ":status") {
            int st = 0;
            for (char c : v) st = st * 10 + (c - '0');  // nghttp2 checked it: three digits
            s->status = st;
            return 0;
        }
        if (!n.empty() && n.front() == ':') return 0;
        if (s->head_done)
            s->trailers.add(n, v);
        else
            s->headers.add(n, v);
        return 0;
    }

    static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* ud) {
        H2Connection& c = conn(ud);
        switch (frame->hd.type) {
            case NGHTTP2_HEADERS: {
                H2Stream* s = stream_of(session, frame->hd.stream_id);
                if (!s) break;
                if (!s->head_done) {
                    if (s->status >= 100 && s->status < 200) {  // interim: the next block is the head
                        s->headers = Headers();
                        s->status = 0;
                        s->header_bytes = 0;
                    } else {
                        s->head_done = true;
                    }
                }
                if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->remote_done = true;
                s->changed.set();
                break;
            }
            case NGHTTP2_DATA: {
                H2Stream* s = stream_of(session, frame->hd.stream_id);
                if (!s) break;
                if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->remote_done = true;
                s->changed.set();
                break;
            }
            case NGHTTP2_GOAWAY:
                c.goaway_ = true;
                c.goaway_last_ = frame->goaway.last_stream_id;
                c.goaway_code_ = frame->goaway.error_code;
                c.changed();
                break;
            case NGHTTP2_SETTINGS:
                if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
                    c.window_check_.settings_applied(session);
                    c.settings_.set();
                    c.changed();
                }
                break;
            default:
                break;
        }
        return 0;
    }

    static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                             std::size_t len, void*) {
        H2Stream* s = stream_of(session, id);
        if (!s) return 0;
        if (s->released) {  // nobody reads it: the windows get it back at once
            nghttp2_session_consume(session, id, len);
            return 0;
        }
        s->data.append(reinterpret_cast<const char*>(data), len);
        s->changed.set();
        return 0;
    }

    static int on_stream_close(nghttp2_session* session, std::int32_t id, std::uint32_t code, void* ud) {
        H2Connection& c = conn(ud);
        H2Stream* s = stream_of(session, id);
        if (s) {
            s->closed = true;
            s->error_code = code;
            if ((code == NGHTTP2_REFUSED_STREAM && !s->head_done) || (c.goaway_ && id > c.goaway_last_))
                s->refused = true;
            s->changed.set();
            s->out_space.set();
        }
        c.streams_.erase(id);  // the response keeps its own reference
        c.changed();
        return 0;
    }

    static int on_error(nghttp2_session*, int, const char* msg, std::size_t len, void* ud) {
        H2Connection& c = conn(ud);
        if (c.protocol_detail_.empty()) c.protocol_detail_.assign(msg, len);
        return 0;
    }

    static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
        if (frame->hd.type == NGHTTP2_GOAWAY) {
            H2Connection& c = conn(ud);
            c.sent_goaway_ = true;
            c.sent_goaway_code_ = frame->goaway.error_code;
            // nghttp2 names the server's fault in the GOAWAY's debug data
            // ("SETTINGS: invalid SETTINGS_MAX_FRAME_SIZE") more often than
            // through the error callback.
            if (c.protocol_detail_.empty() && frame->goaway.opaque_data_len > 0)
                c.protocol_detail_.assign(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                                          frame->goaway.opaque_data_len);
        }
        return 0;
    }

    static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                             std::uint32_t* flags, nghttp2_data_source* source, void*) {
        auto* s = static_cast<H2Stream*>(source->ptr);
        std::size_t avail = s->out.size() - s->out_pos;
        if (avail == 0) {
            if (s->out_eof) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
                return 0;
            }
            s->deferred = true;
            return NGHTTP2_ERR_DEFERRED;
        }
        std::size_t n = std::min(length, avail);
        std::memcpy(buf, s->out.data() + s->out_pos, n);
        s->out_pos += n;
        if (s->out_pos == s->out.size()) {
            s->out.clear();
            s->out_pos = 0;
            if (s->out_eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
        }
        s->out_space.set();
        return static_cast<ssize_t>(n);
    }
};

H2Connection::H2Connection(StreamReader r, StreamWriter w, std::string k, std::string url)
    : key(std::move(k)), reader_(std::move(r)), writer_(std::move(w)), url_(std::move(url)) {
    std::any sock = writer_.get_extra_info("socket");
    if (auto* p = std::any_cast<int>(&sock)) fd = *p;
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0) throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Callbacks::on_begin_headers);
    nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, &Callbacks::on_begin_frame);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &Callbacks::on_frame_send);
    nghttp2_session_callbacks_set_error_callback2(cbs, &Callbacks::on_error);
    nghttp2_option* opt = nullptr;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        throw std::bad_alloc();
    }
    // Windows open as the reader takes bytes (consume), not as they arrive.
    nghttp2_option_set_no_auto_window_update(opt, 1);
    // Until the server's SETTINGS say otherwise (start() waits for them).
    nghttp2_option_set_peer_max_concurrent_streams(opt, 100);
    int rv = nghttp2_session_client_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) throw std::bad_alloc();
}

H2Connection::~H2Connection() {
    nghttp2_session_del(session_);
    try {
        writer_.close();
    } catch (...) {
    }
}

bool H2Connection::usable() const noexcept {
    // check_request_allowed is 0 from the moment nghttp2 queues its GOAWAY
    // for a protocol error of the server's (want_read stays 1 until that
    // GOAWAY is sent), and once the stream ids are spent.
    return !dead_ && !goaway_ && !closing_ && !sent_goaway_ && nghttp2_session_want_read(session_) != 0 &&
           nghttp2_session_check_request_allowed(session_) != 0;
}

std::size_t H2Connection::capacity() const noexcept {
    std::uint32_t remote = nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    return std::min<std::size_t>(remote, kMaxOwnStreams);
}

std::exception_ptr H2Connection::connection_error(std::string what, std::uint32_t code) const {
    return std::make_exception_ptr(
        ClientHttp2ConnectionError(std::move(what) + ", url=" + url_, url_, code, goaway_ ? goaway_last_ : -1));
}

std::exception_ptr H2Connection::socket_error(std::exception_ptr e) const {
    try {
        std::rethrow_exception(e);
    } catch (const aio::OSError& os) {
        return std::make_exception_ptr(ClientSocketError(os.errno_code(), os.what(), url_));
    } catch (...) {
        return std::make_exception_ptr(ServerDisconnectedError("Server disconnected, url=" + url_, url_));
    }
}

void H2Connection::changed() noexcept {
    if (change_pending_) return;
    auto* loop = running_loop_or_null();
    if (!loop) return;
    change_pending_ = true;
    try {
        loop->call_soon([w = weak_from_this()] {
            auto self = w.lock();
            if (!self) return;
            self->change_pending_ = false;
            if (self->on_change) self->on_change();
        });
    } catch (...) {
        change_pending_ = false;
    }
}

Task<> H2Connection::wait_event(aio::Event& e) { co_await e.wait(); }

Task<> H2Connection::start() {
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxPeerStreams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderList},
        // The protocol's smallest, which every server honours: frames stay
        // small so that streams interleave.
        {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 16384},
    };
    int rv = nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    if (rv == 0) rv = nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
    if (rv != 0) throw ClientHttp2ConnectionError(std::string("HTTP/2 setup failed: ") + nghttp2_strerror(rv), url_,
                                                  NGHTTP2_INTERNAL_ERROR, -1);
    auto self = shared_from_this();
    reader_task_.emplace(aio::create_task(read_loop(self)));
    writer_task_.emplace(aio::create_task(write_loop(self)));
    co_await wait_event(settings_);
    // A protocol error in the server's first frames (after its SETTINGS, in
    // the same read): nghttp2 takes no stream and has queued GOAWAY; the
    // writer sends it and ends the connection with that error (fail() sets
    // settings_ again).
    while (!dead_ && nghttp2_session_check_request_allowed(session_) == 0) {
        settings_.clear();
        co_await wait_event(settings_);
    }
    if (dead_) std::rethrow_exception(error_);
}

Task<> H2Connection::read_loop(std::shared_ptr<H2Connection> self) {
    std::exception_ptr err;
    try {
        while (!dead_) {
            reading_ = true;
            bool more = co_await reader_.fill();
            reading_ = false;
            if (dead_) break;
            if (!more) {
                if (goaway_)
                    err = connection_error("HTTP/2 connection closed after GOAWAY: " + h2_code_name(goaway_code_) +
                                               ", last stream " + std::to_string(goaway_last_),
                                           goaway_code_);
                else
                    err = std::make_exception_ptr(ServerDisconnectedError("Server disconnected, url=" + url_, url_));
                break;
            }
            std::string_view b = reader_.buffered();
            ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
            if (rv < 0) {
                err = connection_error(std::string("HTTP/2 protocol error: ") + nghttp2_strerror(static_cast<int>(rv)),
                                       NGHTTP2_PROTOCOL_ERROR);
                break;
            }
            reader_.consume(b.size());
            kick();
            if (!nghttp2_session_want_read(session_)) changed();  // no new streams here: the pool looks again
        }
    } catch (...) {
        reading_ = false;
        err = socket_error(std::current_exception());
    }
    reading_ = false;
    if (!err) err = error_;
    fail(err);
    close_socket();
    self.reset();  // the last statement: the connection may go with it
}

Task<> H2Connection::write_loop(std::shared_ptr<H2Connection> self) {
    std::exception_ptr err;
    try {
        while (!dead_) {
            want_write_.clear();
            while (!dead_) {
                const std::uint8_t* p = nullptr;
                ssize_t n = nghttp2_session_mem_send(session_, &p);
                if (n < 0) {
                    err = connection_error(std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(n)),
                                           NGHTTP2_INTERNAL_ERROR);
                    break;
                }
                if (n == 0) break;
                // nghttp2 hands out a frame (or a frame's header) at a time:
                // gathered into one write per batch, not a send(2) per frame.
                batch_.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
                if (batch_.size() >= kWriteChunk) {
                    writer_.write(batch_);
                    batch_.clear();
                    if (writer_.buffer_size() >= kWriteChunk) co_await writer_.drain();
                }
            }
            if (!batch_.empty()) {
                writer_.write(batch_);
                batch_.clear();
            }
            if (err || dead_) break;
            co_await writer_.drain();
            if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
                // Both sides are done: aio sent GOAWAY (a protocol error of the
                // server's), or the server's GOAWAY left no stream.
                if (sent_goaway_ && sent_goaway_code_ != NGHTTP2_NO_ERROR)
                    err = connection_error("HTTP/2 protocol error of the server's" +
                                               (protocol_detail_.empty() ? "" : " (" + protocol_detail_ + ")") +
                                               "; aio sent GOAWAY " + h2_code_name(sent_goaway_code_),
                                           sent_goaway_code_);
                else if (goaway_)
                    err = connection_error("HTTP/2 connection closed by GOAWAY: " + h2_code_name(goaway_code_) +
                                               ", last stream " + std::to_string(goaway_last_),
                                           goaway_code_);
                else
                    err = connection_error("HTTP/2 connection closed", NGHTTP2_NO_ERROR);
                break;
            }
            if (!want_write_.is_set()) co_await want_write_.wait();
        }
    } catch (...) {
        err = socket_error(std::current_exception());
    }
    if (err) fail(err);
    self.reset();  // the last statement: the connection may go with it
}

void H2Connection::close_socket() noexcept {
    try {
        writer_.close();
    } catch (...) {
    }
}

void H2Connection::fail(std::exception_ptr error) noexcept {
    if (dead_) return;
    dead_ = true;
    error_ = error;
    for (auto& [id, s] : streams_) {
        if (s->closed) continue;
        if (goaway_ && id > goaway_last_ && !s->head_done) s->refused = true;
        s->conn_error = error;
        s->changed.set();
        s->out_space.set();
    }
    streams_.clear();
    settings_.set();
    want_write_.set();
    // A read in flight is withdrawn by the close (the backend's forget_fd:
    // it can never take the bytes of a socket that reuses the number).
    if (reading_ && reader_task_) reader_task_->cancel();
    close_socket();
    changed();
}

std::shared_ptr<H2Stream> H2Connection::submit(const std::vector<std::pair<std::string, std::string>>& nva,
                                               bool has_body, const std::string& url) {
    if (!usable()) {
        if (error_) std::rethrow_exception(error_);
        throw ClientHttp2ConnectionError("HTTP/2 connection takes no new streams (GOAWAY), url=" + url, url,
                                         goaway_code_, goaway_last_);
    }
    std::vector<nghttp2_nv> nv;
    nv.reserve(nva.size());
    for (const auto& [n, v] : nva)
        nv.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                                reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                                NGHTTP2_NV_FLAG_NONE});
    auto s = std::make_shared<H2Stream>();
    s->conn = weak_from_this();
    nghttp2_data_provider prd;
    prd.source.ptr = s.get();
    prd.read_callback = &Callbacks::read_body;
    std::int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(), has_body ? &prd : nullptr, s.get());
    if (id < 0)
        throw ClientHttp2ConnectionError(std::string("HTTP/2 request not sent: ") + nghttp2_strerror(id) + ", url=" + url,
                                         url, NGHTTP2_INTERNAL_ERROR, -1);
    s->id = id;
    streams_.emplace(id, s);
    kick();
    return s;
}

Task<> H2Connection::write_body(std::shared_ptr<H2Stream> s, std::string bytes, std::string url) {
    while (true) {
        if (s->finished()) {
            if (s->head_done && !s->conn_error) co_return;  // the server answered already; the rest is not wanted
            if (s->conn_error) std::rethrow_exception(s->conn_error);
            throw ClientHttp2StreamError("HTTP/2 stream " + std::to_string(s->id) + " was reset by the server: " +
                                             h2_code_name(s->error_code) + ", url=" + url,
                                         url, s->error_code, s->id);
        }
        if (s->out.size() - s->out_pos < kBodyQueue) break;
        s->out_space.clear();
        co_await wait_event(s->out_space);
    }
    s->out.append(bytes);
    if (s->deferred && !dead_) {
        s->deferred = false;
        nghttp2_session_resume_data(session_, s->id);
    }
    kick();
}

void H2Connection::end_body(H2Stream& s) {
    s.out_eof = true;
    if (s.deferred && !dead_ && !s.closed) {
        s.deferred = false;
        nghttp2_session_resume_data(session_, s.id);
    }
    kick();
}

void H2Connection::consume(H2Stream& s, std::size_t n) noexcept {
    if (dead_ || n == 0) return;
    if (s.closed)
        nghttp2_session_consume_connection(session_, n);
    else
        nghttp2_session_consume(session_, s.id, n);
    kick();
}

void H2Connection::release(H2Stream& s) noexcept {
    if (s.released) return;
    s.released = true;
    std::size_t unread = s.data.size();
    s.data.clear();
    s.data.shrink_to_fit();
    if (dead_) return;
    consume(s, unread);
    if (!s.closed) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
    kick();
}

void H2Connection::close() noexcept {
    if (closing_) return;
    closing_ = true;
    if (!dead_) {
        // GOAWAY, written without waiting: a stalled server must not hold close() up.
        nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
        try {
            while (true) {
                const std::uint8_t* p = nullptr;
                ssize_t n = nghttp2_session_mem_send(session_, &p);
                if (n <= 0) break;
                writer_.write(std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)));
            }
        } catch (...) {
        }
    }
    fail(connection_error("HTTP/2 connection closed by the client", NGHTTP2_NO_ERROR));
}

Task<> H2Connection::wait_closed() {
    if (reader_task_) {
        try {
            co_await *reader_task_;
        } catch (...) {
        }
    }
    if (writer_task_) {
        try {
            co_await *writer_task_;
        } catch (...) {
        }
    }
    try {
        co_await writer_.wait_closed();
    } catch (...) {
    }
}

}  // namespace aio::http::detail
