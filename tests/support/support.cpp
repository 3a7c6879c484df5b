#include "support/support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace aio::test {

std::string source_path(const std::string& relative) { return std::string(AIO_SOURCE_DIR) + "/" + relative; }

std::string binary_path(const std::string& relative) { return std::string(AIO_BINARY_DIR) + "/" + relative; }

CommandResult run_command(const std::string& command) {
    CommandResult r;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

bool python_has_module(const std::string& module) {
    static std::map<std::string, bool> known;
    auto it = known.find(module);
    if (it == known.end())
        it = known.emplace(module, run_command("/usr/bin/python3 -c 'import " + module + "' 2>/dev/null").status == 0)
                 .first;
    return it->second;
}

namespace {

/// Each open descriptor with what it refers to ("socket:[123]", a path),
/// the listing's own descriptor left out.
std::map<int, std::string> open_fds() {
    std::map<int, std::string> fds;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return fds;
    const int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        int fd = std::atoi(e->d_name);
        if (fd == own) continue;
        char target[256];
        std::string path = std::string("/proc/self/fd/") + e->d_name;
        ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
        if (n < 0) continue;  // closed meanwhile
        fds.emplace(fd, std::string(target, static_cast<std::size_t>(n)));
    }
    ::closedir(d);
    return fds;
}

}  // namespace

int count_open_fds() {
    // Two listings 2 ms apart, counting what both hold, the same object at
    // the same number: a descriptor that lives for microseconds is not the
    // process's. The sanitizers' runtimes open such pipes on any thread
    // (pipe2 and close, to probe memory), and a test's server thread may be
    // in the middle of one while the test counts.
    auto first = open_fds();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    auto second = open_fds();
    int n = 0;
    for (const auto& [fd, target] : first) {
        auto it = second.find(fd);
        if (it != second.end() && it->second == target) ++n;
    }
    return n;
}

ClosedPort::ClosedPort() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
}

ClosedPort::~ClosedPort() {
    if (fd >= 0) ::close(fd);
}

int free_port() { return ClosedPort().port; }

Process::Process(const std::string& command) {
    char tmpl[] = "/tmp/aio-test-peer.XXXXXX";
    int log = ::mkostemp(tmpl, O_CLOEXEC);
    if (log >= 0) log_ = tmpl;
    // Everything the child needs is made before fork(): it may only exec.
    const std::string line = "exec " + command;
    pid_ = ::fork();
    if (pid_ == 0) {
        ::setpgid(0, 0);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
        }
        ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    if (log >= 0) ::close(log);
}

Process::~Process() {
    if (pid_ > 0 && !reaped_) {
        ::kill(-pid_, SIGTERM);
        ::kill(pid_, SIGTERM);
        // A peer may shut down gracefully on SIGTERM and wait for what is
        // still open (aiohttp's run_app waits up to 60 s for its handlers),
        // or ignore it: 5 s, then SIGKILL, so that a test never hangs here.
        for (int i = 0; i < 500 && !exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!reaped_) {
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status_, 0);
        }
    }
    if (!log_.empty()) ::unlink(log_.c_str());
}

bool Process::exited() {
    if (pid_ <= 0) return true;
    if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    return reaped_;
}

std::string Process::how_it_ended() const {
    if (pid_ <= 0) return "could not be started (fork failed)";
    if (!reaped_) return "running";
    if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
    return "killed by signal " + std::to_string(WTERMSIG(status_));
}

bool Process::wait_printed(const std::string& text, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
        // Exited first: what it printed before exiting still counts.
        const bool over = exited() || std::chrono::steady_clock::now() >= end;
        if (output().find(text) != std::string::npos) return true;
        if (over) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string Process::output() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool wait_listening(int port, Process* owner) {
    for (int i = 0; i < 500; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int r = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::close(fd);
        if (r == 0) return true;
        if (owner && owner->exited()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

namespace {
std::string with_port(std::string command, int port) {
    for (std::size_t at; (at = command.find("{port}")) != std::string::npos;) command.replace(at, 6, std::to_string(port));
    return command;
}
}  // namespace

PeerServer::PeerServer(const std::string& command_with_port_placeholder, int p)
    : port(p), proc(with_port(command_with_port_placeholder, p)), up(wait_listening(p, &proc)) {
    if (up) return;
    if (proc.exited())
        why = "the peer `" + with_port(command_with_port_placeholder, p) + "` " + proc.how_it_ended() +
              " before listening (run `bash scripts/deps.sh --check`); it printed:\n" + proc.output();
    else
        why = "nothing listens on port " + std::to_string(p) + " 10 s after starting `" +
              with_port(command_with_port_placeholder, p) + "`; it printed:\n" + proc.output();
}

}  // namespace aio::test
