// Helpers of the server fault tests: an error_log sink, a scratch directory,
// a connection reset, and waits that poll instead of sleeping a fixed time.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/support.hpp"
#include "web/web_fixture.hpp"

namespace aio::test::faults {

/// Sends `first`, then 1 MiB pieces until `limit` bytes or until the peer
/// cuts the connection off (a send fails); returns whether it was cut off.
/// For servers that must stop a lingering close for a client that never
/// stops sending. `sent` gets the bytes sent after `first`.
inline bool send_until_cut_off(int fd, std::string_view first, std::uint64_t limit, std::uint64_t& sent) {
    sent = 0;
    for (std::size_t at = 0; at < first.size();) {
        ssize_t n = ::send(fd, first.data() + at, first.size() - at, MSG_NOSIGNAL);
        if (n <= 0) return true;
        at += static_cast<std::size_t>(n);
    }
    std::string chunk(1 << 20, 'x');
    while (sent < limit) {
        ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n <= 0) return true;
        sent += static_cast<std::uint64_t>(n);
    }
    return false;
}

/// Collects the lines a server writes to its error_log (from its own thread).
class ErrorLog {
public:
    std::function<void(std::string_view)> sink() {
        return [this](std::string_view line) {
            std::lock_guard<std::mutex> lock(mu_);
            lines_.emplace_back(line);
        };
    }
    std::vector<std::string> lines() const {
        std::lock_guard<std::mutex> lock(mu_);
        return lines_;
    }
    /// Waits (5 s at most) until at least n lines were logged.
    bool wait_for_lines(std::size_t n) const {
        for (int i = 0; i < 500; ++i) {
            if (lines().size() >= n) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
    /// Waits (5 s at most) for a line containing `what`.
    bool contains(std::string_view what) const {
        for (int i = 0; i < 500; ++i) {
            for (const auto& l : lines())
                if (l.find(what) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

private:
    mutable std::mutex mu_;
    std::vector<std::string> lines_;
};

/// A fresh directory under $TMPDIR, removed with everything in it.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "aio-faults-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

/// Makes the coming close() of `fd` an RST instead of a FIN (SO_LINGER 0).
inline void reset(int fd) {
    linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/// A GET / answered 200 "Hello, world" on a fresh connection.
inline bool serves(std::uint16_t port) {
    RawClient c(port, 3000);
    if (!c.connected()) return false;
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string r = c.read_until("Hello, world");
    return status_of(r) == 200 && r.find("Hello, world") != std::string::npos;
}

/// Waits until this process holds at most `limit` descriptors.
inline bool fds_settle_to(int limit, std::chrono::milliseconds at_most = std::chrono::milliseconds(5000)) {
    auto end = std::chrono::steady_clock::now() + at_most;
    while (std::chrono::steady_clock::now() < end) {
        if (count_open_fds() <= limit) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return count_open_fds() <= limit;
}

/// Waits (up to 5 s) until the server of `s` holds no connection. `Server` is
/// the web fixture's WebServer (a template: this header does not need it).
template <class Server>
bool connections_drop_to_zero(Server& s) {
    for (int i = 0; i < 500; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::size_t n = 1;
        s.on_loop([&] { n = s.runner()->connections(); });
        if (n == 0) return true;
    }
    return false;
}

}  // namespace aio::test::faults
