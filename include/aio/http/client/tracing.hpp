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
#include <exception>
#include <functional>
#include <string_view>

namespace aio::http {

/// How long each phase of one request took. A phase that did not happen (no
/// DNS lookup for a pooled connection, no TLS over http) is zero.
struct RequestTimings {
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

struct TraceRequestStart {
    std::string_view method;
    const URL& url;
    const Headers& headers;
};
struct TraceRequestEnd {
    std::string_view method;
    const URL& url;
    const Headers& headers;
    int status;
};
struct TraceRequestException {
    std::string_view method;
    const URL& url;
    std::exception_ptr exception;
};
struct TraceRequestRedirect {
    std::string_view method;
    const URL& url;
    int status;
    const URL& location;
};
struct TraceRequestRetry {
    std::string_view method;
    const URL& url;
    /// The attempt about to be made (2 for the first retry).
    int attempt;
    std::chrono::duration<double> delay;
    /// Why: the status that asked for it, or 0 after an exception.
    int status;
};
struct TraceConnection {
    const URL& url;
};
struct TraceDns {
    std::string_view host;
};
struct TraceResponseComplete {
    std::string_view method;
    const URL& url;
    int status;
    const RequestTimings& timings;
};

/// Hooks into a session's requests (aiohttp.TraceConfig; aiohttp's signals
/// of the same names, with timings added).
struct TraceConfig {
    std::function<void(const TraceRequestStart&)> on_request_start;
    /// The response head arrived.
    std::function<void(const TraceRequestEnd&)> on_request_end;
    std::function<void(const TraceRequestException&)> on_request_exception;
    std::function<void(const TraceRequestRedirect&)> on_request_redirect;
    /// Beyond aiohttp: another attempt of the request (RetryPolicy or a dead pooled connection).
    std::function<void(const TraceRequestRetry&)> on_request_retry;
    std::function<void(const TraceConnection&)> on_connection_queued_start;
    std::function<void(const TraceConnection&)> on_connection_queued_end;
    std::function<void(const TraceConnection&)> on_connection_create_start;
    std::function<void(const TraceConnection&)> on_connection_create_end;
    std::function<void(const TraceConnection&)> on_connection_reuseconn;
    std::function<void(const TraceDns&)> on_dns_resolvehost_start;
    std::function<void(const TraceDns&)> on_dns_resolvehost_end;
    /// Beyond aiohttp: the body was read to its end; every phase's time.
    std::function<void(const TraceResponseComplete&)> on_response_complete;
};

}  // namespace aio::http
