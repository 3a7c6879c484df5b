// aio bench: the workloads of the benchmark plan that need no peer process —
// R1–R5 (runtime) and R8 (CSV parsing) — run in this process and timed with
// steady_clock. Sizes are the plan's (a full run takes a few seconds);
// --scale multiplies them.
#include "aio_tool.hpp"

#include <aio/aio.hpp>
#include <aio/csv.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace aio::tool {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double secs_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::size_t scaled(double base, double scale) { return std::max<std::size_t>(1, static_cast<std::size_t>(base * scale)); }

struct Figure {
    std::string size;
    std::string value;
};

// R1 spawn: create n tasks that each return an int, gather them. A first
// round on fresh memory, then three on recycled frames (the median shown).
Task<int> value_task(int i) { co_return i; }
Task<double> r1_round(std::size_t n) {
    auto t0 = Clock::now();
    std::vector<Task<int>> tasks;
    tasks.reserve(n);
    for (std::size_t i = 0; i < n; ++i) tasks.push_back(value_task(static_cast<int>(i)));
    auto results = co_await aio::gather(std::move(tasks));
    double s = secs_since(t0);
    std::int64_t sum = 0;
    for (int v : results) sum += v;
    if (sum != static_cast<std::int64_t>(n) * static_cast<std::int64_t>(n - 1) / 2) throw std::runtime_error("R1: wrong sum");
    co_return s * 1e9 / static_cast<double>(n);
}
Task<std::vector<double>> r1_rounds(std::size_t n) {
    std::vector<double> ns;
    for (int i = 0; i < 4; ++i) ns.push_back(co_await r1_round(n));
    co_return ns;
}
Figure r1_with(double scale, aio::LoopOptions options) {
    std::size_t n = scaled(1'000'000, scale);
    auto ns = aio::run(r1_rounds(n), options);
    std::sort(ns.begin() + 1, ns.end());
    return {fmt::format("{} tasks", n), fmt::format("{:.0f} ns/task first round, {:.0f} warm", ns[0], ns[2])};
}
Figure r1(double scale) { return r1_with(scale, {}); }
// R1e: R1 on a loop whose tasks start eagerly (LoopOptions::eager_tasks,
// asyncio's eager_task_factory): each task finishes while gather schedules
// it, without a trip through the ready queue.
Figure r1e(double scale) {
    aio::LoopOptions options;
    options.eager_tasks = true;
    return r1_with(scale, options);
}

// R2 switch: two tasks pass a counter through two 1-slot queues.
Task<> r2_ping(aio::Queue<int>& to, aio::Queue<int>& from, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        co_await to.put(static_cast<int>(i));
        (void)co_await from.get();
    }
}
Task<> r2_pong(aio::Queue<int>& from, aio::Queue<int>& to, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        int v = co_await from.get();
        co_await to.put(v + 1);
    }
}
Task<> r2_main(std::size_t n) {
    aio::Queue<int> a(1), b(1);
    co_await aio::gather(r2_ping(a, b, n), r2_pong(a, b, n));
}
Figure r2(double scale) {
    std::size_t n = scaled(1'000'000, scale);
    auto t0 = Clock::now();
    aio::run(r2_main(n));
    double s = secs_since(t0);
    return {fmt::format("{} round trips", n), fmt::format("{:.0f} ns/round trip", s * 1e9 / static_cast<double>(n))};
}

// R3 timers: n tasks sleep a random 0–max ms each, gathered.
Task<> sleeper(std::chrono::milliseconds d) { co_await aio::sleep(d); }
Task<> r3_main(std::vector<std::chrono::milliseconds> delays) {
    std::vector<Task<>> tasks;
    tasks.reserve(delays.size());
    for (auto d : delays) tasks.push_back(sleeper(d));
    co_await aio::gather(std::move(tasks));
}
Figure r3(double scale) {
    std::size_t n = scaled(100'000, scale);
    const int max_ms = 1000;
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> dist(0, max_ms);
    std::vector<std::chrono::milliseconds> delays(n);
    int longest = 0;
    for (auto& d : delays) {
        int v = dist(rng);
        longest = std::max(longest, v);
        d = std::chrono::milliseconds(v);
    }
    auto t0 = Clock::now();
    aio::run(r3_main(std::move(delays)));
    double over = secs_since(t0) * 1000 - longest;
    return {fmt::format("{} timers, 0–{} ms", n, max_ms), fmt::format("{:.1f} ms over the longest sleep", over)};
}

// R4 lock: tasks × iterations of `async with lock: counter += 1`.
Task<> r4_worker(aio::Lock& lock, std::int64_t& counter, std::size_t iters) {
    for (std::size_t i = 0; i < iters; ++i) {
        auto held = co_await lock.acquire();
        ++counter;
    }
}
Task<std::int64_t> r4_main(std::size_t tasks_n, std::size_t iters) {
    aio::Lock lock;
    std::int64_t counter = 0;
    std::vector<Task<>> tasks;
    for (std::size_t i = 0; i < tasks_n; ++i) tasks.push_back(r4_worker(lock, counter, iters));
    co_await aio::gather(std::move(tasks));
    co_return counter;
}
Figure r4(double scale) {
    std::size_t tasks_n = 1000, iters = scaled(1000, scale);
    auto t0 = Clock::now();
    auto counter = aio::run(r4_main(tasks_n, iters));
    double s = secs_since(t0);
    auto total = tasks_n * iters;
    if (counter != static_cast<std::int64_t>(total)) throw std::runtime_error("R4: the counter is wrong");
    return {fmt::format("{} tasks × {}", tasks_n, iters),
            fmt::format("{:.0f} ns/acquire+release", s * 1e9 / static_cast<double>(total))};
}

// R5 to_thread: n calls of a trivial function, 64 in flight.
int trivial(int x) { return x + 1; }
Task<> r5_call(aio::Semaphore& sem, int i, std::int64_t& sum) {
    auto held = co_await sem.acquire();
    sum += co_await aio::to_thread(trivial, i);
}
Task<std::int64_t> r5_main(std::size_t n) {
    aio::Semaphore sem(64);
    std::int64_t sum = 0;
    std::vector<Task<>> tasks;
    tasks.reserve(n);
    for (std::size_t i = 0; i < n; ++i) tasks.push_back(r5_call(sem, static_cast<int>(i), sum));
    co_await aio::gather(std::move(tasks));
    co_return sum;
}
Figure r5(double scale) {
    std::size_t n = scaled(100'000, scale);
    auto t0 = Clock::now();
    (void)aio::run(r5_main(n));
    double s = secs_since(t0);
    return {fmt::format("{} calls, 64 in flight", n), fmt::format("{:.0f} calls/s", static_cast<double>(n) / s)};
}

// R8 csv-parse: 10 columns (4 int64, 3 float64, 2 short strings, 1 quoted
// string with commas and doubled quotes), parsed from memory.
std::string make_csv(std::size_t rows) {
    std::mt19937_64 rng(7);
    std::string out = "i1,i2,i3,i4,f1,f2,f3,s1,s2,q\n";
    out.reserve(rows * 100);
    const char* words[] = {"alpha", "beta", "gamma", "delta", "eps"};
    for (std::size_t r = 0; r < rows; ++r) {
        auto v = rng();
        out += fmt::format("{},{},{},{},{:.6f},{:.3f},{:.2f},{},{},\"say \"\"hi\"\", {} and {}\"\n", r,
                           static_cast<std::int64_t>(v % 1000000) - 500000, v % 97, (v >> 20) % 100000,
                           static_cast<double>(v % 100000) / 7.0, static_cast<double>((v >> 8) % 10000) / 3.0,
                           static_cast<double>((v >> 16) % 1000) / 9.0, words[v % 5], words[(v >> 3) % 5],
                           words[(v >> 5) % 5], r % 13);
    }
    return out;
}
Figure r8(double scale) {
    std::size_t rows = scaled(1'000'000, scale);
    std::string text = make_csv(rows);
    csv::Text source{text};
    auto t0 = Clock::now();
    Table t = csv::read_csv(source);
    double s = secs_since(t0);
    if (t.num_rows() != rows || t.num_columns() != 10) throw std::runtime_error("R8: wrong shape");
    return {fmt::format("{} rows, {:.1f} MB", rows, static_cast<double>(text.size()) / 1e6),
            fmt::format("{:.0f} MB/s", static_cast<double>(text.size()) / 1e6 / s)};
}

struct Workload {
    const char* id;
    const char* title;
    Figure (*run)(double scale);
};

const std::vector<Workload>& workloads() {
    static const std::vector<Workload> all = {
        {"R1", "spawn: tasks returning an int, gathered", r1},
        {"R1e", "spawn, eager tasks (LoopOptions::eager_tasks)", r1e},
        {"R2", "switch: ping-pong through two 1-slot queues", r2},
        {"R3", "timers: tasks sleeping a random time, gathered", r3},
        {"R4", "lock: async with lock: counter += 1", r4},
        {"R5", "to_thread: trivial calls, 64 in flight", r5},
        {"R8", "csv-parse: 10 typed columns from memory", r8},
    };
    return all;
}

}  // namespace

std::vector<std::string> bench_workloads() {
    std::vector<std::string> ids;
    for (const auto& w : workloads()) ids.emplace_back(w.id);
    return ids;
}

static std::string bench_id_upper(std::string id) {
    for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return id;
}

int run_bench(const BenchOptions& opts) {
    std::vector<std::string> wanted;
    for (const auto& id : opts.workloads) wanted.push_back(bench_id_upper(id));
    fmt::print("{:<4} {:<48} {:<26} {}\n", "id", "workload", "size", "figure");
    int failed = 0;
    for (const auto& w : workloads()) {
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), bench_id_upper(w.id)) == wanted.end()) continue;
        try {
            Figure f = w.run(opts.scale);
            fmt::print("{:<4} {:<48} {:<26} {}\n", w.id, w.title, f.size, f.value);
        } catch (const std::exception& e) {
            ++failed;
            fmt::print("{:<4} {:<48} FAILED: {}\n", w.id, w.title, e.what());
        }
        std::fflush(stdout);
    }
    return failed == 0 ? 0 : 1;
}

}  // namespace aio::tool
