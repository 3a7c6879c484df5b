// One open WebSocket, after its handshake: the state machine that sends,
// receives, pings and closes over a stream pair. Both ends share it; the
// public WebSocketBase holds a shared pointer to it.
#pragma once

#include <aio/http/websocket.hpp>
#include <aio/locks.hpp>
#include <aio/streams.hpp>

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "http/websocket/codec.hpp"

namespace aio::http::detail {

struct WebSocketSettings {
    using Seconds = std::chrono::duration<double>;
    bool client_side = false;
    std::optional<Seconds> close_timeout = std::chrono::seconds(10);
    std::optional<Seconds> receive_timeout{};
    bool autoclose = true;
    bool autoping = true;
    std::optional<Seconds> heartbeat{};
    std::uint64_t max_msg_size = 4 * 1024 * 1024;
    std::optional<ws::DeflateParams> deflate{};
    std::string protocol{};
};

/// Lifetime: owned by shared pointers — the public object and the server's
/// connection. Whoever calls receive(), close() or complete_close() holds
/// one for the call (WebSocketBase copies its pointer into the call's frame);
/// a send's wait for room holds one too, and the heartbeat task only a weak
/// pointer between its waits. The reader and writer share the
/// connection with whoever made them (the server's HTTP connection), so the
/// session never refers to its maker.
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
public:
    using Seconds = WebSocketSettings::Seconds;

    WebSocketSession(StreamReader reader, StreamWriter writer, WebSocketSettings settings);
    ~WebSocketSession();
    /// Starts the heartbeat task when one is configured (needs shared_from_this).
    void start();

    /// Writes one frame now; the Task waits for room in the send buffer.
    Task<> send(WSMsgType type, std::string_view payload, bool compress);
    Task<bool> close(int code, std::string_view message);
    Task<WSMessage> receive(std::optional<Seconds> timeout);
    /// Sends the close frame if not sent yet and finishes the handshake:
    /// waits (at most the close timeout) for the peer's close frame, then
    /// closes the connection. For whoever must end a session it did not
    /// open (the server, after a handler returns).
    Task<> complete_close(int code, std::string_view message);
    /// Sends a 1001 close frame now; the handshake finishes in receive().
    void going_away() noexcept;
    /// Closes the connection at once, without a close frame.
    void abort() noexcept;

    bool closed() const noexcept { return closed_; }
    std::optional<int> close_code() const noexcept { return close_code_; }
    std::exception_ptr exception() const noexcept { return exception_; }
    const WebSocketSettings& settings() const noexcept { return settings_; }

private:
    /// The next message off the wire (no autoping/autoclose handling); CLOSED at EOF.
    Task<WSMessage> next_frame();
    /// Sends the close frame (once). Throws nothing; a failed write marks the connection gone.
    void send_close_frame(int code, std::string_view message) noexcept;
    /// Closes the transport and marks the session closed.
    void finish(std::optional<int> code) noexcept;
    Task<WSMessage> receive_inner();
    /// Reads (dropping data messages) until the peer's close frame or the end.
    Task<> read_until_close();
    Task<> wait_peer_closed();
    static Task<> heartbeat_loop(std::weak_ptr<WebSocketSession> weak, Seconds period);

    StreamReader reader_;
    StreamWriter writer_;
    WebSocketSettings settings_;
    ws::FrameReader frames_in_;
    ws::FrameWriter frames_out_;
    std::deque<WSMessage> pending_;
    std::string scratch_;

    bool receiving_ = false;
    bool close_sent_ = false;
    bool close_received_ = false;
    bool closed_ = false;
    std::optional<int> close_code_;
    std::exception_ptr exception_;
    /// Set when the peer's close frame arrives or the connection ends (close() waits on it).
    aio::Event peer_closed_;
    /// When a frame last arrived (the heartbeat measures silence from it).
    std::chrono::steady_clock::time_point last_received_;
    Task<> heartbeat_;
};

}  // namespace aio::http::detail
