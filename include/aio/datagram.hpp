// aio/datagram.hpp — UDP (asyncio: loop.create_datagram_endpoint), as an
// object with awaitable receive and send instead of a protocol class.
//
//     auto ep = co_await aio::create_datagram_endpoint({.local_host = "127.0.0.1"});
//     co_await ep.sendto("ping", peer);
//     auto [data, from] = co_await ep.recvfrom();
//
// Connected mode (remote_host set): send()/recv() talk to that peer only and
// the kernel drops datagrams from anyone else.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "aio/sockets.hpp"
#include "aio/task.hpp"

namespace aio {

struct DatagramOptions {
    /// Where to bind ("" with port 0: an ephemeral port on every interface).
    std::string local_host{};
    std::uint16_t local_port = 0;
    /// Connected mode: the only peer.
    std::string remote_host{};
    std::uint16_t remote_port = 0;
    bool reuse_port = false;
    bool allow_broadcast = false;
};

class DatagramEndpoint {
public:
    explicit DatagramEndpoint(Socket sock) noexcept : sock_(std::move(sock)) {}
    DatagramEndpoint(DatagramEndpoint&&) noexcept = default;
    DatagramEndpoint& operator=(DatagramEndpoint&&) noexcept = default;

    /// One datagram (up to `max` bytes; a longer one is truncated by the
    /// kernel, as recvfrom(2) does) and its sender.
    Task<std::pair<std::string, SocketAddress>> recvfrom(std::size_t max = 65536) { return sock_.recvfrom(max); }
    /// Sends one datagram to addr. Throws OSError (e.g. EMSGSIZE).
    Task<> sendto(std::string_view data, SocketAddress addr);
    /// Connected mode: one datagram to / from the peer.
    Task<> send(std::string_view data);
    Task<std::string> recv(std::size_t max = 65536);

    SocketAddress sockname() const { return sock_.getsockname(); }
    SocketAddress peername() const { return sock_.getpeername(); }
    void close() noexcept { sock_.close(); }
    bool is_closing() const noexcept { return !sock_; }
    Socket& socket() noexcept { return sock_; }

private:
    Socket sock_;
};

/// Makes a UDP endpoint (asyncio.loop.create_datagram_endpoint). Host names
/// are resolved without blocking. Throws gaierror / OSError.
Task<DatagramEndpoint> create_datagram_endpoint(DatagramOptions opts);

}  // namespace aio
