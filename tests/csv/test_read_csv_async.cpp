// aio-test-shards: 6
// read_csv_async / read_csv_chunks_async: a response body or an open file
// parsed as it arrives, with the same tables as the synchronous read_csv.
#include "csv/samples.hpp"
#include "support/support.hpp"
#include "web/web_fixture.hpp"

#include <aio/aio.hpp>
#include <aio/csv/async_reader.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

using namespace std::chrono_literals;
using aio::csv::ReadOptions;
using aio::test::gzip;
using aio::test::r8_like;
using aio::test::WebServer;

namespace {


void expect_same(const aio::Table& got, const aio::Table& want) {
    EXPECT_EQ(got.columns(), want.columns());
    EXPECT_EQ(got.dtypes(), want.dtypes());
    EXPECT_EQ(got.num_rows(), want.num_rows());
    EXPECT_EQ(got.to_csv(), want.to_csv());
}

const std::string& text() {
    static const std::string t = r8_like(3000, 7);
    return t;
}

/// Several parser blocks: parsed on the pool while the rest arrives.
const std::string& big_text() {
    static const std::string t = r8_like(150000, 7);
    return t;
}

/// Six blocks of rows ended by `eol` (see eol_text), a break on each block's last byte.
constexpr std::size_t kEolRows = 260000;
const std::string& eol_body(const std::string& eol) {
    static const std::string cr = aio::test::eol_text(kEolRows, "\r");
    static const std::string crlf = aio::test::eol_text(kEolRows, "\r\n");
    static const std::string mixed = aio::test::eol_text(kEolRows, "mixed");
    return eol == "cr" ? cr : eol == "crlf" ? crlf : mixed;
}

/// Waits (on the server's loop) until `flag` is set.
aio::Task<> wait_for(const std::atomic<bool>& flag) {
    while (!flag.load()) co_await aio::sleep(2ms);
}

struct Server {
    std::atomic<bool> release_nrows{false};
    std::atomic<bool> release_chunks{false};
    WebServer web;

    Server()
        : web([this](aio::web::Application& app) {
              app.router().add_get("/data.csv", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.text = text(), .content_type = "text/csv"});
              });
              app.router().add_get("/dribble.csv", [](aio::web::Request& r) -> aio::Task<aio::web::StreamResponse> {
                  aio::web::StreamResponse resp;
                  resp.set_content_type("text/csv");
                  co_await resp.prepare(r);
                  const std::string& t = text();
                  std::mt19937 rng(3);
                  // The first 20,000 bytes in pieces of 1 to 7 bytes, the rest at once.
                  std::size_t i = 0;
                  while (i < t.size() && i < 20000) {
                      const std::size_t n = std::min<std::size_t>(1 + rng() % 7, t.size() - i);
                      co_await resp.write(std::string_view(t).substr(i, n));
                      i += n;
                  }
                  co_await resp.write(std::string_view(t).substr(i));
                  co_await resp.write_eof();
                  co_return resp;
              });
              app.router().add_get("/data.csv.gz", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.body = gzip(text())});
              });
              app.router().add_get("/gz-by-type", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.body = gzip(text()), .content_type = "application/gzip"});
              });
              app.router().add_get("/gz-by-magic", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.body = gzip(text()), .content_type = "text/csv"});
              });
              // 20 rows, then nothing until the test lets it go on.
              app.router().add_get("/stalls", [this](aio::web::Request& r) -> aio::Task<aio::web::StreamResponse> {
                  aio::web::StreamResponse resp;
                  resp.set_content_type("text/csv");
                  co_await resp.prepare(r);
                  std::string head = "a,b\n";
                  for (int i = 0; i < 20; ++i) head += std::to_string(i) + ",x\n";
                  co_await resp.write(head);
                  co_await wait_for(release_nrows);
                  try {
                      co_await resp.write("20,y\n");
                      co_await resp.write_eof();
                  } catch (const std::exception&) {  // the client has gone: fine
                  }
                  co_return resp;
              });
              // One chunk of 3 rows, then the rest once the test saw that chunk.
              app.router().add_get("/chunks", [this](aio::web::Request& r) -> aio::Task<aio::web::StreamResponse> {
                  aio::web::StreamResponse resp;
                  resp.set_content_type("text/csv");
                  co_await resp.prepare(r);
                  co_await resp.write("a,b\n1,x\n2,y\n3,z\n");
                  co_await wait_for(release_chunks);
                  co_await resp.write("4,u\n5,v\n6,w\n7,t\n");
                  co_await resp.write_eof();
                  co_return resp;
              });
              // Line-ending bodies in pieces of 1 B to 8 KiB.
              for (std::string eol : {"cr", "crlf", "mixed"}) {
                  app.router().add_get("/eol-" + eol + ".csv",
                                       [eol](aio::web::Request& r) -> aio::Task<aio::web::StreamResponse> {
                                           aio::web::StreamResponse resp;
                                           resp.set_content_type("text/csv");
                                           co_await resp.prepare(r);
                                           const std::string& t = eol_body(eol);
                                           std::mt19937 rng(5);
                                           for (std::size_t i = 0; i < t.size();) {
                                               const std::size_t n = std::min<std::size_t>(
                                                   1 + rng() % (rng() % 8 == 0 ? 3 : 8192), t.size() - i);
                                               co_await resp.write(std::string_view(t).substr(i, n));
                                               i += n;
                                           }
                                           co_await resp.write_eof();
                                           co_return resp;
                                       });
              }
              app.router().add_get("/big.csv", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.text = big_text(), .content_type = "text/csv"});
              });
              app.router().add_get("/big.csv.gz", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.body = gzip(big_text())});
              });
              app.router().add_get("/big-bad.csv", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.text = big_text() + "1,\"never closed\n", .content_type = "text/csv"});
              });
              app.router().add_get("/bad.csv", [](aio::web::Request&) -> aio::Task<aio::web::StreamResponse> {
                  co_return aio::web::Response({.text = "a,b\n1,\"never closed\n2,3\n", .content_type = "text/csv"});
              });
          }) {}
    ~Server() {
        release_nrows = true;
        release_chunks = true;
    }
    std::string url(const std::string& path) const { return web.url(path); }
};

Server& server() {
    static Server s;
    return s;
}

/// The process's descriptor count once it has stopped changing (the same in
/// readings 50 ms apart; at most about 2 s): the shared server closes the
/// connections of earlier tests on its own thread, when it notices.
int settled_fd_count() {
    int last = aio::test::count_open_fds();
    for (int i = 0; i < 40; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const int now = aio::test::count_open_fds();
        if (now == last) return now;
        last = now;
    }
    return last;
}

/// A server that answers one request with a Content-Length `extra` bytes
/// larger than what it sends, then closes.
class ShortBodyServer {
public:
    explicit ShortBodyServer(std::string body = "a,b\n1,2\n3,4\n", std::uint64_t extra = 1000) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(fd_, 4);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this, body = std::move(body), extra] {
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            std::string req;
            char buf[4096];
            while (req.find("\r\n\r\n") == std::string::npos) {
                const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                req.append(buf, static_cast<std::size_t>(n));
            }
            const std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: " +
                                     std::to_string(body.size() + extra) + "\r\n\r\n" + body;
            ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
            ::close(c);
        });
    }
    ~ShortBodyServer() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/short.csv"; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

aio::Task<aio::Table> fetch(std::string url, ReadOptions options = {}) {
    aio::http::ClientSession session;
    std::optional<aio::Table> t;
    std::exception_ptr error;
    try {
        t.emplace(co_await aio::csv::read_csv_async(session, url, std::move(options)));
    } catch (...) {
        error = std::current_exception();
    }
    co_await session.close();
    if (error) std::rethrow_exception(error);
    co_return std::move(*t);
}

}  // namespace

TEST(ReadCsvAsync, WholeTableEqualsReadCsvOfTheSameText) {
    const aio::Table want = aio::csv::read_csv_string(text());
    expect_same(aio::run(fetch(server().url("/data.csv"))), want);
    // The response form, and the URL form with a session of its own.
    const aio::Table by_response = aio::run([]() -> aio::Task<aio::Table> {
        aio::http::ClientSession session;
        auto resp = co_await session.get(server().url("/data.csv"));
        aio::Table t = co_await aio::csv::read_csv_async(resp);
        co_await session.close();
        co_return t;
    }());
    expect_same(by_response, want);
    expect_same(aio::run(aio::csv::read_csv_async(server().url("/data.csv"))), want);
}

TEST(ReadCsvAsync, BodyInTinyPiecesParsesIdentically) {
    expect_same(aio::run(fetch(server().url("/dribble.csv"))), aio::csv::read_csv_string(text()));
}

TEST(ReadCsvAsync, GzipByPathContentTypeAndMagicBytes) {
    const aio::Table want = aio::csv::read_csv_string(text());
    for (const char* path : {"/data.csv.gz", "/gz-by-type", "/gz-by-magic"}) {
        SCOPED_TRACE(path);
        expect_same(aio::run(fetch(server().url(path))), want);
    }
}

TEST(ReadCsvAsync, NrowsStopsReadingEarly) {
    // The server sends 20 rows and then stalls: nrows = 5 must not wait for it.
    const aio::Table t = aio::run([]() -> aio::Task<aio::Table> {
        ReadOptions o;
        o.nrows = 5;
        co_return co_await aio::wait_for(fetch(server().url("/stalls"), o), 10s);
    }());
    EXPECT_EQ(t.num_rows(), 5u);
    EXPECT_FALSE(server().release_nrows.load());
    EXPECT_EQ(t.to_csv(), "a,b\n0,x\n1,x\n2,x\n3,x\n4,x\n");
}

TEST(ReadCsvAsync, NrowsGivesTheTableOfReadCsvWithNrows) {
    for (std::size_t n : {0, 1, 7, 1234, 2999, 3000, 5000}) {
        SCOPED_TRACE(n);
        ReadOptions o;
        o.nrows = n;
        const aio::Table want = aio::csv::read_csv_string(text(), o);
        for (const char* path : {"/data.csv", "/dribble.csv", "/data.csv.gz"}) {
            SCOPED_TRACE(path);
            expect_same(aio::run(fetch(server().url(path), o)), want);
        }
    }
}

TEST(ReadCsvAsync, ChunksArriveBeforeTheBodyEnds) {
    auto& s = server();
    const std::vector<std::size_t> sizes = aio::run([&s]() -> aio::Task<std::vector<std::size_t>> {
        aio::http::ClientSession session;
        std::vector<std::size_t> got;
        {
            aio::http::RequestOptions ro;
            auto resp = co_await session.get(s.url("/chunks"), ro);
            ReadOptions o;
            o.chunksize = 3;
            auto chunks = aio::csv::read_csv_chunks_async(resp, o);
            while (auto chunk = co_await chunks.next()) {
                if (got.empty()) {
                    EXPECT_FALSE(s.release_chunks.load()) << "the first chunk came after the whole body";
                    EXPECT_EQ(chunk->to_csv(), "a,b\n1,x\n2,y\n3,z\n");
                    s.release_chunks = true;
                }
                got.push_back(chunk->num_rows());
            }
        }
        co_await session.close();
        co_return got;
    }());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1}));
}

TEST(ReadCsvAsync, ChunksNeedAChunksize) {
    auto read_without_chunksize = []() -> aio::Task<> {
        aio::http::ClientSession session;
        std::exception_ptr error;
        {
            aio::http::RequestOptions ro;
            auto resp = co_await session.get(server().url("/data.csv"), ro);
            ReadOptions no_chunksize;
            auto chunks = aio::csv::read_csv_chunks_async(resp, no_chunksize);
            try {
                (void)co_await chunks.next();
            } catch (...) {
                error = std::current_exception();
            }
        }
        co_await session.close();
        if (error) std::rethrow_exception(error);
    };
    EXPECT_THROW(aio::run(read_without_chunksize()), aio::ValueError);
}

TEST(ReadCsvAsync, NotFoundIsAClientResponseError) {
    try {
        aio::run(fetch(server().url("/missing.csv")));
        ADD_FAILURE() << "no error";
    } catch (const aio::http::ClientResponseError& e) {
        EXPECT_EQ(e.status(), 404);
    }
    EXPECT_THROW(aio::run(aio::csv::read_csv_async(server().url("/missing.csv"))), aio::http::ClientResponseError);
}

TEST(ReadCsvAsync, BodyCutShortIsAPayloadErrorNotAShortTable) {
    ShortBodyServer s;
    EXPECT_THROW(aio::run(aio::csv::read_csv_async(s.url())), aio::http::ClientPayloadError);
}

TEST(ReadCsvAsync, BigBodyCutShortIsAPayloadError) {
    ShortBodyServer s(big_text());
    EXPECT_THROW(aio::run(aio::csv::read_csv_async(s.url())), aio::http::ClientPayloadError);
}

TEST(ReadCsvAsync, ABodyThatLiesAboutItsLengthFailsAndEveryDescriptorComesBack) {
    // read_csv_async reserves the columns for the rows the Content-Length
    // promises: a server that promises a little more, a terabyte more or
    // 2^60 bytes more, then closes, gives a payload error; the process lives
    // and every descriptor comes back.
    // The shared server (its own thread) may still be closing the connections
    // of the tests before this one: count once that has settled.
    const int fds = settled_fd_count();
    for (std::uint64_t extra : {std::uint64_t{1000}, std::uint64_t{1} << 40, std::uint64_t{1} << 60}) {
        ShortBodyServer s(big_text(), extra);
        EXPECT_THROW(aio::run(aio::csv::read_csv_async(s.url())), aio::http::ClientPayloadError) << extra;
    }
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(ReadCsvAsync, UnterminatedQuoteIsAParserError) {
    EXPECT_THROW(aio::run(fetch(server().url("/bad.csv"))), aio::csv::ParserError);
    EXPECT_THROW(aio::run(fetch(server().url("/big-bad.csv"))), aio::csv::ParserError);
}

TEST(ReadCsvAsync, BigBodiesParsedBesideTheDownloadEqualReadCsv) {
    ASSERT_GT(big_text().size(), 4 * aio::csv::StreamingParser::kBlockSize);
    const aio::Table want = aio::csv::read_csv_string(big_text());
    expect_same(aio::run(fetch(server().url("/big.csv"))), want);
    expect_same(aio::run(fetch(server().url("/big.csv.gz"))), want);
}

TEST(ReadCsvAsync, ProgressCountsTheBytesReadAndTheRowsParsed) {
    // A big body parsed on the pool beside the download.
    aio::csv::ReadProgress whole;
    const std::size_t rows = aio::run([&whole]() -> aio::Task<std::size_t> {
        aio::http::ClientSession session;
        auto resp = co_await session.get(server().url("/big.csv"));
        bool encoded = resp.headers().get("Content-Encoding").has_value();
        ReadOptions o;
        o.progress = &whole;
        aio::Table t = co_await aio::csv::read_csv_async(resp, o);
        co_await session.close();
        // The body's length is known unless the client decodes a Content-Encoding.
        EXPECT_EQ(whole.total_bytes.load(), encoded ? -1 : static_cast<std::int64_t>(big_text().size()));
        co_return t.num_rows();
    }());
    EXPECT_EQ(whole.bytes_read.load(), big_text().size());
    EXPECT_EQ(whole.rows_parsed.load(), rows);
    EXPECT_EQ(rows, 150000u);
    // Chunks: the counts move as the body arrives (no length: chunked).
    auto& s = server();
    s.release_chunks = false;
    aio::csv::ReadProgress chunked;
    aio::run([&s, &chunked]() -> aio::Task<> {
        aio::http::ClientSession session;
        {
            auto resp = co_await session.get(s.url("/chunks"));
            ReadOptions o;
            o.chunksize = 3;
            o.progress = &chunked;
            auto chunks = aio::csv::read_csv_chunks_async(resp, o);
            bool first = true;
            while (auto chunk = co_await chunks.next()) {
                if (first) {
                    EXPECT_EQ(chunked.bytes_read.load(), 16u);  // "a,b\n1,x\n2,y\n3,z\n" only
                    EXPECT_EQ(chunked.rows_parsed.load(), 3u);
                    EXPECT_EQ(chunked.total_bytes.load(), -1);
                    s.release_chunks = true;
                    first = false;
                }
            }
        }
        co_await session.close();
    }());
    EXPECT_EQ(chunked.bytes_read.load(), 32u);
    EXPECT_EQ(chunked.rows_parsed.load(), 7u);
}

TEST(ReadCsvAsync, LineEndingBodiesInSmallPiecesKeepEveryValue) {
    // Rows ended by bare CRs, CR LF (pairs cut between pieces and blocks) and
    // both mixed with LF: int64 columns with every value, as the body holds.
    for (std::string eol : {"cr", "crlf", "mixed"}) {
        const aio::Table t = aio::run(fetch(server().url("/eol-" + eol + ".csv")));
        EXPECT_EQ(t.num_rows(), kEolRows) << eol;
        EXPECT_EQ(aio::test::eol_rows_mismatch(t, 0), "") << eol;
    }
}

class ReadCsvAsyncFile : public ::testing::TestWithParam<std::string> {};

TEST_P(ReadCsvAsyncFile, BareCrFileHoldsEveryValue) {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("aio_csv_async_cr_" + std::to_string(::getpid()) + "_" + GetParam() + ".csv"))
                                 .string();
    {
        std::ofstream f(path, std::ios::binary);
        f << eol_body("cr");
    }
    ::setenv("AIO_IO_BACKEND", GetParam().c_str(), 1);
    try {
        aio::run([]() -> aio::Task<> { co_return; }());
    } catch (const std::exception& e) {
        ::unsetenv("AIO_IO_BACKEND");
        std::filesystem::remove(path);
        GTEST_SKIP() << "no " << GetParam() << " here: " << e.what();
    }
    const aio::Table whole = aio::run([&path]() -> aio::Task<aio::Table> {
        auto f = co_await aio::files::open(path, "rb");
        ReadOptions o;
        aio::Table t = co_await aio::csv::read_csv_async(f, o);
        co_await f.close();
        co_return t;
    }());
    const std::vector<std::string> chunk_errors = aio::run([&path]() -> aio::Task<std::vector<std::string>> {
        auto f = co_await aio::files::open(path, "rb");
        std::vector<std::string> got;
        ReadOptions o;
        o.chunksize = 100000;
        auto chunks = aio::csv::read_csv_chunks_async(f, o);
        std::size_t first = 0;
        while (auto chunk = co_await chunks.next()) {
            got.push_back(std::to_string(chunk->num_rows()) + " " + aio::test::eol_rows_mismatch(*chunk, first));
            first += chunk->num_rows();
        }
        co_await f.close();
        co_return got;
    }());
    ::unsetenv("AIO_IO_BACKEND");
    std::filesystem::remove(path);
    EXPECT_EQ(whole.num_rows(), kEolRows);
    EXPECT_EQ(aio::test::eol_rows_mismatch(whole, 0), "");
    EXPECT_EQ(chunk_errors, (std::vector<std::string>{"100000 ", "100000 ", "60000 "}));
}

TEST_P(ReadCsvAsyncFile, FileFormsEqualReadCsv) {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("aio_csv_async_" + std::to_string(::getpid()) + "_" + GetParam() + ".csv"))
                                 .string();
    {
        std::ofstream f(path, std::ios::binary);
        f << big_text();
    }
    const aio::Table want = aio::csv::read_csv(path);
    ::setenv("AIO_IO_BACKEND", GetParam().c_str(), 1);
    try {
        aio::run([]() -> aio::Task<> { co_return; }());
    } catch (const std::exception& e) {
        ::unsetenv("AIO_IO_BACKEND");
        std::filesystem::remove(path);
        GTEST_SKIP() << "no " << GetParam() << " here: " << e.what();
    }
    const aio::Table whole = aio::run([&path]() -> aio::Task<aio::Table> {
        auto f = co_await aio::files::open(path, "rb");
        ReadOptions o;
        aio::Table t = co_await aio::csv::read_csv_async(f, o);
        co_await f.close();
        co_return t;
    }());
    const std::vector<std::size_t> sizes = aio::run([&path]() -> aio::Task<std::vector<std::size_t>> {
        auto f = co_await aio::files::open(path, "rb");
        std::vector<std::size_t> got;
        ReadOptions o;
        o.chunksize = 40000;
        auto chunks = aio::csv::read_csv_chunks_async(f, o);
        while (auto chunk = co_await chunks.next()) got.push_back(chunk->num_rows());
        co_await f.close();
        co_return got;
    }());
    ::unsetenv("AIO_IO_BACKEND");
    std::filesystem::remove(path);
    expect_same(whole, want);
    EXPECT_EQ(sizes, (std::vector<std::size_t>{40000, 40000, 40000, 30000}));
}

INSTANTIATE_TEST_SUITE_P(Backends, ReadCsvAsyncFile, ::testing::Values("uring", "epoll", "threads"));
