// aio/http/client/timeout.hpp — the phases of a request that may time out
// (aiohttp.ClientTimeout).
//
//     co_await session.get(url, {.timeout = aio::http::ClientTimeout{.total = 3s, .sock_read = 500ms}});
//
// Every member is optional: an empty one sets no limit. A request's `timeout`
// replaces the session's whole (it is not merged member by member), as in aiohttp.
#pragma once

#include <chrono>
#include <optional>

namespace aio::http {

/// Timeouts of a request (aiohttp.ClientTimeout), each failing with its own
/// error type (see <aio/http/errors.hpp>). Durations are taken as any
/// std::chrono duration and kept as floating seconds, like Python's floats.
struct ClientTimeout {
    /// Seconds as a double (Python's float seconds); any std::chrono duration converts to it.
    using Duration = std::chrono::duration<double>;
    /// The whole request: getting a connection, sending, and reading the
    /// response up to the end of its body (also while the caller reads the
    /// body later). Raises aio::TimeoutError.
    std::optional<Duration> total{};
    /// Getting a connection: waiting for a free one of the pool plus making a
    /// new one (DNS, TCP, TLS, proxy). Raises ConnectionTimeoutError.
    std::optional<Duration> connect{};
    /// Connecting to one peer address (TCP and TLS), each attempt apart.
    /// Raises ConnectionTimeoutError.
    std::optional<Duration> sock_connect{};
    /// The longest wait for new bytes of the response. Raises SocketTimeoutError.
    std::optional<Duration> sock_read{};
    /// Waiting for a free connection when the pool's `limit` or
    /// `limit_per_host` is reached (aiohttp counts this in `connect` only).
    /// Raises PoolTimeoutError.
    std::optional<Duration> pool{};
};

/// A session's timeouts unless told otherwise: aiohttp's DEFAULT_TIMEOUT
/// (5 minutes in all, 30 seconds to connect to one address).
inline ClientTimeout default_client_timeout() {
    return ClientTimeout{.total = std::chrono::minutes(5), .sock_connect = std::chrono::seconds(30)};
}

}  // namespace aio::http
