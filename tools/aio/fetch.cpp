// aio fetch: many URLs fetched concurrently through one ClientSession,
// aio::map_bounded keeping at most --concurrency requests in flight, retries
// with exponential backoff, and a summary (status counts, latency
// percentiles, bytes, rate).
#include "aio_tool.hpp"
#include "progress.hpp"

#include <aio/aio.hpp>
#include <aio/files.hpp>
#include <aio/http.hpp>
#include <aio/json.hpp>
#include <fmt/core.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace aio::tool {

bool is_http_url(const std::string& url) {
    std::string_view rest;
    if (url.rfind("http://", 0) == 0)
        rest = std::string_view(url).substr(7);
    else if (url.rfind("https://", 0) == 0)
        rest = std::string_view(url).substr(8);
    else
        return false;
    auto host = rest.substr(0, rest.find_first_of("/?#"));
    return !host.empty() && host.find_first_of(" \t\r\n") == std::string_view::npos;
}

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Result {
    std::string url;
    int status = 0;  // 0: no response
    std::string error;
    double latency_ms = 0;
    std::uint64_t bytes = 0;
    int attempts = 0;
    std::string file;
    bool ok() const { return error.empty() && status > 0 && status < 400; }
};

struct Progress {
    std::size_t total = 0;
    std::size_t done = 0;
    std::size_t failed = 0;
    std::uint64_t bytes = 0;
};

/// The file name a URL's body is saved under: the last segment of its path
/// ("index.html" for none), made unique among `taken` with "-1", "-2", ...
std::string file_name_for(const std::string& url, std::set<std::string>& taken) {
    std::string_view rest(url);
    rest.remove_prefix(rest.find("://") + 3);
    auto slash = rest.find('/');
    std::string path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
    path = path.substr(0, path.find_first_of("?#"));
    std::string name = path.substr(path.find_last_of('/') + 1);
    for (char& c : name)
        if (c == '\\' || c == ':' || static_cast<unsigned char>(c) < 0x20) c = '_';
    if (name.empty() || name == "." || name == "..") name = "index.html";
    std::string candidate = name;
    auto dot = name.find_last_of('.');
    std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
    std::string ext = dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
    for (int i = 1; taken.count(candidate); ++i) candidate = fmt::format("{}-{}{}", stem, i, ext);
    taken.insert(candidate);
    return candidate;
}

bool retryable_status(int status) { return status >= 500 || status == 429; }

Task<> fetch_one(http::ClientSession& session, const FetchOptions& opts, Result& r, Progress& progress) {
    http::RequestOptions ro;  // the same for every attempt; headers and timeout are the session's
    if (opts.data) ro.data = http::Payload(*opts.data);
    auto t0 = Clock::now();
    for (int attempt = 0; attempt <= opts.retries; ++attempt) {
        if (attempt > 0) {
            double backoff = std::min(10.0, 0.1 * std::pow(2.0, attempt - 1));
            co_await aio::sleep(std::chrono::duration<double>(backoff));
        }
        r.attempts = attempt + 1;
        r.error.clear();
        r.status = 0;
        try {
            auto resp = co_await session.request(opts.method, r.url, ro);
            r.status = resp.status();
            std::string body = co_await resp.read();
            r.bytes = body.size();
            if (r.status >= 400) r.error = fmt::format("HTTP {} {}", r.status, resp.reason());
            if (r.status < 400 && !opts.output_dir.empty() && !r.file.empty()) {
                auto f = co_await files::open(r.file, "wb");
                co_await f.write(body);
                co_await f.close();
            }
            if (!retryable_status(r.status)) break;
        } catch (const aio::TimeoutError&) {
            r.error = fmt::format("timed out after {} s (raise --timeout)", opts.timeout);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
    }
    if (!r.ok() || opts.output_dir.empty()) r.file.clear();
    r.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    ++progress.done;
    if (!r.ok()) ++progress.failed;
    progress.bytes += r.bytes;
}

/// "[#######---------] 312/1000 31%  2 failed  87 req/s  ETA 0:08  1.5 MiB".
std::string progress_line(const Progress& p, double secs) {
    double rate = secs > 0 ? static_cast<double>(p.done) / secs : 0.0;
    double fraction = p.total ? static_cast<double>(p.done) / static_cast<double>(p.total) : 1.0;
    std::string line = fmt::format("{} {}/{} {:.0f}%", progress_bar(fraction), p.done, p.total, fraction * 100);
    if (p.failed) line += fmt::format("  {} failed", p.failed);
    line += fmt::format("  {:.0f} req/s", rate);
    std::string left = eta(static_cast<double>(p.total - p.done), rate);
    if (!left.empty() && p.done < p.total) line += "  " + left;
    return line + "  " + human_bytes(static_cast<double>(p.bytes));
}

Task<double> fetch_all(const FetchOptions& opts, const http::SessionOptions& so, std::vector<Result>& results) {
    http::ClientSession session(so);
    Progress progress;
    progress.total = results.size();
    auto t0 = Clock::now();
    ProgressTicker ticker([&progress, t0] {
        return progress_line(progress, std::chrono::duration<double>(Clock::now() - t0).count());
    });
    // fetch_one catches every error of its request: nothing ends the batch early.
    auto fetch = [&](Result& r) { return fetch_one(session, opts, r, progress); };
    co_await aio::map_bounded(fetch, results, opts.concurrency);
    double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    co_await ticker.stop(ProgressTicker::End::erase_after_last);
    co_await session.close();
    co_return wall;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

int run_fetch(const FetchOptions& opts) {
    std::vector<std::string> urls = opts.urls;
    if (!opts.input_file.empty()) {
        std::ifstream file;
        std::istream* in = &std::cin;
        if (opts.input_file != "-") {
            file.open(opts.input_file);
            if (!file) throw std::runtime_error(fmt::format("fetch: cannot read the URL list '{}'", opts.input_file));
            in = &file;
        }
        std::string line;
        while (std::getline(*in, line)) {
            auto b = line.find_first_not_of(" \t\r");
            if (b == std::string::npos || line[b] == '#') continue;
            urls.push_back(line.substr(b, line.find_last_not_of(" \t\r") - b + 1));
        }
        // A directory opens, and its first read fails (EISDIR): not an empty list.
        if (in->bad()) {
            std::error_code ec;
            bool dir = opts.input_file != "-" && std::filesystem::is_directory(opts.input_file, ec);
            throw std::runtime_error(fmt::format("fetch: cannot read the URL list '{}'{}", opts.input_file,
                                                 dir ? ": it is a directory" : ""));
        }
    }
    if (urls.empty()) throw UsageError("fetch: no URL given; pass URLs as arguments or a file of them with -i FILE");
    for (const auto& u : urls)
        if (!is_http_url(u))
            throw UsageError(fmt::format(
                "fetch: '{}' is not an http:// or https:// URL with a host; write it as http://HOST[:PORT]/PATH", u));
    http::Headers headers;
    for (const auto& h : opts.headers) {
        auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0)
            throw UsageError(fmt::format("fetch: header '{}' is not 'Name: value'; write it as -H 'Accept: text/csv'", h));
        auto value = h.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        headers.add(h.substr(0, colon), value);
    }
    std::string method = opts.method;
    std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
    FetchOptions o = opts;
    o.method = method;

    std::vector<Result> results(urls.size());
    std::set<std::string> taken;
    if (!opts.output_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(opts.output_dir, ec);
        if (ec || !std::filesystem::is_directory(opts.output_dir))
            throw std::runtime_error(fmt::format("fetch: cannot create the output directory '{}': {}",
                                                 opts.output_dir, ec ? ec.message() : "not a directory"));
    }
    for (std::size_t i = 0; i < urls.size(); ++i) {
        results[i].url = urls[i];
        if (!opts.output_dir.empty())
            results[i].file = (std::filesystem::path(opts.output_dir) / file_name_for(urls[i], taken)).string();
    }

    http::SessionOptions so;
    so.limit = opts.concurrency;
    so.timeout = http::ClientTimeout{.total = std::chrono::duration<double>(opts.timeout)};
    so.headers = std::move(headers);
    double wall = aio::run(fetch_all(o, so, results));

    // Summary.
    std::map<std::string, std::size_t> statuses;
    std::vector<double> lat;
    std::uint64_t bytes = 0;
    std::size_t failed = 0;
    for (const auto& r : results) {
        statuses[r.status ? std::to_string(r.status) : std::string("error")]++;
        lat.push_back(r.latency_ms);
        bytes += r.bytes;
        if (!r.ok()) ++failed;
    }
    std::sort(lat.begin(), lat.end());
    double p50 = percentile(lat, 50), p90 = percentile(lat, 90), p99 = percentile(lat, 99);
    double max = lat.empty() ? 0 : lat.back();
    double rate = wall > 0 ? static_cast<double>(results.size()) / wall : 0;

    if (opts.json) {
        json::Array arr;
        for (const auto& r : results) {
            json::Object o2;
            o2.set("url", r.url);
            o2.set("ok", r.ok());
            o2.set("status", r.status ? json::Value(r.status) : json::Value(nullptr));
            o2.set("error", r.error.empty() ? json::Value(nullptr) : json::Value(r.error));
            o2.set("latency_ms", r.latency_ms);
            o2.set("bytes", static_cast<std::int64_t>(r.bytes));
            o2.set("attempts", r.attempts);
            o2.set("file", r.file.empty() ? json::Value(nullptr) : json::Value(r.file));
            arr.emplace_back(std::move(o2));
        }
        json::Object st;
        for (const auto& [k, v] : statuses) st.set(k, static_cast<std::int64_t>(v));
        json::Object lo;
        lo.set("p50", p50);
        lo.set("p90", p90);
        lo.set("p99", p99);
        lo.set("max", max);
        json::Object summary;
        summary.set("requests", static_cast<std::int64_t>(results.size()));
        summary.set("ok", static_cast<std::int64_t>(results.size() - failed));
        summary.set("failed", static_cast<std::int64_t>(failed));
        summary.set("statuses", std::move(st));
        summary.set("latency_ms", std::move(lo));
        summary.set("bytes", static_cast<std::int64_t>(bytes));
        summary.set("seconds", wall);
        summary.set("requests_per_second", rate);
        json::Object doc;
        doc.set("results", std::move(arr));
        doc.set("summary", std::move(summary));
        fmt::print("{}\n", json::dumps(doc));
    } else {
        if (!opts.quiet) {
            std::size_t shown = 0;
            for (const auto& r : results)
                if (!r.ok() && shown++ < 20) fmt::print(stderr, "failed: {}: {}\n", r.url, r.error);
            if (shown > 20) fmt::print(stderr, "... and {} more failures\n", shown - 20);
        }
        std::string st;
        for (const auto& [k, v] : statuses) st += fmt::format("{}{}: {}", st.empty() ? "" : ", ", k, v);
        fmt::print("requests  {} ({} ok, {} failed)\n", results.size(), results.size() - failed, failed);
        fmt::print("status    {}\n", st);
        fmt::print("latency   p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms\n", p50, p90, p99, max);
        fmt::print("bytes     {} in {:.2f} s ({:.0f} req/s, {}/s)\n", human_bytes(static_cast<double>(bytes)), wall,
                   rate, human_bytes(wall > 0 ? static_cast<double>(bytes) / wall : 0));
    }
    return failed == 0 ? 0 : 1;
}

}  // namespace aio::tool
