// Runtime workloads R1–R5 of shared/bench/WORKLOADS.md, one per process run:
//   bench_runtime r1|r2|r3|r4|r5
// and two measurements of the machine itself: `ceiling` (a frame-sized
// allocation, a plain call) and `touch` (memory touched for the first time).
// Prints one line "<id> key=value ..." that bench/runtime.sh sets beside
// Python asyncio's figures for the same workload.
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <aio/aio.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double peak_rss_mb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

long current_rss_bytes() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * sysconf(_SC_PAGESIZE);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// R1: 1,000,000 tasks that each return an int, gathered.
aio::Task<int> one(int i) { co_return i; }
aio::Task<double> r1_round(long long& sum) {
    constexpr int n = 1'000'000;
    auto t0 = Clock::now();
    std::vector<aio::Task<int>> tasks;
    tasks.reserve(n);
    for (int i = 0; i < n; ++i) tasks.push_back(one(i));
    auto results = co_await aio::gather(std::move(tasks));
    double s = seconds_since(t0);
    sum = 0;
    for (int v : results) sum += v;
    co_return s * 1e9 / n;
}
aio::Task<> r1() {
    // The first round pays for fresh memory (page faults, which on this kind
    // of virtual machine cost more than everything else: see `ceiling`); the
    // rounds after it run on recycled frames and a settled heap and show the
    // runtime's own cost. warm = the median of five of them.
    long long sum = 0;
    double cold = co_await r1_round(sum);
    std::vector<double> warm;
    for (int i = 0; i < 5; ++i) warm.push_back(co_await r1_round(sum));
    std::sort(warm.begin(), warm.end());
    std::printf("R1 ns_per_task=%.1f warm_ns_per_task=%.1f peak_rss_mb=%.1f check=%lld\n", cold, warm[2],
                peak_rss_mb(), sum);
}

// The physical limits R1 stands against: a heap allocation of a frame-sized
// block (touched, as a frame is) and a plain function call.
__attribute__((noinline)) int plain_call(int i) { return i + 1; }
void ceiling() {
    constexpr int n = 1'000'000;
    std::vector<void*> blocks;
    blocks.reserve(n);
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        void* p = std::malloc(176);
        std::memset(p, 0, 176);
        blocks.push_back(p);
    }
    double alloc = seconds_since(t0) * 1e9 / n;
    for (void* p : blocks) std::free(p);
    auto t1 = Clock::now();
    long sink = 0;
    for (int i = 0; i < n * 10; ++i) sink += plain_call(i);
    double call = seconds_since(t1) * 1e9 / (n * 10.0);
    std::printf("CEILING malloc_touch_176B_ns=%.1f call_ns=%.2f sink=%ld\n", alloc, call, sink);
}

// The machine's price of memory touched for the first time, which every
// workload that allocates pays once per page (R1's frames, R8's columns,
// R12's per-connection buffers). On a virtual machine whose page faults go
// through the hypervisor, this price can be a hundred times the cost of
// zeroing the page. Four figures, in ns per 4 KiB:
// - fault_4k: a new anonymous mapping in 4 KiB pages, one write per page
//   (one page fault each);
// - populate_4k: the same pages made present by one MADV_POPULATE_WRITE
//   call, without a fault per page;
// - fault_huge: a mapping with MADV_HUGEPAGE (2 MiB pages, when the kernel
//   has them free), one write per 4 KiB;
// - zero_4k: writing 4 KiB of memory already mapped (memset), the part of a
//   fault's cost that no allocator avoids.
double touch_pages(std::size_t bytes, int advice, bool populate) {
    void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
    ::madvise(m, bytes, advice);
    auto* p = static_cast<volatile char*>(m);
    auto t0 = Clock::now();
    if (populate && ::madvise(m, bytes, MADV_POPULATE_WRITE) != 0) std::perror("madvise(MADV_POPULATE_WRITE)");
    for (std::size_t i = 0; i < bytes; i += 4096) p[i] = 1;
    double ns = seconds_since(t0) * 1e9 / static_cast<double>(bytes / 4096);
    ::munmap(m, bytes);
    return ns;
}
void touch() {
    constexpr std::size_t bytes = std::size_t{128} << 20;
    double fault = touch_pages(bytes, MADV_NOHUGEPAGE, false);
    double populate = touch_pages(bytes, MADV_NOHUGEPAGE, true);
    double huge = touch_pages(bytes, MADV_HUGEPAGE, false);
    std::vector<char> hot(std::size_t{4} << 20, 1);
    auto t0 = Clock::now();
    constexpr int rounds = 64;
    for (int r = 0; r < rounds; ++r) {
        std::memset(hot.data(), r, hot.size());
        asm volatile("" : : "r"(hot.data()) : "memory");
    }
    double zero = seconds_since(t0) * 1e9 / (rounds * static_cast<double>(hot.size() / 4096));
    std::printf("TOUCH fault_4k_ns=%.0f populate_4k_ns=%.0f fault_huge_ns_per_4k=%.0f zero_4k_ns=%.0f\n", fault,
                populate, huge, zero);
}

// R2: two tasks pass a counter back and forth through two 1-slot queues.
aio::Task<> r2() {
    constexpr int n = 1'000'000;
    aio::Queue<int> ping(1), pong(1);
    auto player_a = [&]() -> aio::Task<> {
        for (int i = 0; i < n; ++i) {
            co_await ping.put(i);
            (void)co_await pong.get();
        }
    };
    auto player_b = [&]() -> aio::Task<> {
        for (int i = 0; i < n; ++i) {
            int v = co_await ping.get();
            co_await pong.put(v + 1);
        }
    };
    auto t0 = Clock::now();
    co_await aio::gather(player_a(), player_b());
    double s = seconds_since(t0);
    std::printf("R2 ns_per_round_trip=%.1f\n", s * 1e9 / n);
}

// R3: 100,000 tasks each sleep a uniformly random 0–1000 ms, then gather.
aio::Task<> sleeper(int ms) { co_await aio::sleep(std::chrono::milliseconds(ms)); }
aio::Task<> r3() {
    constexpr int n = 100'000;
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> ms(0, 1000);
    long before = current_rss_bytes();
    auto t0 = Clock::now();
    std::vector<aio::Task<>> tasks;
    tasks.reserve(n);
    for (int i = 0; i < n; ++i) tasks.push_back(sleeper(ms(rng)));
    auto all = aio::create_task(aio::gather(std::move(tasks)));
    co_await aio::sleep(0s);  // every sleeper has started and is waiting
    co_await aio::sleep(0s);
    long during = current_rss_bytes();
    co_await all;
    double s = seconds_since(t0);
    std::printf("R3 wall_minus_1s_ms=%.1f bytes_per_sleeping_task=%.0f peak_rss_mb=%.1f\n", (s - 1.0) * 1e3,
                static_cast<double>(during - before) / n, peak_rss_mb());
}

// R4: 1000 tasks x 1000 iterations of `async with lock: counter += 1`.
aio::Task<> r4() {
    constexpr int tasks_n = 1000, iters = 1000;
    aio::Lock lock;
    long counter = 0;
    auto worker = [&]() -> aio::Task<> {
        for (int i = 0; i < iters; ++i) {
            auto held = co_await lock.acquire();
            counter += 1;
        }
    };
    std::vector<aio::Task<>> tasks;
    for (int i = 0; i < tasks_n; ++i) tasks.push_back(worker());
    auto t0 = Clock::now();
    co_await aio::gather(std::move(tasks));
    double s = seconds_since(t0);
    std::printf("R4 ns_per_acquire_release=%.1f counter=%ld\n", s * 1e9 / (tasks_n * iters), counter);
}

// R5: 100,000 to_thread calls of a trivial function, 64 in flight.
int trivial(int x) { return x + 1; }
aio::Task<> r5() {
    constexpr int n = 100'000, in_flight = 64;
    aio::Semaphore sem(in_flight);
    long done = 0;
    auto call = [&](int i) -> aio::Task<> {
        auto permit = co_await sem.acquire();
        done += co_await aio::to_thread(trivial, i) > 0;
    };
    auto t0 = Clock::now();
    // 64 workers each making n/64 calls keeps exactly 64 in flight without 100k frames.
    auto worker = [&](int w) -> aio::Task<> {
        for (int i = w; i < n; i += in_flight) co_await call(i);
    };
    std::vector<aio::Task<>> workers;
    for (int w = 0; w < in_flight; ++w) workers.push_back(worker(w));
    co_await aio::gather(std::move(workers));
    double s = seconds_since(t0);
    std::printf("R5 calls_per_second=%.0f done=%ld\n", n / s, done);
}

}  // namespace

int main(int argc, char** argv) {
    std::string w = argc > 1 ? argv[1] : "";
    if (w == "r1") aio::run(r1());
    else if (w == "r2") aio::run(r2());
    else if (w == "r3") aio::run(r3());
    else if (w == "r4") aio::run(r4());
    else if (w == "r5") aio::run(r5());
    else if (w == "ceiling") ceiling();
    else if (w == "touch") touch();
    else {
        std::fprintf(stderr, "usage: bench_runtime r1|r2|r3|r4|r5|ceiling|touch\n");
        return 2;
    }
}
