// The server side of one HTTP/2 connection (RFC 9113) on libnghttp2.
//
// nghttp2 does the framing, HPACK, flow-control accounting and protocol
// checks; aio drives it from its streams and maps each HTTP/2 stream to an
// Exchange, so handlers see the same Request and StreamResponse as over
// HTTP/1.1.
//
// Tasks and lifetimes: the connection's own task (run()) reads and feeds
// nghttp2; a writer task takes nghttp2's output to the socket whenever
// something was queued (schedule_write()); each stream whose head arrived
// has a task that runs the handler and sends its response. A stream object
// lives in `streams_` until nghttp2 has closed it *and* its task has ended,
// whichever comes last; nghttp2 callbacks only mark and wake, never free
// what a task may still use.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "aio/locks.hpp"
#include "aio/streams.hpp"
#include "aio/task.hpp"
#include "http/h2_window_check.hpp"
#include "web/exchange.hpp"

namespace aio::web::detail {

class H2Connection;

/// One HTTP/2 stream: a request and its response.
class H2Stream final : public Exchange {
public:
    H2Stream(H2Connection& conn, std::int32_t id);
    ~H2Stream() override;

    // Exchange
    Task<bool> pull() override;
    void body_consume(std::size_t n) noexcept override;
    bool keep_alive() const noexcept override { return true; }
    SocketAddress peername() const override;
    SocketAddress sockname() const override;
    Task<> prepare_stream(StreamResponse& resp, StreamState& st) override;
    Task<> write_stream(StreamState& st, std::string_view data, bool last) override;

private:
    friend class H2Connection;

    /// The stream's task: the handler, then the response, then waiting
    /// until nghttp2 has sent it (or the client reset it).
    static Task<> serve(H2Connection* conn, std::int32_t id);
    Task<> exchange();
    /// Reports `failure` (the loop's exception handler, under `context`)
    /// and resets the stream with INTERNAL_ERROR: once a head is out, the
    /// only honest end of a response cut short (left open, the client would
    /// wait for the rest of the body for ever).
    void reset_after_failure(const char* context, std::exception_ptr failure);
    Task<> send_response(StreamResponse& resp);
    Task<> send_file(StreamResponse& resp);
    /// Submits the response head; the body follows from out_ (see source()).
    void submit_head(int status, const http::Headers& headers, std::optional<std::uint64_t> length,
                     bool with_body);
    /// Queues body bytes; waits while more than the output window is queued.
    Task<> queue_body(std::string_view data, bool last);
    /// Waits for nghttp2 to take queued bytes, at most send_timeout per step.
    Task<> wait_output_below(std::size_t limit);
    void answer_error(int status, std::string_view message);
    [[noreturn]] void throw_reset() const;
    /// The client or the connection gave up on the stream: its task is
    /// cancelled (and counted done if it never started).
    void abandon() noexcept;

    H2Connection& conn_;
    std::int32_t id_;
    http::RequestHead req_;
    std::size_t header_bytes_ = 0;
    bool headers_too_large_ = false;
    /// The request's head is complete; the stream has a task.
    bool started_task_ = false;
    bool task_done_ = false;
    /// The task's body began (a task cancelled before that never runs it).
    bool running_ = false;
    Task<> task_;
    /// The handler has read (some of) the body: it may want the rest.
    bool reading_body_ = false;
    /// nghttp2 sent the response's last frame (END_STREAM).
    bool response_sent_ = false;
    /// nghttp2 closed the stream (sent, or reset by either side).
    bool closed_ = false;
    std::uint32_t close_code_ = 0;
    /// Body bytes received but not yet given back to the flow-control window.
    std::size_t unconsumed_ = 0;
    aio::Event body_event_;

    // The response.
    bool submitted_ = false;
    std::string out_;
    std::size_t out_pos_ = 0;
    bool out_eof_ = false;
    /// nghttp2 is waiting for body bytes (the data source returned DEFERRED).
    bool deferred_ = false;
    /// Set when nghttp2 takes body bytes or the stream closes.
    aio::Event out_event_;
};

/// One HTTP/2 connection.
class H2Connection final : public ServerConnection {
public:
    H2Connection(ServerState& server, StreamReader reader, StreamWriter writer, bool tls);
    ~H2Connection() override;
    /// Serves the connection until it closes; never throws but CancelledError.
    Task<> run();
    /// GOAWAY: no new streams; those open finish, then the connection closes.
    void going_away() noexcept override;

    // For the streams.
    ServerState& server() noexcept { return server_; }
    nghttp2_session* session() noexcept { return session_; }
    bool tls() const noexcept { return tls_; }
    /// Wakes the writer task: nghttp2 has output to send.
    void schedule_write() noexcept { want_write_.set(); }
    H2Stream* find(std::int32_t id) noexcept;
    const StreamWriter& writer() const noexcept { return writer_; }

private:
    friend class H2Stream;
    static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* self);
    static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                         const std::uint8_t* value, std::size_t valuelen, std::uint8_t flags, void* self);
    static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* self);
    static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self);
    static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self);
    static int on_data_chunk(nghttp2_session*, std::uint8_t flags, std::int32_t stream_id, const std::uint8_t* data,
                             std::size_t len, void* self);
    static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* self);
    static ssize_t read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                             std::uint32_t* flags, nghttp2_data_source* source, void* self);

    /// The writer task: nghttp2's output to the socket, within send_timeout.
    Task<> write_loop();
    /// Wakes run() to end the connection (the writer is done or failed).
    void stop_run() noexcept;
    /// writer_.drain() within send_timeout (TimeoutError past it).
    Task<> drain_timed();
    /// The request head of stream `s` is complete: start its task.
    void start_stream(H2Stream& s);
    /// Frees stream `id` once it is closed and its task has ended.
    void maybe_erase(std::int32_t id) noexcept;
    /// The sweeper's view: handling while a stream is open, else idle.
    void update_phase() noexcept;
    void log_error(std::string_view what);

    StreamReader reader_;
    StreamWriter writer_;
    /// A client's SETTINGS that takes a window past 2^31-1 ends the connection.
    http::detail::InitialWindowCheck window_check_;
    bool tls_;
    nghttp2_session* session_ = nullptr;
    std::unordered_map<std::int32_t, std::unique_ptr<H2Stream>> streams_;
    aio::Event want_write_;
    std::string batch_;  // nghttp2's output gathered for one write
    // H2Stream::submit_head's buffers, reused (a head is submitted at once).
    std::string names_scratch_;
    std::vector<nghttp2_nv> nva_scratch_;
    aio::Event streams_gone_;  // set when the last stream is freed
    Task<> writer_task_;
    /// The socket failed (reset, a stall past send_timeout): stop.
    bool failed_ = false;
    /// GOAWAY went both ways and no stream is left: run() ends normally.
    bool finished_ = false;
    /// stop_run() cancelled run()'s task (taken back when run() ends).
    bool stopped_run_ = false;
    bool goaway_sent_ = false;
    /// A GOAWAY with an error went out: the connection ends with a
    /// lingering close (the client may still be sending what is not read).
    bool linger_ = false;
    /// run() is ending: a stream is freed as soon as its task ends.
    bool tearing_down_ = false;
};

/// The HTTP/2 connection preface a client with prior knowledge opens with.
inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace aio::web::detail
