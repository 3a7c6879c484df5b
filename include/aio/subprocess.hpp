// aio/subprocess.hpp — child processes (asyncio: subprocess.py).
//
//     auto p = co_await aio::create_subprocess_exec("ls", {"-l"}, {.stdout_ = aio::PIPE});
//     auto [out, err] = co_await p.communicate();
//     int code = p.returncode().value();
//
// The child's exit is observed through a pidfd (poll on the loop), never by
// blocking in waitpid. Pipes are non-blocking streams on the loop.
// communicate() reads stdout and stderr while it writes stdin, so a child that
// writes a lot cannot deadlock against a full pipe.
// Cancelling communicate() or wait() cancels the wait only: the child keeps
// running (as asyncio); kill() it if it must stop. A Process destroyed while
// its child runs hands the child to the loop, which reaps it when it exits
// (no zombie); at loop shutdown the remaining children are left running and
// reaped by the system when this process exits.
// Every descriptor aio opens for a child (pipes, /dev/null) is close-on-exec
// in this process: only its copy on the child's 0, 1 or 2 crosses the exec,
// and a child another thread starts meanwhile inherits none of them.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "aio/streams.hpp"
#include "aio/task.hpp"

namespace aio {

/// Where a child's standard stream goes (asyncio.subprocess.PIPE / DEVNULL /
/// STDOUT, or inherited when not given).
enum class Redirect { INHERIT, PIPE, DEVNULL, STDOUT };
inline constexpr Redirect PIPE = Redirect::PIPE;
inline constexpr Redirect DEVNULL = Redirect::DEVNULL;
/// For stderr_: into the same pipe/file as stdout.
inline constexpr Redirect STDOUT = Redirect::STDOUT;

/// A redirection, or a file descriptor of this process to hand to the child.
using StdioSpec = std::variant<Redirect, int>;

/// How create_subprocess_exec / create_subprocess_shell start the child (their keyword arguments).
/// A file descriptor given for a stream stays owned by the caller; the child gets a copy of it.
struct SubprocessOptions {
    /// The child's standard input: INHERIT, PIPE (then Process::stdin_() writes to it), DEVNULL or a fd.
    StdioSpec stdin_ = Redirect::INHERIT;
    /// The child's standard output: INHERIT, PIPE (read it with Process::stdout_()), DEVNULL or a fd.
    StdioSpec stdout_ = Redirect::INHERIT;
    /// The child's standard error: as stdout_, or STDOUT to merge it into stdout (ValueError elsewhere).
    StdioSpec stderr_ = Redirect::INHERIT;
    /// The child's working directory (empty: this process's).
    std::string cwd{};
    /// The child's whole environment (nullopt: this process's).
    std::optional<std::map<std::string, std::string>> env{};
    /// Buffer limit of the stdout/stderr readers.
    std::size_t limit = kDefaultStreamLimit;
};

/// A running or finished child process (asyncio.subprocess.Process).
class Process {
public:
    /// Takes over the other object's child; the moved-from Process may only be assigned or destroyed.
    Process(Process&&) noexcept;
    /// Takes over the other object's child. The child this object held is let go as the destructor
    /// lets it go: its pipes closed and, if it still runs, reaped by the loop when it ends.
    Process& operator=(Process&&) noexcept;
    ~Process();

    /// The child's process id (Process.pid).
    pid_t pid() const noexcept;
    /// The exit status once the child has been reaped: its exit code, or the
    /// negated signal number if a signal ended it (as Python). nullopt while running.
    std::optional<int> returncode() const noexcept;

    /// The pipes (null unless that stream was PIPE). Writing to stdin_ after
    /// the child closed it (or exited) makes the writer's drain() throw
    /// BrokenPipeError; it never raises SIGPIPE, whatever this process's
    /// disposition of that signal (pipes have no MSG_NOSIGNAL: aio blocks
    /// SIGPIPE on the writing thread for the write and takes back the one the
    /// write raised).
    StreamWriter* stdin_() noexcept;
    /// The reader of the child's stdout pipe (Process.stdout); null unless stdout_ was PIPE. Owned by the
    /// Process.
    StreamReader* stdout_() noexcept;
    /// The reader of the child's stderr pipe (Process.stderr); null unless stderr_ was PIPE. Owned by the
    /// Process.
    StreamReader* stderr_() noexcept;

    /// Waits for the child to exit; its returncode.
    Task<int> wait();
    /// Writes `input` to stdin (then closes it), reads stdout and stderr to
    /// EOF, waits for the exit. Returns (stdout, stderr); a stream that is not
    /// a PIPE gives "". Never throws BrokenPipeError: a child that exits or
    /// closes its stdin before reading all of `input` simply does not get the
    /// rest (as asyncio, which ignores BrokenPipeError and ConnectionResetError
    /// there).
    Task<std::pair<std::string, std::string>> communicate(std::string input = {});
    /// Sends a signal (ProcessLookupError once the child has been reaped).
    void send_signal(int sig);
    /// Sends SIGTERM (Process.terminate()); ProcessLookupError once the child has been reaped.
    void terminate() { send_signal(SIGTERM); }
    /// Sends SIGKILL (Process.kill()); ProcessLookupError once the child has been reaped.
    void kill() { send_signal(SIGKILL); }

    struct State;
    /// For the library: the process of state `s` (create_subprocess_exec / _shell make these).
    explicit Process(std::shared_ptr<State> s);

private:
    std::shared_ptr<State> s_;
};

/// Starts `program` with `args` (searched in PATH when it has no '/';
/// asyncio.create_subprocess_exec). Throws FileNotFoundError /
/// PermissionError naming the program when it cannot be executed;
/// ValueError for a NUL byte in the program, an argument, cwd or env
/// ("embedded null byte") and for an env name that is empty or holds '='
/// (Python's messages); OSError (EBADF) for a stream given as a descriptor
/// that is not open.
Task<Process> create_subprocess_exec(std::string program, std::vector<std::string> args, SubprocessOptions opts);
/// Without options: the child inherits this process's stdio, cwd and environment.
/// (Overloads rather than default arguments: g++ 12 mishandles aggregate
/// default arguments inside co_await.)
Task<Process> create_subprocess_exec(std::string program, std::vector<std::string> args);
Task<Process> create_subprocess_exec(std::string program);
/// Runs `command` with /bin/sh -c (asyncio.create_subprocess_shell).
Task<Process> create_subprocess_shell(std::string command, SubprocessOptions opts);
Task<Process> create_subprocess_shell(std::string command);

}  // namespace aio
