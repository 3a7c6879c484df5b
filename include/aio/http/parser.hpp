// aio/http/parser.hpp — the HTTP/1.1 message parser: requests (servers) and responses (clients).
//
// A push parser and pure state machine: no sockets, no coroutines. The caller
// feeds bytes as they arrive, split anywhere; the parser calls a Handler when
// a head is complete, for each piece of body, for trailers and at the end of
// each message. Pipelined messages follow each other in one feed. aiohttp's
// HttpRequestParser / HttpResponseParser.
//
//     struct Server : aio::http::RequestParser::Handler {
//         ParserAction on_head(RequestHead& head) override { ...; return ParserAction::proceed; }
//         ParserAction on_body(std::string_view bytes) override { ...; }
//         ParserAction on_message_complete() override { ...; }
//     } handler;
//     aio::http::RequestParser parser(handler);
//     std::size_t used = parser.feed(bytes);   // < bytes.size() only after a pause or a stop
//
// Ownership: the parser copies what it must keep (a line split across feeds,
// the header fields into the head's Headers). Body bytes are handed out
// zero-copy: `on_body`'s view points into the caller's `data` and is valid
// only during the call. The head passed to `on_head` belongs to the parser
// until the next message begins; the handler may move from it.
//
// Strictness (every case a typed error from <aio/http/errors.hpp>, thrown out
// of `feed`; after an error the parser is failed and rethrows it on each
// further feed):
//   - the start line: one SP between parts, a token method, a request-target
//     of ASCII without controls or spaces (a raw byte >= 0x80 is refused: it
//     must be percent-encoded) (origin, absolute, authority form for CONNECT
//     only, `*` for OPTIONS only), a version "HTTP/D.D" of 1.0 or 1.1 (others:
//     505), a three-digit status 100..999 and a reason without controls;
//   - header fields: a token name directly followed by ':', a value without
//     control characters other than HTAB, no obsolete line folding, no NUL, no
//     bare CR, at most one Host in a request;
//   - framing (anti-smuggling): Content-Length and Transfer-Encoding together,
//     a repeated Content-Length (even with equal values), a Content-Length that
//     is not 1*DIGIT or exceeds 2^63-1, Transfer-Encoding on HTTP/1.0, chunked
//     repeated or not the final coding, empty list elements, chunk sizes that
//     are not 1*HEXDIG or overflow, malformed chunk extensions, chunk data not
//     followed by CRLF; a request with another coding than chunked gets 501;
//     a CONNECT request never has a body (RFC 9110 §9.3.6), whatever its
//     Content-Length says: the bytes after its head are the tunnel's;
//   - line endings: CRLF. A request with a line ending in a bare LF is rejected.
//     Responses may use bare LF line endings (RFC 9112 §2.2 lets a recipient
//     accept them; some old servers send them, and a client gains nothing by
//     refusing): status line, fields, chunk-size lines, trailers and the line
//     end after chunk data. A bare CR is an error everywhere.
//   - limits (ParserLimits): a line or field over its limit is refused as soon
//     as the limit is passed, without waiting for its end.
// Lenient only where RFC 9112 asks: empty lines before a message are skipped
// (§2.2), a status line may omit the SP and reason after the code, optional
// whitespace around field values is trimmed, a response whose last transfer
// coding is not chunked (say `gzip` alone) runs until the connection closes
// (§6.3).
//
// Determinism: the events and the error (type and message) depend only on the
// bytes fed, never on where they were split (checked by fuzz/http_parser_fuzz.cpp).
#pragma once

#include <aio/http/errors.hpp>
#include <aio/http/message.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace aio::http {

/// Limits on what a peer may send (aiohttp's max_line_size, max_field_size,
/// max_headers). The defaults are aiohttp's, which also match what common
/// servers accept (8 KiB lines); every limit applies to line content without
/// its CRLF.
struct ParserLimits {
    /// The request line or status line, and each chunk-size line (LineTooLong:
    /// 414 for a request line, 400 for the others).
    std::size_t max_line_size = 8190;
    /// One header or trailer field line, name and value (LineTooLong, 431).
    std::size_t max_field_size = 8190;
    /// All the field lines of one head together, and of one trailer section
    /// (LineTooLong, 431). 32 KiB holds four maximal fields: far more than real
    /// heads, small enough that a connection cannot hold much memory with them.
    std::size_t max_headers_size = 32768;
    /// The number of field lines in one head or trailer section (LineTooLong,
    /// 431). Browsers send about 20; a thousand tiny fields are an attack, not a
    /// request.
    std::size_t max_headers = 1000;
    /// The body, declared (Content-Length, refused at the head) or counted
    /// (chunked or read until close, refused when a chunk size or the bytes
    /// pass it; the bytes of chunk-size lines, extensions included, count
    /// too) (BodyTooLarge, 413). Unlimited by default: servers set it.
    std::uint64_t max_body_size = UINT64_MAX;
};

/// What the parser does after a Handler callback returns.
enum class ParserAction {
    /// Go on with the next bytes.
    proceed,
    /// Return from `feed` now, reporting as consumed only the bytes up to this
    /// event; call `feed` with the rest to continue, even when the rest is
    /// empty: the end of a message that needs no more bytes is reported then.
    pause,
};

namespace detail {
class ParserCore;
}

/// Parses HTTP/1.x requests: the server side (aiohttp.http_parser.HttpRequestParser).
/// Move-only; not thread-safe (one connection, one thread).
class RequestParser {
public:
    /// Receives the parser's events. All callbacks run inside `feed` or
    /// `feed_eof`; an exception thrown by one propagates out of that call and
    /// leaves the parser failed.
    class Handler {
    public:
        virtual ~Handler() = default;
        /// A request head is complete. `head` may be moved from.
        virtual ParserAction on_head(RequestHead& head) = 0;
        /// The next bytes of the body, in order, never empty. The view points
        /// into the data passed to `feed` and is valid only during this call.
        virtual ParserAction on_body(std::string_view data) = 0;
        /// The trailer fields of a chunked body, when there are any; called
        /// before on_message_complete. `trailers` may be moved from.
        virtual ParserAction on_trailers(Headers& trailers) {
            (void)trailers;
            return ParserAction::proceed;
        }
        /// The message is complete (its body, if any, was delivered).
        virtual ParserAction on_message_complete() = 0;
    };

    /// The handler must outlive the parser.
    explicit RequestParser(Handler& handler, ParserLimits limits = {});
    /// Moves the parser's state, bound to the same handler; the moved-from parser may only be destroyed or
    /// assigned to.
    RequestParser(RequestParser&&) noexcept;
    /// Takes over the other parser's state and handler; the moved-from parser may only be destroyed or
    /// assigned to.
    RequestParser& operator=(RequestParser&&) noexcept;
    ~RequestParser();

    /// Parses `data`, calling the handler for each event. Returns the number of
    /// bytes consumed: all of `data`, except after a pause (the bytes up to the
    /// event), an upgrade (the bytes after the message are the new protocol's)
    /// or a message with `should_close` (nothing after it is read). Bytes of an
    /// incomplete line are copied and count as consumed.
    /// Throws: a BadHttpMessage subclass for bad input, or what the handler throws.
    std::size_t feed(std::string_view data);
    /// The peer closed its side. Throws BadHttpMessage (or ContentLengthError /
    /// TransferEncodingError mid-body) if a message was incomplete; between
    /// messages it does nothing.
    void feed_eof();

    /// A message with `upgrade` completed: the parser takes no more bytes.
    bool upgraded() const noexcept;
    /// The parser takes no more bytes: upgraded, after a `should_close` message, or failed.
    bool stopped() const noexcept;
    /// Bytes of a message not yet complete were received (a server uses it to
    /// tell an idle keep-alive connection from a slow request).
    bool message_in_progress() const noexcept;
    /// After an upgrade the server declined: parse HTTP again from the next byte.
    void resume_after_upgrade() noexcept;
    /// The bytes of the current (or last) message's chunk-size lines, with
    /// their extensions and CRLF: a server adds them to the body bytes when it
    /// holds a chunked body to a size limit.
    std::uint64_t framing_bytes() const noexcept;

private:
    std::unique_ptr<detail::ParserCore> core_;
};

/// Parses HTTP/1.x responses: the client side (aiohttp.http_parser.HttpResponseParser).
/// Move-only; not thread-safe.
class ResponseParser {
public:
    /// Receives the parser's events; see RequestParser::Handler.
    class Handler {
    public:
        virtual ~Handler() = default;
        /// A response head is complete (1xx heads too, each followed by
        /// on_message_complete). `head` may be moved from.
        virtual ParserAction on_head(ResponseHead& head) = 0;
        /// The next bytes of the body, never empty, valid only during the call.
        virtual ParserAction on_body(std::string_view data) = 0;
        /// The trailer fields of a chunked body, when there are any.
        virtual ParserAction on_trailers(Headers& trailers) {
            (void)trailers;
            return ParserAction::proceed;
        }
        /// The message is complete.
        virtual ParserAction on_message_complete() = 0;
    };

    /// The handler must outlive the parser.
    explicit ResponseParser(Handler& handler, ParserLimits limits = {});
    /// Moves the parser's state, bound to the same handler; the moved-from parser may only be destroyed or
    /// assigned to.
    ResponseParser(ResponseParser&&) noexcept;
    /// Takes over the other parser's state and handler; the moved-from parser may only be destroyed or
    /// assigned to.
    ResponseParser& operator=(ResponseParser&&) noexcept;
    ~ResponseParser();

    /// The method of the request the next responses answer ("GET" by default):
    /// a response to HEAD has no body whatever its headers say, and a 2xx
    /// response to CONNECT is an upgrade to a tunnel. Stays set until changed;
    /// with pipelined requests, change it from on_message_complete, which runs
    /// before the next response's first byte is read.
    void set_request_method(std::string_view method);

    /// As RequestParser::feed. A body without Content-Length or chunked coding
    /// runs until feed_eof.
    std::size_t feed(std::string_view data);
    /// The server closed the connection: completes a body that runs until
    /// close; throws ContentLengthError / TransferEncodingError /
    /// BadHttpMessage for a message cut short.
    void feed_eof();

    /// As RequestParser.
    bool upgraded() const noexcept;
    /// As RequestParser::stopped(): upgraded, after a `should_close` message, or failed.
    bool stopped() const noexcept;
    /// As RequestParser::message_in_progress(): bytes of a response not yet complete were received.
    bool message_in_progress() const noexcept;
    /// As RequestParser::resume_after_upgrade(): after an upgrade that did not
    /// happen, parse HTTP again from the next byte.
    void resume_after_upgrade() noexcept;

private:
    std::unique_ptr<detail::ParserCore> core_;
};

}  // namespace aio::http
