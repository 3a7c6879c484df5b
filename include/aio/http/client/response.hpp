// aio/http/client/response.hpp — a response of the client (aiohttp.ClientResponse).
//
//     auto resp = co_await session.get(url);
//     resp.status();                      // 200
//     resp.headers().get("Content-Type"); // "text/html; charset=utf-8"
//     std::string page = co_await resp.text();
//
//     auto big = co_await session.get(url);  // or stream the body:
//     while (true) {
//         std::string chunk = co_await big.content().read(65536);
//         if (chunk.empty()) break;
//     }
//
// The head is read when session.get() returns; the body is read on demand,
// decoded on the fly (gzip, deflate, br) unless the session's
// auto_decompress is off. read(), text() and json() read the whole body and
// keep it, so that they may be called again; content() streams it instead.
//
// The connection: while the body is being read, the response holds its
// connection. Once the body has been read to its end, the connection goes
// back to the session's pool for the next request. release() (also called by
// the destructor, like aiohttp's `async with`) gives it back at once if the
// body was read, and otherwise closes it: a connection with unread bytes in
// flight cannot carry another request.
//
// Lifetime: a response may outlive its session (reading the body still
// works; the connection is then closed instead of pooled). It belongs to the
// loop's thread. Moving it keeps content() references valid.
//
// Errors while reading the body: ClientPayloadError (cut short, bad framing,
// bad coding, over the session's max_body_size), SocketTimeoutError
// (sock_read), aio::TimeoutError (total), ClientOSError (connection reset).
#pragma once

#include <aio/async_generator.hpp>
#include <aio/http/client/request.hpp>
#include <aio/http/client/tracing.hpp>
#include <aio/http/headers.hpp>
#include <aio/http/message.hpp>
#include <aio/http/url.hpp>
#include <aio/json.hpp>
#include <aio/task.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aio::http {

namespace detail {
struct ResponseState;
}

/// The body of a response as a stream (aiohttp's response.content, a
/// StreamReader). Reads return decoded bytes; "" once the body has ended.
/// Owned by its ClientResponse, which must outlive the reads (and the
/// generators of iter_chunked / iter_any).
class ResponseContent {
public:
    /// Up to n bytes (n < 0: everything left); "" at the end of the body.
    Task<std::string> read(long n = -1);
    /// What is buffered, or waits for the next bytes (aiohttp's readany).
    Task<std::string> readany();
    /// One line including "\n" (the last one may lack it); "" at the end.
    Task<std::string> readline();
    /// Exactly n bytes; aio::IncompleteReadError when the body ends first.
    Task<std::string> readexactly(std::size_t n);
    /// The body in pieces of n bytes (the last may be shorter): `async for
    /// chunk in resp.content.iter_chunked(n)`.
    AsyncGenerator<std::string> iter_chunked(std::size_t n);
    /// The body in the pieces it arrives in (aiohttp's iter_any).
    AsyncGenerator<std::string> iter_any();
    /// True when the whole body has been read.
    bool at_eof() const noexcept;

private:
    friend struct detail::ResponseState;
    explicit ResponseContent(detail::ResponseState* s) : s_(s) {}
    detail::ResponseState* s_;
};

/// A response (aiohttp.ClientResponse). Move-only.
class ClientResponse {
public:
    /// Takes over another response's connection and body; the moved-from one may then only be
    /// destroyed or assigned to.
    ClientResponse(ClientResponse&&) noexcept;
    /// Releases this response's connection (see release()), then takes over the other's.
    ClientResponse& operator=(ClientResponse&&) noexcept;
    /// Releases the connection (see release()).
    ~ClientResponse();

    /// The status code, e.g. 200 (aiohttp's ClientResponse.status).
    int status() const noexcept;
    /// The reason phrase sent by the server ("OK").
    const std::string& reason() const noexcept;
    /// The response's header fields (case-insensitive, repeated fields kept).
    const Headers& headers() const noexcept;
    /// The URL of this response (the last one after redirects).
    const URL& url() const noexcept;
    /// The method of the request.
    const std::string& method() const noexcept;
    /// The HTTP version the server answered with (aiohttp's ClientResponse.version):
    /// {2, 0} over HTTP/2.
    HttpVersion version() const noexcept;
    /// The trailing header fields that followed the body (HTTP/2 trailers);
    /// empty until the body has been read to its end, and always empty over
    /// HTTP/1.1 (chunked trailers are not kept). Beyond aiohttp.
    const Headers& trailers() const noexcept;
    /// The HTTP/2 stream id of this response; 0 over HTTP/1.1.
    std::int32_t stream_id() const noexcept;
    /// True for a status below 400 (aiohttp's ok).
    bool ok() const noexcept { return status() < 400; }
    /// The media type of Content-Type, lowercase, without parameters;
    /// "application/octet-stream" when absent (as aiohttp).
    std::string content_type() const;
    /// The charset parameter of Content-Type, lowercase, if any.
    std::optional<std::string> charset() const;
    /// The Content-Length, if the response declared one.
    std::optional<std::uint64_t> content_length() const noexcept;
    /// The redirect responses that led here, oldest first (their bodies read
    /// and connections released).
    const std::vector<ClientResponse>& history() const noexcept;
    /// The request this response answers.
    const RequestInfo& request_info() const noexcept;
    /// The cookies this response set (name → value of each Set-Cookie).
    MultiDict cookies() const;
    /// Time of each phase so far (the body's once it is read).
    const RequestTimings& timings() const noexcept;

    /// Throws ClientResponseError (status, reason, request_info) when the
    /// status is 400 or more, after releasing the connection (aiohttp's
    /// raise_for_status).
    void raise_for_status();

    /// The whole body, decoded (aiohttp's read()). Kept: a second call returns it again.
    Task<std::string> read();
    /// The body as UTF-8 text (aiohttp's text()). `encoding` defaults to the
    /// charset of Content-Type, else UTF-8 (aiohttp would guess with
    /// charset detection; aio does not guess). Understood: utf-8, us-ascii,
    /// iso-8859-1 (latin-1) and windows-1252; others throw aio::ValueError.
    /// `errors`: "strict" (invalid bytes throw aio::UnicodeDecodeError) or
    /// "replace" (each becomes U+FFFD), as Python's.
    Task<std::string> text(std::string encoding = {}, std::string errors = "strict");
    /// The body parsed as JSON (aiohttp's json()). Throws ContentTypeError
    /// when the Content-Type is not `content_type` (pass "" to skip the check),
    /// aio::json::JSONDecodeError for invalid JSON. An empty body is null.
    Task<::aio::json::Value> json(std::string content_type = "application/json");
    /// The body as a stream (aiohttp's content).
    ResponseContent& content() noexcept;

    /// Gives the connection back to the pool if the body was read to its end,
    /// else closes it. Idempotent; later reads of a body not read to its end
    /// fail with ClientPayloadError.
    void release() noexcept;
    /// Closes the connection (aiohttp's close()).
    void close() noexcept;
    /// True once released or closed.
    bool closed() const noexcept;

    /// Made by ClientSession.
    explicit ClientResponse(std::unique_ptr<detail::ResponseState> s);
    /// The response's internal state, for aio's own code (not a stable API).
    detail::ResponseState& state() noexcept { return *s_; }

private:
    std::unique_ptr<detail::ResponseState> s_;
};

}  // namespace aio::http
