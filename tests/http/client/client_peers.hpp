// Real peers for the HTTP client tests: processes started on loopback ports
// chosen at run time and killed when the guard goes.
#pragma once

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "support/support.hpp"

namespace aio::test {

/// Waits until something accepts connections on 127.0.0.1:port (10 s at most).
inline bool wait_listening(int port) {
    for (int i = 0; i < 500; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int r = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::close(fd);
        if (r == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

/// A background process, started with /bin/sh -c, terminated by the destructor.
struct Process {
    pid_t pid = -1;
    explicit Process(const std::string& command) {
        pid = ::fork();
        if (pid == 0) {
            ::setpgid(0, 0);
            ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process() {
        if (pid > 0) {
            ::kill(-pid, SIGTERM);
            ::kill(pid, SIGTERM);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
    }
};

/// A server on a fresh port, up when constructed (`ok()` says whether it came up).
struct PeerServer {
    int port;
    Process proc;
    bool up;
    PeerServer(const std::string& command_with_port_placeholder, int p)
        : port(p), proc(replace(command_with_port_placeholder, p)), up(wait_listening(p)) {}
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
    static std::string replace(std::string cmd, int p) {
        for (std::size_t at; (at = cmd.find("{port}")) != std::string::npos;) cmd.replace(at, 6, std::to_string(p));
        return cmd;
    }
};

/// The Python aiohttp test server (tests/http/client/peers/aiohttp_server.py).
inline std::string aiohttp_server_command() {
    return "/usr/bin/python3 " + source_path("tests/http/client/peers/aiohttp_server.py") + " {port}";
}
/// The misbehaving raw server (tests/http/client/peers/faulty_server.py).
inline std::string faulty_server_command() {
    return "/usr/bin/python3 " + source_path("tests/http/client/peers/faulty_server.py") + " {port}";
}

inline void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary);
    f << data;
}

/// A test suite sharing one peer server, started once per suite by the
/// command Command() returns.
template <std::string (*Command)()>
class PeerSuite : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = new PeerServer(Command(), free_port()); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(server_->up); }
    static std::string url(const std::string& path) { return server_->base() + path; }
    static inline PeerServer* server_ = nullptr;
};

}  // namespace aio::test
