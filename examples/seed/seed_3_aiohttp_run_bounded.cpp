// Seed §3 again, with aio::map_bounded in place of the hand-made Semaphore:
// the same session, the same 3-second total timeout per request, the same
// status checks and printed errors, and at most 2 requests in flight — but
// only 2 worker coroutines, not a task per URL waiting on a semaphore.
// asyncio has no such primitive (aiometer.run_all is the nearest).
//
//     AIO_SEED_BASE_URL=http://127.0.0.1:8080 ./seed_3_aiohttp_run_bounded
//
// It prints what seed_3_aiohttp_run (and the Python original) prints: the
// first 20 characters of each page fetched, and "Client error: ..." for each
// request that failed.
#include <aio/aio.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

aio::Task<std::optional<std::string>> fetch(aio::http::ClientSession& session, std::string url) {
    try {
        aio::http::RequestOptions opts1{.timeout = aio::http::ClientTimeout{.total = 3s}};  // named: g++ 12 and braced temporaries in co_await
        auto response = co_await session.get(url, opts1);
        response.raise_for_status();  // throws ClientResponseError for 4xx / 5xx
        co_return co_await response.text();
    } catch (const aio::http::ClientError& e) {
        fmt::print("Client error: {}\n", e.what());
    } catch (const std::exception& e) {
        fmt::print("Error fetching {}: {}\n", url, e.what());
        co_return std::nullopt;
    }
    co_return std::nullopt;
}

/// Python's text[:n]: the first n characters (code points) of UTF-8 text.
std::string first_chars(const std::string& text, std::size_t n) {
    std::size_t i = 0;
    for (std::size_t count = 0; i < text.size() && count < n; ++count) {
        ++i;
        while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    }
    return text.substr(0, i);
}

aio::Task<> run(std::string base) {
    std::vector<std::string> urls = {
        base + "/www.example.com",
        base + "/www.python.org",
        base + "/www.github.com",
    };
    aio::http::ClientSession session;
    auto fetch_in_session = [&session](const std::string& url) { return fetch(session, url); };
    // At most 2 requests at a time; the results in the order of `urls`.
    auto results = co_await aio::map_bounded(fetch_in_session, urls, 2);
    for (const auto& result : results)
        if (result && !result->empty()) fmt::print("{}\n", first_chars(*result, 20));
    co_await session.close();
}

int main(int argc, char** argv) {
    const char* base = argc > 1 ? argv[1] : std::getenv("AIO_SEED_BASE_URL");
    if (!base || !*base) {
        fmt::print(stderr, "usage: {} BASE_URL (or set AIO_SEED_BASE_URL), e.g. http://127.0.0.1:8080\n", argv[0]);
        return 2;
    }
    aio::run(run(base));
}
