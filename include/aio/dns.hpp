// aio/dns.hpp — name resolution that never blocks the loop (loop.getaddrinfo).
//
// getaddrinfo(3) runs on the loop's default thread pool; numeric addresses
// are answered at once without a thread hop. aio::Resolver adds a small TTL
// cache (the HTTP connector uses one per session).
#pragma once

#include <netdb.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "aio/sockets.hpp"
#include "aio/task.hpp"

namespace aio {

/// A failed lookup (Python's socket.gaierror): code() is the EAI_* value.
class gaierror : public OSError {
public:
    /// The lookup of `host` failed with getaddrinfo's `eai_code`; the message has gai_strerror's text
    /// and the host, and filename() is the host.
    gaierror(int eai_code, const std::string& host);
    /// The EAI_* value getaddrinfo(3) returned (socket.gaierror.errno).
    int code() const noexcept { return code_; }

private:
    int code_;
};

/// One result of getaddrinfo (Python's 5-tuple, with the address as a SocketAddress).
struct AddrInfo {
    int family = 0;          ///< The address family: AF_INET or AF_INET6 (AF_UNIX never comes from a lookup).
    int type = 0;            ///< The socket type: SOCK_STREAM, SOCK_DGRAM, ...
    int protocol = 0;        ///< The protocol for socket(2) (IPPROTO_TCP, IPPROTO_UDP, ...).
    std::string canonname;   ///< The canonical name, when AI_CANONNAME was asked (else empty).
    SocketAddress address;   ///< The address and port to connect to or bind.
};

/// loop.getaddrinfo(host, port, family=..., type=..., proto=..., flags=...).
/// Throws gaierror (unknown host, ...), ValueError "embedded null byte" for a
/// host or port holding a NUL (getaddrinfo(3) would look up the part before
/// it). An empty host means the wildcard/loopback as getaddrinfo(3) defines
/// with AI_PASSIVE.
Task<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port, int family = AF_UNSPEC,
                                        int type = SOCK_STREAM, int proto = 0, int flags = 0);

/// Resolves host names to socket addresses with a small cache whose entries
/// live `ttl` (getaddrinfo does not report DNS TTLs, so the cache uses one of
/// its own, like aiohttp's ttl_dns_cache, 10 s by default).
class Resolver {
public:
    /// An empty cache whose entries are reused for `ttl` after their lookup.
    explicit Resolver(std::chrono::steady_clock::duration ttl = std::chrono::seconds(10)) : ttl_(ttl) {}
    /// The addresses of host:port (IPv6 and IPv4 interleaved in the order
    /// getaddrinfo gives, for happy eyeballs). Throws gaierror.
    Task<std::vector<SocketAddress>> resolve(std::string host, std::uint16_t port, int family = AF_UNSPEC);
    /// Forgets every cached entry (aiohttp's TCPConnector.clear_dns_cache()).
    void clear() { cache_.clear(); }
    /// The number of cached entries (one per host, port and family; expired ones may still count until
    /// their next lookup; numeric addresses are never cached).
    std::size_t size() const noexcept { return cache_.size(); }

private:
    struct Entry {
        std::vector<SocketAddress> addresses;
        std::chrono::steady_clock::time_point expires;
    };
    std::chrono::steady_clock::duration ttl_;
    std::map<std::string, Entry> cache_;
};

}  // namespace aio
