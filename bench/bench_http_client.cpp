// R6 and R12 (shared/bench/WORKLOADS.md) for aio::http::ClientSession; run by
// bench/http_client.sh beside wrk and Python aiohttp.
//   bench_http_client r6 URL CONNECTIONS REQUESTS
//     keep-alive GETs by CONNECTIONS workers on one session (limit = CONNECTIONS);
//     prints requests/s, client CPU µs per request (user+sys) and peak RSS.
//   bench_http_client r6-bare URL CONNECTIONS REQUESTS
//     the same, each request carrying only Host (skip_auto_headers), the bytes
//     hyper's and Beast's clients send.
//   bench_http_client r6h2 URL STREAMS REQUESTS
//     the same GETs over HTTP/2, STREAMS workers sharing one connection (http:
//     prior knowledge; https: ALPN, the certificate not checked); R6 over h2,
//     run by bench/r6h2_peers.sh.
//   bench_http_client soak URL CONNECTIONS REQUESTS
//     the same GETs, with the process's RSS and open descriptors printed when
//     10%, 50% and 100% of REQUESTS are done (bench/soak.sh).
//   bench_http_client r12 BASE_URL N K TIMEOUT_MS
//     the seed's run(): N URLs, Semaphore(K), a total timeout per request,
//     errors printed not raised; prints the wall time.
//   bench_http_client r12-bounded BASE_URL N K TIMEOUT_MS
//     the same run() with aio::map_bounded(fetch, urls, K) in place of the
//     Semaphore and the gather of N tasks.
#include <aio/aio.hpp>
#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace std::chrono_literals;
namespace http = aio::http;

namespace {

double cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

aio::Task<> r6_worker(http::ClientSession& session, const std::string& url, long& left, long& bytes, long& errors) {
    while (left > 0) {
        --left;
        try {
            auto resp = co_await session.get(url);
            bytes += static_cast<long>((co_await resp.read()).size());
        } catch (const http::ClientError&) {
            ++errors;
        }
    }
}

aio::Task<> r6(std::string url, int connections, long requests, bool h2 = false, bool bare = false) {
    http::SessionOptions opts{.limit = static_cast<std::size_t>(connections)};
    // bare: the request the peers' clients send (hyper's and Beast's: Host only).
    if (bare) opts.skip_auto_headers = {"Accept", "Accept-Encoding", "User-Agent"};
    if (h2) {
        opts.ssl = false;
        if (url.starts_with("http:")) opts.http_version = http::HttpVersionPolicy::http2_prior_knowledge;
    }
    http::ClientSession session(std::move(opts));
    long left = requests, bytes = 0, errors = 0;
    double cpu0 = cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<aio::Task<>> workers;
    for (int i = 0; i < connections; ++i) workers.push_back(r6_worker(session, url, left, bytes, errors));
    co_await aio::gather(std::move(workers));
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = cpu_seconds() - cpu0;
    fmt::print("R6 rps={:.0f} cpu_us_per_req={:.2f} peak_rss_kib={} errors={} bytes={} opened={}\n",
               double(requests) / wall, cpu / double(requests) * 1e6, peak_rss_kib(), errors, bytes,
               session.pool_stats().opened);
    co_await session.close();
}

/// The resident set now (not the peak), from /proc/self/status.
long rss_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

long open_fds() {
    long n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n - 1;  // the iterator's own descriptor
}

aio::Task<> soak(std::string url, int connections, long requests) {
    http::ClientSession session({.limit = static_cast<std::size_t>(connections)});
    long done = 0, bytes = 0, errors = 0;
    for (int percent : {10, 50, 100}) {
        long left = requests * percent / 100 - done;
        done += left;
        std::vector<aio::Task<>> workers;
        for (int i = 0; i < connections; ++i) workers.push_back(r6_worker(session, url, left, bytes, errors));
        co_await aio::gather(std::move(workers));
        fmt::print("soak client {:>3}% requests={} rss_kib={} fds={} errors={}\n", percent, done, rss_kib(), open_fds(),
                   errors);
        std::fflush(stdout);
    }
    co_await session.close();
}

/// The seed's fetch(): a GET with a total timeout, its text, or nullopt with
/// the error printed. With `sem` (r12), the request first waits for one of its
/// permits (the seed's `async with sem`); r12-bounded passes none, map_bounded
/// keeps K in flight.
aio::Task<std::optional<std::string>> fetch(http::ClientSession& session, std::string url,
                                            std::chrono::milliseconds timeout, aio::Semaphore* sem = nullptr) {
    aio::Guard<aio::Semaphore> held;
    if (sem) {
        auto permit = co_await sem->acquire();
        held = std::move(permit);
    }
    try {
        http::RequestOptions opts{.timeout = http::ClientTimeout{.total = timeout}};  // named: g++ 12 and co_await
        auto resp = co_await session.get(url, opts);
        resp.raise_for_status();
        co_return co_await resp.text();
    } catch (const http::ClientError& e) {
        fmt::print("Client error: {}\n", e.what());
    } catch (const std::exception& e) {
        fmt::print("Error fetching {}: {}\n", url, e.what());
    }
    co_return std::nullopt;
}

aio::Task<> r12_bounded(std::string base, int n, int k, int timeout_ms) {
    auto t0 = std::chrono::steady_clock::now();
    http::ClientSession session;
    std::vector<std::string> urls;
    urls.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) urls.push_back(base + "/item/" + std::to_string(i));
    auto fetch_url = [&session, timeout = std::chrono::milliseconds(timeout_ms)](const std::string& url) {
        return fetch(session, url, timeout);
    };
    auto results = co_await aio::map_bounded(fetch_url, urls, static_cast<std::size_t>(k));
    int ok = 0;
    for (auto& r : results) ok += r.has_value();
    co_await session.close();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("R12 wall_s={:.4f} ok={} peak_rss_kib={}\n", wall, ok, peak_rss_kib());
}

aio::Task<> r12(std::string base, int n, int k, int timeout_ms) {
    auto t0 = std::chrono::steady_clock::now();
    aio::Semaphore sem(k);
    http::ClientSession session;
    std::vector<aio::Task<std::optional<std::string>>> tasks;
    for (int i = 0; i < n; ++i)
        tasks.push_back(
            fetch(session, base + "/item/" + std::to_string(i), std::chrono::milliseconds(timeout_ms), &sem));
    auto results = co_await aio::gather(std::move(tasks));
    int ok = 0;
    for (auto& r : results) ok += r.has_value();
    co_await session.close();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("R12 wall_s={:.4f} ok={} peak_rss_kib={}\n", wall, ok, peak_rss_kib());
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    if ((mode == "r6" || mode == "r6-bare" || mode == "r6h2") && argc == 5) {
        aio::run(r6(argv[2], std::atoi(argv[3]), std::atol(argv[4]), mode == "r6h2", mode == "r6-bare"));
        return 0;
    }
    if (mode == "soak" && argc == 5) {
        aio::run(soak(argv[2], std::atoi(argv[3]), std::atol(argv[4])));
        return 0;
    }
    if (mode == "r12" && argc == 6) {
        aio::run(r12(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5])));
        return 0;
    }
    if (mode == "r12-bounded" && argc == 6 && std::atoi(argv[4]) > 0) {
        aio::run(r12_bounded(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5])));
        return 0;
    }
    fmt::print(stderr, "usage: {0} r6|r6h2|soak URL CONNECTIONS REQUESTS | {0} r12|r12-bounded BASE_URL N K TIMEOUT_MS\n",
               argv[0]);
    return 2;
}
