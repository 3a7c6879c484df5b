// One HTTP/2 connection of the client: an nghttp2 client session driven by
// aio streams, and the streams of the requests it carries.
//
// Two tasks run per connection: the reader fills from the StreamReader and
// feeds nghttp2_session_mem_recv; the writer takes nghttp2_session_mem_send's
// output into the StreamWriter and drains it (so a slow server holds back
// what is queued, not memory). Request coroutines submit streams and push
// body bytes; response coroutines wait on their stream and take its data.
//
// Flow control is the reader's: windows are never opened automatically
// (nghttp2_option_set_no_auto_window_update); a stream's received bytes are
// consumed (nghttp2_session_consume) only as the response's reader takes
// them, so a stream holds at most its window (kStreamWindow) and a slow
// reader stops the server.
#pragma once

#include <aio/http/headers.hpp>
#include <aio/locks.hpp>
#include <aio/streams.hpp>
#include <aio/task.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <exception>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/h2_window_check.hpp"

namespace aio::http::detail {

class H2Connection;

/// The receive window of each stream: the most response bytes one stream
/// holds before its reader takes them. 256 KiB keeps a loopback or LAN
/// transfer at full speed while bounding memory per stream.
inline constexpr std::int32_t kStreamWindow = 256 * 1024;
/// The receive window of a connection: several streams' worth, so that one
/// slow reader does not stall the others right away.
inline constexpr std::int32_t kConnectionWindow = 4 * 1024 * 1024;
/// The largest response header list accepted (names and values, 32 bytes
/// each more as RFC 9113 counts): sent as SETTINGS_MAX_HEADER_LIST_SIZE and
/// enforced; a bigger list (an HPACK bomb) resets the stream.
inline constexpr std::uint32_t kMaxHeaderList = 256 * 1024;
/// Streams the server may open towards us: none (server push is refused
/// with SETTINGS_ENABLE_PUSH = 0); sent as SETTINGS_MAX_CONCURRENT_STREAMS.
inline constexpr std::uint32_t kMaxPeerStreams = 100;
/// The most streams aio opens on one connection, whatever the server allows.
inline constexpr std::uint32_t kMaxOwnStreams = 256;
/// Request body bytes queued per stream before the producer waits.
inline constexpr std::size_t kBodyQueue = 64 * 1024;

/// One request/response exchange on an H2Connection. Shared by the
/// connection (while nghttp2 has it open) and the response.
struct H2Stream {
    std::int32_t id = 0;
    std::weak_ptr<H2Connection> conn;

    // The response.
    int status = 0;
    Headers headers;
    Headers trailers;
    bool head_done = false;
    /// The header list so far (the size checked against kMaxHeaderList).
    std::size_t header_bytes = 0;
    /// Received body bytes not yet taken by the response.
    std::string data;
    /// Bytes taken but not yet given back to the windows.
    std::size_t to_consume = 0;
    /// The response gave the stream up: what still arrives is dropped.
    bool released = false;
    /// The server ended the stream (END_STREAM).
    bool remote_done = false;
    /// nghttp2 closed the stream.
    bool closed = false;
    /// RST_STREAM's code, or what nghttp2 closed it with (0: NO_ERROR).
    std::uint32_t error_code = 0;
    /// The server did not process the request (REFUSED_STREAM, or above a
    /// GOAWAY's last-stream-id): safe to send again.
    bool refused = false;
    /// A limit of aio's was passed (the reason; the stream was reset).
    std::string local_error;
    /// The connection ended under the stream (its error).
    std::exception_ptr conn_error;
    /// Wakes whoever waits on the stream (head, data, end).
    aio::Event changed;

    // The request body.
    std::string out;
    std::size_t out_pos = 0;
    bool out_eof = false;
    bool deferred = false;
    aio::Event out_space;

    /// True once nothing more will arrive.
    bool finished() const noexcept { return closed || conn_error != nullptr; }
};

/// An HTTP/2 client connection (see the top of this file). Made by the pool
/// after ALPN chose "h2" (or for h2c with prior knowledge).
class H2Connection : public std::enable_shared_from_this<H2Connection> {
public:
    H2Connection(StreamReader r, StreamWriter w, std::string key, std::string url);
    ~H2Connection();
    H2Connection(const H2Connection&) = delete;
    H2Connection& operator=(const H2Connection&) = delete;

    /// Sends the preface and SETTINGS, starts the reader and writer, and
    /// waits for the server's SETTINGS. Throws ClientHttp2ConnectionError or
    /// ServerDisconnectedError when the connection ends first.
    Task<> start();

    /// Opens a stream for a request (pseudo-headers first in `nva` order:
    /// method, scheme, authority, path). With `has_body` the body is pushed
    /// with write_body()/end_body(). Throws ClientHttp2ConnectionError when
    /// the connection cannot take it.
    std::shared_ptr<H2Stream> submit(const std::vector<std::pair<std::string, std::string>>& nva, bool has_body,
                                     const std::string& url);
    /// Queues request body bytes; waits while kBodyQueue bytes wait to be
    /// sent. Throws the stream's error when it ended.
    Task<> write_body(std::shared_ptr<H2Stream> s, std::string bytes, std::string url);
    /// Ends the request body.
    void end_body(H2Stream& s);
    /// The response's reader took `n` bytes: give them back to the windows.
    void consume(H2Stream& s, std::size_t n) noexcept;
    /// The response is done with the stream: resets it (CANCEL) if it is
    /// still open, and gives its unread bytes back to the connection window.
    void release(H2Stream& s) noexcept;

    /// Closes the connection: GOAWAY, the socket, the tasks. Idempotent.
    void close() noexcept;
    /// Waits until the tasks have ended (after close()).
    Task<> wait_closed();

    /// True while new streams may be opened: open, no GOAWAY either way
    /// (sent, received, or queued by nghttp2 for a protocol error of the
    /// server's), nghttp2 still reading, and stream ids left.
    bool usable() const noexcept;
    /// Streams open now (submitted and not yet closed by nghttp2), plus reservations.
    std::size_t active() const noexcept { return streams_.size() + reserved; }
    /// How many streams may be open at once (the server's
    /// SETTINGS_MAX_CONCURRENT_STREAMS, at most kMaxOwnStreams).
    std::size_t capacity() const noexcept;
    bool has_room() const noexcept { return usable() && active() < capacity(); }

    /// Called when streams close or the connection ends: the pool looks again.
    std::function<void()> on_change;

    std::string key;
    /// Streams promised to requests that will submit them soon.
    std::size_t reserved = 0;
    /// The pool's slot is held (the connection has streams).
    bool slot_held = false;
    std::chrono::steady_clock::time_point idle_since{};
    int fd = -1;

private:
    struct Callbacks;
    Task<> read_loop(std::shared_ptr<H2Connection> self);
    Task<> write_loop(std::shared_ptr<H2Connection> self);
    static Task<> wait_event(aio::Event& e);
    void kick() noexcept { want_write_.set(); }
    /// Ends the connection: every open stream gets `error`.
    void fail(std::exception_ptr error) noexcept;
    void close_socket() noexcept;
    std::exception_ptr connection_error(std::string what, std::uint32_t code) const;
    /// What a failed read or write of the socket becomes: ClientSocketError
    /// (an OSError), else ServerDisconnectedError (a cancelled read: closed).
    std::exception_ptr socket_error(std::exception_ptr e) const;
    void changed() noexcept;

    StreamReader reader_;
    StreamWriter writer_;
    std::string batch_;  // nghttp2's output gathered for one write
    std::string url_;
    nghttp2_session* session_ = nullptr;
    std::unordered_map<std::int32_t, std::shared_ptr<H2Stream>> streams_;
    aio::Event want_write_;
    aio::Event settings_;
    std::optional<Task<>> reader_task_, writer_task_;
    bool dead_ = false;
    bool goaway_ = false;
    bool closing_ = false;
    bool reading_ = false;
    bool change_pending_ = false;
    bool sent_goaway_ = false;
    /// nghttp2's description of the first error it found in the server's frames.
    std::string protocol_detail_;
    std::uint32_t sent_goaway_code_ = 0;
    std::int32_t goaway_last_ = -1;
    std::uint32_t goaway_code_ = 0;
    /// A server's SETTINGS that takes a window past 2^31-1 ends the connection.
    InitialWindowCheck window_check_;
    std::exception_ptr error_;
};

/// The error of a stream that ended abnormally: ClientHttp2StreamError (a
/// reset), the connection's error, or a body cut short (ClientPayloadError;
/// ServerDisconnectedError when `before_head`).
std::exception_ptr h2_stream_error(const H2Stream& s, const std::string& url, bool before_head);

/// Waits until `e` is set.
Task<> wait_h2_event(aio::Event& e);

/// "PROTOCOL_ERROR (0x1)": an HTTP/2 error code by name.
std::string h2_code_name(std::uint32_t code);

}  // namespace aio::http::detail
