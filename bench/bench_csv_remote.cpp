// R9 (shared/bench/WORKLOADS.md): download the R8 file from a local HTTP
// server and parse it into a table. The parts, each timed on its own:
//
// usage: bench_csv_remote download URL [--repeat K]   aio's client reads the body (readany), discarding it
//        bench_csv_remote parse FILE [--repeat K] [--threads N]   aio read_csv of the file on disk
//        bench_csv_remote async URL [--repeat K]      aio read_csv_async: download and parse as it arrives
//        bench_csv_remote feed FILE [--piece N]       StreamingParser fed the file from memory in N-byte pieces
//
// Prints one line per run: "MODE seconds=... MB=... rows=..." (rows: -1 for
// download). bench/r9_csv_remote.sh runs these beside curl and the seed's way.
#include <aio/aio.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

aio::Task<std::size_t> download(std::string url) {
    aio::http::ClientSession session;
    std::size_t bytes = 0;
    {
        auto resp = co_await session.get(url);
        resp.raise_for_status();
        while (true) {
            std::string piece = co_await resp.content().readany();
            if (piece.empty()) break;
            bytes += piece.size();
        }
    }
    co_await session.close();
    co_return bytes;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s download|parse|async|feed URL_OR_FILE [--repeat K] [--threads N] [--piece N]\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1];
    const std::string target = argv[2];
    int repeat = 1;
    unsigned threads = 1;
    std::size_t piece = 65536;
    for (int i = 3; i < argc; ++i) {
        if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--piece") == 0 && i + 1 < argc) piece = static_cast<std::size_t>(std::atol(argv[++i]));
        else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = static_cast<unsigned>(std::atoi(argv[++i]));
    }
    try {
        for (int r = 0; r < repeat; ++r) {
            const auto t0 = Clock::now();
            if (mode == "download") {
                const std::size_t bytes = aio::run(download(target));
                std::printf("download seconds=%.4f MB=%.1f rows=-1\n", seconds_since(t0), static_cast<double>(bytes) / 1e6);
            } else if (mode == "parse") {
                aio::csv::ReadOptions o;
                o.threads = threads;
                const aio::Table t = aio::csv::read_csv(target, o);
                std::printf("parse seconds=%.4f threads=%u rows=%zu\n", seconds_since(t0), threads, t.num_rows());
            } else if (mode == "feed") {  // the file in memory, fed in pieces of --piece bytes
                static std::string data = [&] {
                    std::ifstream f(target, std::ios::binary);
                    return std::string(std::istreambuf_iterator<char>(f), {});
                }();
                const auto t1 = Clock::now();
                aio::csv::StreamingParser p;
                for (std::size_t i = 0; i < data.size(); i += piece) p.feed(std::string_view(data).substr(i, piece));
                p.finish();
                const aio::Table t = p.table();
                std::printf("feed seconds=%.4f piece=%zu rows=%zu\n", seconds_since(t1), piece, t.num_rows());
            } else if (mode == "async") {
                const aio::Table t = aio::run(aio::csv::read_csv_async(target));  // a session of its own, as the seed
                std::printf("async seconds=%.4f rows=%zu\n", seconds_since(t0), t.num_rows());
            } else {
                std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
                return 2;
            }
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
