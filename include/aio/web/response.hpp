// aio/web/response.hpp — what a handler answers (aiohttp.web_response, web_fileresponse).
//
//     co_return aio::web::Response({.text = "Hello"});
//     co_return aio::web::json_response(aio::json::Object{{"ok", true}});
//     co_return aio::web::FileResponse("/srv/files/report.pdf");
//
//     aio::web::StreamResponse resp;                 // streamed: chunked unless a length is set
//     resp.set_content_type("text/plain");
//     co_await resp.prepare(request);                // sends the head
//     co_await resp.write("part 1\n");               // waits while the peer is slow (backpressure)
//     co_await resp.write_eof();
//     co_return resp;
//
// Handlers return `aio::Task<StreamResponse>`; Response and FileResponse are
// StreamResponses that add constructors and accessors but no data, so
// returning them by value loses nothing.
//
// The server adds Date, Server, Content-Length (or Transfer-Encoding:
// chunked) and Connection; a HEAD request gets the head only. A body is
// compressed (br, else gzip, else deflate, as the request's Accept-Encoding
// allows) when it has no Content-Encoding yet and either the response asked
// for it (enable_compression(): any size, any type) or compression is on
// (ServerOptions::compress), the body is at least kMinCompressSize bytes and
// its type is text-like (text/*, JSON, JavaScript, XML, SVG, form data).
#pragma once

#include <aio/http/compression.hpp>
#include <aio/http/headers.hpp>
#include <aio/json.hpp>
#include <aio/task.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aio::web {

class Request;

namespace detail {
struct StreamState;
class Exchange;
class HttpConnection;
class H2Stream;
struct OpenedFile;
}

/// Bodies shorter than this are not compressed unless the response called
/// enable_compression(): below a kilobyte the
/// saving is less than the headers and CPU it costs, and the body fits in
/// one TCP segment anyway.
inline constexpr std::size_t kMinCompressSize = 1024;

/// Options of set_cookie (aiohttp's keyword arguments).
struct CookieOptions {
    /// The Expires attribute, an HTTP date written as given ("Wed, 21 Oct 2015 07:28:00 GMT"); "" for none.
    std::string expires{};
    /// The Domain attribute ("" for none: the cookie is for the request's host only).
    std::string domain{};
    /// The Max-Age attribute in seconds (0 or less expires the cookie); nullopt for none.
    std::optional<long> max_age{};
    /// The Path attribute; "/" by default, "" for none.
    std::string path = "/";
    /// The Secure attribute: the client sends the cookie over https only.
    bool secure = false;
    /// The HttpOnly attribute: browsers hide the cookie from scripts.
    bool httponly = false;
    /// The SameSite attribute ("Strict", "Lax" or "None", written as given); "" for none.
    std::string samesite{};
};

/// A response whose body is written piece by piece (aiohttp.web.StreamResponse);
/// also the base of every response. Move-only.
class StreamResponse {
public:
    /// A response with this status, reason ("" for the standard phrase) and headers, not yet
    /// prepared. Throws aio::ValueError for a status outside 100..999.
    explicit StreamResponse(int status = 200, std::string reason = {}, http::Headers headers = {});
    /// Takes over another response (its head, body and, once prepared, its stream); the
    /// moved-from one may then only be destroyed or assigned to.
    StreamResponse(StreamResponse&&) noexcept;
    /// Takes over another response, as the move constructor does.
    StreamResponse& operator=(StreamResponse&&) noexcept;
    ~StreamResponse();

    /// The status code (aiohttp's StreamResponse.status).
    int status() const noexcept { return status_; }
    /// The reason phrase: the given one, or the standard one of the status.
    std::string_view reason() const noexcept;
    /// Changes the status (and reason). Throws RuntimeError once prepared,
    /// ValueError outside 100..999.
    void set_status(int status, std::string reason = {});
    /// The header fields to send, modifiable until prepare() sends them (aiohttp's headers).
    http::Headers& headers() noexcept { return headers_; }
    /// The header fields to send.
    const http::Headers& headers() const noexcept { return headers_; }

    /// Content-Type without parameters ("application/octet-stream" when unset).
    std::string content_type() const;
    /// Sets Content-Type (keeps the charset when one was set).
    void set_content_type(std::string_view type);
    /// The charset parameter of Content-Type, if any.
    std::optional<std::string> charset() const;
    /// Sets the charset parameter of Content-Type ("" removes it); the type stays, or becomes
    /// application/octet-stream when none was set.
    void set_charset(std::string_view charset);
    /// The declared body length (Content-Length), if any.
    std::optional<std::uint64_t> content_length() const;
    /// Declares the body length of a streamed response (no chunking then).
    void set_content_length(std::uint64_t n);
    /// Streams with chunked transfer coding even when a length is known. Throws RuntimeError once prepared.
    void enable_chunked_encoding();
    /// Compresses this body if the client accepts a coding; `coding` forces
    /// one (identity turns compression off for this response).
    void enable_compression(std::optional<http::Coding> coding = std::nullopt);
    /// Adds a Set-Cookie field (aiohttp's set_cookie). Throws ValueError for
    /// a name or value that would break the header.
    void set_cookie(std::string_view name, std::string_view value, const CookieOptions& opts = {});
    /// Expires a cookie (aiohttp's del_cookie).
    void del_cookie(std::string_view name, std::string_view domain = {}, std::string_view path = "/");
    /// Closes the connection after this response (aiohttp's force_close).
    void force_close() noexcept { force_close_ = true; }

    /// Whether prepare() has sent the head.
    bool prepared() const noexcept { return stream_ != nullptr; }
    /// Sends the head now (aiohttp's prepare). The request must be the one
    /// being answered and outlive the writes. Throws ConnectionResetError if
    /// the client has gone.
    Task<> prepare(Request& request);
    /// Sends body bytes (chunked or counted), waiting while the client reads
    /// slower than the handler writes. Throws RuntimeError before prepare()
    /// or after write_eof(), ConnectionResetError when the client has gone.
    Task<> write(std::string_view data);
    /// Sends `data` and ends the body. Idempotent.
    Task<> write_eof(std::string_view data = {});

    /// The kind of body, for the server.
    enum class Kind : std::uint8_t { stream, body, file };
    /// The kind of body: stream (StreamResponse), body (Response) or file (FileResponse).
    Kind kind() const noexcept { return kind_; }

protected:
    friend struct detail::StreamState;
    friend class HTTPException;
    friend class detail::Exchange;
    friend class detail::HttpConnection;
    friend class detail::H2Stream;
    friend struct detail::OpenedFile;

    /// The status code.
    int status_;
    /// The reason phrase given ("" for the standard one).
    std::string reason_;
    /// The header fields to send.
    http::Headers headers_;
    /// What the body is.
    Kind kind_ = Kind::stream;
    /// enable_chunked_encoding() was called.
    bool chunked_ = false;
    /// force_close() was called.
    bool force_close_ = false;
    /// The coding enable_compression() forced; nullopt: the server's choice.
    std::optional<http::Coding> compression_{};
    /// enable_compression() asked for compression (with a coding other than identity).
    bool compression_requested_ = false;
    /// The body (Kind::body).
    std::string body_;
    /// The file sent (Kind::file).
    std::filesystem::path path_;
    /// Bytes per read when the file is not sent by sendfile (Kind::file).
    std::size_t chunk_size_ = 256 * 1024;
    /// The file, already opened by a static route (Kind::file); null otherwise.
    std::shared_ptr<detail::OpenedFile> opened_;
    /// The state of the body being sent; set by prepare().
    std::unique_ptr<detail::StreamState> stream_;
};

/// The fields of a Response, in aiohttp's keyword order: body, status,
/// reason, text, headers, content_type, charset. `text` sets the body and a
/// text/plain; charset=utf-8 type unless `content_type` says otherwise;
/// `body` is bytes (application/octet-stream unless typed).
struct ResponseOptions {
    /// The body bytes (not together with `text`).
    std::optional<std::string> body{};
    /// The status code (100..999).
    int status = 200;
    /// The reason phrase; "" for the standard one of the status.
    std::string reason{};
    /// The body as UTF-8 text (not together with `body`).
    std::optional<std::string> text{};
    /// Header fields to send; a Content-Type here wins over `content_type`.
    http::Headers headers{};
    /// The media type ("text/html"); "" for text/plain with `text`, none otherwise.
    std::string content_type{};
    /// The charset parameter of Content-Type; "" for utf-8 with `text`, none otherwise.
    std::string charset{};
};

/// A response with its whole body in memory (aiohttp.web.Response).
/// Throws ValueError when both body and text are given.
class Response : public StreamResponse {
public:
    /// A response made of `opts` (aiohttp's web.Response(...)). Throws aio::ValueError when both
    /// body and text are given or the status is outside 100..999.
    Response(ResponseOptions opts = {});
    /// The body bytes.
    const std::string& body() const noexcept { return body_; }
    /// Replaces the body bytes; the headers (Content-Type included) are left as they are.
    void set_body(std::string body);
    /// The body as text (the bytes: aio strings are UTF-8).
    const std::string& text() const noexcept { return body_; }
    /// Sets the body and, if unset, Content-Type text/plain; charset=utf-8.
    void set_text(std::string text);
};

/// A JSON response (aiohttp.web.json_response): `data` serialised as
/// Python's json.dumps does, Content-Type application/json. Options other
/// than body/text apply.
Response json_response(const json::Value& data, ResponseOptions opts = {});

/// A file from disk (aiohttp.web.FileResponse): Content-Type guessed from
/// the extension, Last-Modified and ETag from stat, conditional requests
/// (If-None-Match / If-Modified-Since → 304, If-Match /
/// If-Unmodified-Since → 412; dates in any of RFC 9110's three HTTP-date
/// formats), single byte ranges (206, 416). A client that accepts br or
/// gzip gets, as aiohttp's FileResponse sends it, the file's precompressed
/// sibling `<path>.br` (then `<path>.gz`) when that is a regular file, not a
/// symlink: its bytes as they are, Content-Encoding set, the original's
/// Content-Type, its own validators and ranges (unless the handler set
/// Content-Encoding itself). The bytes go
/// by sendfile(2) on plain TCP (waiting for the socket between calls, never
/// blocking the loop), by reads of `chunk_size` under TLS. A path that is
/// not a readable regular file when the response is sent answers 404 (403
/// when permission is denied).
class FileResponse : public StreamResponse {
public:
    /// A response sending the file at `path` (opened only when the response is sent), read
    /// `chunk_size` bytes at a time when sendfile cannot be used (0: 256 KiB). Throws
    /// aio::ValueError for a status outside 100..999 and for a path holding a NUL byte
    /// (the kernel would open the path cut there).
    explicit FileResponse(std::filesystem::path path, std::size_t chunk_size = 256 * 1024, int status = 200,
                          http::Headers headers = {});
    /// The path of the file sent.
    const std::filesystem::path& path() const noexcept { return path_; }
};

/// The MIME type of a file name by extension ("text/html" for "a.html",
/// "application/octet-stream" when unknown): Python's mimetypes for the common ones.
std::string_view guess_content_type(std::string_view filename) noexcept;

}  // namespace aio::web
