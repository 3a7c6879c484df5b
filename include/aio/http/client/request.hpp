// aio/http/client/request.hpp — what a request carries: its options
// (aiohttp's keyword arguments of session.request) and its body.
//
//     co_await session.post(url, {.params = {{"page", "2"}},
//                                 .json = aio::json::Object{{"name", "x"}},
//                                 .headers = {{"X-Trace", "1"}},
//                                 .timeout = aio::http::ClientTimeout{.total = 3s}});
#pragma once

#include <aio/async_generator.hpp>
#include <aio/http/client/auth.hpp>
#include <aio/http/client/formdata.hpp>
#include <aio/http/client/retry.hpp>
#include <aio/http/client/timeout.hpp>
#include <aio/http/headers.hpp>
#include <aio/http/multidict.hpp>
#include <aio/http/url.hpp>
#include <aio/json.hpp>
#include <aio/ssl.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace aio::http {

/// A request body (aiohttp's `data=`): bytes, text, a form, or a stream.
///   - std::string / const char* / std::string_view: sent as they are
///     (Content-Type application/octet-stream unless the headers say otherwise);
///   - MultiDict: form fields, urlencoded (application/x-www-form-urlencoded);
///   - FormData: urlencoded or multipart (files streamed from disk);
///   - aio::AsyncGenerator<std::string>: produced while sending, with chunked
///     transfer coding (aiohttp's async-generator payloads). A stream can be
///     sent once: a request with one is neither retried nor redirected with
///     its body (307/308); the redirect response is returned instead.
/// Copyable; copies of a stream share it.
class Payload {
public:
    /// No body (aiohttp's data=None).
    Payload() = default;
    /// These bytes, sent as they are.
    Payload(std::string bytes) : v_(std::move(bytes)) {}
    /// A copy of this NUL-terminated text, sent as it is (`text` must not be null).
    Payload(const char* text) : v_(std::string(text)) {}
    /// A copy of these bytes, sent as they are.
    Payload(std::string_view bytes) : v_(std::string(bytes)) {}
    /// Form fields, sent urlencoded (aiohttp's data=dict).
    Payload(MultiDict form) : v_(std::move(form)) {}
    /// A form, sent urlencoded or as multipart/form-data (aiohttp's data=FormData).
    Payload(FormData form) : v_(std::move(form)) {}
    /// A body produced by `stream` while it is sent, chunked; the payload (and its copies) own the
    /// generator, which can be sent once only.
    Payload(AsyncGenerator<std::string> stream)
        : v_(std::make_shared<AsyncGenerator<std::string>>(std::move(stream))) {}

    /// Whether there is no body (default-constructed).
    bool empty() const noexcept { return std::holds_alternative<std::monostate>(v_); }
    /// False for a stream: it can be sent only once.
    bool replayable() const noexcept { return !std::holds_alternative<Stream>(v_); }

    /// A streamed body: the generator, shared by the copies of the payload.
    using Stream = std::shared_ptr<AsyncGenerator<std::string>>;
    /// What the payload holds: nothing (std::monostate), bytes, form fields, a form, or a stream.
    using Variant = std::variant<std::monostate, std::string, MultiDict, FormData, Stream>;
    /// The body held, for the code that sends it (std::visit over it).
    const Variant& value() const noexcept { return v_; }

private:
    Variant v_;
};

/// The request a response answers (aiohttp.RequestInfo).
struct RequestInfo {
    /// The URL requested (after params were added; the final one after redirects).
    URL url;
    /// The method sent, uppercase ("GET"; a redirect may turn a POST into a GET, as aiohttp).
    std::string method;
    /// The headers sent (session defaults, the request's, and those aio adds).
    Headers headers;
    /// The URL with its fragment (aiohttp's real_url); aio sends no fragment.
    URL real_url;
};

/// Which HTTP version a request may use (beyond aiohttp, which speaks only
/// HTTP/1.1; httpx's `http2=True` and curl's --http2 / --http2-prior-knowledge
/// / --http1.1 are the models).
enum class HttpVersionPolicy {
    /// https: offer "h2" and "http/1.1" by ALPN and speak what the server
    /// picks (curl's default); http: HTTP/1.1.
    automatic,
    /// HTTP/1.1 only: ALPN offers "http/1.1" (on a context aio configures) and never "h2".
    http1_only,
    /// HTTP/2 only: h2c with prior knowledge on http (the connection starts
    /// with the HTTP/2 preface), h2 on https without falling back
    /// (ClientConnectFailedError when the server's ALPN does not pick "h2").
    http2_prior_knowledge,
};

/// The options of one request (the keyword arguments of aiohttp's
/// session.request), for designated initializers. The first nine are in
/// aiohttp's order (params, data, json, headers, timeout, allow_redirects,
/// max_redirects, ssl, proxy); the others follow.
struct RequestOptions {
    /// Query parameters, appended to the URL's own (encoded as yarl does).
    MultiDict params{};
    /// The body (see Payload). Not together with `json`.
    Payload data{};
    /// A JSON body (serialised as Python's json.dumps; Content-Type application/json).
    std::optional<aio::json::Value> json{};
    /// Headers for this request; they replace the session's of the same name.
    Headers headers{};
    /// Automatic headers not to add to this request, besides the session's
    /// (see SessionOptions::skip_auto_headers).
    std::vector<std::string> skip_auto_headers{};
    /// Replaces the session's timeouts when given.
    std::optional<ClientTimeout> timeout{};
    /// Follow 301, 302, 303, 307 and 308 (for HEAD too, as aiohttp).
    bool allow_redirects = true;
    /// More redirects than this raise TooManyRedirects.
    int max_redirects = 10;
    /// TLS for https: empty for the session's setting (verify against the
    /// system's CAs), `false` to skip verification, or an SSLContext.
    aio::SSLOption ssl{};
    /// A proxy URL ("http://proxy:3128"), replacing the session's and the
    /// environment's; empty: none of this request's own.
    std::string proxy{};
    /// Credentials for the proxy (Proxy-Authorization); also taken from the proxy URL.
    std::optional<BasicAuth> proxy_auth{};
    /// Credentials for the server (replaces the session's; also taken from the URL).
    std::optional<BasicAuth> auth{};
    /// Cookies to send with this request besides the jar's.
    MultiDict cookies{};
    /// Send the body with chunked transfer coding even when its size is known.
    bool chunked = false;
    /// Send `Expect: 100-continue` and the body only once the server agrees.
    bool expect100 = false;
    /// Raise ClientResponseError for a 4xx/5xx status (nullopt: the session's setting).
    std::optional<bool> raise_for_status{};
    /// Retries for this request (nullopt: the session's policy).
    std::optional<RetryPolicy> retry{};
    /// The HTTP version policy for this request (nullopt: the session's
    /// SessionOptions::http_version). Requests with different policies use
    /// different connections.
    std::optional<HttpVersionPolicy> http_version{};
};

}  // namespace aio::http
