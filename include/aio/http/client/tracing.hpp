// aio/http/client/tracing.hpp — hooks that watch a session's requests
// (aiohttp.TraceConfig), with the time each phase took.
//
//     aio::http::TraceConfig trace;
//     trace.on_request_end = [](const aio::http::TraceRequestEnd& e) {
//         fmt::print("{} {} -> {}\n", e.method, e.url.str(), e.status);
//     };
//     trace.on_response_complete = [](const aio::http::TraceResponseComplete& e) {
//         fmt::print("dns {} connect {} tls {} first byte {} body {}\n", ...);
//     };
//     ClientSession session({.trace_configs = {trace}});
//
// Hooks are plain functions called synchronously on the loop's thread at the
// moment the event happens; they must not throw (an exception from a hook is
// passed to the loop's exception handler) and should be quick. Unset hooks
// cost nothing. The views and references in an event are valid only during
// the call.
#pragma once

#include <aio/http/headers.hpp>
#include <aio/http/url.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string_view>

namespace aio::http {

/// How long each phase of one request took. A phase that did not happen (no
/// DNS lookup for a pooled connection, no TLS over http) is zero.
struct RequestTimings {
    /// A steady_clock duration.
    using Duration = std::chrono::steady_clock::duration;
    /// Waiting for a free connection of the pool (limit / limit_per_host).
    Duration pool_wait{};
    /// Resolving the host name (a cache hit is near zero).
    Duration dns{};
    /// The TCP connection (to the server or the proxy), proxy CONNECT included.
    Duration connect{};
    /// The TLS handshake.
    Duration tls{};
    /// From the request sent to the response head received (time to first
    /// byte, for heads that arrive in one piece).
    Duration first_byte{};
    /// From the end of the response head to the end of the body.
    Duration body{};
    /// The connection came from the pool.
    bool reused_connection = false;
};

/// A request is about to be sent (aiohttp's TraceRequestStartParams).
struct TraceRequestStart {
    /// The method, uppercase.
    std::string_view method;
    /// The URL requested (query parameters added, fragment removed).
    const URL& url;
    /// The headers that will be sent (session defaults, the request's, and those aio adds).
    const Headers& headers;
};
/// The head of a response arrived (aiohttp's TraceRequestEndParams, with the status).
struct TraceRequestEnd {
    /// The method, uppercase.
    std::string_view method;
    /// The URL requested.
    const URL& url;
    /// The headers sent.
    const Headers& headers;
    /// The response's status code.
    int status;
    /// The HTTP/2 stream that carried it; 0 over HTTP/1.1.
    std::int32_t stream_id = 0;
};
/// A request failed with an exception, which is thrown right after the hook (aiohttp's
/// TraceRequestExceptionParams).
struct TraceRequestException {
    /// The method, uppercase.
    std::string_view method;
    /// The URL requested.
    const URL& url;
    /// The exception about to be thrown (a ClientError, aio::TimeoutError, ...).
    std::exception_ptr exception;
    /// The HTTP/2 stream of the last attempt, if it had one; else 0.
    std::int32_t stream_id = 0;
};
/// A redirect is about to be followed (aiohttp's TraceRequestRedirectParams).
struct TraceRequestRedirect {
    /// The method of the request redirected, uppercase.
    std::string_view method;
    /// The URL that answered with the redirect.
    const URL& url;
    /// The redirect status (301, 302, 303, 307 or 308).
    int status;
    /// The Location target, resolved against `url`.
    const URL& location;
};
/// A request is about to be sent again (beyond aiohttp; see on_request_retry).
struct TraceRequestRetry {
    /// The method, uppercase.
    std::string_view method;
    /// The URL requested.
    const URL& url;
    /// The attempt about to be made (2 for the first retry).
    int attempt;
    /// The pause before that attempt (0 when a dead pooled connection is replaced at once).
    std::chrono::duration<double> delay;
    /// Why: the status that asked for it, or 0 after an exception.
    int status;
};
/// A step in getting a connection for a request (aiohttp's TraceConnection*Params).
struct TraceConnection {
    /// The URL of the request the connection is for.
    const URL& url;
};
/// A host name lookup (aiohttp's TraceDnsResolveHost*Params).
struct TraceDns {
    /// The host resolved: the server's, or the proxy's when the request goes through one.
    std::string_view host;
};
/// A response's body was read to its end (beyond aiohttp; see on_response_complete).
struct TraceResponseComplete {
    /// The method, uppercase.
    std::string_view method;
    /// The URL requested.
    const URL& url;
    /// The response's status code.
    int status;
    /// How long each phase took.
    const RequestTimings& timings;
    /// The HTTP/2 stream that carried it; 0 over HTTP/1.1.
    std::int32_t stream_id = 0;
};

/// Hooks into a session's requests (aiohttp.TraceConfig; aiohttp's signals
/// of the same names, with timings added).
struct TraceConfig {
    /// A request is about to be sent (once per redirect hop; retries do not repeat it).
    std::function<void(const TraceRequestStart&)> on_request_start;
    /// The response head arrived.
    std::function<void(const TraceRequestEnd&)> on_request_end;
    /// Sending the request or reading its head failed (after any retries); the exception follows.
    std::function<void(const TraceRequestException&)> on_request_exception;
    /// A redirect response is about to be followed.
    std::function<void(const TraceRequestRedirect&)> on_request_redirect;
    /// Beyond aiohttp: another attempt of the request (RetryPolicy or a dead pooled connection).
    std::function<void(const TraceRequestRetry&)> on_request_retry;
    /// The request starts waiting for a free connection (the pool is at `limit` or `limit_per_host`).
    std::function<void(const TraceConnection&)> on_connection_queued_start;
    /// The wait for a free connection is over.
    std::function<void(const TraceConnection&)> on_connection_queued_end;
    /// A new connection is about to be opened (DNS, TCP, then TLS or a proxy CONNECT).
    std::function<void(const TraceConnection&)> on_connection_create_start;
    /// The new connection is open and ready.
    std::function<void(const TraceConnection&)> on_connection_create_end;
    /// An idle pooled connection is reused.
    std::function<void(const TraceConnection&)> on_connection_reuseconn;
    /// A host name lookup starts (it may be answered by the DNS cache).
    std::function<void(const TraceDns&)> on_dns_resolvehost_start;
    /// The host name lookup succeeded.
    std::function<void(const TraceDns&)> on_dns_resolvehost_end;
    /// Beyond aiohttp: the body was read to its end; every phase's time.
    std::function<void(const TraceResponseComplete&)> on_response_complete;
};

}  // namespace aio::http
