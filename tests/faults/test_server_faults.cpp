// aio::web against hostile and dying peers: clients that reset mid-response
// (sendfile, TLS, streamed), slow or silent clients (every deadline), floods
// (the connection cap, 5,000 connections at once) and half-closed clients.
// Each test checks that the server lives, serves the next request, and holds
// no more descriptors than before.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "faults/server_faults_support.hpp"
#include "support/support.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace web = aio::web;
using aio::Task;
using aio::test::count_open_fds;
using aio::test::RawClient;
using aio::test::run_command;
using aio::test::status_of;
using aio::test::WebServer;
using aio::test::faults::connections_drop_to_zero;
using aio::test::faults::ErrorLog;
using aio::test::faults::fds_settle_to;
using aio::test::faults::reset;
using aio::test::faults::ScratchDir;
using aio::test::faults::serves;

namespace {

Task<web::StreamResponse> hello(web::Request&) { co_return web::Response({.text = "Hello, world"}); }

/// A 50 MiB file under a fresh directory, served at /static.
struct BigStatic {
    ScratchDir dir;
    BigStatic() {
        std::ofstream f(dir.path / "big.bin", std::ios::binary);
        std::string block(1 << 20, 'x');
        for (int i = 0; i < 50; ++i) f << block;
    }
    std::function<void(web::Application&)> app() const {
        fs::path root = dir.path;
        return [root](web::Application& a) {
            a.router().add_get("/", hello);
            a.router().add_static("/static", root);
        };
    }
};

/// Sends `request`, reads about 1 KiB of the answer, then resets the connection.
void read_a_little_then_reset(std::uint16_t port, const std::string& request) {
    RawClient c(port);
    ASSERT_TRUE(c.connected());
    c.send(request);
    char buf[1024];
    std::size_t got = 0;
    while (got < sizeof buf) {
        ssize_t n = ::recv(c.fd(), buf, sizeof buf - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    EXPECT_GT(got, 0u);
    reset(c.fd());
}

}  // namespace

// ---------------------------------------------------------------- dying peers

TEST(ServerFaults, ResetDuringSendfileEndsOnlyThatConnection) {
    BigStatic files;
    ErrorLog log;
    web::ServerOptions opts;
    opts.error_log = log.sink();
    WebServer s(files.app(), opts);
    ASSERT_TRUE(serves(s.port()));
    int before = count_open_fds();
    for (int i = 0; i < 3; ++i)
        read_a_little_then_reset(s.port(), "GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(serves(s.port()));  // the process lives (no SIGPIPE) and answers
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(log.wait_for_lines(3));
    for (const std::string& line : log.lines())
        EXPECT_TRUE(line.find("BrokenPipeError") != std::string::npos ||
                    line.find("ConnectionResetError") != std::string::npos)
            << line;
}

TEST(ServerFaults, ResetDuringATlsStaticFileEndsOnlyThatConnection) {
    BigStatic files;
    ScratchDir pki;
    auto made = run_command("cd " + pki.path.string() +
                            " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 "
                            "-subj /CN=localhost 2>&1");
    ASSERT_EQ(made.status, 0) << made.output;
    auto ctx = aio::create_default_context(aio::Purpose::CLIENT_AUTH);
    ctx.load_cert_chain((pki.path / "cert.pem").string(), (pki.path / "key.pem").string());
    ErrorLog log;
    web::ServerOptions opts;
    opts.error_log = log.sink();
    web::SiteOptions site;
    site.ssl = ctx;
    WebServer s(files.app(), opts, site);
    ASSERT_EQ(s.error(), "");
    // A real TLS client (Python's ssl) reads 1 KiB of the file and resets.
    std::string script =
        "import socket, ssl, struct, sys\n"
        "ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE\n"
        "raw = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
        "s = ctx.wrap_socket(raw, server_hostname='localhost')\n"
        "s.sendall(b'GET /static/big.bin HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
        "got = b''\n"
        "while len(got) < 1024: got += s.recv(1024)\n"
        "assert got.startswith(b'HTTP/1.1 200'), got[:100]\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
        "s.close()\n"
        "print('reset')\n";
    std::ofstream(pki.path / "client.py") << script;
    int before = count_open_fds();
    for (int i = 0; i < 2; ++i) {
        auto r = run_command("/usr/bin/python3 " + (pki.path / "client.py").string() + " " + std::to_string(s.port()));
        EXPECT_EQ(r.status, 0) << r.output;
    }
    // And a whole, well-behaved request over TLS still works.
    auto ok = run_command("curl -sk https://127.0.0.1:" + std::to_string(s.port()) + "/");
    EXPECT_EQ(ok.output, "Hello, world");
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(log.wait_for_lines(2));
}

TEST(ServerFaults, ResetDuringAStreamedResponseEndsOnlyThatConnection) {
    auto handler_failed = std::make_shared<std::atomic<int>>(0);
    ErrorLog log;
    web::ServerOptions opts;
    opts.error_log = log.sink();
    WebServer s([=](web::Application& app) {
        app.router().add_get("/", hello);
        app.router().add_get("/firehose", [=](web::Request& r) -> Task<web::StreamResponse> {
            web::StreamResponse resp;
            resp.set_content_type("application/octet-stream");
            co_await resp.prepare(r);
            std::string block(64 * 1024, 'y');
            try {
                for (int i = 0; i < 4000; ++i) co_await resp.write(block);  // 250 MiB: far more than is read
            } catch (const aio::ConnectionError&) {
                handler_failed->fetch_add(1);  // the typed error reaches the writer
                throw;
            } catch (const aio::CancelledError&) {
                handler_failed->fetch_add(1);
                throw;
            }
            co_await resp.write_eof();
            co_return resp;
        });
    }, opts);
    ASSERT_TRUE(serves(s.port()));
    int before = count_open_fds();
    read_a_little_then_reset(s.port(), "GET /firehose HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 300 && handler_failed->load() == 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(handler_failed->load(), 1);
    EXPECT_TRUE(serves(s.port()));
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(log.wait_for_lines(1));
}

// ---------------------------------------------------------------- deadlines

TEST(ServerFaults, FreshConnectionGetsTheHeaderTimeoutFromAccept) {
    web::ServerOptions opts;
    opts.header_timeout = 300ms;
    opts.keepalive_timeout = 30s;
    WebServer s([](web::Application& app) { app.router().add_get("/", hello); }, opts);
    RawClient silent(s.port(), 5000);
    bool closed = false;
    std::string out = silent.read_all(&closed);
    EXPECT_TRUE(closed);  // long before the keep-alive timeout
    EXPECT_EQ(out, "");   // nothing was asked: nothing is answered
    EXPECT_TRUE(serves(s.port()));
}

TEST(ServerFaults, TimeoutsOfMillisecondsMaxMeanNever) {
    // "Never" written as the largest value: every deadline saturates (it used
    // to overflow, a deadline in the past that closed connections at once).
    web::ServerOptions opts;
    opts.header_timeout = std::chrono::milliseconds::max();
    opts.keepalive_timeout = std::chrono::milliseconds::max();
    opts.lingering_time = std::chrono::milliseconds::max();
    opts.shutdown_timeout = std::chrono::milliseconds::max();
    WebServer s([](web::Application& app) { app.router().add_get("/", hello); }, opts);
    ASSERT_TRUE(serves(s.port()));
    const int before = count_open_fds();
    {
        // Past the sweeper's first look (a quarter of the shortest timeout, at most 1 s).
        RawClient silent(s.port(), 1500);  // says nothing
        RawClient c(s.port(), 300);
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(status_of(c.read_until("Hello, world")), 200);
        bool closed = true;
        silent.read_all(&closed);
        EXPECT_FALSE(closed);  // 1.5 s of silence: still open
        c.read_all(&closed);
        EXPECT_FALSE(closed);  // idle after its response: kept alive
        reset(silent.fd());    // one leaves by a reset, the other closes
    }
    EXPECT_TRUE(serves(s.port()));
    EXPECT_TRUE(fds_settle_to(before));
}

TEST(ServerFaults, EmptyLinesDoNotKeepAnIdleConnectionOpen) {
    web::ServerOptions opts;
    opts.keepalive_timeout = 300ms;
    opts.header_timeout = 30s;
    WebServer s([](web::Application& app) { app.router().add_get("/", hello); }, opts);
    RawClient c(s.port(), 3000);
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_of(c.read_until("Hello, world")), 200);
    bool sent_all = true;
    for (int i = 0; i < 20 && sent_all; ++i) {  // 2 s of CRLFs, one every 100 ms
        sent_all = c.send("\r\n");
        std::this_thread::sleep_for(100ms);
    }
    bool closed = false;
    c.read_all(&closed);
    EXPECT_TRUE(closed || !sent_all);
    EXPECT_TRUE(serves(s.port()));
}

TEST(ServerFaults, SlowBodyIsCutOffWith408) {
    web::ServerOptions opts;
    opts.body_timeout = 300ms;
    WebServer s([](web::Application& app) {
        app.router().add_get("/", hello);
        app.router().add_post("/upload", [](web::Request& r) -> Task<web::StreamResponse> {
            std::string body = co_await r.read();
            co_return web::Response({.text = "got " + std::to_string(body.size())});
        });
    }, opts);
    RawClient c(s.port(), 5000);
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab");  // then nothing
    bool closed = false;
    std::string out = c.read_all(&closed);
    EXPECT_EQ(status_of(out), 408) << out;
    EXPECT_TRUE(closed);
    EXPECT_TRUE(serves(s.port()));
}

// After send_timeout the server drops what it had not sent and frees the
// descriptor at once, whatever the stalled client does next.
TEST(ServerFaults, AStalledReaderIsDroppedNotWaitedFor) {
    web::ServerOptions opts;
    opts.send_timeout = 300ms;
    WebServer s([](web::Application& app) {
        app.router().add_get("/", hello);
        app.router().add_get("/huge", [](web::Request&) -> Task<web::StreamResponse> {
            co_return web::Response({.body = std::string(32 << 20, 'z')});
        });
    }, opts);
    int before = count_open_fds();
    RawClient c(s.port(), 3000);
    int small = 4096;
    ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    c.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(connections_drop_to_zero(s));
    // The server's descriptor is back while the client still holds its end
    // and reads nothing (close() would keep it until the client read 32 MB).
    EXPECT_TRUE(fds_settle_to(before + 1));  // + the client's own descriptor
    EXPECT_TRUE(serves(s.port()));
}

TEST(ServerFaults, AReaderThatStopsReadingIsCutOffBySendTimeout) {
    web::ServerOptions opts;
    opts.send_timeout = 300ms;
    ErrorLog log;
    opts.error_log = log.sink();
    WebServer s([](web::Application& app) {
        app.router().add_get("/", hello);
        app.router().add_get("/huge", [](web::Request&) -> Task<web::StreamResponse> {
            co_return web::Response({.body = std::string(32 << 20, 'z')});
        });
    }, opts);
    int before = count_open_fds();
    {
        RawClient c(s.port());
        int small = 4096;
        ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        c.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n");
        // Never reads. The server gives up on the write and closes.
        EXPECT_TRUE(connections_drop_to_zero(s));
    }
    EXPECT_TRUE(serves(s.port()));
    EXPECT_TRUE(fds_settle_to(before));
    EXPECT_TRUE(log.contains("send_timeout"));
}

// ---------------------------------------------------------------- caps

TEST(ServerFaults, ConnectionCapHoldsTheNextClientInTheBacklog) {
    web::ServerOptions opts;
    opts.max_connections = 2;
    WebServer s([](web::Application& app) { app.router().add_get("/", hello); }, opts);
    auto request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    auto first = std::make_unique<RawClient>(s.port());
    RawClient second(s.port());
    for (RawClient* c : {first.get(), &second}) {
        c->send(request);
        EXPECT_EQ(status_of(c->read_until("Hello, world")), 200);
    }
    RawClient third(s.port(), 500);
    ASSERT_TRUE(third.connected());  // the kernel's backlog took it
    third.send(request);
    EXPECT_EQ(third.read_until("Hello, world"), "");  // not accepted while two are open
    first.reset();  // one closes: the third is accepted and served
    struct timeval tv{3, 0};
    ::setsockopt(third.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    EXPECT_EQ(status_of(third.read_until("Hello, world")), 200);
}

// A cap of zero connections would accept no one, and every client would wait
// in the backlog until it gave up: the runner refuses it when made.
TEST(ServerFaults, AConnectionCapOfZeroIsRefusedWhenTheRunnerIsMade) {
    web::Application app;
    web::ServerOptions opts;
    opts.max_connections = 0;
    try {
        web::AppRunner runner(app, opts);
        ADD_FAILURE() << "AppRunner took max_connections = 0";
    } catch (const aio::ValueError& e) {
        EXPECT_STREQ(e.what(), "max_connections must be at least 1");
    }
}

TEST(ServerFaults, PipelinedResponsesAreWrittenOutPastTheQueueCap) {
    // 40 pipelined requests, at most 4 responses held: the server writes as
    // it goes; every response arrives, in order.
    web::ServerOptions opts;
    opts.max_pipelined = 4;
    WebServer s([](web::Application& app) {
        app.router().add_get("/n/{i}", [](web::Request& r) -> Task<web::StreamResponse> {
            co_return web::Response({.text = "n=" + std::string(r.match_info().at("i")) + ";"});
        });
    }, opts);
    RawClient c(s.port());
    std::string batch;
    for (int i = 0; i < 40; ++i) batch += "GET /n/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    c.send(batch);
    std::string out = c.read_until("n=39;");
    std::size_t at = 0;
    for (int i = 0; i < 40; ++i) {
        std::size_t p = out.find("n=" + std::to_string(i) + ";", at);
        ASSERT_NE(p, std::string::npos) << i;
        at = p;
    }
}

TEST(ServerFaults, FiveThousandConcurrentConnectionsAreAllServed) {
    constexpr int kClients = 5000;
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    rlim_t want = 2 * kClients + 512;  // both ends live in this process
    if (lim.rlim_cur < want) {
        if (lim.rlim_max < want) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << lim.rlim_max << " < " << want;
        rlimit raised = lim;
        raised.rlim_cur = want;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &raised), 0);
    }
    {
        WebServer s([](web::Application& app) { app.router().add_get("/", hello); });
        ASSERT_TRUE(serves(s.port()));
        int before = count_open_fds();
        {
            std::vector<std::unique_ptr<RawClient>> clients;
            clients.reserve(kClients);
            for (int i = 0; i < kClients; ++i) {
                clients.push_back(std::make_unique<RawClient>(s.port(), 10000));
                ASSERT_TRUE(clients.back()->connected()) << i;
                clients.back()->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            int served = 0;
            for (auto& c : clients) served += status_of(c->read_until("Hello, world")) == 200;
            EXPECT_EQ(served, kClients);
            std::size_t open = 0;
            s.on_loop([&] { open = s.runner()->connections(); });
            EXPECT_EQ(open, static_cast<std::size_t>(kClients));  // all at once
        }
        EXPECT_TRUE(fds_settle_to(before, 10s));
        EXPECT_TRUE(serves(s.port()));
    }
    ::setrlimit(RLIMIT_NOFILE, &lim);
}

// ---------------------------------------------------------------- half-close

TEST(ServerFaults, HalfClosedClientStillGetsItsResponse) {
    WebServer s([](web::Application& app) {
        app.router().add_get("/", hello);
        app.router().add_get("/slow", [](web::Request&) -> Task<web::StreamResponse> {
            co_await aio::sleep(100ms);  // the EOF arrives while the handler waits
            co_return web::Response({.text = "slow answer"});
        });
    });
    for (std::string path : {"/", "/slow"}) {
        RawClient c(s.port(), 3000);
        c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        ASSERT_EQ(::shutdown(c.fd(), SHUT_WR), 0);
        bool closed = false;
        std::string out = c.read_all(&closed);
        EXPECT_EQ(status_of(out), 200) << path << ": " << out;
        EXPECT_NE(out.find(path == "/" ? "Hello, world" : "slow answer"), std::string::npos) << out;
        EXPECT_TRUE(closed);
    }
    EXPECT_TRUE(serves(s.port()));
}
