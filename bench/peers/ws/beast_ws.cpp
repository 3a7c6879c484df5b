// R13 ws-echo peer on Boost.Beast (Debian Boost 1.81): an echo server and a
// load client, each on one single-threaded io_context, with asynchronous
// callbacks (Beast's own async echo example's way). permessage-deflate off.
//
//   beast_ws server --port N
//   beast_ws client --url ws://127.0.0.1:N/ --conns 64 --secs 10 --size 1024
//
// The server prints "PORT <n>" once listening and echoes TEXT as TEXT and
// BINARY as BINARY. The client opens every connection first, then each sends
// one message, waits for its echo, and sends again until `secs` have passed;
// it prints "RESULT msgs_per_s=<x> p99_us=<y>" (echoes received in the window
// over its length; the 99th percentile of all round trips).
//
// bench/r13_ws.sh builds it with: g++ -std=c++20 -O2 beast_ws.cpp -o beast_ws
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "r13_load.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxMessage = 64u << 20;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "beast_ws: %s\n", what.c_str());
    std::exit(1);
}

// ---- server ----------------------------------------------------------------

class EchoSession : public std::enable_shared_from_this<EchoSession> {
public:
    explicit EchoSession(tcp::socket socket) : ws_(std::move(socket)) {}

    void start() {
        ws_.read_message_max(kMaxMessage);
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->read();
        });
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;  // closed (or failed): the session ends
            self->ws_.text(self->ws_.got_text());
            self->ws_.async_write(self->buffer_.data(), [self](beast::error_code ec2, std::size_t) {
                if (ec2) return;
                self->buffer_.consume(self->buffer_.size());
                self->read();
            });
        });
    }

    websocket::stream<tcp::socket> ws_;
    beast::flat_buffer buffer_;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
        if (!ec) {
            socket.set_option(tcp::no_delay(true));
            std::make_shared<EchoSession>(std::move(socket))->start();
        }
        accept(acceptor);
    });
}

int server(unsigned short port) {
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::printf("PORT %u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    accept(acceptor);
    io.run();
    return 0;
}

// ---- client ----------------------------------------------------------------

struct Load {
    std::string message;
    Clock::time_point deadline{};
    std::vector<double> rtt_us;
    std::size_t open = 0;
    std::size_t errors = 0;
};

class LoadConn : public std::enable_shared_from_this<LoadConn> {
public:
    LoadConn(asio::io_context& io, Load& load) : ws_(io), load_(load) {}

    void connect(const tcp::endpoint& ep, const std::string& host, const std::string& target,
                 std::function<void()> ready) {
        ws_.next_layer().async_connect(ep, [self = shared_from_this(), host, target, ready](beast::error_code ec) {
            if (ec) die("connect: " + ec.message());
            self->ws_.next_layer().set_option(tcp::no_delay(true));
            self->ws_.read_message_max(kMaxMessage);
            self->ws_.text(true);
            self->ws_.async_handshake(host, target, [ready](beast::error_code ec2) {
                if (ec2) die("handshake: " + ec2.message());
                ready();
            });
        });
    }

    void send() {
        if (Clock::now() >= load_.deadline) {
            ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) {});
            return;
        }
        sent_ = Clock::now();
        ws_.async_write(asio::buffer(load_.message), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) die("write: " + ec.message());
            self->ws_.async_read(self->buffer_, [self](beast::error_code ec2, std::size_t) {
                if (ec2) die("read: " + ec2.message());
                auto now = Clock::now();
                if (self->buffer_.size() != self->load_.message.size() ||
                    std::memcmp(self->buffer_.data().data(), self->load_.message.data(), self->buffer_.size()) != 0) {
                    ++self->load_.errors;
                }
                self->buffer_.consume(self->buffer_.size());
                if (now < self->load_.deadline) {
                    self->load_.rtt_us.push_back(std::chrono::duration<double, std::micro>(now - self->sent_).count());
                }
                self->send();
            });
        });
    }

private:
    websocket::stream<tcp::socket> ws_;
    beast::flat_buffer buffer_;
    Load& load_;
    Clock::time_point sent_{};
};

int client(const std::string& url, int conns, double secs, std::size_t size) {
    // ws://HOST:PORT/TARGET
    if (url.rfind("ws://", 0) != 0) die("only ws:// URLs: " + url);
    std::string rest = url.substr(5);
    std::string hostport = rest.substr(0, rest.find('/'));
    std::string target = rest.find('/') == std::string::npos ? "/" : rest.substr(rest.find('/'));
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) die("the URL needs a port: " + url);
    std::string host = hostport.substr(0, colon);
    auto port = static_cast<unsigned short>(std::atoi(hostport.c_str() + colon + 1));

    asio::io_context io(1);
    tcp::resolver resolver(io);
    tcp::endpoint ep = *resolver.resolve(host, std::to_string(port)).begin();
    Load load;
    load.message = r13::make_message(size);
    load.rtt_us.reserve(static_cast<std::size_t>(secs * 400000));
    std::vector<std::shared_ptr<LoadConn>> all;
    Clock::time_point start{};
    auto ready = [&] {
        if (++load.open < static_cast<std::size_t>(conns)) return;
        start = Clock::now();
        load.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
        for (auto& c : all) c->send();
    };
    for (int i = 0; i < conns; ++i) {
        all.push_back(std::make_shared<LoadConn>(io, load));
        all.back()->connect(ep, hostport, target, ready);
    }
    io.run();
    if (load.errors) die(std::to_string(load.errors) + " echoes differed from the message sent");
    return r13::print_result(load.rtt_us, secs);
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    std::string url;
    unsigned short port = 0;
    int conns = 64;
    double secs = 10;
    std::size_t size = 1024;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--port") port = static_cast<unsigned short>(std::atoi(v.c_str()));
        else if (k == "--url") url = v;
        else if (k == "--conns") conns = std::atoi(v.c_str());
        else if (k == "--secs") secs = std::atof(v.c_str());
        else if (k == "--size") size = static_cast<std::size_t>(std::atol(v.c_str()));
        else die("unknown option " + k);
    }
    try {
        if (mode == "server") return server(port);
        if (mode == "client" && !url.empty() && conns > 0 && secs > 0) return client(url, conns, secs, size);
    } catch (const std::exception& e) {
        die(e.what());
    }
    std::fprintf(stderr,
                 "usage: beast_ws server --port N\n"
                 "       beast_ws client --url ws://127.0.0.1:N/ --conns 64 --secs 10 --size 1024\n");
    return 2;
}
