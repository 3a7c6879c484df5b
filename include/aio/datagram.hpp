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

/// What create_datagram_endpoint() makes (the keyword arguments of loop.create_datagram_endpoint).
struct DatagramOptions {
    /// Where to bind ("" with port 0: an ephemeral port on every interface).
    std::string local_host{};
    /// The local port to bind (0: one the kernel picks); the socket is bound when either local field is set.
    std::uint16_t local_port = 0;
    /// Connected mode: the only peer.
    std::string remote_host{};
    /// The peer's port in connected mode.
    std::uint16_t remote_port = 0;
    /// Sets SO_REUSEPORT, so several endpoints can bind the same address (asyncio's reuse_port).
    bool reuse_port = false;
    /// Sets SO_BROADCAST, so datagrams may go to a broadcast address (asyncio's allow_broadcast).
    bool allow_broadcast = false;
};

/// A UDP socket on the loop (what asyncio gives as a DatagramTransport plus its protocol), made by
/// create_datagram_endpoint(). Move-only; owns its socket and closes it when destroyed.
class DatagramEndpoint {
public:
    /// Takes ownership of a datagram socket (already bound / connected as wanted).
    explicit DatagramEndpoint(Socket sock) noexcept : sock_(std::move(sock)) {}
    /// Takes over the other endpoint's socket; the moved-from one is left closed.
    DatagramEndpoint(DatagramEndpoint&&) noexcept = default;
    /// Closes this endpoint's socket, then takes over the other's.
    DatagramEndpoint& operator=(DatagramEndpoint&&) noexcept = default;

    /// One datagram (up to `max` bytes; a longer one is truncated by the
    /// kernel, as recvfrom(2) does) and its sender.
    Task<std::pair<std::string, SocketAddress>> recvfrom(std::size_t max = 65536) { return sock_.recvfrom(max); }
    /// Sends one datagram to addr. Throws OSError (e.g. EMSGSIZE).
    Task<> sendto(std::string_view data, SocketAddress addr);
    /// Connected mode: sends one datagram to the peer. Throws OSError (e.g. EMSGSIZE, ECONNREFUSED).
    Task<> send(std::string_view data);
    /// Connected mode: receives one datagram (up to `max` bytes, the rest truncated) from the peer.
    /// Throws OSError (e.g. ECONNREFUSED after an ICMP port unreachable).
    Task<std::string> recv(std::size_t max = 65536);

    /// The local address (transport.get_extra_info("sockname")). Throws OSError once closed.
    SocketAddress sockname() const { return sock_.getsockname(); }
    /// The peer's address in connected mode (get_extra_info("peername")); throws OSError (ENOTCONN)
    /// when not connected.
    SocketAddress peername() const { return sock_.getpeername(); }
    /// Closes the socket now (transport.close()); idempotent.
    void close() noexcept { sock_.close(); }
    /// True once close() was called (transport.is_closing()).
    bool is_closing() const noexcept { return !sock_; }
    /// The underlying socket (for options); it stays owned by the endpoint.
    Socket& socket() noexcept { return sock_; }

private:
    Socket sock_;
};

/// Makes a UDP endpoint (asyncio.loop.create_datagram_endpoint). Host names
/// are resolved without blocking. Throws gaierror / OSError.
Task<DatagramEndpoint> create_datagram_endpoint(DatagramOptions opts);

}  // namespace aio
