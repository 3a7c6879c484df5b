// aio/http/errors.hpp — the HTTP error classes.
//
// Protocol errors (aiohttp.http_exceptions), raised by the HTTP/1.1 message
// parser (<aio/http/parser.hpp>) when bytes from the peer break the protocol.
// Each carries the status code a server answers with:
//
//   aio::Exception
//    └ HttpProcessingError          status(), message()
//       └ BadHttpMessage            400 unless said otherwise below
//          ├ BadStatusLine          a bad request line or status line; 505 for an
//          │  │                     HTTP version other than 1.0 / 1.1 in a request
//          │  └ BadHttpMethod       a method that is not a token
//          ├ LineTooLong            414 request line, 431 header fields, 400 otherwise
//          ├ InvalidHeader          a malformed or forbidden header field
//          ├ BodyTooLarge           413: the body exceeds ParserLimits::max_body_size
//          └ PayloadEncodingError   the body's framing or coding is broken
//             ├ ContentLengthError  bad, repeated or unsatisfied Content-Length
//             ├ TransferEncodingError  bad chunked framing; 501 for a transfer
//             │                     coding aio does not implement (requests)
//             └ ContentEncodingError  a body that does not decode (gzip, br, ...)
//
// URL errors: InvalidURL (aiohttp.InvalidURL, also a ValueError as in aiohttp).
#pragma once

#include <aio/exceptions.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace aio::http {

// ---------------------------------------------------------------------------
// Protocol errors

/// Root of the HTTP protocol errors (aiohttp.http_exceptions.HttpProcessingError).
/// `status()` is the HTTP status code a server should answer the peer with
/// (aiohttp calls it `code`); `message()` says what was wrong.
class HttpProcessingError : public aio::Exception {
public:
    HttpProcessingError(int status, std::string message)
        : aio::Exception(message), status_(status), message_(std::move(message)) {}
    /// The status code to answer with (400, 413, 414, 431, 501, 505).
    int status() const noexcept { return status_; }
    /// What was wrong, without the status.
    const std::string& message() const noexcept { return message_; }

private:
    int status_;
    std::string message_;
};

/// A message that breaks HTTP/1.1 (aiohttp.http_exceptions.BadHttpMessage); 400 by default.
class BadHttpMessage : public HttpProcessingError {
public:
    explicit BadHttpMessage(std::string message, int status = 400)
        : HttpProcessingError(status, std::move(message)) {}
};

/// A malformed request line or status line, or an unsupported HTTP version
/// (aiohttp.http_exceptions.BadStatusLine). 505 for a well-formed request whose
/// version aio does not speak (anything but HTTP/1.0 and HTTP/1.1), else 400.
class BadStatusLine : public BadHttpMessage {
public:
    using BadHttpMessage::BadHttpMessage;
};

/// A request method that is not a valid token (aiohttp.http_exceptions.BadHttpMethod).
class BadHttpMethod : public BadStatusLine {
public:
    using BadStatusLine::BadStatusLine;
};

/// A start line, header field or chunk-size line over its limit, or a header
/// section over its total limit (aiohttp.http_exceptions.LineTooLong).
/// 414 URI Too Long for a request line, 431 Request Header Fields Too Large for
/// header fields, 400 for the rest.
class LineTooLong : public BadHttpMessage {
public:
    using BadHttpMessage::BadHttpMessage;
};

/// A malformed header field: a name that is not a token, whitespace before the
/// colon, obsolete line folding, a control character in a value, a repeated
/// Host (aiohttp.http_exceptions.InvalidHeader).
class InvalidHeader : public BadHttpMessage {
public:
    using BadHttpMessage::BadHttpMessage;
};

/// A body larger than the configured maximum (ParserLimits::max_body_size):
/// 413 Content Too Large. aiohttp reports this from `request.read()` as
/// HTTPRequestEntityTooLarge; aio's parser can refuse it as soon as the
/// Content-Length or a chunk size announces it.
class BodyTooLarge : public BadHttpMessage {
public:
    explicit BodyTooLarge(std::string message) : BadHttpMessage(std::move(message), 413) {}
};

/// The body's framing or coding is broken (aiohttp.http_exceptions.PayloadEncodingError).
class PayloadEncodingError : public BadHttpMessage {
public:
    using BadHttpMessage::BadHttpMessage;
};

/// A bad Content-Length (not a number, too large, repeated, combined with
/// Transfer-Encoding), or a connection closed before that many bytes arrived
/// (aiohttp.http_exceptions.ContentLengthError).
class ContentLengthError : public PayloadEncodingError {
public:
    using PayloadEncodingError::PayloadEncodingError;
};

/// A bad Transfer-Encoding or chunked framing: chunked not last or repeated, a
/// bad chunk size or extension, a missing CRLF after chunk data, a connection
/// closed mid-body (aiohttp.http_exceptions.TransferEncodingError). Status 501
/// for a request using a transfer coding aio does not implement.
class TransferEncodingError : public PayloadEncodingError {
public:
    using PayloadEncodingError::PayloadEncodingError;
};

/// A body whose Content-Encoding (gzip, deflate, br) does not decode
/// (aiohttp.http_exceptions.ContentEncodingError).
class ContentEncodingError : public PayloadEncodingError {
public:
    using PayloadEncodingError::PayloadEncodingError;
};

// ---------------------------------------------------------------------------
// URL errors

/// A string that is not a valid URL, or a URL that cannot be used for HTTP
/// (aiohttp.InvalidURL, a ValueError in aiohttp as here). `url()` is the
/// offending input, whole; the message quotes at most its first 200 bytes.
class InvalidURL : public aio::ValueError {
public:
    InvalidURL(std::string url, std::string description)
        : aio::ValueError(format(url, description)), url_(std::move(url)), description_(std::move(description)) {}
    /// The URL that was rejected.
    const std::string& url() const noexcept { return url_; }
    /// Why it was rejected.
    const std::string& description() const noexcept { return description_; }

private:
    /// The message quotes only so much of the URL, so that an enormous input
    /// does not make an enormous log line.
    static constexpr std::size_t kQuotedPrefix = 200;
    static std::string format(const std::string& url, const std::string& description) {
        std::string quoted = url.size() > kQuotedPrefix ? url.substr(0, kQuotedPrefix) + "..." : url;
        return quoted + " - " + description;
    }
    std::string url_;
    std::string description_;
};

}  // namespace aio::http
