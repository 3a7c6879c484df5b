// aio::web's request rules and resource bounds: no https claim without TLS,
// Host on HTTP/1.1, the absolute-form authority, 100-continue ordering,
// chunk-size lines against client_max_size, static files resolved beneath
// the root, multipart temporary files and part counts.
#include <gtest/gtest.h>

#include <thread>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "faults/server_faults_support.hpp"
#include "support/support.hpp"
#include "web/exchange.hpp"
#include "web/util.hpp"
#include "web/web_fixture.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace web = aio::web;
using aio::Task;
using aio::test::RawClient;
using aio::test::run_command;
using aio::test::status_of;
using aio::test::WebServer;

namespace aio::web::detail {
// Defined in src/web/static_files.cpp: forces the openat fallback.
extern std::atomic<bool> g_static_without_openat2;
}  // namespace aio::web::detail

namespace {

Task<web::StreamResponse> hello(web::Request&) { co_return web::Response({.text = "Hello, world"}); }

struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "aio-web-XXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string get(std::uint16_t port, const std::string& request) {
    RawClient c(port, 500);  // answers come at once; the wait only ends a kept-alive connection
    c.send(request);
    return c.read_all();
}

}  // namespace

TEST(WebHardening, SslTrueWithoutAContextIsAValueErrorNotPlainHttp) {
    web::SiteOptions site;
    site.ssl = true;
    WebServer s([](web::Application& app) { app.router().add_get("/", hello); }, {}, site);
    EXPECT_NE(s.error().find("SSLContext"), std::string::npos) << s.error();
    EXPECT_EQ(s.port(), 0);  // never listened
}

TEST(WebHardening, Http11WithoutHostIs400AndHttp10IsServed) {
    WebServer s([](web::Application& app) { app.router().add_get("/", hello); });
    std::string out = get(s.port(), "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(status_of(out), 400) << out;
    EXPECT_NE(out.find("Host"), std::string::npos);
    EXPECT_EQ(status_of(get(s.port(), "GET / HTTP/1.0\r\n\r\n")), 200);
    EXPECT_EQ(status_of(get(s.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

TEST(WebHardening, AbsoluteFormAuthorityWinsOverHost) {
    WebServer s([](web::Application& app) {
        app.router().add_get("/who", [](web::Request& r) -> Task<web::StreamResponse> {
            co_return web::Response({.text = "host=" + r.host() + " path=" + r.path()});
        });
    });
    std::string out = get(s.port(), "GET http://real.example:8080/who?x=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
    EXPECT_NE(out.find("host=real.example:8080 path=/who"), std::string::npos) << out;
    out = get(s.port(), "GET /who HTTP/1.1\r\nHost: other.example\r\n\r\n");
    EXPECT_NE(out.find("host=other.example path=/who"), std::string::npos) << out;
}

TEST(WebHardening, ContinueGoesOutAfterEarlierPipelinedResponses) {
    WebServer s([](web::Application& app) {
        app.router().add_get("/", hello);
        app.router().add_post("/upload", [](web::Request& r) -> Task<web::StreamResponse> {
            std::string body = co_await r.read();
            co_return web::Response({.text = "got " + body});
        });
    });
    RawClient c(s.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"
           "POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    std::string out = c.read_until("100 Continue");
    std::size_t hello_at = out.find("Hello, world");
    std::size_t continue_at = out.find("HTTP/1.1 100 Continue");
    ASSERT_NE(continue_at, std::string::npos) << out;
    ASSERT_NE(hello_at, std::string::npos) << out;
    EXPECT_LT(hello_at, continue_at) << out;
    c.send("hello");
    EXPECT_NE(c.read_until("got hello").find("got hello"), std::string::npos);
}

TEST(WebHardening, ChunkSizeLinesCountAgainstClientMaxSize) {
    web::ApplicationOptions ao;
    ao.client_max_size = 200;
    WebServer s([](web::Application& app) {
        app.router().add_post("/upload", [](web::Request& r) -> Task<web::StreamResponse> {
            std::string body = co_await r.read();
            co_return web::Response({.text = "got " + std::to_string(body.size())});
        });
    }, {}, {}, ao);
    std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string padded, plain;
    for (int i = 0; i < 20; ++i) padded += "1;pad=" + std::string(20, 'p') + "\r\nx\r\n";  // 20 data bytes
    for (int i = 0; i < 20; ++i) plain += "1\r\nx\r\n";
    EXPECT_EQ(status_of(get(s.port(), head + padded + "0\r\n\r\n")), 413);
    std::string ok = get(s.port(), head + plain + "0\r\n\r\n");
    EXPECT_EQ(status_of(ok), 200) << ok;
    EXPECT_NE(ok.find("got 20"), std::string::npos);
}

namespace {

/// root/ holds pub.txt and sub/nested.txt; secret.txt lies beside root, and
/// root holds symlinks to it (a file link and a directory link).
struct StaticTree {
    TempDir dir;
    fs::path root;
    StaticTree() {
        root = dir.path / "root";
        fs::create_directories(root / "sub");
        std::ofstream(root / "pub.txt") << "public";
        std::ofstream(root / "sub" / "nested.txt") << "nested";
        fs::create_directories(dir.path / "outside");
        std::ofstream(dir.path / "outside" / "secret.txt") << "secret";
        fs::create_symlink(dir.path / "outside" / "secret.txt", root / "link.txt");
        fs::create_directory_symlink(dir.path / "outside", root / "dirlink");
    }
};

void check_static_rules(std::uint16_t port) {
    auto fetch = [&](const std::string& path) {
        return get(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    };
    std::string out = fetch("/static/pub.txt");
    EXPECT_EQ(status_of(out), 200);
    EXPECT_NE(out.find("public"), std::string::npos);
    out = fetch("/static/sub/nested.txt");
    EXPECT_EQ(status_of(out), 200);
    EXPECT_NE(out.find("nested"), std::string::npos);
    // A trailing slash names a directory whichever way the path is resolved
    // (the openat fallback served "pub.txt/" as the file; openat2 never did).
    EXPECT_EQ(status_of(fetch("/static/pub.txt/")), 404);
    EXPECT_EQ(status_of(fetch("/static/sub/nested.txt/")), 404);
    EXPECT_EQ(status_of(fetch("/static/sub/nested.txt//")), 404);
    EXPECT_EQ(status_of(fetch("/static/sub/")), 403);
    EXPECT_EQ(status_of(fetch("/static/sub//")), 403);
    for (std::string bad : {"/static/link.txt", "/static/dirlink/secret.txt", "/static/../outside/secret.txt",
                            "/static/sub/../../outside/secret.txt", "/static/%2e%2e/outside/secret.txt",
                            "/static/sub/%2E%2E/%2E%2E/outside/secret.txt"}) {
        out = fetch(bad);
        int st = status_of(out);
        EXPECT_TRUE(st == 403 || st == 404) << bad << ": " << out.substr(0, 100);
        EXPECT_EQ(out.find("secret"), std::string::npos) << bad;
    }
}

}  // namespace

TEST(WebHardening, StaticFilesResolveBeneathTheRootWithOpenat2) {
    StaticTree t;
    WebServer s([&](web::Application& app) { app.router().add_static("/static", t.root); });
    check_static_rules(s.port());
}

TEST(WebHardening, StaticFilesResolveBeneathTheRootWithTheOpenatFallback) {
    StaticTree t;
    aio::web::detail::g_static_without_openat2 = true;
    {
        WebServer s([&](web::Application& app) { app.router().add_static("/static", t.root); });
        check_static_rules(s.port());
    }
    aio::web::detail::g_static_without_openat2 = false;
}

// A FileResponse whose path holds a NUL byte (a name taken from the request:
// "pub.txt%00.png" decodes to one) sent the file of the path cut at the NUL,
// past any check of the name's ending. It is now ValueError when made: the
// handler fails (500) and the file is not sent. Static routes answer such a
// name 400.
TEST(WebHardening, AFileResponsePathHoldingANulIsRefusedNotCut) {
    StaticTree t;
    WebServer s([&](web::Application& app) {
        app.router().add_static("/static", t.root);
        app.router().add_get("/file", [&t](web::Request& r) -> aio::Task<web::StreamResponse> {
            std::string name(r.query().get("name").value_or(""));
            if (name.size() < 4 || name.substr(name.size() - 4) != ".png") throw web::HTTPForbidden();
            co_return web::FileResponse(t.root / name);
        });
    });
    auto fetch = [&](const std::string& path) {
        return get(s.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    };
    std::string out = fetch("/file?name=pub.txt%00.png");
    EXPECT_EQ(status_of(out), 500) << out.substr(0, 100);
    EXPECT_EQ(out.find("public"), std::string::npos);
    out = fetch("/static/pub.txt%00.png");
    EXPECT_EQ(status_of(out), 400) << out.substr(0, 100);
    EXPECT_EQ(out.find("public"), std::string::npos);
    EXPECT_THROW(web::FileResponse(t.root / std::string("pub.txt\0.png", 12)), aio::ValueError);
}

// A byte position of 20 digits or more (a last-pos of UINT64_MAX, as some
// download managers send for "to the end") made the Range header count as
// malformed: the whole file came back 200 instead of the 206 RFC 9110
// §14.1.2 asks for, and a first-pos that large got 200 instead of 416.
// A range unit in capitals ("BYTES=") was ignored the same way, though units
// are case-insensitive (§14.1). Positions now saturate at UINT64_MAX.
TEST(WebHardening, StaticRangesWithHugePositionsAndAnyCaseUnit) {
    StaticTree t;
    std::ofstream(t.root / "digits.txt") << "0123456789abcdef";
    WebServer s([&](web::Application& app) { app.router().add_static("/static", t.root); });
    auto fetch = [&](const std::string& range) {
        return get(s.port(), "GET /static/digits.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: " + range +
                                  "\r\n\r\n");
    };
    auto body_of = [](const std::string& raw) {
        std::size_t at = raw.find("\r\n\r\n");
        return at == std::string::npos ? std::string() : raw.substr(at + 4);
    };
    for (std::string range : {"bytes=3-18446744073709551615", "bytes=3-18446744073709551616",
                              "bytes=3-99999999999999999999999999", "bytes=0003-00000000000000000000000015"}) {
        std::string out = fetch(range);
        EXPECT_EQ(status_of(out), 206) << range << ": " << out;
        EXPECT_NE(out.find("Content-Range: bytes 3-15/16\r\n"), std::string::npos) << range << ": " << out;
        EXPECT_NE(out.find("Content-Length: 13\r\n"), std::string::npos) << range << ": " << out;
        EXPECT_EQ(body_of(out), "3456789abcdef") << range;
    }
    for (std::string range : {"bytes=-18446744073709551616", "bytes=-99999999999999999999999999"}) {
        std::string out = fetch(range);
        EXPECT_EQ(status_of(out), 206) << range << ": " << out;
        EXPECT_NE(out.find("Content-Range: bytes 0-15/16\r\n"), std::string::npos) << range << ": " << out;
        EXPECT_EQ(body_of(out), "0123456789abcdef") << range;
    }
    for (std::string range : {"bytes=18446744073709551616-", "bytes=99999999999999999999999999-5"}) {
        std::string out = fetch(range);
        int st = status_of(out);
        if (range.back() == '-') {
            EXPECT_EQ(st, 416) << range << ": " << out;
            EXPECT_NE(out.find("Content-Range: bytes */16\r\n"), std::string::npos) << range << ": " << out;
        } else {
            EXPECT_EQ(st, 200) << range << ": " << out;  // last-pos < first-pos: invalid, ignored
        }
    }
    std::string out = fetch("BYTES=2-5");
    EXPECT_EQ(status_of(out), 206) << out;
    EXPECT_EQ(body_of(out), "2345");
    out = fetch("Bytes=-3");
    EXPECT_EQ(status_of(out), 206) << out;
    EXPECT_EQ(body_of(out), "def");
}

// The bare prefix of a static route ("/listing", no slash) answered 404:
// aiohttp resolves it to the root directory, a listing with show_index and
// 403 without. It names the root now; a longer name sharing the prefix
// ("/listingx") is still no match.
TEST(WebHardening, TheBarePrefixOfAStaticRouteNamesItsRoot) {
    StaticTree t;
    WebServer s([&](web::Application& app) {
        app.router().add_static("/static", t.root);
        app.router().add_static("/listing", t.root, {.show_index = true});
    });
    auto fetch = [&](const std::string& path, const std::string& method = "GET") {
        return get(s.port(), method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    };
    std::string out = fetch("/listing");
    EXPECT_EQ(status_of(out), 200) << out;
    EXPECT_NE(out.find("<a href=\"/listing/pub.txt\">pub.txt</a>"), std::string::npos) << out;
    EXPECT_NE(out.find("<a href=\"/listing/sub/\">sub/</a>"), std::string::npos) << out;
    auto body_of = [](const std::string& raw) { return raw.substr(raw.find("\r\n\r\n")); };
    EXPECT_EQ(body_of(out), body_of(fetch("/listing/")));
    EXPECT_EQ(status_of(fetch("/listing?x=1")), 200);
    EXPECT_EQ(status_of(fetch("/listing", "HEAD")), 200);
    EXPECT_EQ(status_of(fetch("/static")), 403);
    EXPECT_EQ(status_of(fetch("/static/")), 403);
    EXPECT_EQ(status_of(fetch("/listingx")), 404);
    EXPECT_EQ(status_of(fetch("/staticx/pub.txt")), 404);
}

namespace {

/// A static tree holding dated.txt with `text`, last modified at
/// Mon, 01 Jan 2024 00:00:00 GMT.
bool write_dated_file(const StaticTree& t, const std::string& text) {
    fs::path file = t.root / "dated.txt";
    std::ofstream(file) << text;
    struct timespec times[2] = {{1704067200, 0}, {1704067200, 0}};
    return ::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0;
}

}  // namespace

// If-Modified-Since and If-Unmodified-Since were read only in IMF-fixdate:
// a date in one of the two obsolete formats, which RFC 9110 §5.6.7 says a
// recipient MUST accept (aiohttp does), was ignored, so a cache
// revalidating with one got the whole file (200, not 304) and a
// conditional request got no 412.
TEST(WebHardening, ConditionalDatesAreReadInAllThreeHttpDateFormats) {
    StaticTree t;
    ASSERT_TRUE(write_dated_file(t, "dated"));
    WebServer s([&](web::Application& app) { app.router().add_static("/static", t.root); });
    auto status = [&](const std::string& field) {
        return status_of(get(s.port(), "GET /static/dated.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + field +
                                           "\r\n\r\n"));
    };
    for (std::string date : {"Mon, 01 Jan 2024 00:00:00 GMT", "Monday, 01-Jan-24 00:00:00 GMT",
                             "Mon Jan  1 00:00:00 2024", "Tue Jan  2 10:00:00 2024", "Tuesday, 02-Jan-24 10:00:00 GMT"}) {
        EXPECT_EQ(status("If-Modified-Since: " + date), 304) << date;
        EXPECT_EQ(status("If-Unmodified-Since: " + date), 200) << date;
    }
    for (std::string date : {"Sun, 31 Dec 2023 00:00:00 GMT", "Sunday, 31-Dec-23 00:00:00 GMT",
                             "Sun Dec 31 00:00:00 2023", "Sun Dec 31 23:59:59 2023"}) {
        EXPECT_EQ(status("If-Modified-Since: " + date), 200) << date;
        EXPECT_EQ(status("If-Unmodified-Since: " + date), 412) << date;
    }
    // Not HTTP-dates: ignored.
    for (std::string date : {"Mon, 1 Jan 2024 00:00:00 GMT", "Monday, 01-Jan-2024 00:00:00 GMT", "Mon Jan 1 00:00:00 2024",
                             "2024-01-01T00:00:00Z", "garbage"}) {
        EXPECT_EQ(status("If-Modified-Since: " + date), 200) << date;
        EXPECT_EQ(status("If-Unmodified-Since: " + date), 200) << date;
    }
}

// If-Range was compared as a string with the ETag and Last-Modified: a date
// in an obsolete format lost the range (200 and the whole file) though it
// named the file's own second. Dates are read as
// dates now; entity tags still compare strongly.
TEST(WebHardening, IfRangeReadsItsDateAsADate) {
    StaticTree t;
    ASSERT_TRUE(write_dated_file(t, "0123456789"));
    WebServer s([&](web::Application& app) { app.router().add_static("/static", t.root); });
    auto fetch = [&](const std::string& if_range) {
        return get(s.port(), "GET /static/dated.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: bytes=2-4\r\n"
                             "If-Range: " + if_range + "\r\n\r\n");
    };
    for (std::string date : {"Mon, 01 Jan 2024 00:00:00 GMT", "Monday, 01-Jan-24 00:00:00 GMT",
                             "Mon Jan  1 00:00:00 2024"}) {
        std::string out = fetch(date);
        EXPECT_EQ(status_of(out), 206) << date << ": " << out;
        EXPECT_NE(out.find("\r\n\r\n234"), std::string::npos) << date << ": " << out;
    }
    // Another second (before or after), or not a date: the whole file.
    for (std::string date : {"Sun, 31 Dec 2023 23:59:59 GMT", "Mon, 01 Jan 2024 00:00:01 GMT", "yesterday", "\"x\"",
                             "W/\"x\""}) {
        std::string out = fetch(date);
        EXPECT_EQ(status_of(out), 200) << date << ": " << out;
        EXPECT_NE(out.find("\r\n\r\n0123456789"), std::string::npos) << date << ": " << out;
    }
    // The file's own entity tag keeps the range; the same tag marked weak does not.
    std::string head = get(s.port(), "HEAD /static/dated.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::size_t at = head.find("ETag: ");
    ASSERT_NE(at, std::string::npos) << head;
    std::string etag = head.substr(at + 6, head.find("\r\n", at) - at - 6);
    EXPECT_EQ(status_of(fetch(etag)), 206) << etag;
    EXPECT_EQ(status_of(fetch("W/" + etag)), 200) << etag;
}

namespace {

std::string multipart_head(std::size_t length) {
    return "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=BOUND\r\n"
           "Content-Length: " +
           std::to_string(length) + "\r\n\r\n";
}

/// Descriptors of this process open on an aio upload file, with their open flags.
std::vector<long> upload_fd_flags() {
    std::vector<long> flags;
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        fs::path target = fs::read_symlink(e.path(), ec);
        if (ec || target.filename().string().rfind("aio-upload-", 0) != 0) continue;
        std::ifstream info("/proc/self/fdinfo/" + e.path().filename().string());
        std::string key;
        while (info >> key) {
            if (key == "flags:") {
                std::string octal;
                info >> octal;
                flags.push_back(std::stol(octal, nullptr, 8));
                break;
            }
        }
    }
    return flags;
}

}  // namespace

TEST(WebHardening, MultipartTempFilesAreCloseOnExec) {
    WebServer s([](web::Application& app) {
        app.router().add_post("/form", [](web::Request& r) -> Task<web::StreamResponse> {
            web::Form f = co_await r.post();
            const web::FileField* file = f.file("up");
            co_return web::Response({.text = file ? "size " + std::to_string(file->size) + " " + file->read() : "none"});
        });
    });
    std::string first = "--BOUND\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n\r\nhello ";
    std::string rest = "world\r\n--BOUND--\r\n";
    RawClient c(s.port(), 3000);
    c.send(multipart_head(first.size() + rest.size()) + first);
    // While the upload is in progress, its temporary file is open.
    std::vector<long> flags;
    for (int i = 0; i < 300 && flags.empty(); ++i) {
        flags = upload_fd_flags();
        if (flags.empty()) std::this_thread::sleep_for(10ms);
    }
    ASSERT_FALSE(flags.empty());
    for (long f : flags) EXPECT_NE(f & O_CLOEXEC, 0) << std::oct << f;
    c.send(rest);
    std::string out = c.read_until("world");
    EXPECT_EQ(status_of(out), 200) << out;
    EXPECT_NE(out.find("size 11 hello world"), std::string::npos) << out;
}

// The first delimiter counts only at the start of the body or of a line: a
// preamble line that merely contains "--BOUND" does not start a part.
TEST(WebHardening, MultipartFirstBoundaryOnlyAtALineStart) {
    WebServer s([](web::Application& app) {
        app.router().add_post("/form", [](web::Request& r) -> Task<web::StreamResponse> {
            web::Form f = co_await r.post();
            std::string names;
            for (auto [name, value] : f.fields) names += std::string(name) + "=" + std::string(value) + ";";
            co_return web::Response({.text = "fields " + names});
        });
    });
    std::string body =
        "preamble x--BOUND\r\nContent-Disposition: form-data; name=\"fake\"\r\n\r\nno\r\n"
        "--BOUND\r\nContent-Disposition: form-data; name=\"real\"\r\n\r\nyes\r\n--BOUND--\r\n";
    std::string out = get(s.port(), multipart_head(body.size()) + body);
    EXPECT_EQ(status_of(out), 200) << out;
    EXPECT_NE(out.find("fields real=yes;"), std::string::npos) << out;
    // No delimiter at a line start at all: a bad request, not a part.
    std::string none = "x--BOUND\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\nx--BOUND--\r\n";
    out = get(s.port(), multipart_head(none.size()) + none);
    EXPECT_EQ(status_of(out), 400) << out;
}

// An upload the server refuses part-way (413 past client_max_size): the
// server answers, ends its side and discards the rest of the body until the
// client closes (lingering close). Closing at once with the body unread
// would reset the connection, and the reset can destroy the 413 before the
// client reads it.
TEST(WebHardening, ARefusedUploadIsAnsweredNotReset) {
    web::ApplicationOptions ao;
    ao.client_max_size = 64 * 1024;
    WebServer s([](web::Application& app) {
        app.router().add_post("/up", [](web::Request& r) -> Task<web::StreamResponse> {
            std::string body = co_await r.text();
            co_return web::Response({.text = std::to_string(body.size())});
        });
    }, {}, {}, ao);
    for (int round = 0; round < 3; ++round) {
        const std::size_t size = 8 * 1024 * 1024;
        RawClient c(s.port(), 10000);
        ASSERT_TRUE(c.connected());
        std::string head = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
        bool sent = false;
        std::thread sender([&] { sent = c.send(head) && c.send(std::string(size, 'x')); });
        bool closed = false;
        std::string out = c.read_all(&closed);
        sender.join();
        EXPECT_EQ(status_of(out), 413) << "round " << round << ": " << out.substr(0, 200);
        EXPECT_TRUE(sent) << "the server reset the connection while the client was still sending";
        EXPECT_TRUE(closed);
    }
}

// The lingering close is bounded: a client that goes on sending the refused
// body past lingering_time, or stalls past lingering_timeout, is cut off and
// its descriptor comes back.
TEST(WebHardening, TheLingeringCloseEndsForAClientThatNeverStops) {
    web::ApplicationOptions ao;
    ao.client_max_size = 1024;
    web::ServerOptions so;
    so.lingering_time = 200ms;
    so.lingering_timeout = 50ms;
    WebServer s([](web::Application& app) {
        app.router().add_post("/up", [](web::Request& r) -> Task<web::StreamResponse> {
            std::string body = co_await r.text();
            co_return web::Response({.text = std::to_string(body.size())});
        });
    }, so, {}, ao);
    int before = aio::test::count_open_fds();
    {
        // Sends for ever (up to 64 GiB): only the server ending the lingering can stop it.
        RawClient c(s.port(), 10000);
        ASSERT_TRUE(c.connected());
        const std::uint64_t announced = std::uint64_t(64) << 30;
        std::string head = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(announced) + "\r\n\r\n";
        std::uint64_t sent = 0;
        EXPECT_TRUE(aio::test::faults::send_until_cut_off(c.fd(), head, announced, sent))
            << sent << " bytes sent and the server still read them";
        EXPECT_LT(sent, announced);
    }
    {
        // Stalls after the head: lingering_timeout ends the wait.
        RawClient c(s.port(), 10000);
        c.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(5000, 'x'));
        bool closed = false;
        std::string out = c.read_all(&closed);
        EXPECT_EQ(status_of(out), 413) << out;
        EXPECT_TRUE(closed);
    }
    EXPECT_TRUE(aio::test::faults::fds_settle_to(before));
}

TEST(WebHardening, MultipartPartsAreBounded) {
    web::ApplicationOptions ao;
    ao.max_form_parts = 3;
    WebServer s([](web::Application& app) {
        app.router().add_post("/form", [](web::Request& r) -> Task<web::StreamResponse> {
            web::Form f = co_await r.post();
            co_return web::Response({.text = "fields " + std::to_string(f.fields.size())});
        });
    }, {}, {}, ao);
    auto body_of = [](int parts) {
        std::string b;
        for (int i = 0; i < parts; ++i)
            b += "--BOUND\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "\"\r\n\r\nv\r\n";
        return b + "--BOUND--\r\n";
    };
    std::string ok = body_of(3);
    std::string out = get(s.port(), multipart_head(ok.size()) + ok);
    EXPECT_EQ(status_of(out), 200) << out;
    EXPECT_NE(out.find("fields 3"), std::string::npos);
    std::string many = body_of(4);
    out = get(s.port(), multipart_head(many.size()) + many);
    EXPECT_EQ(status_of(out), 413) << out;
    EXPECT_NE(out.find("max_form_parts"), std::string::npos) << out;
}

// A file whose read fails while it is sent (a failing disk's EIO) is an
// OSError with the errno, not "the file shrank". A directory's descriptor
// fails pread(2) the same way, with EISDIR.
TEST(WebHardening, AFailedReadOfAFileBeingSentIsAnOSErrorWithItsErrno) {
    TempDir dir;
    auto opened = std::make_shared<web::detail::OpenedFile>(web::detail::OpenedFile::open(dir.path));
    ASSERT_EQ(opened->err, 0);
    int code = 0;
    std::string what;
    aio::run([&]() -> Task<> {
        try {
            co_await web::detail::read_file_piece(opened, 0, 4096);
        } catch (const aio::OSError& e) {
            code = e.errno_code();
            what = e.what();
        }
    }());
    EXPECT_EQ(code, EISDIR) << what;
    EXPECT_NE(what.find("reading the file to send"), std::string::npos) << what;
}

// aiohttp's precompressed files: a static file (or a FileResponse) with
// name.br or name.gz beside it sends that file, as it is, to a client that
// accepts the coding (br first), with Content-Encoding, Vary and the
// original's Content-Type; a sibling that is a symlink, a directory, or
// that the client refuses is passed over, and a handler's own
// Content-Encoding keeps the file as it is.
TEST(WebHardening, PrecompressedSiblingsAreSentToClientsThatAcceptThem) {
    StaticTree t;
    const std::string page(5000, 'p');
    std::ofstream(t.root / "page.html") << page;
    const std::string br = aio::http::compress(page, aio::http::Coding::br);
    const std::string gz = aio::http::compress(page, aio::http::Coding::gzip);
    std::ofstream(t.root / "page.html.br", std::ios::binary) << br;
    std::ofstream(t.root / "page.html.gz", std::ios::binary) << gz;
    std::ofstream(t.root / "only.txt") << "only gz";
    std::ofstream(t.root / "only.txt.gz", std::ios::binary) << aio::http::compress("only gz", aio::http::Coding::gzip);
    std::ofstream(t.root / "linked.txt") << "linked";
    fs::create_symlink(t.root / "page.html.gz", t.root / "linked.txt.gz");  // never followed
    fs::create_directory(t.root / "dir.txt.gz");
    std::ofstream(t.root / "dir.txt") << "dir";
    const fs::path page_path = t.root / "page.html";
    WebServer s([&](web::Application& app) {
        app.router().add_static("/static", t.root);
        app.router().add_get("/file", [page_path](web::Request&) -> Task<web::StreamResponse> {
            co_return web::FileResponse(page_path);
        });
        app.router().add_get("/as-is", [page_path](web::Request&) -> Task<web::StreamResponse> {
            web::FileResponse f(page_path.string() + ".gz");
            f.headers().set("Content-Encoding", "gzip");
            co_return f;
        });
    });
    auto fetch = [&](const std::string& path, const std::string& accept) {
        return get(s.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                 (accept.empty() ? "" : "Accept-Encoding: " + accept + "\r\n") + "\r\n");
    };
    auto body_of = [](const std::string& raw) { return raw.substr(raw.find("\r\n\r\n") + 4); };
    for (std::string path : {"/static/page.html", "/file"}) {
        std::string out = fetch(path, "gzip, deflate, br");
        EXPECT_EQ(status_of(out), 200) << path;
        EXPECT_NE(out.find("Content-Encoding: br\r\n"), std::string::npos) << path << ": " << out.substr(0, 300);
        EXPECT_NE(out.find("Vary: Accept-Encoding\r\n"), std::string::npos) << path;
        EXPECT_NE(out.find("Content-Type: text/html"), std::string::npos) << path;
        EXPECT_EQ(body_of(out), br) << path;
        out = fetch(path, "br;q=0, gzip");
        EXPECT_NE(out.find("Content-Encoding: gzip\r\n"), std::string::npos) << path;
        EXPECT_EQ(body_of(out), gz) << path;
        for (std::string accept : {"", "identity", "deflate", "*;q=0"}) {
            out = fetch(path, accept);
            EXPECT_EQ(out.find("Content-Encoding"), std::string::npos) << path << " " << accept;
            EXPECT_EQ(body_of(out), page) << path << " " << accept;
        }
    }
    std::string out = fetch("/static/only.txt", "br, gzip");
    EXPECT_NE(out.find("Content-Encoding: gzip\r\n"), std::string::npos) << out.substr(0, 300);
    EXPECT_EQ(aio::http::decompress(body_of(out), aio::http::Coding::gzip), "only gz");
    EXPECT_EQ(body_of(fetch("/static/linked.txt", "gzip")), "linked");
    EXPECT_EQ(body_of(fetch("/static/dir.txt", "gzip")), "dir");
    out = fetch("/as-is", "br");
    EXPECT_NE(out.find("Content-Encoding: gzip\r\n"), std::string::npos) << out.substr(0, 300);
    EXPECT_EQ(body_of(out), gz);
    // A real client decodes what it asked for.
    EXPECT_EQ(run_command("curl -s --compressed " + s.url("/static/page.html")).output, page);
}
