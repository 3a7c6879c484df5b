// aio::web against real peers: curl, Python aiohttp's client, raw sockets.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/support.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace web = aio::web;
using aio::Task;
using aio::test::RawClient;
using aio::test::WebServer;
using aio::test::run_command;
using aio::test::status_of;

namespace {

Task<web::StreamResponse> hello(web::Request&) { co_return web::Response({.text = "Hello, world"}); }

Task<web::StreamResponse> echo_json(web::Request& req) {
    aio::json::Value v = co_await req.json();
    co_return web::json_response(aio::json::Object{{"got", v}, {"method", req.method()}});
}

void basic_app(web::Application& app) {
    app.router().add_get("/", hello);
    app.router().add_get("/users/{id:\\d+}", [](web::Request& r) -> Task<web::StreamResponse> {
        co_return web::Response({.text = "user " + std::string(r.match_info().at("id"))});
    }, "user");
    app.router().add_get("/hello/{name}", [](web::Request& r) -> Task<web::Response> {
        std::string page(r.query().get("page").value_or("none"));
        co_return web::Response({.text = "hi " + std::string(r.match_info().at("name")) + " page=" + page});
    });
    app.router().add_post("/json", echo_json);
    app.router().add_get("/fail", [](web::Request&) -> Task<web::StreamResponse> {
        throw std::runtime_error("handler bug");
        co_return web::Response();
    });
    app.router().add_get("/redirect", [](web::Request&) -> Task<web::StreamResponse> {
        throw web::HTTPFound("/");
        co_return web::Response();
    });
    app.router().add_get("/big", [](web::Request&) -> Task<web::StreamResponse> {
        std::string body;
        for (int i = 0; i < 400; ++i) body += "line " + std::to_string(i) + " of a compressible text body\n";
        co_return web::Response({.text = body});
    });
    app.router().add_get("/stream", [](web::Request& r) -> Task<web::StreamResponse> {
        web::StreamResponse resp;
        resp.set_content_type("text/plain");
        co_await resp.prepare(r);
        for (int i = 0; i < 5; ++i) {
            std::string part = "part " + std::to_string(i) + "\n";
            co_await resp.write(part);
        }
        co_await resp.write_eof();
        co_return resp;
    });
    app.router().add_post("/upload", [](web::Request& r) -> Task<web::StreamResponse> {
        std::string body = co_await r.read();
        co_return web::Response({.text = "got " + std::to_string(body.size())});
    });
}

bool server_alive(std::uint16_t port) {
    RawClient c(port);
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string r = c.read_until("Hello, world");
    return status_of(r) == 200;
}

}  // namespace

TEST(WebServer, AnswersWithDateServerAndBodyToCurl) {
    WebServer s(basic_app);
    auto r = run_command("curl -si " + s.url("/"));
    ASSERT_EQ(r.status, 0);
    EXPECT_NE(r.output.find("HTTP/1.1 200 OK"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Date: "), std::string::npos);
    EXPECT_NE(r.output.find("Server: aio"), std::string::npos);
    EXPECT_NE(r.output.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
    EXPECT_NE(r.output.find("Content-Length: 12"), std::string::npos);
    EXPECT_NE(r.output.find("\r\n\r\nHello, world"), std::string::npos);
}

TEST(WebServer, RoutesParametersQueryAnd405) {
    WebServer s(basic_app);
    EXPECT_EQ(run_command("curl -s " + s.url("/users/42")).output, "user 42");
    EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' " + s.url("/users/abc")).output, "404");
    EXPECT_EQ(run_command("curl -s '" + s.url("/hello/Zo%C3%AB?page=2&x=") + "'").output, "hi Zo\xC3\xAB page=2");
    auto r = run_command("curl -si -X DELETE " + s.url("/users/1"));
    EXPECT_EQ(status_of(r.output), 405);
    EXPECT_NE(r.output.find("Allow: GET"), std::string::npos) << r.output;
    auto head = run_command("curl -sI " + s.url("/"));
    EXPECT_NE(head.output.find("Content-Length: 12"), std::string::npos);
    EXPECT_EQ(head.output.find("Hello"), std::string::npos);
}

TEST(WebServer, NamedRoutesBuildUrls) {
    web::Application app;
    basic_app(app);
    EXPECT_EQ(app.router().url_for("user", {{"id", "7"}}), "/users/7");
    EXPECT_EQ(app.router().url_for("user", {{"id", "7"}}, {{"q", "a b"}}), "/users/7?q=a+b");
    EXPECT_THROW(app.router().url_for("user", {{"id", "x"}}), aio::ValueError);
    EXPECT_THROW(app.router().url_for("nope"), std::out_of_range);
}

TEST(WebServer, ARouteNameBelongsToOnePath) {
    auto h = [](web::Request&) -> Task<web::StreamResponse> { co_return web::Response({.text = "x"}); };
    web::Application app;
    app.router().add_get("/a", h, "x");
    app.router().add_post("/a", h, "x");  // the same resource: another method
    // Another path under a taken name would never be routed: refused, as aiohttp does.
    try {
        app.router().add_post("/b", h, "x");
        ADD_FAILURE() << "a name taken by /a was given to /b";
    } catch (const aio::ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("Duplicate 'x', already handled by /a"), std::string::npos) << e.what();
    }
    EXPECT_THROW(app.router().add_get("/a", h, "x"), aio::RuntimeError);  // GET /a twice
    EXPECT_THROW(app.router().add_get("/c", h, "x"), aio::ValueError);
    EXPECT_EQ(app.router().url_for("x"), "/a");
}

TEST(WebServer, JsonRoundTrip) {
    WebServer s(basic_app);
    auto r = run_command("curl -s -H 'Content-Type: application/json' --data '{\"a\": [1, 2.5]}' " + s.url("/json"));
    EXPECT_EQ(r.output, R"({"got": {"a": [1, 2.5]}, "method": "POST"})");
}

TEST(WebServer, ExceptionsBecomeResponses) {
    WebServer s(basic_app);
    auto r = run_command("curl -si " + s.url("/redirect"));
    EXPECT_EQ(status_of(r.output), 302);
    EXPECT_NE(r.output.find("Location: /"), std::string::npos);
}

TEST(WebServer, HandlerThatThrowsGives500AndTheConnectionStaysUsable) {
    std::atomic<int> logged{0};
    WebServer s(basic_app);
    s.on_loop([&] {
        aio::get_running_loop().set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& c) {
            if (c.message == "Error handling request") ++logged;
        });
    });
    RawClient c(s.port());
    c.send("GET /fail HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string out = c.read_until("Hello, world");
    EXPECT_EQ(status_of(out), 500);
    EXPECT_NE(out.find("HTTP/1.1 200 OK"), std::string::npos) << out;
    EXPECT_EQ(logged.load(), 1);
}

TEST(WebServer, PipelinedRequestsAnswerInOrder) {
    WebServer s(basic_app);
    RawClient c(s.port());
    c.send("GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET /users/3 HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string out = c.read_until("user 3");
    auto p1 = out.find("user 1"), p2 = out.find("user 2"), p3 = out.find("user 3");
    ASSERT_NE(p3, std::string::npos) << out;
    EXPECT_LT(p1, p2);
    EXPECT_LT(p2, p3);
    // curl reusing one connection for several URLs.
    auto r = run_command("curl -s --http1.1 -w '\\n%{num_connects}' " + s.url("/users/1") + " " + s.url("/users/2"));
    EXPECT_EQ(r.output, "user 1\n1user 2\n0");
}

TEST(WebServer, KeepAliveAfterALargeUploadServesTheNextRequest) {
    // A request body of nearly 1 MB grows the connection's reads to their
    // largest; going idle after the response, the connection gives that
    // read buffer back, and the next request on it is read into new storage
    // (under ASan a request still reading the old one would be a
    // use-after-free).
    WebServer s(basic_app);
    RawClient c(s.port());
    ASSERT_TRUE(c.connected());
    const std::string body(1000000, 'u');
    ASSERT_TRUE(c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + body));
    const std::string first = c.read_until("got 1000000");
    EXPECT_EQ(status_of(first), 200) << first;
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string second = c.read_until("Hello, world");
    EXPECT_EQ(status_of(second), 200) << second;
    EXPECT_NE(second.find("Hello, world"), std::string::npos) << second;
}

TEST(WebServer, ExpectContinueWithCurl) {
    WebServer s(basic_app);
    auto r = run_command("head -c 200000 /dev/zero > /tmp/aio_web_body && curl -s -v -H 'Expect: 100-continue' "
                         "--data-binary @/tmp/aio_web_body " + s.url("/upload") + " 2>&1");
    EXPECT_NE(r.output.find("HTTP/1.1 100 Continue"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("got 200000"), std::string::npos);
}

TEST(WebServer, CompressesWhenAcceptedWithCurl) {
    WebServer s(basic_app);
    auto r = run_command("curl -s -D - --compressed -o /tmp/aio_web_big " + s.url("/big"));
    EXPECT_TRUE(r.output.find("Content-Encoding: br") != std::string::npos ||
                r.output.find("Content-Encoding: gzip") != std::string::npos)
        << r.output;
    auto body = run_command("wc -l < /tmp/aio_web_big");
    EXPECT_EQ(body.output, "400\n");
    auto gz = run_command("curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' " + s.url("/big"));
    EXPECT_NE(gz.output.find("Content-Encoding: gzip"), std::string::npos);
    auto plain = run_command("curl -s -D - -o /dev/null " + s.url("/big"));
    EXPECT_EQ(plain.output.find("Content-Encoding"), std::string::npos);
    auto tiny = run_command("curl -s -D - -o /dev/null --compressed " + s.url("/"));
    EXPECT_EQ(tiny.output.find("Content-Encoding"), std::string::npos);
}

TEST(WebServer, StreamResponseIsChunked) {
    WebServer s(basic_app);
    auto r = run_command("curl -si " + s.url("/stream"));
    EXPECT_NE(r.output.find("Transfer-Encoding: chunked"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("part 0\npart 1\npart 2\npart 3\npart 4\n"), std::string::npos);
}

TEST(WebServer, MiddlewaresWrapAndShortCircuit) {
    WebServer s([](web::Application& app) {
        basic_app(app);
        app.middlewares().push_back([](web::Request& r, const web::Handler& next) -> Task<web::StreamResponse> {
            if (r.headers().get("X-Block")) throw web::HTTPForbidden();
            r["seen"] = 1;
            web::StreamResponse resp = co_await next(r);
            resp.headers().set("X-Outer", "yes");
            co_return resp;
        });
        app.middlewares().push_back([](web::Request& r, const web::Handler& next) -> Task<web::StreamResponse> {
            if (r.path() == "/short") co_return web::Response({.text = "short"});
            co_return co_await next(r);
        });
    });
    auto r = run_command("curl -si " + s.url("/"));
    EXPECT_NE(r.output.find("X-Outer: yes"), std::string::npos) << r.output;
    EXPECT_EQ(run_command("curl -s " + s.url("/short")).output, "short");
    EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' -H 'X-Block: 1' " + s.url("/")).output, "403");
}

TEST(WebServer, LifecycleHooksRunInOrder) {
    auto log = std::make_shared<std::vector<std::string>>();
    {
        WebServer s([log](web::Application& app) {
            basic_app(app);
            app["name"] = std::string("demo");
            app.on_startup().push_back([log](web::Application& a) -> Task<> {
                log->push_back("startup " + a.get<std::string>("name"));
                co_return;
            });
            app.on_shutdown().push_back([log](web::Application&) -> Task<> {
                log->push_back("shutdown");
                co_return;
            });
            app.on_cleanup().push_back([log](web::Application&) -> Task<> {
                log->push_back("cleanup");
                co_return;
            });
        });
        EXPECT_TRUE(server_alive(s.port()));
    }
    EXPECT_EQ(*log, (std::vector<std::string>{"startup demo", "shutdown", "cleanup"}));
}

// --- bad input: each answers its status, and the server keeps serving ---

struct BadCase {
    const char* name;
    std::string request;
    int status;
};

TEST(WebServer, BadInputGetsItsStatusAndTheServerKeepsServing) {
    web::ServerOptions opts;
    WebServer s(basic_app, opts);
    std::vector<BadCase> cases = {
        {"CL+TE", "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"double CL", "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nab", 400},
        {"bad chunk size", "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400},
        {"chunk size overflow", "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", 400},
        {"long request line", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
        {"huge header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n", 431},
        {"too many header bytes", [] {
             std::string r = "GET / HTTP/1.1\r\nHost: x\r\n";
             for (int i = 0; i < 10; ++i) r += "X-H" + std::to_string(i) + ": " + std::string(4000, 'c') + "\r\n";
             return r + "\r\n";
         }(), 431},
        {"body over client_max_size", "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\nabc", 413},
        {"non-UTF-8 path", "GET /caf%E9 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        {"bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400},
        {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        {"bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    };
    for (const auto& c : cases) {
        RawClient client(s.port());
        client.send(c.request);
        std::string out = client.read_all();
        EXPECT_EQ(status_of(out), c.status) << c.name << ": " << out.substr(0, 200);
        EXPECT_TRUE(server_alive(s.port())) << "after " << c.name;
    }
}

TEST(WebServer, SlowlorisAndIdleConnectionsAreCutOff) {
    web::ServerOptions opts;
    opts.header_timeout = 300ms;
    opts.keepalive_timeout = 300ms;
    WebServer s(basic_app, opts);
    RawClient slow(s.port(), 3000);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
        slow.send("G");
        std::this_thread::sleep_for(50ms);
    }
    slow.send("ET / HTTP/1.1\r\nX-Slow: 1");
    bool closed = false;
    std::string out = slow.read_all(&closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(status_of(out), 408) << out;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);

    RawClient idle(s.port(), 3000);
    idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    out = idle.read_all(&closed);
    EXPECT_EQ(status_of(out), 200);
    EXPECT_TRUE(closed);  // closed by the keep-alive timeout, before the 3 s receive timeout
    EXPECT_TRUE(server_alive(s.port()));
}

TEST(WebServer, ClientResetCancelsTheHandler) {
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto started = std::make_shared<std::atomic<bool>>(false);
    WebServer s([=](web::Application& app) {
        basic_app(app);
        app.router().add_get("/slow", [=](web::Request&) -> Task<web::StreamResponse> {
            started->store(true);
            try {
                co_await aio::sleep(10s);
            } catch (const aio::CancelledError&) {
                cancelled->store(true);
                throw;
            }
            co_return web::Response({.text = "late"});
        });
    });
    int before = aio::test::count_open_fds();
    {
        RawClient c(s.port());
        c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        while (!started->load()) std::this_thread::sleep_for(1ms);
        // A reset, which a server can tell from a half-close (a FIN alone
        // may be a client still waiting for its answer).
        linger lg{1, 0};
        ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    for (int i = 0; i < 200 && !cancelled->load(); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(cancelled->load());
    EXPECT_TRUE(server_alive(s.port()));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(s.runner()->requests_in_flight(), 0u);
    EXPECT_LE(aio::test::count_open_fds(), before);
}

TEST(WebServer, FormsFromPythonAiohttpClient) {
    WebServer s([](web::Application& app) {
        app.router().add_post("/form", [](web::Request& r) -> Task<web::StreamResponse> {
            web::Form form = co_await r.post();
            aio::json::Object fields;
            for (auto [k, v] : form.fields) fields.set(k, std::string(v));
            aio::json::Array files;
            for (const auto& f : form.files) {
                std::string bytes = f.read();
                std::string tail;
                for (unsigned char c : bytes.substr(bytes.size() - 3)) tail += "0123456789abcdef"[c >> 4], tail += "0123456789abcdef"[c & 15];
                files.push_back(aio::json::Object{{"name", f.name}, {"filename", f.filename},
                                                  {"size", f.size}, {"tail", tail}});
            }
            co_return web::json_response(aio::json::Object{{"fields", fields}, {"files", files}});
        });
    });
    std::string script = aio::test::source_path("tests/web/peers/forms_client.py");
    auto r = run_command("/usr/bin/python3 " + script + " " + std::to_string(s.port()) + " urlencoded");
    EXPECT_EQ(r.output, "200\n{\"fields\": {\"name\": \"Zo\\u00eb\", \"empty\": \"\", \"q\": \"a b&c\"}, \"files\": []}\n");
    r = run_command("/usr/bin/python3 " + script + " " + std::to_string(s.port()) + " multipart");
    EXPECT_EQ(r.output,
              "200\n{\"fields\": {\"name\": \"Zo\\u00eb\", \"note\": \"after the file\"}, \"files\": [{\"name\": "
              "\"upload\", \"filename\": \"big.bin\", \"size\": 300276, \"tail\": \"fdfeff\"}]}\n");
}

TEST(WebServer, StaticFilesRangesConditionalsAndTraversal) {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / ("aio_web_static_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "sub");
    {
        std::ofstream(root / "a.txt") << "0123456789abcdef";
        std::ofstream(root / "sub" / "b.html") << "<p>b</p>";
        std::ofstream(root.string() + "_secret.txt") << "secret";
    }
    fs::create_symlink(root.string() + "_secret.txt", root / "link.txt");
    WebServer s([root](web::Application& app) {
        basic_app(app);
        app.router().add_static("/static", root, {.name = "static"});
    });
    auto full = run_command("curl -si " + s.url("/static/a.txt"));
    EXPECT_EQ(status_of(full.output), 200);
    EXPECT_NE(full.output.find("Accept-Ranges: bytes"), std::string::npos);
    EXPECT_NE(full.output.find("\r\n\r\n0123456789abcdef"), std::string::npos);
    EXPECT_EQ(run_command("curl -s -r 2-5 " + s.url("/static/a.txt")).output, "2345");
    EXPECT_EQ(run_command("curl -s -r -3 " + s.url("/static/a.txt")).output, "def");
    EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' -r 100-200 " + s.url("/static/a.txt")).output, "416");
    std::size_t at = full.output.find("ETag: ");
    ASSERT_NE(at, std::string::npos);
    std::string etag = full.output.substr(at + 6, full.output.find("\r\n", at) - at - 6);
    EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: " + etag + "' " +
                          s.url("/static/a.txt")).output, "304");
    EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' -H 'If-Match: \"nope\"' " +
                          s.url("/static/a.txt")).output, "412");
    at = full.output.find("Last-Modified: ");
    std::string lm = full.output.substr(at + 15, full.output.find("\r\n", at) - at - 15);
    EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' -H 'If-Modified-Since: " + lm + "' " +
                          s.url("/static/a.txt")).output, "304");
    EXPECT_NE(run_command("curl -si " + s.url("/static/sub/b.html")).output.find("Content-Type: text/html"),
              std::string::npos);
    // Traversal: each refused, and nothing of the secret leaks.
    const char* attacks[] = {"/static/../" , "/static/%2e%2e/", "/static/sub/%2E%2E/%2e%2e/", "/static//etc/passwd",
                             "/static/link.txt", "/static/sub/..%2f..%2f"};
    for (const char* a : attacks) {
        auto r = run_command(std::string("curl -s --path-as-is -w '\\n%{http_code}' '") + s.url(a) +
                             (std::string(a).back() == '/' ? fs::path(root.string() + "_secret.txt").filename().string() : "") + "'");
        EXPECT_EQ(r.output.find("secret"), std::string::npos) << a << ": " << r.output;
        std::string code = r.output.substr(r.output.size() - 3);
        EXPECT_TRUE(code == "403" || code == "404") << a << ": " << r.output;
    }
    EXPECT_TRUE(server_alive(s.port()));
    fs::remove_all(root);
    fs::remove(root.string() + "_secret.txt");
}

TEST(WebServer, AccessLogIsOffByDefaultAndConfigurable) {
    auto lines = std::make_shared<std::vector<std::string>>();
    web::ServerOptions opts;
    opts.access_log = [lines](std::string_view l) { lines->emplace_back(l); };
    opts.access_log_format = "%a \"%r\" %s %b %{User-Agent}i";
    {
        WebServer s(basic_app, opts);
        run_command("curl -s -A tester " + s.url("/users/5"));
    }
    ASSERT_EQ(lines->size(), 1u);
    EXPECT_EQ((*lines)[0], "127.0.0.1 \"GET /users/5 HTTP/1.1\" 200 6 tester");
}

TEST(WebServer, GracefulShutdownFinishesRequestsInFlight) {
    auto started = std::make_shared<std::atomic<bool>>(false);
    auto s = std::make_unique<WebServer>([=](web::Application& app) {
        app.router().add_get("/slow", [=](web::Request&) -> Task<web::StreamResponse> {
            started->store(true);
            co_await aio::sleep(300ms);
            co_return web::Response({.text = "done"});
        });
    });
    RawClient busy(s->port(), 3000);
    RawClient idle(s->port(), 3000);
    busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    while (!started->load()) std::this_thread::sleep_for(1ms);
    std::thread stopper([&] { s->stop(); });
    bool closed = false;
    std::string out = busy.read_all(&closed);
    stopper.join();
    EXPECT_EQ(status_of(out), 200);
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
    EXPECT_NE(out.find("done"), std::string::npos);
    EXPECT_TRUE(closed);
    idle.read_all(&closed);
    EXPECT_TRUE(closed);
}

TEST(WebServer, NoFileDescriptorsLeak) {
    int before = aio::test::count_open_fds();
    {
        WebServer s(basic_app);
        for (int i = 0; i < 20; ++i) run_command("curl -s -o /dev/null " + s.url("/users/" + std::to_string(i)));
        RawClient c(s.port());
        c.send("GET /fail HTTP/1.1\r\n\r\n");
    }
    EXPECT_EQ(aio::test::count_open_fds(), before);
}
