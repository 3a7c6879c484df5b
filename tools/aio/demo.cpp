// aio demo: the seed's scenarios, run in order against a local aio::web server
// that serves the seed's data (airtravel.csv and slow endpoints), so that the
// demo needs no network and no files.
#include "aio_tool.hpp"

#include <aio/aio.hpp>
#include <aio/csv.hpp>
#include <aio/files.hpp>
#include <aio/http.hpp>
#include <aio/web.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>


namespace aio::tool {

const char* const kAirtravelCsv =
    "\"Month\", \"1958\", \"1959\", \"1960\"\n"
    "\"JAN\",  340,  360,  417\n"
    "\"FEB\",  318,  342,  362\n"
    "\"MAR\",  362,  406,  406\n"
    "\"APR\",  348,  396,  461\n"
    "\"MAY\",  363,  420,  472\n"
    "\"JUN\",  435,  472,  535\n"
    "\"JUL\",  491,  548,  622\n"
    "\"AUG\",  505,  559,  606\n"
    "\"SEP\",  404,  463,  508\n"
    "\"OCT\",  359,  407,  461\n"
    "\"NOV\",  310,  362,  390\n"
    "\"DEC\",  337,  405,  432\n";

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// What pandas prints for `print(pd.read_csv("airtravel.csv").head())`.
constexpr const char* kAirtravelHead =
    "  Month   \"1958\"   \"1959\"   \"1960\"\n"
    "0   JAN      340      360      417\n"
    "1   FEB      318      342      362\n"
    "2   MAR      362      406      406\n"
    "3   APR      348      396      461\n"
    "4   MAY      363      420      472";

/// Python's text[:n] for UTF-8 text.
std::string first_chars(const std::string& text, std::size_t n) {
    std::size_t i = 0;
    for (std::size_t count = 0; i < text.size() && count < n; ++count) {
        ++i;
        while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    }
    return text.substr(0, i);
}

/// A scenario failed: what was expected and what happened.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void expect(bool cond, const std::string& what) {
    if (!cond) throw Failure(what);
}

/// The demo's server: the seed's data on 127.0.0.1, port picked by the kernel.
struct DemoServer {
    web::Application app;
    std::unique_ptr<web::AppRunner> runner;
    std::unique_ptr<web::TCPSite> site;
    std::string base;
    int site_in_flight = 0;
    int site_max_in_flight = 0;

    static std::chrono::milliseconds delay_of(web::Request& req) {
        auto d = req.query().get("delay");
        if (!d) return 0ms;
        try {
            return std::chrono::milliseconds(std::stol(std::string(*d)));
        } catch (const std::exception&) {
            return 0ms;
        }
    }

    Task<> start() {
        auto& r = app.router();
        // The seed's remote CSV; ?delay=MS stands for the network's latency.
        r.add_get("/airtravel.csv", [](web::Request& req) -> Task<web::Response> {
            auto delay = delay_of(req);
            if (delay > 0ms) co_await aio::sleep(delay);
            web::ResponseOptions o;
            o.text = kAirtravelCsv;
            o.content_type = "text/csv";
            co_return web::Response(std::move(o));
        });
        // The seed's fetch_data: answers after ?delay=MS.
        r.add_get("/data/{id}", [](web::Request& req) -> Task<web::Response> {
            auto delay = delay_of(req);
            if (delay > 0ms) co_await aio::sleep(delay);
            web::ResponseOptions o;
            o.text = "Data from http://" + req.host() + req.raw_path();
            co_return web::Response(std::move(o));
        });
        // The seed's three web sites of section 3, each a small page.
        r.add_get("/site/{name}", [this](web::Request& req) -> Task<web::Response> {
            std::string name(req.match_info().at("name"));
            if (name.rfind("www.", 0) != 0) throw web::HTTPNotFound();
            ++site_in_flight;
            site_max_in_flight = std::max(site_max_in_flight, site_in_flight);
            co_await aio::sleep(100ms);
            --site_in_flight;
            web::ResponseOptions o;
            o.text = "<!doctype html><html lang=\"en\"><head><title>" + name + "</title></head><body>" + name +
                     ", served by aio demo</body></html>\n";
            o.content_type = "text/html";
            co_return web::Response(std::move(o));
        });
        // An echo WebSocket (the websocket scenario's server).
        r.add_get("/ws/echo", [](web::Request& req) -> Task<web::StreamResponse> {
            web::WebSocketResponse ws;
            co_await ws.prepare(req);
            auto messages = ws.messages();
            while (true) {
                auto msg = co_await messages.next();
                if (!msg) break;
                if (msg->type == http::WSMsgType::TEXT) {
                    std::string reply = "echo: " + msg->data;
                    co_await ws.send_str(reply);
                } else if (msg->type == http::WSMsgType::BINARY) {
                    co_await ws.send_bytes(msg->data);
                }
            }
            co_return ws;
        });
        web::ServerOptions so;
        runner = std::make_unique<web::AppRunner>(app, so);
        co_await runner->setup();
        site = std::make_unique<web::TCPSite>(*runner, "127.0.0.1", std::uint16_t{0});
        co_await site->start();
        base = fmt::format("http://127.0.0.1:{}", site->port());
    }

    Task<> stop() {
        if (runner) co_await runner->cleanup();
    }
};

// ---- §1.3 / §2.1: gather -------------------------------------------------

Task<std::string> task_n(int n, std::chrono::milliseconds d) {
    fmt::print("Task {} started\n", n);
    co_await aio::sleep(d);
    fmt::print("Task {} finished\n", n);
    co_return fmt::format("Task{}", n);
}

Task<std::string> fetch_data(http::ClientSession& session, std::string url, bool verbose) {
    if (verbose) fmt::print("Fetching data from {}\n", url);
    auto resp = co_await session.get(url);
    resp.raise_for_status();
    std::string body = co_await resp.text();
    if (verbose) fmt::print("Data fetched from {}\n", url);
    co_return body;
}

/// The seed's main(): three fetch_data gathered.
Task<std::vector<std::string>> seed_main(http::ClientSession& session, const std::string& base, int delay_ms,
                                         bool verbose) {
    std::vector<Task<std::string>> tasks;
    for (int i = 0; i < 3; ++i)
        tasks.push_back(fetch_data(session, fmt::format("{}/data/{}?delay={}", base, i, delay_ms), verbose));
    co_return co_await aio::gather(std::move(tasks));
}

Task<> scenario_gather(DemoServer& server) {
    fmt::print("-- §1.3 two tasks, gathered (they sleep 200 ms and 100 ms):\n");
    auto t0 = Clock::now();
    auto [r1, r2] = co_await aio::gather(task_n(1, 200ms), task_n(2, 100ms));
    double both = ms_since(t0);
    fmt::print("{} {} in {:.0f} ms (not 300: they ran concurrently)\n", r1, r2, both);
    expect(r1 == "Task1" && r2 == "Task2", "gather returned the results out of order");
    expect(both < 290, fmt::format("the two tasks took {:.0f} ms: they did not overlap", both));

    fmt::print("-- §2.1 three fetch_data, gathered (each answers after 300 ms):\n");
    http::ClientSession session;
    t0 = Clock::now();
    auto results = co_await seed_main(session, server.base, 300, true);
    double elapsed = ms_since(t0);
    for (const auto& r : results) fmt::print("{}\n", r);
    fmt::print("3 fetches in {:.0f} ms (one after the other would take 900 ms)\n", elapsed);
    co_await session.close();
    for (int i = 0; i < 3; ++i)
        expect(results.at(i) == fmt::format("Data from {}/data/{}?delay=300", server.base, i),
               fmt::format("result {} is '{}'", i, results.at(i)));
    expect(elapsed < 800, fmt::format("the fetches took {:.0f} ms: they did not overlap", elapsed));
}

// ---- §1.5: the lock counter -------------------------------------------------

Task<> worker(aio::Lock& lock, int& counter, std::string name) {
    auto held = co_await lock.acquire();  // async with lock:
    fmt::print("{} acquired lock\n", name);
    int tmp = counter;
    co_await aio::sleep(100ms);  // simulate work
    counter = tmp + 1;
    fmt::print("{} released lock\n", name);
}

Task<> scenario_lock(DemoServer&) {
    aio::Lock lock;
    int counter = 0;
    co_await aio::gather(worker(lock, counter, "A"), worker(lock, counter, "B"), worker(lock, counter, "C"));
    fmt::print("shared_counter = {}\n", counter);
    expect(counter == 3, fmt::format("the counter is {}, not 3: the lock let two workers in", counter));
}

// ---- §2.2: reading a file -------------------------------------------------------

Task<> scenario_files(DemoServer&) {
    auto dir = co_await files::tempfile::TemporaryDirectory::create();
    std::string path = dir.name() + "/example.txt";
    const std::string text = "Hello from aio demo: this is example.txt.\nA second line, ünïcödé included.\n";
    {
        auto f = co_await files::open(path, "w");
        co_await f.write(text);
        co_await f.close();
    }
    fmt::print("wrote {} ({} bytes)\n", path, text.size());

    fmt::print("-- with loop.run_in_executor(nullptr, read):\n");
    auto& loop = aio::get_running_loop();
    auto read_all = [path] {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    auto reading = loop.run_in_executor(nullptr, read_all);
    std::string content = co_await reading;
    fmt::print("{}", content);

    fmt::print("-- with aio::files (aiofiles), the first 20 characters:\n");
    auto f = co_await files::open(path, "r");
    std::string content2 = co_await f.read();
    co_await f.close();
    fmt::print("{}\n", first_chars(content2, 20));
    co_await dir.cleanup();
    expect(content == text, "run_in_executor read something else than what was written");
    expect(content2 == text, "aio::files read something else than what was written");
}

// ---- §2.3: pandas reading a remote file ---------------------------------------------

/// The seed's fetch_csv: a session of its own, GET, parse.
Task<Table> fetch_csv(std::string url) {
    http::ClientSession session;
    Table t = co_await csv::read_csv_async(session, url);
    co_await session.close();
    co_return t;
}

Task<Table> read_remote_csv(std::string url) {
    Table df = co_await fetch_csv(url);
    co_return df.head();
}

/// pandas' blocking pd.read_csv(url): a loop of its own on a pool thread.
Table read_csv_blocking(const std::string& url) { return aio::run(read_remote_csv(url)); }

Task<> scenario_csv(DemoServer& server) {
    std::string url = server.base + "/airtravel.csv";
    Table head = co_await read_remote_csv(url);
    std::string printed = head.to_string();
    fmt::print("{}\n", printed);
    expect(printed == kAirtravelHead, "head() does not print what pandas prints");

    // The seed's comparison. The CSV endpoint answers after 50 ms and each
    // fetch_data of main() after 50 ms, standing for the network's latency.
    const int n = 10;
    std::string slow = url + "?delay=50";
    http::ClientSession session;

    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) (void)co_await read_remote_csv(slow);
    double async_avg = ms_since(t0) / n;

    t0 = Clock::now();
    for (int i = 0; i < n; ++i) (void)co_await aio::to_thread(read_csv_blocking, slow);
    double sync_avg = ms_since(t0) / n;

    t0 = Clock::now();
    for (int i = 0; i < n; ++i) (void)co_await aio::gather(read_remote_csv(slow), seed_main(session, server.base, 50, false));
    double async2_avg = ms_since(t0) / n;

    t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        (void)co_await aio::to_thread(read_csv_blocking, slow);
        (void)co_await seed_main(session, server.base, 50, false);
    }
    double sync2_avg = ms_since(t0) / n;
    co_await session.close();

    fmt::print("-- the seed's comparison, {} runs each, the server answering after 50 ms:\n", n);
    fmt::print("  {:<52} {:>9}\n", "", "avg / run");
    fmt::print("  {:<52} {:>6.1f} ms\n", "await read_remote_csv()", async_avg);
    fmt::print("  {:<52} {:>6.1f} ms\n", "pd.read_csv(url) blocking (to_thread)", sync_avg);
    fmt::print("  {:<52} {:>6.1f} ms\n", "await gather(read_remote_csv(), main())", async2_avg);
    fmt::print("  {:<52} {:>6.1f} ms\n", "pd.read_csv(url) blocking, then await main()", sync2_avg);
    fmt::print("  gather overlaps the CSV read with main(): {:.1f} ms instead of {:.1f} ms\n", async2_avg, sync2_avg);
    expect(async2_avg < sync2_avg * 0.85,
           fmt::format("the gathered runs ({:.1f} ms) were not faster than the sequential ones ({:.1f} ms)",
                       async2_avg, sync2_avg));
}

// ---- §2.4: to_thread ---------------------------------------------------------------

std::string sync_function() {
    std::this_thread::sleep_for(300ms);
    return "Done";
}

Task<> ticker(int& ticks, bool& stop) {
    while (!stop) {
        co_await aio::sleep(50ms);
        ++ticks;
    }
}

Task<> scenario_to_thread(DemoServer&) {
    int ticks = 0;
    bool stop = false;
    auto tick = aio::create_task(ticker(ticks, stop));
    auto result = co_await aio::to_thread(sync_function);
    stop = true;
    co_await tick;
    fmt::print("{}\n", result);
    fmt::print("(the loop ticked {} times every 50 ms while the thread slept 300 ms)\n", ticks);
    expect(result == "Done", "to_thread returned '" + result + "'");
    expect(ticks >= 3, fmt::format("the loop ticked only {} times: to_thread blocked it", ticks));
}

// ---- §3: the semaphore-limited run() ---------------------------------------------------

Task<std::optional<std::string>> fetch(http::ClientSession& session, std::string url, aio::Semaphore& semaphore,
                                       int& errors) {
    auto held = co_await semaphore.acquire();
    try {
        http::RequestOptions opts;
        opts.timeout = http::ClientTimeout{.total = 3s};
        auto response = co_await session.get(url, opts);
        response.raise_for_status();
        co_return co_await response.text();
    } catch (const http::ClientError& e) {
        ++errors;
        fmt::print("Client error: {}\n", e.what());
    }
    co_return std::nullopt;
}

Task<> scenario_run(DemoServer& server) {
    std::vector<std::string> urls = {
        server.base + "/site/www.example.com",
        server.base + "/site/www.python.org",
        server.base + "/site/www.github.com",
        server.base + "/site/no-such-site",  // answers 404: reported, the batch goes on
    };
    aio::Semaphore semaphore(2);
    http::ClientSession session;
    int errors = 0;
    server.site_max_in_flight = 0;
    std::vector<Task<std::optional<std::string>>> tasks;
    for (const auto& url : urls) tasks.push_back(fetch(session, url, semaphore, errors));
    auto t0 = Clock::now();
    auto results = co_await aio::gather(std::move(tasks));
    double elapsed = ms_since(t0);
    co_await session.close();
    int ok = 0;
    for (const auto& result : results)
        if (result && !result->empty()) {
            ++ok;
            fmt::print("{}\n", first_chars(*result, 20));
        }
    fmt::print("{} pages, {} error, at most {} requests at a time, {:.0f} ms\n", ok, errors,
               server.site_max_in_flight, elapsed);
    expect(ok == 3, fmt::format("{} pages fetched, not 3", ok));
    expect(errors == 1, fmt::format("{} errors reported, not 1", errors));
    expect(server.site_max_in_flight == 2,
           fmt::format("{} requests ran at once, the semaphore allows 2", server.site_max_in_flight));
}

// ---- WebSockets: aiohttp's ws_connect against web.WebSocketResponse ------------

Task<> scenario_websocket(DemoServer& server) {
    http::ClientSession session;
    std::exception_ptr err;
    try {
        std::string url = "ws" + server.base.substr(4) + "/ws/echo";  // http://… → ws://…
        auto ws = co_await session.ws_connect(url);
        fmt::print("connected to {} (permessage-deflate: {})\n", url, ws.compress() ? "on" : "off");
        const std::vector<std::string> lines = {"hello", "async", "world"};
        for (const auto& line : lines) {
            co_await ws.send_str(line);
            std::string reply = co_await ws.receive_str();
            fmt::print("sent {:<6} received {}\n", line, reply);
            expect(reply == "echo: " + line, fmt::format("the echo of {} was {}", line, reply));
        }
        const std::string bytes("\x00\x01\x02\xff", 4);
        co_await ws.send_bytes(bytes);
        std::string back = co_await ws.receive_bytes();
        fmt::print("sent 4 bytes, received {} bytes back\n", back.size());
        expect(back == bytes, "the binary echo differs");
        co_await ws.close();
        fmt::print("closed with code {}\n", ws.close_code().value_or(0));
        expect(ws.close_code() == 1000, "the close code is not 1000");
    } catch (...) {
        err = std::current_exception();
    }
    co_await session.close();
    if (err) std::rethrow_exception(err);
}

struct Scenario {
    const char* name;
    const char* title;
    Task<> (*run)(DemoServer&);
};

const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> all = {
        {"gather", "§1.3 / §2.1  running tasks concurrently with gather", scenario_gather},
        {"lock", "§1.5  a Lock around a shared counter", scenario_lock},
        {"files", "§2.2  reading a file: run_in_executor and aio::files", scenario_files},
        {"csv", "§2.3  pandas.read_csv of a remote file, async against sync", scenario_csv},
        {"to_thread", "§2.4  a blocking function on a thread with to_thread", scenario_to_thread},
        {"run", "§3  fetching pages with a Semaphore(2) and a timeout", scenario_run},
        {"websocket", "a WebSocket echo: ClientSession.ws_connect and web.WebSocketResponse", scenario_websocket},
    };
    return all;
}

Task<int> run_all(std::vector<const Scenario*> chosen) {
    DemoServer server;
    co_await server.start();
    fmt::print("aio demo: the seed's data served on {}\n", server.base);
    int failed = 0;
    std::size_t i = 0;
    auto t_all = Clock::now();
    for (const Scenario* s : chosen) {
        ++i;
        fmt::print("\n== [{}/{}] {}: {} ==\n", i, chosen.size(), s->name, s->title);
        std::fflush(stdout);
        auto t0 = Clock::now();
        std::string error;
        try {
            co_await s->run(server);
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (error.empty()) {
            fmt::print("ok: {} ({:.0f} ms)\n", s->name, ms_since(t0));
        } else {
            ++failed;
            fmt::print("FAILED: {}: {}\n", s->name, error);
        }
        std::fflush(stdout);
    }
    co_await server.stop();
    fmt::print("\n{} of {} scenarios passed in {:.1f} s\n", chosen.size() - static_cast<std::size_t>(failed),
               chosen.size(), ms_since(t_all) / 1000);
    co_return failed == 0 ? 0 : 1;
}

}  // namespace

std::vector<std::string> demo_scenarios() {
    std::vector<std::string> names;
    for (const auto& s : scenarios()) names.emplace_back(s.name);
    return names;
}

int run_demo(const DemoOptions& opts) {
    if (opts.list) {
        for (const auto& s : scenarios()) fmt::print("{:<10} {}\n", s.name, s.title);
        return 0;
    }
    std::vector<const Scenario*> chosen;
    for (const auto& s : scenarios())
        if (opts.scenarios.empty() ||
            std::find(opts.scenarios.begin(), opts.scenarios.end(), s.name) != opts.scenarios.end())
            chosen.push_back(&s);
    if (chosen.empty()) throw UsageError("demo: no such scenario; `aio demo --list` lists them");
    return aio::run(run_all(std::move(chosen)));
}

}  // namespace aio::tool
