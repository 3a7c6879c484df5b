// UDP endpoints (asyncio's create_datagram_endpoint): sendto and recvfrom on the loop.
#include "aio/datagram.hpp"

#include "aio/dns.hpp"

namespace aio {

Task<> DatagramEndpoint::sendto(std::string_view data, SocketAddress addr) { co_await sock_.sendto(data, addr); }

Task<> DatagramEndpoint::send(std::string_view data) { co_await sock_.sendto(data, SocketAddress()); }

Task<std::string> DatagramEndpoint::recv(std::size_t max) {
    auto [data, from] = co_await sock_.recvfrom(max);
    co_return std::move(data);
}

Task<DatagramEndpoint> create_datagram_endpoint(DatagramOptions opts) {
    std::optional<SocketAddress> local, remote;
    if (!opts.remote_host.empty()) {
        auto infos = co_await getaddrinfo(opts.remote_host, std::to_string(opts.remote_port), AF_UNSPEC, SOCK_DGRAM);
        remote = infos.at(0).address;
    }
    if (!opts.local_host.empty() || opts.local_port != 0) {
        int family = remote ? remote->family() : AF_UNSPEC;
        auto infos = co_await getaddrinfo(opts.local_host, std::to_string(opts.local_port), family, SOCK_DGRAM, 0,
                                          AI_PASSIVE);
        local = infos.at(0).address;
    }
    int family = remote ? remote->family() : local ? local->family() : AF_INET;
    Socket sock(family, SOCK_DGRAM);
    if (opts.reuse_port) sock.set_option(SOL_SOCKET, SO_REUSEPORT, 1);
    if (opts.allow_broadcast) sock.set_option(SOL_SOCKET, SO_BROADCAST, 1);
    if (local) sock.bind(*local);
    if (remote) co_await sock.connect(*remote);
    co_return DatagramEndpoint(std::move(sock));
}

}  // namespace aio
