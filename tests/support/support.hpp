// Helpers shared by the tests.
#pragma once

#include <chrono>
#include <string>

namespace aio::test {

/// Path of a file in the source tree (tests/..., examples/...).
std::string source_path(const std::string& relative);
/// Path of a file in the build tree.
std::string binary_path(const std::string& relative);
/// Runs a shell command, returns its exit status and captures stdout (+stderr if merge).
struct CommandResult {
    int status = -1;
    std::string output;
};
CommandResult run_command(const std::string& command);
/// Number of open file descriptors of this process.
int count_open_fds();
/// A TCP port on 127.0.0.1 held bound but not listening while this lives:
/// a connection to it is refused, and nobody else can take it meanwhile.
struct ClosedPort {
    ClosedPort();
    ~ClosedPort();
    ClosedPort(const ClosedPort&) = delete;
    ClosedPort& operator=(const ClosedPort&) = delete;
    int fd = -1;
    int port = 0;
};
/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace aio::test
