// The WebSocket state machine both ends share, and WebSocketBase's methods.
#include "http/websocket/session.hpp"

#include <aio/sleep.hpp>
#include <aio/timeouts.hpp>

#include <cerrno>

namespace aio::http::detail {

namespace {

using SteadyClock = std::chrono::steady_clock;

Task<> ws_raise(std::exception_ptr e) {
    std::rethrow_exception(e);
    co_return;
}

Task<> ws_drain([[maybe_unused]] std::shared_ptr<WebSocketSession> keep, StreamWriter& writer) {
    co_await writer.drain();
}

WSMessage ws_closed_message() { return WSMessage{.type = WSMsgType::CLOSED}; }

}  // namespace

WebSocketSession::WebSocketSession(StreamReader reader, StreamWriter writer, WebSocketSettings settings)
    : reader_(std::move(reader)),
      writer_(std::move(writer)),
      settings_(std::move(settings)),
      frames_in_(ws::ReaderOptions{.server_side = !settings_.client_side,
                                   .max_msg_size = settings_.max_msg_size,
                                   .deflate = settings_.deflate}),
      frames_out_(ws::WriterOptions{.client_side = settings_.client_side, .deflate = settings_.deflate}),
      last_received_(SteadyClock::now()) {}

WebSocketSession::~WebSocketSession() {
    if (heartbeat_.valid() && !heartbeat_.done()) heartbeat_.cancel();
    if (!closed_) {
        closed_ = true;
        try {
            writer_.close();
        } catch (...) {
        }
    }
}

void WebSocketSession::start() {
    if (settings_.heartbeat && settings_.heartbeat->count() > 0)
        heartbeat_ = aio::create_task(heartbeat_loop(weak_from_this(), *settings_.heartbeat));
}

void WebSocketSession::finish(std::optional<int> code) noexcept {
    if (closed_) return;
    closed_ = true;
    if (!close_code_) close_code_ = code;
    peer_closed_.set();
    try {
        writer_.close();  // after what is buffered (the close frame) has gone
    } catch (...) {
    }
}

void WebSocketSession::abort() noexcept { finish(static_cast<int>(WSCloseCode::ABNORMAL_CLOSURE)); }

void WebSocketSession::send_close_frame(int code, std::string_view message) noexcept {
    if (close_sent_ || closed_) return;
    close_sent_ = true;
    try {
        scratch_.clear();
        frames_out_.close(scratch_, static_cast<std::uint16_t>(code), message);
        writer_.write(scratch_);
    } catch (...) {
        // The transport is gone; finish() follows.
    }
}

Task<> WebSocketSession::send(WSMsgType type, std::string_view payload, bool compress) {
    if (closed_ || close_sent_)
        return ws_raise(std::make_exception_ptr(aio::ConnectionResetError(ECONNRESET, "Cannot write to closing transport", "")));
    try {
        scratch_.clear();
        frames_out_.message(scratch_, type, payload, compress);
        writer_.write(scratch_);
    } catch (...) {
        return ws_raise(std::current_exception());
    }
    return ws_drain(shared_from_this(), writer_);
}

Task<WSMessage> WebSocketSession::next_frame() {
    while (pending_.empty()) {
        if (closed_) co_return ws_closed_message();
        std::string_view buf = reader_.buffered();
        if (!buf.empty()) {
            std::exception_ptr bad;
            try {
                frames_in_.feed(buf, pending_);
            } catch (const WebSocketError& e) {
                bad = std::current_exception();
                close_code_ = static_cast<int>(e.code());
            }
            reader_.consume(buf.size());
            last_received_ = SteadyClock::now();
            if (bad) {
                // The peer broke the protocol: say why and hang up (RFC 6455
                // 7.1.7: no need to wait for its close frame).
                exception_ = bad;
                send_close_frame(*close_code_, "");
                finish(*close_code_);
                co_return WSMessage{.type = WSMsgType::ERROR, .error = bad};
            }
            if (!pending_.empty()) break;
        }
        bool more = false;
        std::exception_ptr lost;
        try {
            more = co_await reader_.fill();
        } catch (const aio::CancelledError&) {
            throw;
        } catch (...) {
            lost = std::current_exception();
        }
        if (lost) {
            if (closed_) co_return ws_closed_message();
            exception_ = lost;
            finish(static_cast<int>(WSCloseCode::ABNORMAL_CLOSURE));
            co_return WSMessage{.type = WSMsgType::ERROR, .error = lost};
        }
        if (!more) {
            finish(static_cast<int>(WSCloseCode::ABNORMAL_CLOSURE));
            co_return ws_closed_message();
        }
    }
    WSMessage msg = std::move(pending_.front());
    pending_.pop_front();
    co_return msg;
}

Task<WSMessage> WebSocketSession::receive_inner() {
    while (true) {
        WSMessage msg = co_await next_frame();
        switch (msg.type) {
            case WSMsgType::CLOSE: {
                close_received_ = true;
                close_code_ = msg.code;
                peer_closed_.set();
                if (close_sent_) {
                    finish(msg.code);
                } else if (settings_.autoclose) {
                    // Echo the peer's code (RFC 6455 5.5.1); none if it gave none.
                    send_close_frame(msg.code == 1005 ? 0 : msg.code, "");
                    finish(msg.code);
                }
                co_return msg;
            }
            case WSMsgType::PING:
                if (settings_.autoping) {
                    bool wrote = false;
                    if (!close_sent_ && !closed_) {
                        try {
                            scratch_.clear();
                            frames_out_.message(scratch_, WSMsgType::PONG, msg.data, false);
                            writer_.write(scratch_);
                            wrote = true;
                        } catch (...) {
                        }
                    }
                    // A peer that pings and never reads must not fill this
                    // side's memory with pongs: wait for room before reading on.
                    std::exception_ptr gone;
                    if (wrote) {
                        try {
                            co_await writer_.drain();
                        } catch (const aio::CancelledError&) {
                            throw;
                        } catch (...) {
                            gone = std::current_exception();
                        }
                    }
                    if (gone && !closed_) {
                        exception_ = gone;
                        finish(static_cast<int>(WSCloseCode::ABNORMAL_CLOSURE));
                        co_return WSMessage{.type = WSMsgType::ERROR, .error = gone};
                    }
                    continue;
                }
                co_return msg;
            case WSMsgType::PONG:
                if (settings_.autoping) continue;
                co_return msg;
            default: co_return msg;
        }
    }
}

Task<WSMessage> WebSocketSession::receive(std::optional<Seconds> timeout) {
    if (closed_) co_return ws_closed_message();
    if (receiving_) {
        // close() is reading for the peer's close frame: say so.
        if (close_sent_) co_return WSMessage{.type = WSMsgType::CLOSING};
        throw aio::RuntimeError("Concurrent call to receive() is not allowed");
    }
    // After this side's close frame, messages the peer sent before its own
    // close frame are still delivered, then its CLOSE.
    receiving_ = true;
    struct Reset {
        bool& flag;
        ~Reset() { flag = false; }
    } reset{receiving_};
    if (!timeout) timeout = settings_.receive_timeout;
    if (!timeout) {
        WSMessage m = co_await receive_inner();
        co_return m;
    }
    auto bounded = aio::timeout(*timeout, receive_inner());
    WSMessage m = co_await std::move(bounded);
    co_return m;
}

Task<bool> WebSocketSession::close(int code, std::string_view message) {
    // The range first: a code past 16 bits must not wrap into a valid one (66536 into 1000).
    if (code < 0 || code > 0xFFFF || (code != 0 && !ws::valid_close_code(static_cast<std::uint16_t>(code))))
        throw aio::ValueError("invalid close code " + std::to_string(code) +
                              " (one of 1000-1003, 1007-1014, 3000-4999)");
    if (message.size() > 123) throw aio::ValueError("a close message is at most 123 bytes");
    // Refused here, not when the frame is written: a close frame that cannot
    // be sent would leave close() waiting its whole timeout for an answer.
    if (code == 0 && !message.empty()) throw aio::ValueError("a close message needs a close code (code 0 sends none)");
    if (!ws::valid_utf8(message)) throw aio::ValueError("the close message is not valid UTF-8");
    if (closed_ || close_sent_) co_return false;
    co_await complete_close(code, message);
    co_return true;
}

void WebSocketSession::going_away() noexcept {
    send_close_frame(static_cast<int>(WSCloseCode::GOING_AWAY), "server shutdown");
}

Task<> WebSocketSession::complete_close(int code, std::string_view message) {
    send_close_frame(code, message);
    if (closed_) co_return;
    if (close_received_) {
        finish(close_code_);
        co_return;
    }
    std::optional<Seconds> limit = settings_.close_timeout;
    bool late = false;
    try {
        if (receiving_) {
            // A receive() runs: it will see the peer's close frame.
            if (limit) {
                auto wait = aio::timeout(*limit, wait_peer_closed());
                co_await std::move(wait);
            } else {
                co_await wait_peer_closed();
            }
        } else {
            receiving_ = true;
            struct Reset {
                bool& flag;
                ~Reset() { flag = false; }
            } reset{receiving_};
            if (limit) {
                auto wait = aio::timeout(*limit, read_until_close());
                co_await std::move(wait);
            } else {
                co_await read_until_close();
            }
        }
    } catch (const aio::TimeoutError&) {
        late = true;
    }
    if (late && !close_received_) close_code_ = static_cast<int>(WSCloseCode::ABNORMAL_CLOSURE);
    finish(close_code_ ? close_code_ : std::optional<int>(code));
}

Task<> WebSocketSession::read_until_close() {
    while (!closed_) {
        WSMessage m = co_await next_frame();
        if (m.type == WSMsgType::CLOSE) {
            close_received_ = true;
            close_code_ = m.code;
            break;
        }
        if (m.type == WSMsgType::CLOSED || m.type == WSMsgType::ERROR) break;
    }
}

Task<> WebSocketSession::wait_peer_closed() { co_await peer_closed_.wait(); }

Task<> WebSocketSession::heartbeat_loop(std::weak_ptr<WebSocketSession> weak, Seconds period) {
    using D = std::chrono::duration<double>;
    while (true) {
        SteadyClock::time_point due;
        {
            auto s = weak.lock();
            if (!s || s->closed_ || s->close_sent_) co_return;
            due = aio::detail::add_saturating(s->last_received_, aio::detail::to_clock_duration(period));  // heartbeat=inf: never
        }
        auto now = SteadyClock::now();
        if (now < due) {
            co_await aio::sleep(D(due - now));
            continue;
        }
        {
            auto s = weak.lock();
            if (!s || s->closed_ || s->close_sent_) co_return;
            try {
                s->scratch_.clear();
                s->frames_out_.message(s->scratch_, WSMsgType::PING, {}, false);
                s->writer_.write(s->scratch_);
            } catch (...) {
            }
        }
        co_await aio::sleep(D(period / 2));
        auto s = weak.lock();
        if (!s || s->closed_) co_return;
        if (s->last_received_ >= now) continue;
        s->exception_ = std::make_exception_ptr(aio::TimeoutError(
            "no PONG within " + std::to_string(period.count() / 2) + " s of a heartbeat PING"));
        s->close_code_ = static_cast<int>(WSCloseCode::ABNORMAL_CLOSURE);
        s->finish(s->close_code_);
        co_return;
    }
}

}  // namespace aio::http::detail

namespace aio::http {

using detail::WebSocketSession;

namespace {
const std::string kWsNoProtocol;

Task<> ws_closed_send() {
    throw aio::ConnectionResetError(ECONNRESET, "Cannot write to closing transport", "");
    co_return;
}

Task<> ws_fail(std::exception_ptr e) {
    std::rethrow_exception(e);
    co_return;
}
}  // namespace

WebSocketBase::WebSocketBase() noexcept = default;
WebSocketBase::WebSocketBase(std::shared_ptr<WebSocketSession> s) noexcept : s_(std::move(s)) {}
WebSocketBase::WebSocketBase(WebSocketBase&&) noexcept = default;
WebSocketBase& WebSocketBase::operator=(WebSocketBase&&) noexcept = default;
WebSocketBase::~WebSocketBase() = default;

Task<> WebSocketBase::send_str(std::string_view data) {
    if (!s_) return ws_closed_send();
    return send_str(data, true);
}
Task<> WebSocketBase::send_str(std::string_view data, bool compress) {
    if (!s_) return ws_closed_send();
    if (!ws::valid_utf8(data)) {
        auto e = std::make_exception_ptr(aio::ValueError("send_str: the text is not valid UTF-8"));
        return ws_fail(e);
    }
    return s_->send(WSMsgType::TEXT, data, compress);
}
Task<> WebSocketBase::send_bytes(std::string_view data) {
    if (!s_) return ws_closed_send();
    return s_->send(WSMsgType::BINARY, data, true);
}
Task<> WebSocketBase::send_bytes(std::string_view data, bool compress) {
    if (!s_) return ws_closed_send();
    return s_->send(WSMsgType::BINARY, data, compress);
}
Task<> WebSocketBase::send_json(const json::Value& data) {
    if (!s_) return ws_closed_send();
    std::string text = json::dumps(data);
    return s_->send(WSMsgType::TEXT, text, true);
}
Task<> WebSocketBase::ping(std::string_view payload) {
    if (!s_) return ws_closed_send();
    return s_->send(WSMsgType::PING, payload, false);
}
Task<> WebSocketBase::pong(std::string_view payload) {
    if (!s_) return ws_closed_send();
    return s_->send(WSMsgType::PONG, payload, false);
}

Task<bool> WebSocketBase::close() { return close(static_cast<int>(WSCloseCode::OK), {}); }
Task<bool> WebSocketBase::close(WSCloseCode code, std::string_view message) {
    return close(static_cast<int>(code), message);
}
Task<bool> WebSocketBase::close(int code, std::string_view message) {
    auto s = s_;
    if (!s) co_return false;
    std::string copy(message);  // the caller's view need not outlive the handshake
    bool done = co_await s->close(code, copy);
    co_return done;
}

Task<WSMessage> WebSocketBase::receive() {
    auto s = s_;
    if (!s) co_return WSMessage{.type = WSMsgType::CLOSED};
    WSMessage m = co_await s->receive(std::nullopt);
    co_return m;
}
Task<WSMessage> WebSocketBase::receive(Seconds timeout) {
    auto s = s_;
    if (!s) co_return WSMessage{.type = WSMsgType::CLOSED};
    WSMessage m = co_await s->receive(timeout);
    co_return m;
}

namespace {
[[noreturn]] void ws_wrong_type(const WSMessage& m, std::string_view want) {
    if (m.type == WSMsgType::ERROR && m.error) std::rethrow_exception(m.error);
    throw aio::TypeError("Received message " + std::string(to_string(m.type)) + " is not " + std::string(want));
}
}  // namespace

Task<std::string> WebSocketBase::receive_str() {
    WSMessage m = co_await receive();
    if (m.type != WSMsgType::TEXT) ws_wrong_type(m, "TEXT");
    co_return std::move(m.data);
}
Task<std::string> WebSocketBase::receive_bytes() {
    WSMessage m = co_await receive();
    if (m.type != WSMsgType::BINARY) ws_wrong_type(m, "BINARY");
    co_return std::move(m.data);
}
Task<json::Value> WebSocketBase::receive_json() {
    WSMessage m = co_await receive();
    if (m.type != WSMsgType::TEXT && m.type != WSMsgType::BINARY) ws_wrong_type(m, "TEXT");
    co_return json::loads(m.data);
}

AsyncGenerator<WSMessage> WebSocketBase::messages() {
    auto s = s_;
    if (!s) co_return;
    while (true) {
        WSMessage m = co_await s->receive(std::nullopt);
        if (m.type == WSMsgType::CLOSE || m.type == WSMsgType::CLOSING || m.type == WSMsgType::CLOSED) co_return;
        bool last = m.type == WSMsgType::ERROR;
        co_yield std::move(m);
        if (last) co_return;
    }
}

bool WebSocketBase::closed() const noexcept { return !s_ || s_->closed(); }
std::optional<int> WebSocketBase::close_code() const noexcept { return s_ ? s_->close_code() : std::nullopt; }
std::exception_ptr WebSocketBase::exception() const noexcept { return s_ ? s_->exception() : nullptr; }
const std::string& WebSocketBase::protocol() const noexcept { return s_ ? s_->settings().protocol : kWsNoProtocol; }
int WebSocketBase::compress() const noexcept {
    if (!s_ || !s_->settings().deflate) return 0;
    const auto& d = *s_->settings().deflate;
    return s_->settings().client_side ? d.client_max_window_bits : d.server_max_window_bits;
}

}  // namespace aio::http
