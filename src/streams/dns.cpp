// Name resolution (getaddrinfo) on the thread pool, with asyncio's family and flags.
#include "aio/dns.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "aio/threads.hpp"
#include "core/c_string.hpp"

namespace aio {

gaierror::gaierror(int eai_code, const std::string& host)
    : OSError(0, "[Errno " + std::to_string(eai_code) + "] " + ::gai_strerror(eai_code) + ": '" + host + "'", host),
      code_(eai_code) {}

namespace {

std::vector<AddrInfo> lookup(const std::string& host, const std::string& port, int family, int type, int proto,
                             int flags) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.empty() ? nullptr : port.c_str(), &hints, &res);
    if (rc != 0) {
        if (rc == EAI_SYSTEM) throw_os_error(errno, "getaddrinfo", host);
        throw gaierror(rc, host);
    }
    std::vector<AddrInfo> out;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        AddrInfo i;
        i.family = ai->ai_family;
        i.type = ai->ai_socktype;
        i.protocol = ai->ai_protocol;
        if (ai->ai_canonname) i.canonname = ai->ai_canonname;
        i.address = SocketAddress(ai->ai_addr, ai->ai_addrlen);
        out.push_back(std::move(i));
    }
    ::freeaddrinfo(res);
    return out;
}

bool is_numeric(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    std::string h = host;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

Task<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port, int family, int type, int proto,
                                        int flags) {
    // "localhost\0.example.com" would look up "localhost": ValueError, as Python's.
    aio::detail::check_no_nul(host);
    aio::detail::check_no_nul(port);
    if (is_numeric(host)) co_return lookup(host, port, family, type, proto, flags | AI_NUMERICHOST);
    co_return co_await to_thread(lookup, host, port, family, type, proto, flags);
}

Task<std::vector<SocketAddress>> Resolver::resolve(std::string host, std::uint16_t port, int family) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string key = host + '\n' + std::to_string(port) + '\n' + std::to_string(family);
    auto now = std::chrono::steady_clock::now();
    if (auto it = cache_.find(key); it != cache_.end()) {
        if (it->second.expires > now) co_return it->second.addresses;
        cache_.erase(it);
    }
    auto infos = co_await getaddrinfo(host, std::to_string(port), family, SOCK_STREAM);
    std::vector<SocketAddress> addrs;
    for (auto& i : infos) addrs.push_back(i.address);
    if (!is_numeric(host)) cache_[key] = Entry{addrs, aio::detail::add_saturating(std::chrono::steady_clock::now(), ttl_)};  // ttl max: kept for good
    co_return addrs;
}

}  // namespace aio
