// File workloads R10 and R11 of shared/bench/WORKLOADS.md, one per process run:
//   bench_files r10 DIR      read DIR/r10/00000..09999 (4 KiB each), 64 at a time
//   bench_files r11 DIR      read DIR/big (1 GiB) sequentially, then copy it to DIR/copy
//   bench_files r11-copy SRC DST [read|readinto|copyfileobj|copyfile]
//                            one copy of SRC over DST in place (created if missing, not
//                            truncated), as the peers of R11 copy; prints "RESULT <GiB/s> GiB/s"
//                            as peers/run.sh expects. read: `while (chunk = f.read(1 MiB))
//                            g.write(chunk)` (aiofiles' loop, the default); readinto: one
//                            reused buffer; copyfileobj: shutil.copyfileobj of the two open files
//                            (1 MiB chunks, each read beside the previous one's write);
//                            copyfile: shutil.copyfile (truncates DST).
// The data is made on first use (bench/files.sh keeps it under /tmp). The I/O
// path is AIO_IO_BACKEND's (uring or threads). Prints lines
// "<id> key=value ..." that bench/files.sh sets beside aiofiles and cp/dd.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <aio/aio.hpp>
#include <aio/files.hpp>

namespace {

using Clock = std::chrono::steady_clock;
namespace files = aio::files;

constexpr int kR10Files = 10'000;
constexpr std::size_t kR10Size = 4096;
constexpr int kR10Concurrency = 64;
constexpr std::int64_t kR11Size = std::int64_t(1) << 30;
/// Bytes per read/write call in R11: large enough that per-call costs vanish
/// beside the copying, small enough to stay in the CPU's caches.
constexpr std::size_t kR11Chunk = std::size_t(1) << 20;
constexpr int kRounds = 5;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::string r10_name(const std::string& dir, int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%05d", i);
    return dir + "/r10/" + buf;
}

void make_r10(const std::string& dir) {
    std::string sub = dir + "/r10";
    struct stat st {};
    if (::stat(r10_name(dir, kR10Files - 1).c_str(), &st) == 0 && st.st_size == kR10Size) return;
    ::mkdir(dir.c_str(), 0755);
    ::mkdir(sub.c_str(), 0755);
    std::string data(kR10Size, 'r');
    for (int i = 0; i < kR10Files; ++i) {
        int fd = ::open(r10_name(dir, i).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) std::abort();
        ::close(fd);
    }
}

void make_r11(const std::string& dir) {
    std::string big = dir + "/big";
    struct stat st {};
    if (::stat(big.c_str(), &st) == 0 && st.st_size == kR11Size) return;
    ::mkdir(dir.c_str(), 0755);
    int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::string chunk(kR11Chunk, '\0');
    for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 31 + 7);
    for (std::int64_t done = 0; done < kR11Size; done += static_cast<std::int64_t>(chunk.size()))
        if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) std::abort();
    ::close(fd);
}

// R10: each worker reads files next, next + 64, ... (64 in flight).
aio::Task<std::size_t> r10_worker(const std::vector<std::string>* names, int first) {
    std::size_t bytes = 0;
    for (std::size_t i = static_cast<std::size_t>(first); i < names->size(); i += kR10Concurrency) {
        auto f = co_await files::open((*names)[i], "rb");
        std::string data = co_await f.read();
        bytes += data.size();
        co_await f.close();
    }
    co_return bytes;
}

aio::Task<> r10(std::string dir) {
    std::vector<std::string> names;
    for (int i = 0; i < kR10Files; ++i) names.push_back(r10_name(dir, i));
    std::vector<double> rates;
    for (int round = 0; round < kRounds; ++round) {
        auto t0 = Clock::now();
        std::vector<aio::Task<std::size_t>> workers;
        for (int w = 0; w < kR10Concurrency; ++w) workers.push_back(r10_worker(&names, w));
        auto sizes = co_await aio::gather(std::move(workers));
        double s = seconds_since(t0);
        std::size_t total = 0;
        for (auto b : sizes) total += b;
        if (total != kR10Files * kR10Size) std::abort();
        rates.push_back(kR10Files / s);
    }
    std::printf("R10 files_per_second=%.0f backend=%s\n", median(rates), files::backend_name());
}

// A copy that overlaps the two files: chunk i is written (a task of its own)
// while chunk i + 1 is read, so the kernel works on both at once.
aio::Task<> overlapped_copy(std::string src, std::string dst) {
    std::vector<char> bufs[2] = {std::vector<char>(kR11Chunk), std::vector<char>(kR11Chunk)};
    auto in = co_await files::open(src, "rb");
    auto out = co_await files::open(dst, "wb");
    int cur = 0;
    std::size_t n = co_await in.readinto(bufs[cur]);
    while (n > 0) {
        auto writing = aio::create_task(out.write(std::string_view(bufs[cur].data(), n)));
        std::size_t next = co_await in.readinto(bufs[1 - cur]);
        co_await writing;
        n = next;
        cur = 1 - cur;
    }
    co_await in.close();
    co_await out.close();
}

// R11: sequential read (readinto a 1 MiB buffer), read+write copy (one
// chunk at a time, and overlapped), and shutil.copyfile.
aio::Task<> r11(std::string dir) {
    std::string big = dir + "/big", copy = dir + "/copy";
    std::vector<char> buf(kR11Chunk);
    std::vector<double> read_rates, copy_rates, overlapped_rates, copyfile_rates;
    for (int round = 0; round < kRounds; ++round) {
        auto t0 = Clock::now();
        auto f = co_await files::open(big, "rb");
        std::int64_t total = 0;
        for (;;) {
            std::size_t n = co_await f.readinto(buf);
            if (n == 0) break;
            total += static_cast<std::int64_t>(n);
        }
        co_await f.close();
        if (total != kR11Size) std::abort();
        read_rates.push_back(1.0 / seconds_since(t0));

        ::unlink(copy.c_str());
        auto t1 = Clock::now();
        auto in = co_await files::open(big, "rb");
        auto out = co_await files::open(copy, "wb");
        for (;;) {
            std::size_t n = co_await in.readinto(buf);
            if (n == 0) break;
            co_await out.write(std::string_view(buf.data(), n));
        }
        co_await in.close();
        co_await out.close();
        copy_rates.push_back(1.0 / seconds_since(t1));

        ::unlink(copy.c_str());
        auto t3 = Clock::now();
        co_await overlapped_copy(big, copy);
        overlapped_rates.push_back(1.0 / seconds_since(t3));

        ::unlink(copy.c_str());
        auto t2 = Clock::now();
        co_await files::shutil::copyfile(big, copy);
        copyfile_rates.push_back(1.0 / seconds_since(t2));
    }
    ::unlink(copy.c_str());
    std::printf("R11 read_gib_per_s=%.2f copy_gib_per_s=%.2f overlapped_copy_gib_per_s=%.2f copyfile_gib_per_s=%.2f "
                "backend=%s\n",
                median(read_rates), median(copy_rates), median(overlapped_rates), median(copyfile_rates),
                files::backend_name());
}

// R11 as the peers run it: one copy of src over dst, in place (aiofiles'
// open(dst, "ab").close(); open(dst, "r+b")), 1 MiB at a time.
aio::Task<> r11_copy(std::string src, std::string dst, std::string style) {
    int fd = ::open(dst.c_str(), O_WRONLY | O_CREAT, 0644);  // create if missing, keep the pages if present
    if (fd < 0) std::abort();
    ::close(fd);
    auto t0 = Clock::now();
    std::int64_t total = 0;
    if (style == "copyfile") {
        co_await files::shutil::copyfile(src, dst);
        struct stat st {};
        ::stat(dst.c_str(), &st);
        total = st.st_size;
    } else {
        auto in = co_await files::open(src, "rb");
        auto out = co_await files::open(dst, "r+b");
        if (style == "copyfileobj") {
            total = co_await files::shutil::copyfileobj(in, out, static_cast<std::int64_t>(kR11Chunk));
        } else if (style == "readinto") {
            std::vector<char> buf(kR11Chunk);
            for (;;) {
                std::size_t n = co_await in.readinto(buf);
                if (n == 0) break;
                co_await out.write(std::string_view(buf.data(), n));
                total += static_cast<std::int64_t>(n);
            }
        } else {
            for (;;) {
                std::string chunk = co_await in.read(static_cast<std::int64_t>(kR11Chunk));
                if (chunk.empty()) break;
                co_await out.write(chunk);
                total += static_cast<std::int64_t>(chunk.size());
            }
        }
        co_await in.close();
        co_await out.close();
    }
    double s = seconds_since(t0);
    std::printf("RESULT %.6g GiB/s secs=%.3f backend=%s style=%s\n", double(total) / double(1 << 30) / s, s,
                files::backend_name(), style.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_files r10|r11 DIR | r11-copy SRC DST [read|readinto|copyfileobj|copyfile]\n");
        return 2;
    }
    std::string which = argv[1], dir = argv[2];
    if (which == "r10") {
        make_r10(dir);
        aio::run(r10(dir));
    } else if (which == "r11") {
        make_r11(dir);
        aio::run(r11(dir));
    } else if (which == "r11-copy" && argc >= 4) {
        aio::run(r11_copy(dir, argv[3], argc > 4 ? argv[4] : "read"));
    } else {
        std::fprintf(stderr, "unknown workload %s\n", which.c_str());
        return 2;
    }
}
