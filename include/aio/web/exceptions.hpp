// aio/web/exceptions.hpp — HTTP answers thrown as exceptions (aiohttp.web_exceptions).
//
//     throw aio::web::HTTPNotFound();                        // 404 "404: Not Found"
//     throw aio::web::HTTPFound("/login");                   // 302 with Location
//     throw aio::web::HTTPBadRequest({.text = "no id"});     // 400 with that body
//
// A handler (or a middleware) throws one; the server answers with its status,
// reason, headers and body (by default "<status>: <reason>" as text/plain, as
// aiohttp). A middleware may catch it, and `response()` turns it into an
// ordinary Response. The tree is aiohttp's:
//
//   aio::Exception
//    └ HTTPException                 status(), reason(), text(), headers()
//       ├ HTTPSuccessful (2xx)       HTTPOk, HTTPCreated, HTTPAccepted, HTTPNoContent, ...
//       ├ HTTPRedirection (3xx)      HTTPNotModified; HTTPMove: HTTPMovedPermanently,
//       │                            HTTPFound, HTTPSeeOther, HTTPTemporaryRedirect, ...
//       └ HTTPError
//          ├ HTTPClientError (4xx)   HTTPBadRequest, HTTPNotFound, HTTPMethodNotAllowed, ...
//          └ HTTPServerError (5xx)   HTTPInternalServerError, HTTPNotImplemented, ...
#pragma once

#include <aio/exceptions.hpp>
#include <aio/http/headers.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aio::web {

class Response;

/// What an HTTPException answers with besides its status (aiohttp's keyword
/// arguments: headers, reason, text, content_type). Empty `reason` means
/// the standard phrase; empty `text` means "<status>: <reason>" (none for
/// 204 and 304, which have no body).
struct HTTPExceptionOptions {
    /// Header fields to answer with (a redirect adds Location, a 405 Allow).
    http::Headers headers{};
    /// The reason phrase; "" for the standard one of the status.
    std::string reason{};
    /// The body text; nullopt for "<status>: <reason>" (no body for 1xx, 204 and 304).
    std::optional<std::string> text{};
    /// The media type of the body; "" for text/plain (charset utf-8).
    std::string content_type{};
};

/// An HTTP answer as an exception (aiohttp.web.HTTPException).
class HTTPException : public aio::Exception {
public:
    /// An answer with `status` and `opts`; what() is "<status>: <reason>". The status is not
    /// checked here: response() throws aio::ValueError for one outside 100..999.
    HTTPException(int status, HTTPExceptionOptions opts = {});
    /// The status code answered (aiohttp's HTTPException.status).
    int status() const noexcept { return status_; }
    /// The reason phrase: the one given, or the standard one of the status.
    const std::string& reason() const noexcept { return reason_; }
    /// The body text ("" when there is none).
    const std::string& text() const noexcept { return text_; }
    /// The header fields answered with.
    const http::Headers& headers() const noexcept { return headers_; }
    /// The header fields, modifiable (e.g. by a middleware before rethrowing).
    http::Headers& headers() noexcept { return headers_; }
    /// The answer as a Response (what the server sends).
    Response response() const;

private:
    int status_;
    std::string reason_;
    std::string text_;
    bool has_body_;
    std::string content_type_;
    http::Headers headers_;
};

// The classes of aiohttp, one per status. Each constructor takes the options
// above; the redirects take the location first, HTTPMethodNotAllowed the
// method and the allowed methods, HTTPRequestEntityTooLarge the sizes.
#define AIO_WEB_HTTP_GROUP(Name, Base) \
    class Name : public Base {         \
    public:                            \
        using Base::Base;              \
    };
AIO_WEB_HTTP_GROUP(HTTPSuccessful, HTTPException)
AIO_WEB_HTTP_GROUP(HTTPRedirection, HTTPException)
AIO_WEB_HTTP_GROUP(HTTPError, HTTPException)
AIO_WEB_HTTP_GROUP(HTTPClientError, HTTPError)
AIO_WEB_HTTP_GROUP(HTTPServerError, HTTPError)
#undef AIO_WEB_HTTP_GROUP

#define AIO_WEB_HTTP_STATUS(Name, Base, Code)                                  \
    class Name : public Base {                                                 \
    public:                                                                    \
        static constexpr int status_code = Code;                               \
        explicit Name(HTTPExceptionOptions opts = {}) : Base(Code, std::move(opts)) {} \
    };
AIO_WEB_HTTP_STATUS(HTTPOk, HTTPSuccessful, 200)
AIO_WEB_HTTP_STATUS(HTTPCreated, HTTPSuccessful, 201)
AIO_WEB_HTTP_STATUS(HTTPAccepted, HTTPSuccessful, 202)
AIO_WEB_HTTP_STATUS(HTTPNonAuthoritativeInformation, HTTPSuccessful, 203)
AIO_WEB_HTTP_STATUS(HTTPNoContent, HTTPSuccessful, 204)
AIO_WEB_HTTP_STATUS(HTTPResetContent, HTTPSuccessful, 205)
AIO_WEB_HTTP_STATUS(HTTPPartialContent, HTTPSuccessful, 206)
AIO_WEB_HTTP_STATUS(HTTPNotModified, HTTPRedirection, 304)
AIO_WEB_HTTP_STATUS(HTTPBadRequest, HTTPClientError, 400)
AIO_WEB_HTTP_STATUS(HTTPUnauthorized, HTTPClientError, 401)
AIO_WEB_HTTP_STATUS(HTTPPaymentRequired, HTTPClientError, 402)
AIO_WEB_HTTP_STATUS(HTTPForbidden, HTTPClientError, 403)
AIO_WEB_HTTP_STATUS(HTTPNotFound, HTTPClientError, 404)
AIO_WEB_HTTP_STATUS(HTTPNotAcceptable, HTTPClientError, 406)
AIO_WEB_HTTP_STATUS(HTTPProxyAuthenticationRequired, HTTPClientError, 407)
AIO_WEB_HTTP_STATUS(HTTPRequestTimeout, HTTPClientError, 408)
AIO_WEB_HTTP_STATUS(HTTPConflict, HTTPClientError, 409)
AIO_WEB_HTTP_STATUS(HTTPGone, HTTPClientError, 410)
AIO_WEB_HTTP_STATUS(HTTPLengthRequired, HTTPClientError, 411)
AIO_WEB_HTTP_STATUS(HTTPPreconditionFailed, HTTPClientError, 412)
AIO_WEB_HTTP_STATUS(HTTPRequestURITooLong, HTTPClientError, 414)
AIO_WEB_HTTP_STATUS(HTTPUnsupportedMediaType, HTTPClientError, 415)
AIO_WEB_HTTP_STATUS(HTTPRequestRangeNotSatisfiable, HTTPClientError, 416)
AIO_WEB_HTTP_STATUS(HTTPExpectationFailed, HTTPClientError, 417)
AIO_WEB_HTTP_STATUS(HTTPMisdirectedRequest, HTTPClientError, 421)
AIO_WEB_HTTP_STATUS(HTTPUnprocessableEntity, HTTPClientError, 422)
AIO_WEB_HTTP_STATUS(HTTPFailedDependency, HTTPClientError, 424)
AIO_WEB_HTTP_STATUS(HTTPUpgradeRequired, HTTPClientError, 426)
AIO_WEB_HTTP_STATUS(HTTPPreconditionRequired, HTTPClientError, 428)
AIO_WEB_HTTP_STATUS(HTTPTooManyRequests, HTTPClientError, 429)
AIO_WEB_HTTP_STATUS(HTTPRequestHeaderFieldsTooLarge, HTTPClientError, 431)
AIO_WEB_HTTP_STATUS(HTTPUnavailableForLegalReasons, HTTPClientError, 451)
AIO_WEB_HTTP_STATUS(HTTPInternalServerError, HTTPServerError, 500)
AIO_WEB_HTTP_STATUS(HTTPNotImplemented, HTTPServerError, 501)
AIO_WEB_HTTP_STATUS(HTTPBadGateway, HTTPServerError, 502)
AIO_WEB_HTTP_STATUS(HTTPServiceUnavailable, HTTPServerError, 503)
AIO_WEB_HTTP_STATUS(HTTPGatewayTimeout, HTTPServerError, 504)
AIO_WEB_HTTP_STATUS(HTTPVersionNotSupported, HTTPServerError, 505)
AIO_WEB_HTTP_STATUS(HTTPInsufficientStorage, HTTPServerError, 507)
AIO_WEB_HTTP_STATUS(HTTPNetworkAuthenticationRequired, HTTPServerError, 511)
#undef AIO_WEB_HTTP_STATUS

/// A redirect: sets Location (aiohttp.web.HTTPMove). Throws ValueError for an empty location.
class HTTPMove : public HTTPRedirection {
public:
    /// A redirect with `status` (3xx) to `location`, which is sent as the Location header.
    HTTPMove(int status, std::string location, HTTPExceptionOptions opts = {});
    /// Where the client is sent (the Location header).
    const std::string& location() const noexcept { return location_; }

private:
    std::string location_;
};

#define AIO_WEB_HTTP_MOVE(Name, Code)                                                              \
    class Name : public HTTPMove {                                                                 \
    public:                                                                                        \
        static constexpr int status_code = Code;                                                   \
        explicit Name(std::string location, HTTPExceptionOptions opts = {})                        \
            : HTTPMove(Code, std::move(location), std::move(opts)) {}                              \
    };
AIO_WEB_HTTP_MOVE(HTTPMultipleChoices, 300)
AIO_WEB_HTTP_MOVE(HTTPMovedPermanently, 301)
AIO_WEB_HTTP_MOVE(HTTPFound, 302)
AIO_WEB_HTTP_MOVE(HTTPSeeOther, 303)
AIO_WEB_HTTP_MOVE(HTTPUseProxy, 305)
AIO_WEB_HTTP_MOVE(HTTPTemporaryRedirect, 307)
AIO_WEB_HTTP_MOVE(HTTPPermanentRedirect, 308)
#undef AIO_WEB_HTTP_MOVE

/// 405 with an Allow header listing `allowed_methods` (aiohttp.web.HTTPMethodNotAllowed).
class HTTPMethodNotAllowed : public HTTPClientError {
public:
    /// 405.
    static constexpr int status_code = 405;
    /// `method` was refused; `allowed_methods` are sent, sorted and without duplicates, comma-separated
    /// in the Allow header.
    HTTPMethodNotAllowed(std::string method, std::vector<std::string> allowed_methods, HTTPExceptionOptions opts = {});
    /// The method that was refused.
    const std::string& method() const noexcept { return method_; }
    /// The methods allowed, as given.
    const std::vector<std::string>& allowed_methods() const noexcept { return allowed_; }

private:
    std::string method_;
    std::vector<std::string> allowed_;
};

/// 413 naming the limit and the size seen (aiohttp.web.HTTPRequestEntityTooLarge).
class HTTPRequestEntityTooLarge : public HTTPClientError {
public:
    /// 413.
    static constexpr int status_code = 413;
    /// The request body passed the limit of `max_size` bytes: `actual_size` is its declared length, or
    /// what was read when the limit was passed. Without a text of its own the answer says so
    /// ("Maximum request body size ... exceeded, actual body size ...").
    HTTPRequestEntityTooLarge(std::uint64_t max_size, std::uint64_t actual_size, HTTPExceptionOptions opts = {});
};

}  // namespace aio::web
