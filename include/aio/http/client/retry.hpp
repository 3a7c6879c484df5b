// aio/http/client/retry.hpp — retrying failed requests with backoff and a
// per-host budget (beyond aiohttp, which has no retries of its own).
//
//     ClientSession session({.retry = {.attempts = 3}});
//
// A request is retried only when it is safe and likely to help:
//   - its method is idempotent (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) and
//     its body can be sent again (not a one-shot stream);
//   - it failed with a connection error (ClientConnectorError,
//     ServerDisconnectedError, ClientOSError), a connect or sock_read
//     timeout, or got one of `statuses` (502, 503, 504 by default);
//   - the host's retry budget has a token left.
// Between attempts the request sleeps min(max_backoff, backoff * multiplier^(n-1)),
// reduced by a random share of up to `jitter` of itself (full jitter at 1.0),
// or the response's Retry-After (seconds) when that is longer and at most max_backoff.
//
// The budget keeps retries from multiplying an outage: each host has a
// bucket of up to `budget_max` tokens, full at first; every first attempt
// adds `budget_ratio` of a token, every retry takes one. With the defaults,
// retries add at most 20% to the load on a failing host once the initial 10
// are spent. A `total` timeout bounds all attempts together.
//
// Independently of this policy (even with attempts = 1), a request that
// fails because a kept-alive connection from the pool turned out closed by
// the server is sent once more on a new connection, when it is idempotent:
// the server never saw it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace aio::http {

/// How a session retries requests that failed.
struct RetryPolicy {
    /// Seconds as a double; any std::chrono duration converts to it.
    using Duration = std::chrono::duration<double>;
    /// Attempts in all, the first included: 1 means no retry.
    int attempts = 1;
    /// The pause before the first retry.
    Duration backoff = std::chrono::milliseconds(100);
    /// Each further pause is this many times the previous one.
    double multiplier = 2.0;
    /// No pause is longer.
    Duration max_backoff = std::chrono::seconds(10);
    /// The share of each pause drawn at random and taken off (0: none, 1:
    /// anywhere between 0 and the pause): spreads out clients that failed together.
    double jitter = 1.0;
    /// Response statuses worth another attempt (gateway and overload errors).
    std::vector<int> statuses = {502, 503, 504};
    /// Tokens a host's budget holds at most (and at first).
    double budget_max = 10.0;
    /// Tokens each first attempt adds to its host's budget.
    double budget_ratio = 0.2;
};

}  // namespace aio::http
