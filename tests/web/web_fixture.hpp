// A web server on a thread of its own for the tests, and raw-socket helpers.
#pragma once

#include <cerrno>

#include <aio/aio.hpp>
#include <aio/http.hpp>
#include <aio/web.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace aio::test {

/// Runs an Application with AppRunner/TCPSite on 127.0.0.1 (port picked by
/// the kernel) in a background thread; stops it gracefully on destruction.
class WebServer {
public:
    explicit WebServer(std::function<void(web::Application&)> setup, web::ServerOptions opts = {},
                       web::SiteOptions site = {}, web::ApplicationOptions app_opts = {})
        : setup_(std::move(setup)), opts_(std::move(opts)), site_(std::move(site)), app_opts_(app_opts) {
        thread_ = std::thread([this] {
            try {
                aio::run(main());
            } catch (const std::exception& e) {
                error_ = e.what();
                ready_ = true;
            }
        });
        while (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~WebServer() { stop(); }
    void stop() {
        if (!thread_.joinable()) return;
        if (loop_) loop_.load()->call_soon_threadsafe([this] { stop_.set(); });
        thread_.join();
    }
    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    const std::string& error() const { return error_; }
    /// Runs f on the server's loop and waits for it.
    void on_loop(std::function<void()> f) {
        std::atomic<bool> done{false};
        loop_.load()->call_soon_threadsafe([&] {
            f();
            done = true;
        });
        while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    web::AppRunner* runner() { return runner_; }

private:
    aio::Task<> main() {
        web::Application app(app_opts_);
        setup_(app);
        web::AppRunner runner(app, opts_);
        runner_ = &runner;
        co_await runner.setup();
        web::TCPSite site(runner, "127.0.0.1", 0, site_);
        co_await site.start();
        port_ = site.port();
        loop_ = &aio::get_running_loop();
        ready_ = true;
        co_await stop_.wait();
        co_await runner.cleanup();
    }

    std::function<void(web::Application&)> setup_;
    web::ServerOptions opts_;
    web::SiteOptions site_;
    web::ApplicationOptions app_opts_;
    std::thread thread_;
    std::atomic<bool> ready_{false};
    std::atomic<std::uint16_t> port_{0};
    std::atomic<aio::EventLoop*> loop_{nullptr};
    aio::Event stop_;
    web::AppRunner* runner_ = nullptr;
    std::string error_;
};

/// Runs `body(session)` on a fresh loop with a ClientSession, and closes the
/// session afterwards whether the body threw or not (rethrowing its error).
template <class F>
void run_client(F body) {
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session;
        std::exception_ptr err;
        try {
            co_await body(session);
        } catch (...) {
            err = std::current_exception();
        }
        co_await session.close();
        if (err) std::rethrow_exception(err);
    }());
}

/// A blocking client socket with a receive timeout. Its calls go on after
/// EINTR: with SO_RCVTIMEO set, the kernel ends a blocking recv with EINTR
/// instead of restarting it when the thread is interrupted. Seen in gcc's
/// ASan build about once in 70 runs of a shard under load (EINTR 0.4 ms into
/// the recv, in a process with no signal handler of its own; task work of an
/// io_uring the thread ran a loop on earlier is the likely interruption).
class RawClient {
public:
    explicit RawClient(std::uint16_t port, int timeout_ms = 2000) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~RawClient() { close(); }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    bool connected() const { return connected_; }
    bool send(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            s.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    /// Reads until the peer closes or the timeout passes; `closed` says which.
    std::string read_all(bool* closed = nullptr) {
        std::string out;
        char buf[65536];
        while (true) {
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                out.append(buf, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (closed) *closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
            return out;
        }
    }
    /// Reads until `marker` appears `count` times (or timeout/close).
    std::string read_until(std::string_view marker, int count = 1) {
        std::string out;
        char buf[65536];
        while (true) {
            int seen = 0;
            for (std::size_t p = out.find(marker); p != std::string::npos; p = out.find(marker, p + 1)) ++seen;
            if (seen >= count) return out;
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return out;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    bool connected_ = false;
};

/// The status code of the first response in `raw` (0 when none).
inline int status_of(const std::string& raw) {
    if (raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) return 0;
    return std::stoi(raw.substr(9, 3));
}

inline int count_substr(const std::string& s, std::string_view m) {
    int n = 0;
    for (std::size_t p = s.find(m); p != std::string::npos; p = s.find(m, p + 1)) ++n;
    return n;
}

}  // namespace aio::test
