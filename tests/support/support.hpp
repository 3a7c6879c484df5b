// Helpers shared by the tests.
#pragma once

#include <sys/types.h>

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
/// Does /usr/bin/python3 import MODULE? (Asked once per module and process.)
bool python_has_module(const std::string& module);
/// Number of open file descriptors of this process: those open both now and 2 ms
/// later (a sanitizer runtime's momentary pipes on other threads do not count).
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

/// A background process (`/bin/sh -c "exec COMMAND"`) in a process group of its
/// own, its stdout and stderr kept in a log file; the destructor terminates the
/// group, reaps the process and removes the log. A test that needs a peer asks
/// `exited()` so that a peer which could not start (a missing program or Python
/// module) fails the test at once, with what the peer printed.
class Process {
public:
    explicit Process(const std::string& command);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    /// Has the process ended? (Reaps it when it has.)
    bool exited();
    /// "exited with status N" / "killed by signal N" once exited(), else "running".
    std::string how_it_ended() const;
    /// Everything the process wrote to stdout and stderr so far.
    std::string output() const;
    /// Waits until the output holds `text`: true as soon as it does; false
    /// once the process has exited without printing it, or after `limit`.
    bool wait_printed(const std::string& text, std::chrono::milliseconds limit = std::chrono::seconds(30));

private:
    pid_t pid_ = -1;
    int status_ = 0;
    bool reaped_ = false;
    std::string log_;
};

/// Waits until something accepts connections on 127.0.0.1:port (10 s at most);
/// gives up at once when `owner` is given and has exited.
bool wait_listening(int port, Process* owner = nullptr);

/// A server started by COMMAND (where `{port}` stands for a fresh port), up when
/// constructed: `up` says whether it listens, `why` what went wrong when not
/// (the peer's exit status and output, or the wait that ran out).
struct PeerServer {
    PeerServer(const std::string& command_with_port_placeholder, int port);
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
    int port;
    Process proc;
    bool up;
    std::string why;
};

}  // namespace aio::test
