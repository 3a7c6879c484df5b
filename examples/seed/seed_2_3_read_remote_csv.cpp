// Seed §2.3: read a remote CSV without blocking the loop. fetch_csv() GETs
// the file through a ClientSession and parses it into a table; the program
// prints its head() as pandas prints a DataFrame, then times
//
//   - 10 reads through fetch_csv (the async way),
//   - 10 blocking reads (pandas' read_csv(url), which holds the loop),
//   - 10 rounds of gather(read_remote_csv(), main()) with the seed's §2.1
//     main() (three fetch_data calls that each sleep one second),
//   - 10 rounds of a blocking read followed by main().
//
// The seed reads airtravel.csv from a public site; this twin reads it from a
// local server whose base URL it takes from the first argument or from
// AIO_SEED_BASE_URL (e.g. http://127.0.0.1:8080 serving airtravel.csv):
//
//     AIO_SEED_BASE_URL=http://127.0.0.1:8080 ./seed_2_3_read_remote_csv
//
// The seed fetches with `await resp.text()` and parses with
// `pd.read_csv(StringIO(text))`; aio::csv::read_csv_async does both at once,
// parsing the body while it arrives.
#include <aio/aio.hpp>
#include <fmt/core.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::string g_url;  // <base>/airtravel.csv

double now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// async def fetch_csv(url): a session of its own, GET, parse.
aio::Task<aio::Table> fetch_csv(std::string url) {
    aio::http::ClientSession session;
    std::optional<aio::Table> table;
    std::exception_ptr error;
    try {
        auto resp = co_await session.get(url);
        table.emplace(co_await aio::csv::read_csv_async(resp));
    } catch (...) {
        error = std::current_exception();
    }
    co_await session.close();  // async with ClientSession(): closed on the way out, error or not
    if (error) std::rethrow_exception(error);
    co_return std::move(*table);
}

/// async def read_remote_csv(): df.head()
aio::Task<aio::Table> read_remote_csv() {
    aio::Table df = co_await fetch_csv(g_url);
    co_return df.head();
}

/// pd.read_csv(url): the same fetch, but blocking the caller (and so the
/// loop) until the table is there, as pandas does.
aio::Table read_csv_blocking(const std::string& url) {
    aio::Table result;
    std::exception_ptr error;
    std::thread t([&] {
        try {
            result = aio::run(fetch_csv(url));
        } catch (...) {
            error = std::current_exception();
        }
    });
    t.join();
    if (error) std::rethrow_exception(error);
    return result;
}

// The seed's main() of §2.1.
aio::Task<std::string> fetch_data(std::string url) {
    fmt::print("Fetching data from {}\n", url);
    co_await aio::sleep(1s);
    fmt::print("Data fetched from {}\n", url);
    co_return "Data from " + url;
}

aio::Task<> seed_main() {
    std::vector<aio::Task<std::string>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(fetch_data(fmt::format("http://example.com/{}", i)));
    auto results = co_await aio::gather(std::move(tasks));
    for (const auto& result : results) fmt::print("{}\n", result);
}

aio::Task<> amain() {
    // df = await read_remote_csv()
    aio::Table head = co_await read_remote_csv();
    std::cout << head << std::endl;

    const double start_async = now();
    for (int i = 0; i < 10; ++i) co_await read_remote_csv();
    fmt::print("async read, mean of 10: {:.6f} s\n", (now() - start_async) / 10);

    const double start_sync = now();
    for (int i = 0; i < 10; ++i) (void)read_csv_blocking(g_url).head();
    fmt::print("sync read, mean of 10: {:.6f} s\n", (now() - start_sync) / 10);

    // Several tasks: the read overlaps main()'s sleeps.
    const double start_async2 = now();
    for (int i = 0; i < 10; ++i) co_await aio::gather(read_remote_csv(), seed_main());
    fmt::print("async read with main(), mean of 10: {:.6f} s\n", (now() - start_async2) / 10);

    // The blocking read first, then main(): the times add up.
    const double start_sync2 = now();
    for (int i = 0; i < 10; ++i) {
        (void)read_csv_blocking(g_url).head();
        co_await seed_main();
    }
    fmt::print("sync read then main(), mean of 10: {:.6f} s\n", (now() - start_sync2) / 10);
}

}  // namespace

int main(int argc, char** argv) {
    const char* base = argc > 1 ? argv[1] : std::getenv("AIO_SEED_BASE_URL");
    if (!base || !*base) {
        fmt::print(stderr, "usage: {} BASE_URL (or set AIO_SEED_BASE_URL), e.g. http://127.0.0.1:8080\n", argv[0]);
        return 2;
    }
    g_url = std::string(base) + "/airtravel.csv";
    aio::run(amain());
}
