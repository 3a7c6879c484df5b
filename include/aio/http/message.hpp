// aio/http/message.hpp — the head of an HTTP/1.x message: version, request and response heads.
//
// What the parser (<aio/http/parser.hpp>) hands out when a head is complete,
// and what the serializer (<aio/http/writer.hpp>) writes: aiohttp's
// HttpVersion, RawRequestMessage and RawResponseMessage.
#pragma once

#include <aio/http/headers.hpp>

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace aio::http {

/// An HTTP version (aiohttp.HttpVersion).
struct HttpVersion {
    /// The major version: 1, or 2 for HTTP/2.
    int major = 1;
    /// The minor version: 0 or 1 (0 for HTTP/2).
    int minor = 1;
    friend constexpr bool operator==(HttpVersion, HttpVersion) = default;
    friend constexpr auto operator<=>(HttpVersion, HttpVersion) = default;
};
/// HTTP/1.0 (aiohttp.HttpVersion10).
inline constexpr HttpVersion HttpVersion10{1, 0};
/// HTTP/1.1 (aiohttp.HttpVersion11).
inline constexpr HttpVersion HttpVersion11{1, 1};
/// HTTP/2 (RFC 9113; aiohttp has none).
inline constexpr HttpVersion HttpVersion20{2, 0};

/// A parsed request head (aiohttp's RawRequestMessage). The flags are the
/// parser's reading of the framing headers; `headers` keeps every field as sent.
struct RequestHead {
    /// The method as sent, case kept ("GET"); a token, not checked against a list.
    std::string method;
    /// The request-target exactly as sent, still percent-encoded: "/a%20b?q=1",
    /// "http://host/x" (proxies), "host:443" (CONNECT) or "*" (OPTIONS).
    /// (aiohttp names it `path`; aio::http::URL parses it.)
    std::string path;
    /// The HTTP version of the request line.
    HttpVersion version = HttpVersion11;
    /// The header fields, in the order sent, names spelt as sent.
    Headers headers;
    /// The connection ends after this message: `Connection: close`, or HTTP/1.0
    /// without `Connection: keep-alive` (aiohttp's should_close).
    bool should_close = false;
    /// The connection switches protocol after this message: `Connection: upgrade`
    /// with an `Upgrade` field, or the CONNECT method.
    bool upgrade = false;
    /// The body uses chunked transfer coding.
    bool chunked = false;
    /// `Expect: 100-continue` on an HTTP/1.1 request: the client waits for a
    /// 100 Continue before sending the body.
    bool expect_continue = false;
    /// The Content-Length, when the message declares one (and is not chunked).
    std::optional<std::uint64_t> content_length;
};

/// A parsed response head (aiohttp's RawResponseMessage).
struct ResponseHead {
    /// The HTTP version of the status line.
    HttpVersion version = HttpVersion11;
    /// The status code, 100 to 999.
    int status = 0;
    /// The reason phrase as sent (possibly empty).
    std::string reason;
    /// The header fields, in the order sent, names spelt as sent.
    Headers headers;
    /// The connection ends after this message: `Connection: close`, HTTP/1.0
    /// without keep-alive, or a body that runs until the connection closes.
    bool should_close = false;
    /// The connection switches protocol after this message: 101 Switching
    /// Protocols, or a 2xx answer to CONNECT.
    bool upgrade = false;
    /// The body uses chunked transfer coding.
    bool chunked = false;
    /// The Content-Length, when the message declares one and it frames the
    /// body (not for HEAD answers, 1xx, 204 and 304, where it is only kept in
    /// `headers`).
    std::optional<std::uint64_t> content_length;
};

}  // namespace aio::http
