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
// Client errors (aiohttp.client_exceptions), raised by aio::http::ClientSession
// and ClientResponse. Every one names the URL of the request (url()) and what
// went wrong (what()):
//
//   ClientError                       catch-all of the client (abstract)
//    ├ ClientResponseError            status(), message(), request_info(), history_size()
//    │  ├ ContentTypeError            json() of a body that is not JSON
//    │  ├ ClientHttpProxyError        the proxy refused CONNECT
//    │  └ TooManyRedirects            more than max_redirects redirects
//    ├ ClientConnectionError          (abstract)
//    │  ├ ClientOSError               (abstract) each also an aio::OSError
//    │  │  ├ ClientSocketError        a read or write failed (reset, broken pipe)
//    │  │  └ ClientConnectorError     (abstract) cannot connect: host(), port(), os_error()
//    │  │     ├ ClientConnectFailedError     resolution, refusal, routing
//    │  │     │  └ ClientProxyConnectionError   ... to the proxy
//    │  │     └ ClientSSLError        (abstract) the TLS handshake failed; also an aio::SSLError
//    │  │        ├ ClientConnectorSSLError
//    │  │        └ ClientConnectorCertificateError   the peer's certificate did not verify;
//    │  │                             also an aio::SSLCertVerificationError
//    │  └ ServerConnectionError       (abstract)
//    │     ├ ServerDisconnectedError  the server closed before the response head
//    │     └ ServerTimeoutError       also an aio::TimeoutError
//    │        ├ ConnectionTimeoutError   ClientTimeout::connect / sock_connect
//    │        │  └ PoolTimeoutError      ClientTimeout::pool (waiting for a free connection)
//    │        └ SocketTimeoutError       ClientTimeout::sock_read
//    ├ ClientPayloadError             the response body is broken (cut short,
//    │  │                             bad framing or coding, over the size limit)
//    │  └ ClientHttp2StreamError      the server reset the HTTP/2 stream (RST_STREAM):
//    │                                error_code(), stream_id()
//    └ InvalidURL                     also an aio::ValueError
//
// A `total` timeout raises plain aio::TimeoutError, as aiohttp raises
// asyncio.TimeoutError.
//
// Where Python has multiple inheritance of exception classes, C++ would give
// an object two std::exception bases, and `catch (const std::exception&)`
// would no longer catch it (the base is ambiguous). So the categories that
// have descendants with different standard bases — ClientError,
// ClientConnectionError, ServerConnectionError, ClientOSError,
// ClientConnectorError, ClientSSLError — are abstract classes that do
// not derive from std::exception themselves; every concrete error derives
// from exactly one aio::Exception subclass (aio::Exception, aio::OSError,
// aio::SSLError, aio::SSLCertVerificationError, aio::TimeoutError or
// aio::ValueError) and from its category. All of them
// can be caught by category, by their standard base, or as std::exception.
#pragma once

#include <aio/exceptions.hpp>
#include <aio/ssl.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
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
    /// An error to answer with `status` (an HTTP status code); `message` says what was wrong and is also
    /// what().
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
    /// A malformed message; `message` says what was wrong, `status` is the code to answer with (400 unless
    /// the error says otherwise).
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
    /// A body over the limit (status 413); `message` says which limit and by how much.
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
// Client errors

/// Root of the client's errors (aiohttp.ClientError). Abstract: thrown
/// objects are of the concrete classes below, each also an aio::Exception.
class ClientError {
public:
    virtual ~ClientError() = default;
    /// The error's description (the same text as std::exception::what()).
    virtual const char* what() const noexcept = 0;
    /// The URL of the request that failed, as given or as far as it was
    /// resolved ("" when there was no request yet).
    const std::string& url() const noexcept { return url_; }

protected:
    /// Records `url`, the URL of the request that failed ("" before there is one).
    explicit ClientError(std::string url) : url_(std::move(url)) {}
    /// Copies the URL (exceptions are copied when thrown).
    ClientError(const ClientError&) = default;
    /// Copies the URL.
    ClientError& operator=(const ClientError&) = default;

private:
    std::string url_;
};

/// Errors of the connection to the server (aiohttp.ClientConnectionError). Abstract.
class ClientConnectionError : public ClientError {
protected:
    using ClientError::ClientError;
};

/// Errors of an established connection (aiohttp.ServerConnectionError). Abstract.
class ServerConnectionError : public ClientConnectionError {
protected:
    using ClientConnectionError::ClientConnectionError;
};

struct RequestInfo;

/// A response that is an error, or that could not be processed
/// (aiohttp.ClientResponseError): raise_for_status() on a 4xx/5xx status,
/// too many redirects, a proxy's refusal, json() of a non-JSON body.
/// what() is aiohttp's text: "404, message='Not Found', url=URL('http://h/x')".
class ClientResponseError : public aio::Exception, public ClientError {
public:
    /// `request_info` may be null (then url() is "" and request_info() throws).
    ClientResponseError(std::shared_ptr<const RequestInfo> request_info, int status, std::string message,
                        std::size_t history_size = 0);
    const char* what() const noexcept override { return aio::Exception::what(); }
    /// The response's status (0 when the error is not about one status).
    int status() const noexcept { return status_; }
    /// The reason phrase, or what was wrong.
    const std::string& message() const noexcept { return message_; }
    /// The request that got this response: method, URL, headers.
    const RequestInfo& request_info() const;
    /// How many redirects led here (the length of the response's history).
    std::size_t history_size() const noexcept { return history_size_; }

private:
    std::shared_ptr<const RequestInfo> request_info_;
    int status_;
    std::string message_;
    std::size_t history_size_;
};

/// json() of a body whose Content-Type is not the expected one (aiohttp.ContentTypeError).
class ContentTypeError : public ClientResponseError {
public:
    using ClientResponseError::ClientResponseError;
};

/// The proxy answered CONNECT with something other than 200 (aiohttp.ClientHttpProxyError).
class ClientHttpProxyError : public ClientResponseError {
public:
    using ClientResponseError::ClientResponseError;
};

/// More redirects than RequestOptions::max_redirects (aiohttp.TooManyRedirects).
class TooManyRedirects : public ClientResponseError {
public:
    using ClientResponseError::ClientResponseError;
};

/// An operating-system error on the way to or on a connection
/// (aiohttp.ClientOSError). Abstract, so that its TLS descendants can be
/// aio::SSLError at the same time: every object thrown is also an
/// aio::OSError (catch either). ClientSocketError is the plain one.
class ClientOSError : public ClientConnectionError {
public:
    /// The errno (0 when the failure has none, as most TLS failures).
    virtual int errno_code() const noexcept = 0;

protected:
    using ClientConnectionError::ClientConnectionError;
};

/// A read or write failed on an established connection (reset, broken
/// pipe): the ClientOSError thrown as such. what() is the system's message.
class ClientSocketError : public aio::OSError, public ClientOSError {
public:
    /// A failed read or write with the system's `errno_code` and `message` (what()), on the connection of
    /// the request to `url`.
    ClientSocketError(int errno_code, std::string message, std::string url)
        : aio::OSError(errno_code, message, {}), ClientOSError(std::move(url)), text_(std::move(message)) {}
    const char* what() const noexcept override { return text_.c_str(); }
    int errno_code() const noexcept override { return aio::OSError::errno_code(); }

private:
    std::string text_;
};

/// The connection could not be made (aiohttp.ClientConnectorError): the name
/// did not resolve, the server refused, the route failed, TLS failed.
/// what() is aiohttp's text: "Cannot connect to host example.com:443
/// ssl:default [reason]". Abstract: the objects are ClientConnectFailedError,
/// ClientProxyConnectionError or a ClientSSLError.
class ClientConnectorError : public ClientOSError {
public:
    /// The host the connection was for, as given (a name or an address); the proxy's for a proxy error.
    const std::string& host() const noexcept { return host_; }
    /// The port the connection was for.
    std::uint16_t port() const noexcept { return port_; }
    /// The reason from the system or the TLS library.
    const std::string& os_error() const noexcept { return os_error_; }
    /// aiohttp's text; `ssl` is how aiohttp prints the ssl= setting
    /// ("default", "False", ...).
    static std::string format(const std::string& host, std::uint16_t port, const std::string& ssl,
                              const std::string& os_error) {
        return "Cannot connect to host " + host + ":" + std::to_string(port) + " ssl:" + ssl + " [" + os_error + "]";
    }

protected:
    /// For the concrete classes: `os_error` is the reason (os_error()), `url` the request's URL.
    ClientConnectorError(std::string host, std::uint16_t port, std::string os_error, std::string url)
        : ClientOSError(std::move(url)), host_(std::move(host)), port_(port), os_error_(std::move(os_error)) {}

private:
    std::string host_;
    std::uint16_t port_;
    std::string os_error_;
};

/// A ClientConnectorError from the system (resolution, refusal, routing):
/// the one thrown as such. Also an aio::OSError with the errno.
class ClientConnectFailedError : public aio::OSError, public ClientConnectorError {
public:
    /// `host`:`port` could not be reached: `ssl` is the ssl= setting as aiohttp prints it ("default", ...),
    /// `errno_code` and `os_error` the system's error, `url` the request's URL. what() is format() of them.
    ClientConnectFailedError(std::string host, std::uint16_t port, std::string ssl, int errno_code,
                             std::string os_error, std::string url)
        : aio::OSError(errno_code, format(host, port, ssl, os_error), {}),
          ClientConnectorError(host, port, os_error, std::move(url)), text_(format(host, port, ssl, os_error)) {}
    const char* what() const noexcept override { return text_.c_str(); }
    int errno_code() const noexcept override { return aio::OSError::errno_code(); }

private:
    std::string text_;
};

/// The connection to the proxy could not be made (aiohttp.ClientProxyConnectionError).
class ClientProxyConnectionError : public ClientConnectFailedError {
public:
    using ClientConnectFailedError::ClientConnectFailedError;
};

/// The TLS handshake failed (aiohttp.ClientSSLError). Abstract; every one is
/// also an aio::SSLError (and so an aio::OSError), as aiohttp's are ssl.SSLError.
class ClientSSLError : public ClientConnectorError {
protected:
    using ClientConnectorError::ClientConnectorError;
};

/// The TLS handshake failed for another reason than the certificate
/// (aiohttp.ClientConnectorSSLError): protocol versions, ciphers, a peer that
/// does not speak TLS or hung up. Also an aio::SSLError.
class ClientConnectorSSLError : public aio::SSLError, public ClientSSLError {
public:
    /// The handshake with `host`:`port` failed: `ssl` as for format(), `errno_code` the errno when the system
    /// failed under TLS (else 0), `os_error` the TLS library's reason, `url` the request's URL.
    ClientConnectorSSLError(std::string host, std::uint16_t port, std::string ssl, int errno_code,
                            std::string os_error, std::string url)
        : aio::SSLError(format(host, port, ssl, os_error)), ClientSSLError(host, port, os_error, std::move(url)),
          errno_(errno_code), text_(format(host, port, ssl, os_error)) {}
    const char* what() const noexcept override { return text_.c_str(); }
    /// The errno when the system failed under TLS (a reset), else 0.
    int errno_code() const noexcept override { return errno_; }

private:
    int errno_;
    std::string text_;
};

/// The server's certificate did not verify (aiohttp.ClientConnectorCertificateError):
/// unknown issuer, expired, another host name. Also an
/// aio::SSLCertVerificationError (aiohttp's is an ssl.CertificateError):
/// verify_code() and verify_message() are OpenSSL's, os_error() its whole
/// reason, what() aiohttp's "Cannot connect to host ..." text.
class ClientConnectorCertificateError : public aio::SSLCertVerificationError, public ClientSSLError {
public:
    /// The certificate of `host`:`port` did not verify: `cause` is the verification error (its code and
    /// message are copied), `ssl` as for format(), `url` the request's URL.
    ClientConnectorCertificateError(std::string host, std::uint16_t port, std::string ssl,
                                    const aio::SSLCertVerificationError& cause, std::string url)
        : aio::SSLCertVerificationError(cause.verify_code(), cause.verify_message()),
          ClientSSLError(host, port, cause.what(), std::move(url)), text_(format(host, port, ssl, cause.what())) {}
    const char* what() const noexcept override { return text_.c_str(); }
    int errno_code() const noexcept override { return 0; }

private:
    std::string text_;
};

/// The server closed the connection before the response head was complete
/// (aiohttp.ServerDisconnectedError). what(): "Server disconnected, url=...".
class ServerDisconnectedError : public aio::Exception, public ServerConnectionError {
public:
    /// The server hung up; `message` is what() ("Server disconnected, url=..."),
    /// `url` the request's URL.
    ServerDisconnectedError(std::string message, std::string url)
        : aio::Exception(std::move(message)), ServerConnectionError(std::move(url)) {}
    const char* what() const noexcept override { return aio::Exception::what(); }
};

/// A ClientTimeout phase ran out (aiohttp.ServerTimeoutError); also an
/// aio::TimeoutError, as aiohttp's is an asyncio.TimeoutError.
class ServerTimeoutError : public aio::TimeoutError, public ServerConnectionError {
public:
    /// A timeout ran out; `message` says which (what()), `url` is the request's URL.
    ServerTimeoutError(std::string message, std::string url)
        : aio::TimeoutError(std::move(message)), ServerConnectionError(std::move(url)) {}
    const char* what() const noexcept override { return aio::TimeoutError::what(); }
};

/// ClientTimeout::connect or ClientTimeout::sock_connect ran out before the
/// connection was made (aiohttp.ConnectionTimeoutError).
class ConnectionTimeoutError : public ServerTimeoutError {
public:
    using ServerTimeoutError::ServerTimeoutError;
};

/// ClientTimeout::pool ran out while waiting for a free connection of the
/// session's pool (`limit` / `limit_per_host` reached). A ConnectionTimeoutError
/// because aiohttp's `connect` timeout covers that wait too.
class PoolTimeoutError : public ConnectionTimeoutError {
public:
    using ConnectionTimeoutError::ConnectionTimeoutError;
};

/// ClientTimeout::sock_read ran out: no new byte of the response for that long
/// (aiohttp.SocketTimeoutError).
class SocketTimeoutError : public ServerTimeoutError {
public:
    using ServerTimeoutError::ServerTimeoutError;
};

/// The response body is broken (aiohttp.ClientPayloadError): the connection
/// closed before its end, a lying Content-Length, bad chunked framing, a body
/// that does not decode or decodes past the size limit.
class ClientPayloadError : public aio::Exception, public ClientError {
public:
    /// The body of the response to `url` is broken; `message` says how (what()).
    ClientPayloadError(std::string message, std::string url)
        : aio::Exception(std::move(message)), ClientError(std::move(url)) {}
    const char* what() const noexcept override { return aio::Exception::what(); }
};

/// The server reset an HTTP/2 stream (RST_STREAM), before or during the
/// response (beyond aiohttp, which has no HTTP/2). A ClientPayloadError, as a
/// body cut short is one to aiohttp users. what() names the code:
/// "HTTP/2 stream 5 was reset by the server: INTERNAL_ERROR (0x2) ...".
class ClientHttp2StreamError : public ClientPayloadError {
public:
    /// Stream `stream_id` of the request to `url` was reset with `error_code`
    /// (RFC 9113 section 7); `message` is what().
    ClientHttp2StreamError(std::string message, std::string url, std::uint32_t error_code, std::int32_t stream_id)
        : ClientPayloadError(std::move(message), std::move(url)), error_code_(error_code), stream_id_(stream_id) {}
    /// The HTTP/2 error code of the RST_STREAM (0x7 REFUSED_STREAM, 0x8 CANCEL, ...).
    std::uint32_t error_code() const noexcept { return error_code_; }
    /// The stream's id.
    std::int32_t stream_id() const noexcept { return stream_id_; }

private:
    std::uint32_t error_code_;
    std::int32_t stream_id_;
};

/// An HTTP/2 connection ended under a request (beyond aiohttp): the server
/// sent GOAWAY, or broke the protocol (bad frames, a header block that does
/// not decode), or a limit of aio's was passed. A ServerDisconnectedError, as
/// aiohttp users catch a server that went away. what() names the code:
/// "HTTP/2 connection closed by GOAWAY: ENHANCE_YOUR_CALM (0xb), last stream 3, ...".
class ClientHttp2ConnectionError : public ServerDisconnectedError {
public:
    /// The connection carrying the request to `url` ended with `error_code`;
    /// `last_stream_id` is the GOAWAY's (the highest stream the server may
    /// have processed; -1 when no GOAWAY came); `message` is what().
    ClientHttp2ConnectionError(std::string message, std::string url, std::uint32_t error_code,
                               std::int32_t last_stream_id)
        : ServerDisconnectedError(std::move(message), std::move(url)), error_code_(error_code),
          last_stream_id_(last_stream_id) {}
    /// The HTTP/2 error code (of the GOAWAY, or the one aio sent: 0x1 PROTOCOL_ERROR, ...).
    std::uint32_t error_code() const noexcept { return error_code_; }
    /// The GOAWAY's last-stream-id, or -1 without a GOAWAY.
    std::int32_t last_stream_id() const noexcept { return last_stream_id_; }

private:
    std::uint32_t error_code_;
    std::int32_t last_stream_id_;
};

// ---------------------------------------------------------------------------
// URL errors

/// A string that is not a valid URL, or a URL that cannot be used for HTTP
/// (aiohttp.InvalidURL: a ClientError and a ValueError, as in aiohttp).
/// `url()` is the offending input, whole; the message quotes at most its
/// first 200 bytes.
class InvalidURL : public aio::ValueError, public ClientError {
public:
    /// `url` is the rejected input, whole; `description` why it was rejected.
    /// what() is "<url> - <description>", the url cut to 200 bytes and "...".
    InvalidURL(std::string url, std::string description)
        : aio::ValueError(format(url, description)), ClientError(std::move(url)),
          description_(std::move(description)) {}
    const char* what() const noexcept override { return aio::ValueError::what(); }
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
    std::string description_;
};

}  // namespace aio::http
