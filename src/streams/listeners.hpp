// Listening TCP sockets on every address of a host: start_server's, and
// aio::web's sites and workers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aio/sockets.hpp"
#include "aio/task.hpp"

namespace aio::detail {

/// A listening socket on every address `host` resolves to ("" : every
/// interface, IPv4 and IPv6 where the machine has it), with SO_REUSEADDR,
/// SO_REUSEPORT when asked, IPv6-only for IPv6. Throws OSError (address in
/// use, nothing to listen on).
Task<std::vector<Socket>> bind_listeners(std::string host, std::uint16_t port, bool reuse_port, int backlog);

}  // namespace aio::detail
