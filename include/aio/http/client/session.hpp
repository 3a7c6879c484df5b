// aio/http/client/session.hpp — aio::http::ClientSession (aiohttp.ClientSession
// with its TCPConnector).
//
//     aio::http::ClientSession session;
//     auto resp = co_await session.get("https://example.org/", {.timeout = ClientTimeout{.total = 3s}});
//     resp.raise_for_status();
//     std::string body = co_await resp.text();
//     co_await session.close();
//
// A session owns a pool of keep-alive connections, a DNS cache and a cookie
// jar, and gives every request its defaults (base_url, headers, auth,
// timeouts, proxy, retry policy, trace hooks). Make one per application (or
// per group of requests sharing those settings) and reuse it: a new session
// per request throws the pool away.
//
// The pool (aiohttp's TCPConnector): connections are kept per (scheme, host,
// port, TLS settings, proxy). At most `limit` connections are in use at once
// (0: no limit), and at most `limit_per_host` per key (0: no limit); a
// request beyond that waits, first come first served (ClientTimeout::pool
// and ::connect bound the wait). An idle connection is closed after
// `keepalive_timeout`, when the server asked for `Connection: close`, when
// the response body was not read to its end, or when it held unexpected bytes.
//
// HTTP/2 (beyond aiohttp; as httpx and curl): on https the TLS handshake
// offers "h2" and "http/1.1" by ALPN (SessionOptions::http_version). When
// aio configures the TLS context (ssl left empty or false) it sets the ALPN
// list; an SSLContext you pass is given {"h2", "http/1.1"} (http1_only:
// {"http/1.1"}) when it has no ALPN list of its own, as httpx sets it on
// the context it is given, and is used as it is otherwise. Requests to one
// origin then share one connection, one stream each, as many at once as the
// server's SETTINGS_MAX_CONCURRENT_STREAMS allows; when its streams run out
// another connection is opened within `limit` / `limit_per_host`, which
// count connections (an HTTP/2 connection with streams is one in use,
// without streams one idle). A connection that got GOAWAY takes no new
// streams. A request the server did not process (REFUSED_STREAM, or a stream
// above a GOAWAY's last-stream-id) is sent once more on a new connection
// when its body can be sent again. Responses read the same way; their
// version() is 2.0, trailers() holds trailing header fields. Plain http://
// through a proxy is always HTTP/1.1; a CONNECT tunnel may carry h2.
//
// Lifetime and threads: a session belongs to the loop's thread; the session
// must outlive the requests it runs (each request's Task refers to it), but
// not the responses. close() closes the idle connections and waits until
// they are closed; a session destroyed without close() closes its sockets at
// once and reports "Unclosed client session" to the loop's exception handler,
// as aiohttp warns.
#pragma once

#include <aio/http/client/cookie_jar.hpp>
#include <aio/http/client/request.hpp>
#include <aio/http/client/response.hpp>
#include <aio/http/client/retry.hpp>
#include <aio/http/client/timeout.hpp>
#include <aio/http/client/tracing.hpp>
#include <aio/http/client/websocket.hpp>
#include <aio/http/headers.hpp>
#include <aio/ssl.hpp>
#include <aio/task.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aio::http {

namespace detail {
class Connector;
struct SessionCore;
}  // namespace detail

/// The settings of a session (aiohttp's ClientSession and TCPConnector
/// keyword arguments), for designated initializers. base_url, headers and
/// timeout come first, as users write them most.
struct SessionOptions {
    /// Relative request URLs are joined to it ("http://api.local/v1/" +
    /// "users" is "http://api.local/v1/users").
    std::string base_url{};
    /// Headers sent with every request (a request's own replace these by name).
    Headers headers{};
    /// Timeouts of every request that gives none.
    ClientTimeout timeout = default_client_timeout();
    /// Credentials sent with every request (Authorization: Basic).
    std::optional<BasicAuth> auth{};
    /// Cookies to start with (sent to every host); see CookieJar::update_cookies
    /// for the names and values it takes.
    MultiDict cookies{};
    /// The cookie store; one of its own (unsafe = false) when empty. Shared
    /// pointers let several sessions share one jar.
    std::shared_ptr<CookieJar> cookie_jar{};
    /// Raise ClientResponseError for every 4xx/5xx response.
    bool raise_for_status = false;
    /// Decode gzip / deflate / br bodies (and send Accept-Encoding).
    bool auto_decompress = true;
    /// Use HTTP_PROXY / HTTPS_PROXY / NO_PROXY (any case) from the environment.
    bool trust_env = false;
    /// A proxy for every request ("http://host:3128"), unless a request names its own.
    std::string proxy{};
    /// Credentials for the proxy (Proxy-Authorization), unless a request gives its own; the proxy
    /// URL's user-info is used when neither does.
    std::optional<BasicAuth> proxy_auth{};
    /// TLS for https (see RequestOptions::ssl); empty: the system's CAs.
    aio::SSLOption ssl{};
    /// Connections in use at once, in all (0: unlimited). aiohttp's default.
    std::size_t limit = 100;
    /// Connections in use at once to one (scheme, host, port) (0: unlimited).
    std::size_t limit_per_host = 0;
    /// How long an idle connection is kept (aiohttp's 15 s).
    std::chrono::duration<double> keepalive_timeout = std::chrono::seconds(15);
    /// How long resolved addresses are cached (aiohttp's ttl_dns_cache).
    std::chrono::duration<double> ttl_dns_cache = std::chrono::seconds(10);
    /// The largest body accepted, counted before and after decoding (a guard
    /// against decompression bombs and endless bodies): ClientPayloadError beyond it.
    std::uint64_t max_body_size = std::uint64_t(1) << 30;
    /// The longest status line or chunk-size line of a response, CRLF excluded (LineTooLong beyond it).
    std::size_t max_line_size = 8190;
    /// The longest header field line of a response, name and value (LineTooLong beyond it).
    std::size_t max_field_size = 8190;
    /// Bytes read from a socket at most at once (aiohttp's read_bufsize).
    std::size_t read_bufsize = 64 * 1024;
    /// Retries (see RetryPolicy); none by default.
    RetryPolicy retry{};
    /// Hooks watching every request.
    std::vector<TraceConfig> trace_configs{};
    /// The User-Agent header unless the request sets one.
    std::string user_agent = "aio-http/0.1";
    /// Headers aio would add on its own that it must not add (aiohttp's
    /// skip_auto_headers): any of Host, Accept, Accept-Encoding, User-Agent and
    /// Content-Type, in any case. A header given explicitly is still sent; a
    /// request's own list adds to this one.
    std::vector<std::string> skip_auto_headers{};
    /// Which HTTP version requests use (see HttpVersionPolicy): by default h2
    /// on https when the server's ALPN picks it, else HTTP/1.1.
    HttpVersionPolicy http_version = HttpVersionPolicy::automatic;
};

/// A client session (aiohttp.ClientSession). Not copyable or movable: requests
/// refer to it.
class ClientSession {
public:
    /// A session with these settings (aiohttp's ClientSession(...)); it opens no connection yet.
    /// Throws InvalidURL when `options.base_url` is not a URL, and aio::ValueError
    /// when a cookie of `options.cookies` could not be sent (CookieJar::update_cookies).
    explicit ClientSession(SessionOptions options = {});
    ClientSession(const ClientSession&) = delete;
    ClientSession& operator=(const ClientSession&) = delete;
    /// Closes what is left and, if close() was not called, warns.
    ~ClientSession();

    /// Sends a request and returns the response once its head has arrived
    /// (aiohttp's session.request). `method` is uppercased, as aiohttp does
    /// ("get" sends "GET"; any token). Follows redirects, retries and times out as `opts` and the
    /// session say. Throws InvalidURL, the ClientError family (see
    /// <aio/http/errors.hpp>), aio::TimeoutError (total), aio::RuntimeError
    /// when the session is closed, aio::ValueError for contradicting options
    /// (data and json together).
    Task<ClientResponse> request(std::string method, std::string url, RequestOptions opts);
    /// request("GET", url, opts) (aiohttp's session.get).
    Task<ClientResponse> get(std::string url, RequestOptions opts);
    /// request("POST", url, opts) (aiohttp's session.post).
    Task<ClientResponse> post(std::string url, RequestOptions opts);
    /// request("PUT", url, opts) (aiohttp's session.put).
    Task<ClientResponse> put(std::string url, RequestOptions opts);
    /// request("PATCH", url, opts) (aiohttp's session.patch).
    Task<ClientResponse> patch(std::string url, RequestOptions opts);
    /// DELETE (aiohttp's delete; `delete` is a C++ keyword).
    Task<ClientResponse> delete_(std::string url, RequestOptions opts);
    /// request("HEAD", url, opts) (aiohttp's session.head); the response has no body.
    Task<ClientResponse> head(std::string url, RequestOptions opts);
    /// request("OPTIONS", url, opts) (aiohttp's session.options).
    Task<ClientResponse> options(std::string url, RequestOptions opts);
    // The same with default options. Overloads rather than `opts = {}`: a
    // defaulted class-type argument is a temporary in the caller's co_await
    // expression, which g++ 12 destroys twice (docs/differences.md).
    /// request(method, url, {}): the request with default options.
    Task<ClientResponse> request(std::string method, std::string url);
    /// get(url, {}).
    Task<ClientResponse> get(std::string url);
    /// post(url, {}): a POST without a body.
    Task<ClientResponse> post(std::string url);
    /// put(url, {}): a PUT without a body.
    Task<ClientResponse> put(std::string url);
    /// patch(url, {}): a PATCH without a body.
    Task<ClientResponse> patch(std::string url);
    /// delete_(url, {}).
    Task<ClientResponse> delete_(std::string url);
    /// head(url, {}).
    Task<ClientResponse> head(std::string url);
    /// options(url, {}).
    Task<ClientResponse> options(std::string url);

    /// Opens a WebSocket (aiohttp's ws_connect): a GET of `url` (ws://,
    /// wss://, or http(s):// as aiohttp allows) with the upgrade headers,
    /// the offered subprotocols and, unless `opts.compress` is 0,
    /// permessage-deflate. Throws WSServerHandshakeError when the answer is
    /// not a valid 101 (wrong status, a missing or wrong Upgrade, Connection
    /// or Sec-WebSocket-Accept, an extension or subprotocol not offered),
    /// else what request() throws.
    Task<ClientWebSocketResponse> ws_connect(std::string url);
    /// The same with options (see WSConnectOptions); also throws aio::ValueError when
    /// `opts.compress` is neither 0 nor 9..15.
    Task<ClientWebSocketResponse> ws_connect(std::string url, WSConnectOptions opts);

    /// Closes the idle connections and waits until they are closed; the
    /// connections held by responses close when those are released. Requests
    /// after close() throw aio::RuntimeError. Idempotent.
    Task<> close();
    /// True once close() has been called (aiohttp's ClientSession.closed).
    bool closed() const noexcept;

    /// The session's cookie store.
    CookieJar& cookie_jar() noexcept;
    /// The session's default headers.
    const Headers& headers() const noexcept;
    /// The settings the session was made with.
    const SessionOptions& options() const noexcept;

    /// Pool statistics (for tests and monitoring).
    struct PoolStats {
        /// Connections lent to requests now.
        std::size_t in_use = 0;
        /// Idle keep-alive connections.
        std::size_t idle = 0;
        /// Connections opened since the session began.
        std::size_t opened = 0;
        /// Requests that waited for a free connection.
        std::size_t waited = 0;
        /// HTTP/2 connections open now (in use or idle; counted in those two as well).
        std::size_t http2 = 0;
        /// HTTP/2 streams open now, over all connections.
        std::size_t streams = 0;
    };
    /// The pool's counts now.
    PoolStats pool_stats() const noexcept;

private:
    Task<ClientResponse> request_impl(std::string method, std::string url, RequestOptions opts, bool websocket);
    detail::Connector& connector() noexcept;
    std::shared_ptr<detail::SessionCore> core_;
};

}  // namespace aio::http
