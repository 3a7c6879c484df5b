// Servers on every core: run_app with N workers (threads and processes),
// graceful shutdown under load, systemd socket activation, SockSite.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <aio/activation.hpp>
#include <aio/aio.hpp>
#include <aio/web.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/raises.hpp"
#include "support/support.hpp"

namespace web = aio::web;
using aio::Task;
using aio::test::Process;

namespace {

std::string server_bin() { return aio::test::binary_path("tests/aio_worker_server"); }

/// A blocking connection to 127.0.0.1:port with one request written
/// (Connection: close unless `keep_alive`): read() gets the whole response,
/// until the server closes.
struct RawRequest {
    int fd = -1;
    RawRequest(int port, const std::string& path, bool keep_alive = false) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd);
            fd = -1;
            return;
        }
        std::string req = "GET " + path + " HTTP/1.1\r\nHost: t\r\n" +
                          std::string(keep_alive ? "" : "Connection: close\r\n") + "\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
            ::close(fd);
            fd = -1;
        }
    }
    ~RawRequest() {
        if (fd >= 0) ::close(fd);
    }
    RawRequest(RawRequest&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    /// Has the first byte of the answer arrived within `ms`?
    bool answered_within(int ms) const {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, ms) == 1;
    }
    /// The whole response ("" if the connection failed).
    std::string read() const {
        std::string out;
        if (fd < 0) return out;
        char buf[4096];
        while (true) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }
};

std::string body_of(const std::string& response) {
    auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : response.substr(at + 4);
}

std::string get(int port, const std::string& path) { return body_of(RawRequest(port, path).read()); }

/// The port a worker server printed ("listening PORT"), once it did; 0 if it ended first.
int wait_for_port(Process& p) {
    for (int i = 0; i < 400; ++i) {
        std::string out = p.output();
        auto at = out.find("listening ");
        if (at != std::string::npos && out.find('\n', at) != std::string::npos) return std::atoi(out.c_str() + at + 10);
        if (p.exited()) return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return 0;
}

/// Waits for the process to end; its ending as Process says it.
std::string wait_end(Process& p) {
    for (int i = 0; i < 2400 && !p.exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return p.how_it_ended();
}

/// Asks a one-process server's /inflight ("PID COUNT") until COUNT is `n`
/// (20 s at most); the last answer.
std::string wait_in_flight(int port, int n) {
    std::string answer;
    for (int i = 0; i < 2000; ++i) {
        answer = get(port, "/inflight");
        if (answer.ends_with(" " + std::to_string(n))) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return answer;
}

/// Open descriptors of another process (/proc/PID/fd).
int fds_of(pid_t pid) {
    std::error_code ec;
    int n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

std::set<std::string> workers_seen(int port, int connections) {
    std::set<std::string> seen;
    for (int i = 0; i < connections; ++i) seen.insert(get(port, "/whoami"));
    return seen;
}

}  // namespace

TEST(Workers, ThreadWorkersShareThePortAndEachTakesConnections) {
    Process server(server_bin() + " --workers 2");
    int port = wait_for_port(server);
    ASSERT_GT(port, 0) << server.output();
    auto seen = workers_seen(port, 64);  // the kernel spreads connections over the two listeners
    EXPECT_EQ(seen.size(), 2u) << ::testing::PrintToString(seen);
    std::set<std::string> pids;
    for (const auto& s : seen) pids.insert(s.substr(0, s.find('/')));
    EXPECT_EQ(pids.size(), 1u) << "threads of one process";
    EXPECT_EQ(pids.count(std::to_string(server.pid())), 1u);
    ::kill(server.pid(), SIGTERM);
    EXPECT_EQ(wait_end(server), "exited with status 0") << server.output();
    // Every worker ran its own startup and cleanup hooks, then run_app returned.
    for (const char* line : {"startup 0\n", "startup 1\n", "cleanup 0\n", "cleanup 1\n", "stopped\n"}) {
        EXPECT_NE(server.output().find(line), std::string::npos) << line << server.output();
    }
}

TEST(Workers, ABlockedWorkerDoesNotStallTheOthers) {
    Process server(server_bin() + " --workers 2");
    int port = wait_for_port(server);
    ASSERT_GT(port, 0) << server.output();
    RawRequest blocker(port, "/block");
    ASSERT_GE(blocker.fd, 0);
    // The blocker holds one worker's thread. Fresh connections that the kernel
    // gives to the other worker are answered; one given to the blocked worker
    // waits in its backlog, and is set aside (it is answered after release).
    std::vector<RawRequest> waiting;
    std::string answered;
    for (int i = 0; i < 64 && answered.empty(); ++i) {
        RawRequest r(port, "/whoami");
        ASSERT_GE(r.fd, 0);
        if (r.answered_within(1000)) {
            answered = body_of(r.read());
        } else {
            waiting.push_back(std::move(r));
        }
    }
    ASSERT_FALSE(answered.empty()) << "no worker answered while one was blocked";
    // The blocked worker has not answered yet: it is blocked.
    EXPECT_FALSE(blocker.answered_within(0));
    std::string released;
    for (int i = 0; i < 64 && released != "released"; ++i) {
        RawRequest r(port, "/release");
        if (r.answered_within(1000)) {
            released = body_of(r.read());
        } else {
            waiting.push_back(std::move(r));
        }
    }
    ASSERT_EQ(released, "released");
    EXPECT_EQ(body_of(blocker.read()).rfind("unblocked ", 0), 0u);
    for (auto& w : waiting) EXPECT_NE(w.read().find("HTTP/1.1 200"), std::string::npos);
    ::kill(server.pid(), SIGTERM);
    EXPECT_EQ(wait_end(server), "exited with status 0") << server.output();
}

TEST(Workers, SigtermFinishesAThousandRequestsInFlightThenExitsZero) {
    Process server(server_bin() + " --workers 2");
    int port = wait_for_port(server);
    ASSERT_GT(port, 0) << server.output();
    std::vector<RawRequest> slow;
    for (int i = 0; i < 1000; ++i) {
        slow.emplace_back(port, "/slow", /*keep_alive=*/true);
        ASSERT_GE(slow.back().fd, 0) << "request " << i;
    }
    // Every request is being handled (each waits for its worker's shutdown)...
    ASSERT_EQ(wait_in_flight(port, 1000), std::to_string(server.pid()) + " 1000");
    // ... when SIGTERM comes: the listeners close, and all of them finish.
    // Their clients asked for keep-alive; each response says Connection:
    // close and the server closes (read() returns at the close).
    ::kill(server.pid(), SIGTERM);
    int done = 0, told_to_close = 0;
    for (auto& r : slow) {
        std::string resp = r.read();
        if (resp.rfind("HTTP/1.1 200", 0) == 0 && body_of(resp) == "done") ++done;
        if (resp.find("\r\nConnection: close\r\n") != std::string::npos) ++told_to_close;
    }
    EXPECT_EQ(done, 1000);
    EXPECT_EQ(told_to_close, 1000);
    EXPECT_EQ(wait_end(server), "exited with status 0") << server.output();
}

TEST(Workers, ClientsThatResetDuringTheDrainDoNotStopIt) {
    Process server(server_bin() + " --workers 2");
    int port = wait_for_port(server);
    ASSERT_GT(port, 0) << server.output();
    std::vector<RawRequest> slow;
    for (int i = 0; i < 40; ++i) slow.emplace_back(port, "/slow", /*keep_alive=*/true);
    ASSERT_EQ(wait_in_flight(port, 40), std::to_string(server.pid()) + " 40");
    // Half the clients reset their connection (RST: linger 0) just as the
    // drain begins; their handlers' responses meet a dead socket.
    ::kill(server.pid(), SIGTERM);
    for (std::size_t i = 0; i < slow.size(); i += 2) {
        linger hard{1, 0};
        ::setsockopt(slow[i].fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        ::close(slow[i].fd);
        slow[i].fd = -1;
    }
    int done = 0;
    for (std::size_t i = 1; i < slow.size(); i += 2) {
        if (body_of(slow[i].read()) == "done") ++done;
    }
    EXPECT_EQ(done, 20);
    EXPECT_EQ(wait_end(server), "exited with status 0") << server.output();
}

TEST(Workers, ProcessWorkersServeOnePortAndAreReplacedWhenTheyDie) {
    Process server(server_bin() + " --workers 2 --processes");
    int port = wait_for_port(server);
    ASSERT_GT(port, 0) << server.output();
    auto seen = workers_seen(port, 64);
    std::set<std::string> pids;
    for (const auto& s : seen) pids.insert(s.substr(0, s.find('/')));
    ASSERT_EQ(pids.size(), 2u) << ::testing::PrintToString(seen);
    EXPECT_EQ(pids.count(std::to_string(server.pid())), 0u) << "the supervisor serves nothing itself";
    // A worker that dies is replaced; the server goes on answering, and the
    // supervisor holds as many descriptors as before (the dead worker's are closed).
    int supervisor_fds = fds_of(server.pid());
    pid_t victim = std::atoi(pids.begin()->c_str());
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    std::set<std::string> after;
    for (int i = 0; i < 400 && after.size() < 2; ++i) {
        std::string who = get(port, "/whoami");
        std::string pid = who.substr(0, who.find('/'));
        if (!pid.empty() && pid != std::to_string(victim)) after.insert(pid);
        if (after.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(after.size(), 2u) << "a new worker took the dead one's place: " << server.output();
    EXPECT_NE(server.output().find("starting another"), std::string::npos) << server.output();
    EXPECT_EQ(fds_of(server.pid()), supervisor_fds);
    ::kill(server.pid(), SIGTERM);
    EXPECT_EQ(wait_end(server), "exited with status 0") << server.output();
    for (const auto& p : after) EXPECT_NE(::kill(std::atoi(p.c_str()), 0), 0) << "worker " << p << " outlived the server";
}

TEST(Workers, ProcessWorkersFinishRequestsInFlightOnSigterm) {
    Process server(server_bin() + " --workers 2 --processes");
    int port = wait_for_port(server);
    ASSERT_GT(port, 0) << server.output();
    std::vector<RawRequest> slow;
    for (int i = 0; i < 50; ++i) slow.emplace_back(port, "/slow");
    // Each worker process counts its own ("PID COUNT"): wait until both have
    // been heard from and their counts add up to all of them.
    std::map<std::string, int> count;
    auto total = [&count] {
        int t = 0;
        for (const auto& [pid, n] : count) t += n;
        return t;
    };
    for (int i = 0; i < 4000 && !(count.size() == 2 && total() == 50); ++i) {
        std::string answer = get(port, "/inflight");
        auto space = answer.find(' ');
        if (space != std::string::npos) count[answer.substr(0, space)] = std::atoi(answer.c_str() + space + 1);
        if (total() != 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(total(), 50) << server.output();
    ::kill(server.pid(), SIGTERM);
    int done = 0;
    for (auto& r : slow) {
        if (body_of(r.read()) == "done") ++done;
    }
    EXPECT_EQ(done, 50);
    EXPECT_EQ(wait_end(server), "exited with status 0") << server.output();
}

TEST(Workers, AWorkerThatCannotListenFailsTheServer) {
    aio::test::ClosedPort taken;
    ASSERT_EQ(::listen(taken.fd, 1), 0);
    for (const char* mode : {"", " --processes"}) {
        Process server(server_bin() + " --workers 2 --port " + std::to_string(taken.port) + mode);
        EXPECT_EQ(wait_end(server), "exited with status 1") << mode << ": " << server.output();
        EXPECT_NE(server.output().find("aio_worker_server:"), std::string::npos) << server.output();
    }
}

TEST(Workers, RunAppRefusesWhatCannotWork) {
    web::Application app;
    web::RunAppOptions two;
    two.workers = 2;
    EXPECT_THROW(web::run_app(app, two), aio::ValueError);
    web::RunAppOptions none;
    none.workers = 0;
    web::AppFactory factory = [] { return std::make_unique<web::Application>(); };
    EXPECT_THROW(web::run_app(factory, none), aio::ValueError);
    web::AppFactory empty;
    EXPECT_THROW(web::run_app(empty, {}), aio::ValueError);
    web::AppFactory null_app = [] { return std::unique_ptr<web::Application>(); };
    EXPECT_THROW(web::run_app(null_app, {}), aio::ValueError);
}

// ---- socket activation ------------------------------------------------------------

namespace {

/// A listening socket on 127.0.0.1 that child processes inherit (no CLOEXEC).
struct InheritableListener {
    int fd = -1;
    int port = 0;
    InheritableListener() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd, 128);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~InheritableListener() { ::close(fd); }
    /// A command that starts `args` with this socket as descriptor 3 and
    /// LISTEN_FDS/LISTEN_PID set, as a service manager would.
    std::string activate(const std::string& args) const {
        std::string move_to_3 = fd == 3 ? "" : "exec 3<&" + std::to_string(fd) + " " + std::to_string(fd) + "<&-; ";
        return "/bin/sh -c '" + move_to_3 + "export LISTEN_FDS=1 LISTEN_PID=$$; exec " + args + "'";
    }
};

}  // namespace

TEST(SocketActivation, SystemdSocketActivateHandsOverItsSocket) {
    if (::access("/usr/bin/systemd-socket-activate", X_OK) != 0) GTEST_FAIL() << "systemd-socket-activate is missing (apt-get install systemd)";
    int port = aio::test::free_port();
    for (const char* workers : {"1", "2"}) {
        Process server("/usr/bin/systemd-socket-activate -l 127.0.0.1:" + std::to_string(port) + " " + server_bin() +
                       " --workers " + workers);
        // systemd-socket-activate listens, and starts the service at the first connection.
        ASSERT_TRUE(aio::test::wait_listening(port, &server)) << server.output();
        EXPECT_FALSE(get(port, "/whoami").empty()) << server.output();
        int printed = wait_for_port(server);
        EXPECT_EQ(printed, port) << server.output();  // the activated socket, not a port of its own
        // Every request answered, by this server. (Workers sharing one
        // activated socket take its connections as they come: which worker
        // gets a given one is the kernel's choice, so no spread is asserted.)
        int answered = 0;
        for (int i = 0; i < 32; ++i) {
            std::string who = get(port, "/whoami");
            if (who.rfind(std::to_string(server.pid()) + "/", 0) == 0) ++answered;
        }
        EXPECT_EQ(answered, 32);
        ::kill(server.pid(), SIGTERM);
        EXPECT_EQ(wait_end(server), "exited with status 0") << server.output();
    }
}

TEST(SocketActivation, ARestartLosesNoQueuedConnection) {
    InheritableListener sock;
    {
        Process first(sock.activate(server_bin()));
        ASSERT_EQ(wait_for_port(first), sock.port) << first.output();
        EXPECT_FALSE(get(sock.port, "/whoami").empty());
        ::kill(first.pid(), SIGTERM);
        ASSERT_EQ(wait_end(first), "exited with status 0") << first.output();
    }
    // No server now: the kernel queues these on the socket this test holds.
    std::vector<RawRequest> queued;
    for (int i = 0; i < 20; ++i) {
        queued.emplace_back(sock.port, "/whoami");
        ASSERT_GE(queued.back().fd, 0);
    }
    Process second(sock.activate(server_bin() + " --workers 2"));
    ASSERT_EQ(wait_for_port(second), sock.port) << second.output();
    for (auto& q : queued) EXPECT_NE(q.read().find("HTTP/1.1 200"), std::string::npos);
    ::kill(second.pid(), SIGTERM);
    EXPECT_EQ(wait_end(second), "exited with status 0") << second.output();
    // And process workers, which the supervisor hands the activated socket.
    Process third(sock.activate(server_bin() + " --workers 2 --processes"));
    ASSERT_EQ(wait_for_port(third), sock.port) << third.output();
    std::set<std::string> pids;
    for (int i = 0; i < 16; ++i) {
        std::string who = get(sock.port, "/whoami");
        pids.insert(who.substr(0, who.find('/')));
    }
    EXPECT_EQ(pids.count(std::to_string(third.pid())), 0u) << "served by the workers, not the supervisor";
    EXPECT_FALSE(pids.count(""));
    ::kill(third.pid(), SIGTERM);
    EXPECT_EQ(wait_end(third), "exited with status 0") << third.output();
}

TEST(SocketActivation, ListenFdsFollowsSdListenFds) {
    // Not for this process: nothing, and the variables are gone.
    ::setenv("LISTEN_PID", "1", 1);
    ::setenv("LISTEN_FDS", "1", 1);
    EXPECT_TRUE(aio::listen_fds().empty());
    EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
    // Unset: nothing.
    EXPECT_TRUE(aio::listen_fds().empty());
    // Malformed values are typed errors.
    std::string me = std::to_string(::getpid());
    ::setenv("LISTEN_PID", me.c_str(), 1);
    ::setenv("LISTEN_FDS", "two", 1);
    EXPECT_THROW(aio::listen_fds(), aio::ValueError);
    ::setenv("LISTEN_PID", "x1", 1);
    ::setenv("LISTEN_FDS", "1", 1);
    EXPECT_THROW(aio::listen_fds(), aio::ValueError);
    ::setenv("LISTEN_PID", me.c_str(), 1);
    ::setenv("LISTEN_FDS", "99999", 1);
    EXPECT_THROW(aio::listen_fds(), aio::ValueError);
    // A promised descriptor that is not open: OSError, and nothing adopted.
    int saved = ::fcntl(3, F_DUPFD_CLOEXEC, 100);  // whatever fd 3 is, set aside
    ::close(3);
    ::setenv("LISTEN_PID", me.c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    EXPECT_THROW(aio::listen_fds(), aio::OSError);
    // A real one: adopted, non-blocking and close-on-exec.
    InheritableListener l;
    ASSERT_EQ(::dup2(l.fd, 3), 3);
    ::setenv("LISTEN_PID", me.c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    auto socks = aio::listen_fds();
    ASSERT_EQ(socks.size(), 1u);
    EXPECT_EQ(socks[0].fd(), 3);
    EXPECT_NE(::fcntl(3, F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(3, F_GETFD) & FD_CLOEXEC, 0);
    EXPECT_EQ(socks[0].getsockname().port(), l.port);
    socks.clear();
    if (saved >= 0) {
        ::dup2(saved, 3);
        ::close(saved);
    }
}

TEST(SockSite, ServesAListeningSocketAndRefusesOthers) {
    aio::run([]() -> Task<> {
        web::Application app;
        app.router().add_get("/", [](web::Request&) -> Task<web::StreamResponse> {
            co_return web::Response({.text = "from a SockSite"});
        });
        web::AppRunner runner(app);
        co_await runner.setup();
        aio::Socket listener(AF_INET, SOCK_STREAM);
        listener.bind(aio::SocketAddress::ip("127.0.0.1", 0));
        listener.listen();
        web::SockSite site(runner, std::move(listener));
        co_await site.start();
        EXPECT_EQ(site.name(), "http://127.0.0.1:" + std::to_string(site.port()));
        aio::http::ClientSession session;
        auto resp = co_await session.get("http://127.0.0.1:" + std::to_string(site.port()) + "/");
        std::string text = co_await resp.text();
        EXPECT_EQ(text, "from a SockSite");
        co_await session.close();

        aio::Socket unbound(AF_INET, SOCK_STREAM);
        web::SockSite not_listening(runner, std::move(unbound));
        auto refused = co_await aio::test::raises<aio::ValueError>(not_listening.start());
        EXPECT_NE(refused.value_or("").find("not a listening stream socket"), std::string::npos);
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        ::close(fds[1]);
        web::SockSite not_socket(runner, aio::Socket::adopt(fds[0]));
        auto refused_pipe = co_await aio::test::raises<aio::ValueError>(not_socket.start());
        EXPECT_NE(refused_pipe.value_or("").find("not a socket"), std::string::npos);
        co_await runner.cleanup();
    }());
}
