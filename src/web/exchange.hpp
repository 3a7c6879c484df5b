// What every server protocol shares: a connection as the runner sees it
// (timeouts, shutdown), and one request/response exchange as the handler's
// Request, BodyReader and StreamResponse see it. HTTP/1.1 carries one
// exchange at a time on its connection; each HTTP/2 stream is one.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aio/http/compression.hpp"
#include "aio/http/message.hpp"
#include "aio/sockets.hpp"
#include "aio/streams.hpp"
#include "aio/task.hpp"
#include "aio/web/app.hpp"
#include "aio/web/request.hpp"
#include "aio/web/response.hpp"

namespace aio::web::detail {

struct ServerState;
struct OpenedFile;

/// A connection as the runner's sweeper and graceful shutdown see it.
/// Registers itself in ServerState::connections for its lifetime.
class ServerConnection {
public:
    explicit ServerConnection(ServerState& server);
    virtual ~ServerConnection();
    ServerConnection(const ServerConnection&) = delete;
    ServerConnection& operator=(const ServerConnection&) = delete;

    /// A graceful shutdown began: stop taking requests, finish those in
    /// progress (an HTTP/1.1 WebSocket gets a 1001 close, HTTP/2 a GOAWAY).
    virtual void going_away() noexcept = 0;

    // For the runner's timeout sweeper: a connection not `handling` is
    // cancelled (task) once `deadline` passes, with `timed_out` set first.
    enum class Phase : std::uint8_t { idle, reading_head, handling };
    Phase phase = Phase::idle;
    std::chrono::steady_clock::time_point deadline{};
    bool timed_out = false;
    TaskInfo task;

protected:
    /// Closes a connection whose client may still be sending what will not
    /// be read (nginx's lingering close): closing with bytes unread makes
    /// the kernel answer with a reset, which can destroy the answer before
    /// the client reads it, or fail the client's send first. So: what is
    /// written is flushed, then a FIN, then what the client sends is read
    /// and discarded until it closes, for at most
    /// ServerOptions::lingering_time and lingering_timeout per wait; a
    /// reset or a stall past send_timeout ends it early. `writer` is closed
    /// however it ends. Never throws but CancelledError.
    Task<> close_lingering(StreamReader& reader, StreamWriter& writer);

    ServerState& server_;

private:
    std::list<ServerConnection*>::iterator self_;
};

/// The state of a streamed response once prepared.
struct StreamState {
    class Exchange* conn = nullptr;
    bool chunked = false;
    bool head_only = false;  // HEAD, 204, 304: no body bytes go out
    bool eof = false;
    std::unique_ptr<http::Encoder> encoder;
    std::uint64_t body_bytes = 0;

    /// `data` as it goes out: through the encoder when there is one (into
    /// `scratch`, flushed, or finished when `last`), else as it is.
    std::string_view encode(std::string_view data, bool last, std::string& scratch) {
        if (!encoder) return data;
        encoder->feed(data, scratch);
        if (last)
            encoder->finish(scratch);
        else
            encoder->flush(scratch);
        return scratch;
    }
};

/// A file response resolved against the request: what to send and from where.
struct FilePlan {
    /// Set when the file cannot be sent as asked (missing, not modified, a
    /// range out of bounds, ...): send this response instead.
    std::optional<Response> instead;
    std::shared_ptr<OpenedFile> opened;
    int status = 200;
    std::string_view reason;
    std::uint64_t offset = 0;
    std::uint64_t count = 0;
    bool head_only = false;
};

/// Reads `n` bytes of a file at `offset` on the thread pool (a read may wait
/// for the disk). Throws RuntimeError when the file shrank under the read.
Task<std::string> read_file_piece(std::shared_ptr<OpenedFile> file, std::uint64_t offset, std::size_t n);

/// One request and its response.
class Exchange {
public:
    Exchange(ServerState& server, bool tls);
    virtual ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    const http::RequestHead& head() const noexcept { return *head_; }
    const std::string& path() const noexcept { return path_; }
    std::string_view query_string() const noexcept { return query_string_; }
    /// The authority of an absolute-form target ("http://h:1/p" gives "h:1"),
    /// or HTTP/2's :authority; else "".
    const std::string& authority() const noexcept { return authority_; }
    MatchInfo& match() noexcept { return match_; }
    Application& app() noexcept;
    bool tls() const noexcept { return tls_; }

    /// The body bytes received and not yet taken.
    std::string_view body_buffered() const noexcept { return std::string_view(body_buf_).substr(body_pos_); }
    /// Takes `n` buffered body bytes (HTTP/2 opens the flow-control window by as much).
    virtual void body_consume(std::size_t n) noexcept;
    bool body_done() const noexcept { return message_done_ && body_pos_ == body_buf_.size(); }
    /// Reads more of the body into the body buffer; false at its end.
    /// Throws HTTPRequestTimeout past body_timeout, ConnectionResetError when
    /// the client gives up on the request, the parser's errors for a bad body.
    virtual Task<bool> pull() = 0;
    /// Bytes of body framing so far (chunk-size lines); they count against size limits.
    virtual std::uint64_t framing_bytes() const noexcept { return 0; }

    virtual bool keep_alive() const noexcept = 0;
    virtual SocketAddress peername() const = 0;
    virtual SocketAddress sockname() const = 0;

    // For StreamResponse.
    virtual Task<> prepare_stream(StreamResponse& resp, StreamState& st) = 0;
    virtual Task<> write_stream(StreamState& st, std::string_view data, bool last) = 0;

protected:
    /// Splits the request target into path_ (percent-decoded), query_string_
    /// and authority_ (absolute form). False when the decoded path is not UTF-8.
    bool parse_target(std::string_view target);
    /// The coding to compress `resp` with, if the client accepts one and the
    /// response qualifies (ServerOptions::compress, type, size).
    std::optional<http::Coding> negotiate(const StreamResponse& resp, std::size_t size) const;
    /// The body of a whole (not streamed) response as it goes out: compressed
    /// into `scratch` when negotiated (setting Content-Encoding and Vary),
    /// else the response's own body. `with_body` false (1xx, 204, 304)
    /// leaves it alone, except for HEAD, whose headers tell what a GET gets.
    const std::string& outgoing_body(StreamResponse& resp, bool with_body, std::string& scratch) const;
    /// For a streamed response being prepared: starts an encoder in `st`
    /// when a coding is negotiated (the length is then unknown: reset).
    void start_coding(StreamResponse& resp, StreamState& st, std::optional<std::uint64_t>& length) const;
    /// Opens (on the thread pool) and checks the file of a FileResponse,
    /// applying conditional requests and ranges; fills resp's headers.
    Task<FilePlan> plan_file(StreamResponse& resp);
    /// One line to the access log (when configured).
    void log_access(int status, std::uint64_t bytes);
    /// One line to the server's error_log, prefixed with the peer's address.
    void log_error(std::string_view what);

    ServerState& state_;
    bool tls_;
    const http::RequestHead* head_ = nullptr;
    std::string path_;
    std::string query_string_;
    std::string authority_;
    MatchInfo match_;
    std::string body_buf_;
    std::size_t body_pos_ = 0;
    bool message_done_ = false;
    std::unique_ptr<Request> request_;
    std::chrono::steady_clock::time_point started_;
};

}  // namespace aio::web::detail
