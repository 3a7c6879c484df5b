// R8 (shared/bench/WORKLOADS.md): parse the 100 MB CSV into typed columns.
//
// usage: bench_csv FILE [--threads N] [--repeat K] [--memchr]
//        bench_csv --fresh MB [--repeat K]
// Prints one line per run: "aio threads=N MB/s=... seconds=... rows=..."; with
// --memchr the plain memchr('\n') scan of the file (the ceiling) instead.
// --fresh times the first touch of MB megabytes of new memory in a column
// Buffer, the storage a table's columns live in: what the kernel (and, on a
// virtual machine, the host) charges for the pages a new table lands on,
// which no parser avoids.
// Peak RSS is measured by the caller (bench/r8_csv.sh runs this under
// /usr/bin/time), so each process does one kind of run.
#include <aio/csv.hpp>

#include "table/buffer.hpp"  // --fresh times the table's own storage

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::size_t file_size(const char* path) {
    struct stat st {};
    return ::stat(path, &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
}

int usage(const char* self) {
    std::fprintf(stderr, "usage: %s FILE [--threads N] [--repeat K (>= 1)] [--memchr]\n       %s --fresh MB [--repeat K]\n",
                 self, self);
    return 2;
}

/// Seconds to reserve `bytes` in a column Buffer (the table's own storage:
/// a 2 MiB-aligned huge-page mapping from 1 MiB up) and write to every 4 KiB
/// page of it once (the kernel zeroes each page on that touch). The buffer is
/// released after the clock stops.
double fresh_touch_seconds(std::size_t bytes) {
    aio::table_detail::Buffer buffer;
    const auto t0 = std::chrono::steady_clock::now();
    buffer.reserve(bytes);
    auto* p = reinterpret_cast<char*>(buffer.data());
    for (std::size_t at = 0; at < bytes; at += 4096) p[at] = 1;
    return seconds_since(t0);
}

int fresh(int argc, char** argv) {
    if (argc < 3) return usage(argv[0]);
    const double mb = std::atof(argv[2]);
    int repeat = 3;
    for (int i = 3; i < argc; ++i) {
        if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = std::atoi(argv[++i]);
        else return usage(argv[0]);
    }
    if (!(mb > 0) || repeat < 1) return usage(argv[0]);
    std::vector<double> times;
    for (int r = 0; r < repeat; ++r) {
        const double s = fresh_touch_seconds(static_cast<std::size_t>(mb * 1e6));  // std::bad_alloc: main says so
        times.push_back(s);
        std::printf("fresh MB=%.1f run=%d seconds=%.4f GB/s=%.2f\n", mb, r, s, mb / 1e3 / s);
    }
    std::sort(times.begin(), times.end());
    std::printf("median seconds=%.4f\n", times[times.size() / 2]);
    return 0;
}

int run(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--fresh") == 0) return fresh(argc, argv);
    if (argc < 2 || argv[1][0] == '-') return usage(argv[0]);
    const char* path = argv[1];
    unsigned threads = 1;
    int repeat = 3;
    bool memchr_scan = false;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = static_cast<unsigned>(std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--memchr") == 0) memchr_scan = true;
        else return usage(argv[0]);
    }
    if (repeat < 1) return usage(argv[0]);
    const double mb = static_cast<double>(file_size(path)) / 1e6;
    std::vector<double> times;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        std::size_t rows = 0;
        std::size_t bytes = 0;
        if (memchr_scan) {
            // Read the file in 1 MiB blocks and count lines with memchr: the
            // least any parser must do.
            std::FILE* f = std::fopen(path, "rb");
            if (f == nullptr) {
                std::fprintf(stderr, "%s: cannot open %s: %s\n", argv[0], path, std::strerror(errno));
                return 1;
            }
            std::vector<char> buf(1 << 20);
            std::size_t n;
            while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
                const char* p = buf.data();
                const char* e = p + n;
                while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)))) != nullptr) {
                    ++rows;
                    ++p;
                }
            }
            std::fclose(f);
        } else {
            // The table is destroyed after the clock stops (freeing is not parsing).
            aio::Table t = aio::csv::read_csv(path, {.threads = threads});
            times.push_back(seconds_since(t0));
            rows = t.num_rows();
            bytes = t.memory_usage();  // values, string bytes and offsets, validity
        }
        if (memchr_scan) times.push_back(seconds_since(t0));
        std::printf("%s threads=%u run=%d seconds=%.4f MB/s=%.1f rows=%zu table_MB=%.1f\n",
                    memchr_scan ? "memchr" : "aio", memchr_scan ? 1 : threads, r, times.back(), mb / times.back(), rows,
                    static_cast<double>(bytes) / 1e6);
    }
    std::sort(times.begin(), times.end());
    std::printf("median MB/s=%.1f\n", mb / times[times.size() / 2]);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {  // a missing or malformed file: its typed error, said plainly
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
}
