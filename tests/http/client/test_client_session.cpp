// aio-test-shards: 4
// ClientSession against Python's aiohttp server: methods, params, bodies,
// JSON, forms and multipart, streaming both ways, redirects, cookies, auth,
// content codings, charsets, timeouts, the pool, retries and tracing.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "client_peers.hpp"
#include "support/raises.hpp"

using namespace std::chrono_literals;
namespace http = aio::http;

namespace {

using ClientSession = aio::test::PeerSuite<aio::test::aiohttp_server_command>;

}  // namespace

TEST_F(ClientSession, GetReadsStatusHeadersAndBody) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        auto resp = co_await session.get(url("/www.example.com"));
        EXPECT_EQ(resp.status(), 200);
        EXPECT_EQ(resp.reason(), "OK");
        EXPECT_EQ(resp.content_type(), "text/html");
        EXPECT_EQ(resp.charset(), "utf-8");
        EXPECT_EQ(resp.url().str(), url("/www.example.com"));
        EXPECT_TRUE(resp.headers().contains("content-length"));
        std::string text = co_await resp.text();
        EXPECT_NE(text.find("ünïcødé"), std::string::npos);
        auto data = co_await resp.read();
        EXPECT_EQ(data, text);  // kept
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientSession, ParamsHeadersAndEveryMethod) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.headers = {{"X-Session", "s"}}});
        // Named locals: g++ 12 rejects braced lists here inside a coroutine.
        std::vector<std::string> methods{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
        aio::http::RequestOptions request_opts{.params = {{"b", "x y"}, {"b", "&"}}, .headers = {{"X-Req", "r"}}};
        for (const std::string& m : methods) {
            auto resp = co_await session.request(m, url("/echo?a=1"), request_opts);
            auto j = co_await resp.json();
            EXPECT_EQ(j["method"].as_string(), m);
            EXPECT_EQ(j["query"].as_array().size(), 3u);
            EXPECT_EQ(j["query"][1][1].as_string(), "x y");
            EXPECT_EQ(j["query"][2][1].as_string(), "&");
            EXPECT_EQ(j["headers"]["X-Session"].as_string(), "s");
            EXPECT_EQ(j["headers"]["X-Req"].as_string(), "r");
        }
        auto head = co_await session.head(url("/www.example.com"));
        EXPECT_EQ(head.status(), 200);
        auto head_data = co_await head.read();
        EXPECT_EQ(head_data, "");
        co_await session.close();
    }());
}

TEST_F(ClientSession, SkipAutoHeadersLeavesOutWhatAioWouldAdd) {
    aio::run([]() -> aio::Task<> {
        // By default: Accept, Accept-Encoding, User-Agent (and Host) are added.
        http::ClientSession plain;
        auto r0 = co_await plain.get(url("/echo"));
        auto j0 = co_await r0.json();
        EXPECT_EQ(j0["headers"]["Accept"].as_string(), "*/*");
        EXPECT_EQ(j0["headers"]["Accept-Encoding"].as_string(), "gzip, deflate, br");
        EXPECT_EQ(j0["headers"]["User-Agent"].as_string(), "aio-http/0.1");
        co_await plain.close();

        // The session's list (any case), a request's list on top, and a header
        // given explicitly is still sent.
        http::ClientSession session({.skip_auto_headers = {"user-agent", "ACCEPT"}});
        aio::http::RequestOptions with_accept{.headers = {{"Accept", "text/csv"}}};
        auto r1 = co_await session.get(url("/echo"), with_accept);
        auto j1 = co_await r1.json();
        EXPECT_FALSE(j1["headers"].contains("User-Agent"));
        EXPECT_EQ(j1["headers"]["Accept"].as_string(), "text/csv");
        EXPECT_EQ(j1["headers"]["Accept-Encoding"].as_string(), "gzip, deflate, br");
        EXPECT_TRUE(j1["headers"].contains("Host"));

        aio::http::RequestOptions skip_more{.data = "raw", .skip_auto_headers = {"Accept-Encoding", "Content-Type"}};
        auto r2 = co_await session.post(url("/echo"), skip_more);
        auto j2 = co_await r2.json();
        EXPECT_FALSE(j2["headers"].contains("Accept-Encoding"));
        EXPECT_FALSE(j2["headers"].contains("Content-Type"));
        EXPECT_FALSE(j2["headers"].contains("Accept"));
        EXPECT_EQ(j2["body"].as_string(), "raw");
        co_await session.close();
    }());
}

TEST_F(ClientSession, BodiesBytesFormJsonAndStream) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        aio::http::RequestOptions opts1{.data = "raw bytes"};  // named: g++ 12 and braced temporaries in co_await
        auto r1 = co_await session.post(url("/echo"), opts1);
        auto j1 = co_await r1.json();
        EXPECT_EQ(j1["body"].as_string(), "raw bytes");
        EXPECT_EQ(j1["headers"]["Content-Type"].as_string(), "application/octet-stream");

        aio::http::RequestOptions opts2{.data = http::MultiDict{{"name", "Zoë"}, {"q", "a b&c"}}};  // named: g++ 12 and braced temporaries in co_await
        auto r2 = co_await session.post(url("/form"), opts2);
        auto j2 = co_await r2.json();
        EXPECT_EQ(j2["name"].as_string(), "Zoë");
        EXPECT_EQ(j2["q"].as_string(), "a b&c");

        aio::http::RequestOptions opts3{.json = aio::json::Object{{"k", 1}, {"s", "é"}}};  // named: g++ 12 and braced temporaries in co_await
        auto r3 = co_await session.post(url("/echo"), opts3);
        auto j3 = co_await r3.json();
        EXPECT_EQ(j3["body"].as_string(), "{\"k\": 1, \"s\": \"\\u00e9\"}");
        EXPECT_EQ(j3["headers"]["Content-Type"].as_string(), "application/json");

        auto gen = []() -> aio::AsyncGenerator<std::string> {
            for (int i = 0; i < 3; ++i) {
                co_await aio::sleep(1ms);
                co_yield "part" + std::to_string(i) + ";";
            }
        };
        aio::http::RequestOptions opts4{.data = gen()};  // named: g++ 12 and braced temporaries in co_await
        auto r4 = co_await session.post(url("/echo"), opts4);
        auto j4 = co_await r4.json();
        EXPECT_EQ(j4["body"].as_string(), "part0;part1;part2;");
        EXPECT_TRUE(j4["chunked"].as_bool());

        aio::http::RequestOptions opts5{.data = std::string(100000, 'e'), .expect100 = true};  // named: g++ 12 and braced temporaries in co_await
        auto r5 = co_await session.post(url("/expect"), opts5);
        auto j5 = co_await r5.json();
        EXPECT_EQ(j5["size"].as_int(), 100000);
        co_await session.close();
    }());
}

TEST_F(ClientSession, MultipartStreamsFilesFromDisk) {
    std::string path = "/tmp/aio_client_upload_" + std::to_string(::getpid());
    std::string content(3 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31 + i / 1000);
    aio::test::write_file(path, content);
    aio::run([&]() -> aio::Task<> {
        http::ClientSession session;
        http::FormData form;
        form.add_field("title", "report");
        form.add_file("upload", path, {.content_type = "application/x-test"});
        aio::http::RequestOptions opts6{.data = std::move(form)};  // named: g++ 12 and braced temporaries in co_await
        auto resp = co_await session.post(url("/multipart"), opts6);
        auto parts = co_await resp.json();
        EXPECT_EQ(parts.as_array().size(), 2u);
        EXPECT_EQ(parts[0]["name"].as_string(), "title");
        EXPECT_EQ(parts[0]["size"].as_int(), 6);
        EXPECT_EQ(parts[1]["filename"].as_string(), path.substr(path.rfind('/') + 1));
        EXPECT_EQ(parts[1]["size"].as_int(), static_cast<std::int64_t>(content.size()));
        EXPECT_EQ(parts[1]["content_type"].as_string(), "application/x-test");
        co_await session.close();
    }());
    // A NUL would end the path there, and the file sent would be another one.
    http::FormData cut;
    EXPECT_THROW(cut.add_file("upload", path + std::string(1, '\0') + ".txt"), aio::ValueError);
    ::unlink(path.c_str());
}

TEST_F(ClientSession, StreamingResponseByLinesAndChunks) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        auto resp = co_await session.get(url("/stream/5"));
        auto line = co_await resp.content().readline();
        EXPECT_EQ(line, "line 0\n");
        auto exact = co_await resp.content().readexactly(3);
        EXPECT_EQ(exact, "lin");
        std::string rest;
        auto chunks = resp.content().iter_chunked(4);
        while (auto c = co_await chunks.next()) {
            EXPECT_LE(c->size(), 4u);
            rest += *c;
        }
        EXPECT_EQ(rest, "e 1\nline 2\nline 3\nline 4\n");
        EXPECT_TRUE(resp.content().at_eof());
        co_await session.close();
    }());
}

// readany hands its buffer over whole when nothing of it was read before
// (no copy); mixed with read(n), which hands out parts, every byte still
// comes out once and in order.
TEST_F(ClientSession, ReadanyAndReadHandOutEveryByteOnceInOrder) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        auto resp = co_await session.get(url("/stream/12"));
        std::string expected;
        for (int i = 0; i < 12; ++i) expected += "line " + std::to_string(i) + "\n";
        std::string got = co_await resp.content().read(3);
        EXPECT_EQ(got, "lin");
        for (int turn = 0; got.size() < expected.size() / 2; ++turn) {
            std::string piece;
            if (turn % 2 == 0) {
                piece = co_await resp.content().readany();
            } else {
                piece = co_await resp.content().read(2);
                EXPECT_LE(piece.size(), 2u);
            }
            EXPECT_FALSE(piece.empty());
            if (piece.empty()) break;
            got += piece;
        }
        got += co_await resp.content().read();  // the rest
        EXPECT_EQ(got, expected);
        EXPECT_EQ(co_await resp.content().readany(), "");
        EXPECT_TRUE(resp.content().at_eof());

        auto big = co_await session.get(url("/big/300000"));
        std::size_t total = 0;
        bool all_b = true;
        while (true) {
            std::string piece = co_await big.content().readany();
            if (piece.empty()) break;
            total += piece.size();
            all_b = all_b && piece.find_first_not_of('b') == std::string::npos;
        }
        EXPECT_EQ(total, 300000u);
        EXPECT_TRUE(all_b);
        co_await session.close();
    }());
}

// A request cancelled after the pool had handed it the connection it waited
// for, but before it resumed, must not take the connection, write and then
// meet the cancel at its first wait (which closes the connection
// mid-exchange): the pool's wait is a task of its own, so the cancel ends
// the wait, and the slot goes back with the connection still in the pool.
// (The process pool had this fault; the HTTP pool is checked the same way.)
TEST_F(ClientSession, ARequestCancelledAsItGetsItsConnectionLeavesTheConnectionInThePool) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.limit = 1});
        auto peer_port = [&]() -> aio::Task<std::string> {
            // A slot lost to the race would leave the next request waiting
            // for the pool forever: it fails with PoolTimeoutError instead.
            aio::http::RequestOptions opts{.timeout = http::ClientTimeout{.pool = 10s}};  // named: g++ 12
            auto r = co_await session.get(url("/peer-port"), opts);
            co_return co_await r.text();
        };
        const std::string port = co_await peer_port();
        aio::Task<std::string> queued;
        auto first_then_cancel = [&]() -> aio::Task<std::string> {
            auto r = co_await session.get(url("/slow/50"));
            std::string text = co_await r.text();
            // The body is read, the connection is back in the pool and
            // handed to `queued`, which has not run since: cancelled now,
            // it has not started.
            queued.cancel();
            co_return text;
        };
        auto first = aio::create_task(first_then_cancel());
        co_await aio::sleep(0ms);  // `first` takes the connection
        queued = aio::create_task(peer_port());
        co_await aio::sleep(0ms);  // `queued` waits for it
        EXPECT_EQ(co_await first, "slow");
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(queued);
            EXPECT_TRUE(raised.has_value()) << "queued did not throw aio::CancelledError";
        }
        EXPECT_EQ(co_await peer_port(), port) << "the connection was replaced";
        co_await session.close();
    }());
}

// A body read piece by piece takes the connection's read buffer whole when
// all of it is body (no copy), and the reader reads on into new storage:
// every byte comes out once and in order, whatever the mix of reads, with
// a Content-Length and chunked, and the connection then carries the next
// exchange (one connection for all of them).
TEST_F(ClientSession, BodiesReadInPiecesKeepEveryByteAndTheConnectionAfterwards) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.limit = 1});
        constexpr std::size_t kSize = 3'000'000;
        std::string expected(kSize, '\0');
        for (std::size_t i = 0; i < kSize; ++i) expected[i] = static_cast<char>(i % 251);
        for (const char* query : {"", "?chunked"}) {
            auto resp = co_await session.get(url("/pattern/" + std::to_string(kSize) + query));
            std::string got;
            std::size_t pieces = 0;
            for (int turn = 0;; ++turn) {
                std::string piece;
                if (turn % 5 == 3)
                    piece = co_await resp.content().read(1000);
                else if (turn % 5 == 4 && kSize - got.size() >= 7)
                    piece = co_await resp.content().readexactly(7);
                else
                    piece = co_await resp.content().readany();
                if (piece.empty()) break;
                got += piece;
                ++pieces;
            }
            EXPECT_EQ(got.size(), kSize) << query;
            EXPECT_TRUE(got == expected) << query << ": the bytes differ";
            EXPECT_GT(pieces, 10u) << query;
            EXPECT_TRUE(resp.content().at_eof());
            auto next = co_await session.get(url("/json"));
            auto j = co_await next.json();
            EXPECT_EQ(j["name"].as_string(), "Zoë") << query;
        }
        co_await session.close();
    }());
}

TEST_F(ClientSession, RedirectsKeepHistoryRewriteMethodsAndDropAuthAcrossOrigins) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        auto resp = co_await session.get(url("/redirect/3"));
        EXPECT_EQ(resp.status(), 200);
        EXPECT_EQ(resp.history().size(), 3u);
        EXPECT_EQ(resp.history()[0].status(), 302);
        EXPECT_EQ(resp.url().str(), url("/redirect/0"));

        aio::http::RequestOptions opts7{.data = "body"};  // named: g++ 12 and braced temporaries in co_await
        auto r303 = co_await session.post(url("/redirect-status/303"), opts7);
        auto r303_doc = co_await r303.json();
        EXPECT_EQ(r303_doc["method"].as_string(), "GET");
        aio::http::RequestOptions opts8{.data = "body"};  // named: g++ 12 and braced temporaries in co_await
        auto r302 = co_await session.post(url("/redirect-status/302"), opts8);
        auto r302_doc = co_await r302.json();
        EXPECT_EQ(r302_doc["method"].as_string(), "GET");
        aio::http::RequestOptions opts9{.data = "body"};  // named: g++ 12 and braced temporaries in co_await
        auto r307 = co_await session.post(url("/redirect-status/307"), opts9);
        auto j307 = co_await r307.json();
        EXPECT_EQ(j307["method"].as_string(), "POST");
        EXPECT_EQ(j307["body"].as_string(), "body");
        aio::http::RequestOptions opts10{.data = "b8"};  // named: g++ 12 and braced temporaries in co_await
        auto r308 = co_await session.put(url("/redirect-status/308"), opts10);
        auto r308_doc = co_await r308.json();
        EXPECT_EQ(r308_doc["body"].as_string(), "b8");

        // Same origin keeps Authorization; 127.0.0.1 -> localhost drops it.
        aio::http::RequestOptions opts11{.auth = http::BasicAuth{"u", "p"}};  // named: g++ 12 and braced temporaries in co_await
        auto same = co_await session.get(url("/redirect/1"), opts11);
        auto same_doc = co_await same.json();
        EXPECT_NE(same_doc["auth"].as_string(), "");
        std::string other = "http://localhost:" + std::to_string(server_->port) + "/redirect/0";
        aio::http::RequestOptions cross_opts{.params = {{"url", other}}, .auth = http::BasicAuth{"u", "p"}};
        auto cross = co_await session.get(url("/redirect-to"), cross_opts);
        auto cross_doc = co_await cross.json();
        EXPECT_EQ(cross_doc["auth"].as_string(), "");

        aio::http::RequestOptions opts12{.allow_redirects = false};  // named: g++ 12 and braced temporaries in co_await
        auto noredir = co_await session.get(url("/redirect/2"), opts12);
        EXPECT_EQ(noredir.status(), 302);
        EXPECT_EQ(noredir.headers().get("Location"), "/redirect/1");

        bool threw = false;
        try {
            aio::http::RequestOptions opts13{.max_redirects = 4};  // named: g++ 12 and braced temporaries in co_await
            co_await session.get(url("/redirect-loop"), opts13);
        } catch (const http::TooManyRedirects& e) {
            threw = true;
            EXPECT_EQ(e.url(), url("/redirect-loop"));
            EXPECT_EQ(e.history_size(), 5u);
        }
        EXPECT_TRUE(threw);
        auto after = co_await session.get(url("/1k"));  // the pool is fine
        auto after_data = co_await after.read();
        EXPECT_EQ(after_data.size(), 1024u);
        co_await session.close();
    }());
}

TEST_F(ClientSession, CookiesFollowDomainPathExpiryAndSecureRules) {
    aio::run([]() -> aio::Task<> {
        // Served as "localhost" (aiohttp's default jar ignores IP-address hosts).
        std::string base = "http://localhost:" + std::to_string(server_->port);
        http::ClientSession session;
        auto set = co_await session.get(base + "/set-cookie");
        EXPECT_EQ(set.cookies().get("plain"), "1");
        co_await set.read();
        auto root = co_await session.get(base + "/cookies");
        auto root_text = co_await root.text();
        EXPECT_EQ(root_text, "plain=1; dom=5");
        auto sub = co_await session.get(base + "/cookies/sub/x");
        auto sub_text = co_await sub.text();
        EXPECT_EQ(sub_text, "scoped=2; plain=1; dom=5");
        // "sec" came with Secure over http: not kept (RFC 6265bis).
        bool kept_secure = false;
        for (const auto& c : session.cookie_jar().cookies()) kept_secure = kept_secure || c.name == "sec";
        EXPECT_FALSE(kept_secure);
        EXPECT_EQ(session.cookie_jar().size(), 3u);

        http::ClientSession ip_session;
        co_await (co_await ip_session.get(url("/set-cookie"))).read();
        EXPECT_EQ(ip_session.cookie_jar().size(), 0u);
        aio::http::RequestOptions opts14{.cookies = {{"mine", "7"}}};  // named: g++ 12 and braced temporaries in co_await
        auto extra = co_await ip_session.get(url("/cookies"), opts14);
        auto extra_text = co_await extra.text();
        EXPECT_EQ(extra_text, "mine=7");
        co_await ip_session.close();
        co_await session.close();
    }());
}

TEST_F(ClientSession, ContentCodingsAndCharsets) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        std::string expected;
        for (int i = 0; i < 1000; ++i) expected += "encoded body ";
        for (std::string coding : {"gzip", "deflate", "br"}) {
            auto resp = co_await session.get(url("/encoded/" + coding));
            auto text = co_await resp.text();
            EXPECT_EQ(text, expected) << coding;
        }
        auto latin = co_await session.get(url("/latin1"));
        EXPECT_EQ(latin.charset(), "iso-8859-1");
        auto latin_text = co_await latin.text();
        EXPECT_EQ(latin_text, "café naïve");
        auto j = co_await session.get(url("/json"));
        auto v = co_await j.json();
        EXPECT_EQ(v["name"].as_string(), "Zoë");

        bool threw = false;
        try {
            auto html = co_await session.get(url("/www.example.com"));
            co_await html.json();
        } catch (const http::ContentTypeError& e) {
            threw = true;
            EXPECT_NE(std::string(e.what()).find("unexpected mimetype: text/html"), std::string::npos);
        }
        EXPECT_TRUE(threw);

        http::ClientSession small({.max_body_size = 1 << 20});
        threw = false;
        try {
            auto bomb = co_await small.get(url("/bomb"));
            co_await bomb.read();
        } catch (const http::ClientPayloadError& e) {
            threw = true;
            EXPECT_EQ(e.url(), url("/bomb"));
        }
        EXPECT_TRUE(threw);
        co_await small.close();
        co_await session.close();
    }());
}

TEST_F(ClientSession, EachTimeoutPhaseHasItsOwnError) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session;
        int kind = 0;
        try {
            aio::http::RequestOptions opts15{.timeout = http::ClientTimeout{.sock_read = 100ms}};  // named: g++ 12 and braced temporaries in co_await
            co_await session.get(url("/slow/2000"), opts15);
        } catch (const http::SocketTimeoutError& e) {
            kind = 1;
            EXPECT_EQ(e.url(), url("/slow/2000"));
        }
        EXPECT_EQ(kind, 1);
        kind = 0;
        try {
            aio::http::RequestOptions opts16{.timeout = http::ClientTimeout{.total = 300ms}};  // named: g++ 12 and braced temporaries in co_await
            auto r = co_await session.get(url("/slow-body/2000"), opts16);
            co_await r.read();  // the total deadline covers the body too
        } catch (const http::ServerTimeoutError&) {
            kind = 2;
        } catch (const aio::TimeoutError&) {
            kind = 1;
        }
        EXPECT_EQ(kind, 1);
        kind = 0;
        {
            // A listener whose backlog is full: the kernel drops further SYNs,
            // so connecting hangs until sock_connect runs out.
            int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a);
            ::listen(lfd, 0);
            socklen_t len = sizeof a;
            ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
            std::vector<int> fillers;
            for (int i = 0; i < 4; ++i) {
                int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                ::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
                fillers.push_back(f);
            }
            try {
                http::RequestOptions short_connect{.timeout = http::ClientTimeout{.sock_connect = 200ms}};
                co_await session.get("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/", short_connect);
            } catch (const http::ConnectionTimeoutError& e) {
                kind = 1;
                const aio::TimeoutError& as_timeout = e;  // also an aio::TimeoutError
                EXPECT_NE(std::string(as_timeout.what()).find("Connection timeout"), std::string::npos);
            }
            for (int f : fillers) ::close(f);
            ::close(lfd);
        }
        EXPECT_EQ(kind, 1);

        // pool: one connection allowed, held by an unread response.
        http::ClientSession one({.limit = 1});
        auto held = co_await one.get(url("/stream/50"));
        kind = 0;
        try {
            aio::http::RequestOptions opts17{.timeout = http::ClientTimeout{.pool = 100ms}};  // named: g++ 12 and braced temporaries in co_await
            co_await one.get(url("/1k"), opts17);
        } catch (const http::PoolTimeoutError&) {
            kind = 1;
        }
        EXPECT_EQ(kind, 1);
        held.release();
        aio::http::RequestOptions opts18{.timeout = http::ClientTimeout{.pool = 1s}};  // named: g++ 12 and braced temporaries in co_await
        auto now_free = co_await one.get(url("/1k"), opts18);
        EXPECT_EQ(now_free.status(), 200);
        co_await one.close();
        co_await session.close();
    }());
}

// Session durations of NaN, infinity and 1e300 s (a user's "never"): requests
// work, and the DNS cache and pool keep to their limits instead of overflowing
// (ttl_dns_cache=NaN was an unchecked cast, undefined behaviour; 1e300 s
// overflowed the cache's expiry). The host is a name, so the cache is used.
TEST_F(ClientSession, DurationsOfNanAndInfinityWorkWithoutOverflow) {
    int fds = aio::test::count_open_fds();
    const std::string by_name = "http://localhost:" + url("").substr(url("").rfind(':') + 1);
    aio::run([&]() -> aio::Task<> {
        const double values[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                 1e300};
        for (double v : values) {
            const std::chrono::duration<double> d(v);
            http::SessionOptions so;
            so.ttl_dns_cache = d;
            so.keepalive_timeout = d;
            if (!std::isnan(v)) so.timeout = http::ClientTimeout{.total = d, .connect = d, .sock_read = d, .pool = d};
            http::ClientSession session(so);
            for (int i = 0; i < 2; ++i) {  // the second request takes the cached address and the kept connection
                auto resp = co_await session.get(by_name + "/1k");
                EXPECT_EQ(resp.status(), 200) << v;
                std::string body = co_await resp.text();
                EXPECT_EQ(body.size(), 1024u) << v;
            }
            co_await session.close();
        }
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientSession, PoolReusesConnectionsAndRespectsLimits) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.limit = 4});
        for (int i = 0; i < 20; ++i) {
            auto r = co_await session.get(url("/1k"));
            co_await r.read();
        }
        EXPECT_EQ(session.pool_stats().opened, 1u);
        std::vector<aio::Task<std::size_t>> tasks;
        for (int i = 0; i < 32; ++i)
            tasks.push_back([](http::ClientSession& s) -> aio::Task<std::size_t> {
                auto r = co_await s.get(url("/slow/20"));
                co_return (co_await r.read()).size();
            }(session));
        auto sizes = co_await aio::gather(std::move(tasks));
        EXPECT_EQ(sizes.size(), 32u);
        auto stats = session.pool_stats();
        EXPECT_LE(stats.opened, 4u);
        EXPECT_GT(stats.waited, 0u);
        EXPECT_EQ(stats.in_use, 0u);

        // An unread body: the connection is closed, not reused.
        std::size_t opened = session.pool_stats().opened;
        {
            auto r = co_await session.get(url("/big/1000000"));
        }
        auto again = co_await session.get(url("/1k"));
        co_await again.read();
        EXPECT_GE(session.pool_stats().opened, opened);
        co_await session.close();
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientSession, RetryPolicyRetriesWithBackoffWithinBudget) {
    aio::run([]() -> aio::Task<> {
        std::vector<int> retries;
        http::TraceConfig trace;
        trace.on_request_retry = [&](const http::TraceRequestRetry& e) { retries.push_back(e.status); };
        http::ClientSession session({.retry = {.attempts = 4, .backoff = 5ms}, .trace_configs = {trace}});
        auto ok = co_await session.get(url("/flaky/a/2"));
        EXPECT_EQ(ok.status(), 200);
        auto ok_text = co_await ok.text();
        EXPECT_EQ(ok_text, "ok after 2");
        EXPECT_EQ(retries, (std::vector<int>{503, 503}));
        // Out of attempts: the last response is returned.
        auto still = co_await session.get(url("/flaky/b/10"));
        EXPECT_EQ(still.status(), 503);
        co_await still.read();
        // POST is not retried.
        retries.clear();
        aio::http::RequestOptions opts19{.data = "x"};  // named: g++ 12 and braced temporaries in co_await
        auto post = co_await session.post(url("/echo"), opts19);
        EXPECT_TRUE(retries.empty());
        co_await post.read();
        // The budget: 10 tokens, 0.2 per request; a failing host soon gets no more retries.
        retries.clear();
        for (int i = 0; i < 10; ++i) {
            auto r = co_await session.get(url("/flaky/c/1000"));
            co_await r.read();
        }
        EXPECT_LT(retries.size(), 15u);
        co_await session.close();
    }());
}

TEST_F(ClientSession, TracingReportsEveryPhase) {
    aio::run([]() -> aio::Task<> {
        std::vector<std::string> events;
        std::optional<http::RequestTimings> timings;
        http::TraceConfig trace;
        trace.on_request_start = [&](const http::TraceRequestStart&) { events.push_back("start"); };
        trace.on_dns_resolvehost_start = [&](const http::TraceDns&) { events.push_back("dns"); };
        trace.on_connection_create_end = [&](const http::TraceConnection&) { events.push_back("connected"); };
        trace.on_connection_reuseconn = [&](const http::TraceConnection&) { events.push_back("reuse"); };
        trace.on_request_end = [&](const http::TraceRequestEnd& e) { events.push_back(std::to_string(e.status)); };
        trace.on_response_complete = [&](const http::TraceResponseComplete& e) { timings = e.timings; };
        http::ClientSession session({.trace_configs = {trace}});
        auto r = co_await session.get(url("/slow/30"));
        co_await r.read();
        auto r2 = co_await session.get(url("/1k"));
        co_await r2.read();
        EXPECT_EQ(events, (std::vector<std::string>{"start", "dns", "connected", "200", "start", "reuse", "200"}));
        EXPECT_TRUE(timings.has_value());
        EXPECT_TRUE(timings->reused_connection);
        EXPECT_GE(r.timings().first_byte, 25ms);
        EXPECT_GT(r.timings().connect.count(), 0);
        co_await session.close();
    }());
}

TEST_F(ClientSession, BaseUrlAuthAndRaiseForStatus) {
    aio::run([]() -> aio::Task<> {
        http::ClientSession session({.base_url = server_->base() + "/", .auth = http::BasicAuth{"user", "pw"}});
        auto r = co_await session.get("auth");
        auto text = co_await r.text();
        EXPECT_EQ(text, "Basic dXNlcjpwdw==");
        auto missing = co_await session.get("status/418");
        EXPECT_EQ(missing.status(), 418);
        int status = 0;
        try {
            missing.raise_for_status();
        } catch (const http::ClientResponseError& e) {
            status = e.status();
            EXPECT_EQ(e.request_info().method, "GET");
            EXPECT_EQ(std::string(e.what()), "418, message=\"I'm a Teapot\", url=URL('" + url("/status/418") + "')");
        }
        EXPECT_EQ(status, 418);
        status = 0;
        try {
            aio::http::RequestOptions opts20{.raise_for_status = true};  // named: g++ 12 and braced temporaries in co_await
            co_await session.get("status/500", opts20);
        } catch (const http::ClientError& e) {
            status = 500;
            EXPECT_EQ(e.url(), url("/status/500"));
        }
        EXPECT_EQ(status, 500);
        bool invalid = false;
        try {
            co_await session.get("ftp://x/");
        } catch (const http::InvalidURL& e) {
            const http::ClientError& as_client = e;
            const aio::ValueError& as_value = e;
            invalid = as_client.url() == "ftp://x/" && as_value.what() != nullptr;
        }
        EXPECT_TRUE(invalid);
        co_await session.close();
        bool closed = false;
        try {
            co_await session.get("auth");
        } catch (const aio::RuntimeError&) {
            closed = true;
        }
        EXPECT_TRUE(closed);
    }());
}

TEST_F(ClientSession, AnUnclosedSessionClosesItsSocketsAndWarns) {
    int fds = aio::test::count_open_fds();
    std::vector<std::string> warnings;
    aio::run([&]() -> aio::Task<> {
        aio::get_running_loop().set_exception_handler(
            [&](aio::EventLoop&, const aio::ExceptionContext& c) { warnings.push_back(c.message); });
        {
            http::ClientSession session;
            auto r = co_await session.get(url("/1k"));
            co_await r.read();
        }
        co_await aio::sleep(10ms);
    }());
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("Unclosed client session"), std::string::npos);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST_F(ClientSession, ARedirectToAnotherOriginDropsTheCallersCredentialsAndCookies) {
    // A second server on another port of another host name: another origin.
    aio::test::PeerServer other(aio::test::aiohttp_server_command(), aio::test::free_port());
    ASSERT_TRUE(other.up) << other.why;
    int other_port = other.port;
    aio::run([other_port]() -> aio::Task<> {
        // The jar keeps IP-address hosts (unsafe) so that its own cookie for
        // the other origin can be seen to follow the jar's rules.
        auto jar = std::make_shared<http::CookieJar>(true);
        std::string other_base = "http://localhost:" + std::to_string(other_port);
        jar->update_cookies(http::MultiDict{{"jarc", "j"}}, http::URL(other_base + "/"));
        http::ClientSession session({.cookie_jar = jar});
        http::Headers secrets{{"Authorization", "Bearer t0ken"},
                              {"Proxy-Authorization", "Basic cHg6cHc="},
                              {"Cookie", "sid=s3cret"},
                              {"X-Plain", "kept"}};

        // Same origin: everything the caller set arrives.
        aio::http::RequestOptions same_opts{.params = {{"url", url("/echo")}}, .headers = secrets,
                                            .cookies = {{"mine", "7"}}};
        auto same = co_await session.get(url("/redirect-to"), same_opts);
        auto sj = co_await same.json();
        EXPECT_EQ(same.history().size(), 1u);
        EXPECT_EQ(sj["headers"]["Authorization"].as_string(), "Bearer t0ken");
        EXPECT_EQ(sj["headers"]["Proxy-Authorization"].as_string(), "Basic cHg6cHc=");
        EXPECT_NE(sj["headers"]["Cookie"].as_string().find("mine=7"), std::string::npos);
        EXPECT_EQ(sj["headers"]["Cookie"].as_string().find("jarc"), std::string::npos);

        // Another origin: the credentials and the caller's cookies stay
        // behind; the jar's cookie for that host goes; other headers go.
        aio::http::RequestOptions cross_opts{.params = {{"url", other_base + "/echo"}}, .headers = secrets,
                                             .cookies = {{"mine", "7"}}};
        auto cross = co_await session.get(url("/redirect-to"), cross_opts);
        auto cj = co_await cross.json();
        EXPECT_EQ(cross.url().str(), other_base + "/echo");
        const auto& h = cj["headers"];
        EXPECT_FALSE(h.contains("Authorization"));
        EXPECT_FALSE(h.contains("Proxy-Authorization"));
        EXPECT_TRUE(h.contains("Cookie"));
        EXPECT_EQ(h.contains("Cookie") ? h["Cookie"].as_string() : std::string(), "jarc=j");
        EXPECT_EQ(h["X-Plain"].as_string(), "kept");

        // Another port of the same host is another origin too; BasicAuth goes as well.
        http::Headers cookie_only{{"Cookie", "sid=s3cret"}};
        aio::http::RequestOptions port_opts{.params = {{"url", "http://127.0.0.1:" + std::to_string(other_port) + "/echo"}},
                                            .headers = cookie_only, .auth = http::BasicAuth{"u", "p"}};
        auto port = co_await session.get(url("/redirect-to"), port_opts);
        auto pj = co_await port.json();
        EXPECT_FALSE(pj["headers"].contains("Authorization"));
        EXPECT_FALSE(pj["headers"].contains("Cookie"));
        co_await session.close();
    }());
}

TEST_F(ClientSession, StreamingReadsFreeWhatTheyConsumedAndMaxBodySizeBoundsOnlyBuffering) {
    // 128 MiB of NDJSON through iter_any, 32 MiB line by line with readline
    // and 32 MiB through iter_chunked, with max_body_size at 8 MiB: streaming
    // passes it, and memory grows by a few MiB only (less than any of the
    // bodies: a reader that kept what it read would pass the bound).
    constexpr long kAllowedGrowthKib = 16 * 1024;
    aio::test::MemoryGrowth memory;
    long streaming_growth = 0;
    aio::run([&memory, &streaming_growth]() -> aio::Task<> {
        http::ClientSession session({.max_body_size = 8u << 20});
        auto big = co_await session.get(url("/ndjson/128/4096"));
        std::uint64_t total = 0, lines = 0;
        auto chunks = big.content().iter_any();
        while (auto c = co_await chunks.next()) {
            total += c->size();
            lines += static_cast<std::uint64_t>(std::count(c->begin(), c->end(), '\n'));
            memory.sample();
        }
        EXPECT_EQ(total, 128ull << 20);
        EXPECT_EQ(lines, (128ull << 20) / 4096);

        auto by_line = co_await session.get(url("/ndjson/32/1024"));
        std::uint64_t n = 0, bad = 0;
        while (true) {
            std::string line = co_await by_line.content().readline();
            if (line.empty()) break;
            ++n;
            if (line.size() != 1024 || line.back() != '\n' || line.front() != '{') ++bad;
            if (n % 128 == 0) memory.sample();
        }
        EXPECT_EQ(n, (32ull << 20) / 1024);
        EXPECT_EQ(bad, 0u);

        auto fixed = co_await session.get(url("/ndjson/32/1024"));
        std::uint64_t got = 0;
        auto pieces = fixed.content().iter_chunked(100000);
        while (auto c = co_await pieces.next()) {
            got += c->size();
            memory.sample();
        }
        EXPECT_EQ(got, 32ull << 20);
        streaming_growth = memory.growth_kib();  // the streaming reads only

        // read() holds the body: past max_body_size it is a ClientPayloadError.
        auto whole = co_await session.get(url("/ndjson/16/1024"));
        std::string what;
        try {
            co_await whole.read();
        } catch (const http::ClientPayloadError& e) {
            what = e.what();
        }
        EXPECT_NE(what.find("max_body_size"), std::string::npos) << what;
        // Under the limit, read() works on the same session.
        auto small = co_await session.get(url("/ndjson/1/1024"));
        auto small_data = co_await small.read();
        EXPECT_EQ(small_data.size(), 1u << 20);
        co_await session.close();
    }());
    EXPECT_LT(streaming_growth, kAllowedGrowthKib);
}
