// aio/activation.hpp — listening sockets handed over by a service manager:
// systemd socket activation (sd_listen_fds(3)), also what `aio::web`'s
// process workers receive from their supervisor.
//
//     std::vector<aio::Socket> inherited = aio::listen_fds();
//     if (inherited.empty()) { /* not socket-activated: bind as usual */ }
//
// The protocol: the manager opens and binds the sockets, starts the service
// with them at descriptors 3, 4, ... and sets LISTEN_FDS to their count and
// LISTEN_PID to the service's pid (so a child that inherits the environment
// does not take them for its own). The socket outlives the service: a
// restart loses no connection that the kernel queued meanwhile.
#pragma once

#include <vector>

#include "aio/sockets.hpp"

namespace aio {

/// The sockets passed to this process (sd_listen_fds semantics): none when
/// LISTEN_PID is unset or names another process. Each is made
/// non-blocking and close-on-exec, and owned by the returned Socket. With
/// `unset_environment` (the default) LISTEN_PID, LISTEN_FDS and
/// LISTEN_FDNAMES are removed, so that a second call and any child process
/// see none; setenv/unsetenv are not thread-safe, so call it before starting
/// threads that read the environment.
/// Throws ValueError for a LISTEN_FDS or LISTEN_PID that is not a number (or
/// an absurd count), OSError (EBADF) when a promised descriptor is not open.
std::vector<Socket> listen_fds(bool unset_environment = true);

/// The first descriptor of socket activation (SD_LISTEN_FDS_START).
inline constexpr int kListenFdsStart = 3;

}  // namespace aio
