// Read-ahead of large sequential reads: a read-only binary file read in
// pieces of at least its buffer size, each starting where the last ended,
// has its next piece read in the background. The reads must return exactly
// the file's bytes whatever the sizes, seeks, growth of the file and
// cancellations; only "rb" files read ahead (r+b, text and small reads see a
// change at once); close() and ~File with a read-ahead in flight leak no
// descriptor. Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <fcntl.h>
#include <unistd.h>

#include <random>
#include <thread>
#include <vector>

#include "files/files_fixture.hpp"

using aio::test::FilesTest;
namespace files = aio::files;
using namespace std::chrono_literals;

class ReadAhead : public FilesTest {};

namespace {

constexpr std::size_t kMiB = std::size_t(1) << 20;

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(gen() & 0xff);
    return s;
}

/// Overwrites [at, at + bytes.size()) of the file at `p` through a descriptor of its own.
void overwrite(const std::string& p, std::size_t at, const std::string& bytes) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at)), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
}

/// Writes the file and drops it from the page cache, so that reads of it
/// wait for the disk (a read-ahead is then still in flight when the next read comes).
void put_cold(const std::string& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ::fsync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
}

/// Lets a read-ahead started by the last read finish.
aio::Task<> settle() { co_await aio::sleep(100ms); }

}  // namespace

TEST_P(ReadAhead, SequentialReadsReturnEveryByte) {
    const std::string data = random_bytes(9 * kMiB + 12345, 1);
    put(path("f"), data);
    for (bool cold : {false, true}) {
        if (cold) put_cold(path("f"), data);
        std::string got, got_into;
        int empty_reads = 0, empty_readintos = 0;
        aio::run([&]() -> aio::Task<> {
            auto f = co_await files::open(path("f"), "rb");
            for (;;) {
                std::string chunk = co_await f.read(kMiB);
                if (chunk.empty()) break;
                EXPECT_TRUE(chunk.size() == kMiB || got.size() + chunk.size() == data.size());
                got += chunk;
            }
            for (int i = 0; i < 2; ++i) empty_reads += (co_await f.read(kMiB)).empty() ? 1 : 0;
            co_await f.close();
            auto g = co_await files::open(path("f"), "rb");
            std::vector<char> buf(kMiB);
            for (;;) {
                std::size_t n = co_await g.readinto(buf);
                if (n == 0) break;
                got_into.append(buf.data(), n);
            }
            std::size_t n = co_await g.readinto(buf);
            empty_readintos += n == 0 ? 1 : 0;
            co_await g.close();
        }());
        EXPECT_TRUE(got == data) << "read(): " << got.size() << " of " << data.size() << " bytes, cold=" << cold;
        EXPECT_TRUE(got_into == data) << "readinto(): " << got_into.size() << " of " << data.size() << " bytes";
        EXPECT_EQ(empty_reads, 2);
        EXPECT_EQ(empty_readintos, 1);
    }
}

// Sizes that change, reads of either kind, seeks back and forward, a seek
// to where the read-ahead is, and reads of the rest with read().
TEST_P(ReadAhead, MixedSizesAndSeeksReturnTheRightBytes) {
    const std::string data = random_bytes(12 * kMiB + 777, 2);
    put(path("f"), data);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "rb");
        std::size_t pos = 0;
        auto check = [&](const std::string& got, std::size_t want, const char* what) {
            std::string expected = data.substr(std::min(pos, data.size()), want);
            EXPECT_TRUE(got == expected) << what << " at " << pos << " (" << got.size() << " bytes)";
            pos += got.size();
        };
        const std::vector<std::size_t> sizes = {kMiB, kMiB, kMiB, kMiB / 2, kMiB / 2, kMiB / 2, 2 * kMiB, 2 * kMiB,
                                                100,  kMiB, kMiB, kMiB,     3 * kMiB / 2};
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            std::size_t n = sizes[i];
            if (i % 4 != 3) {
                std::string got = co_await f.read(static_cast<std::int64_t>(n));
                check(got, n, "read");
            } else {
                std::string buf(n, '\0');
                std::size_t r = co_await f.readinto(buf);
                buf.resize(r);
                check(buf, n, "readinto");
            }
            if (i == 3) co_await settle();
        }
        // Back into what was read, then sequential again.
        pos = static_cast<std::size_t>(co_await f.seek(static_cast<std::int64_t>(kMiB + 5)));
        for (int i = 0; i < 4; ++i) check(co_await f.read(kMiB), kMiB, "read after a seek back");
        // To where the read-ahead is (seek(tell())), and a read of the same size.
        co_await settle();
        pos = static_cast<std::size_t>(co_await f.seek(co_await f.tell()));
        check(co_await f.read(kMiB), kMiB, "read after seek(tell())");
        // Forward, past the read-ahead.
        pos = static_cast<std::size_t>(co_await f.seek(3 * kMiB, SEEK_CUR));
        check(co_await f.read(kMiB), kMiB, "read after a seek forward");
        check(co_await f.read(kMiB), kMiB, "read");
        check(co_await f.read(kMiB), kMiB, "read");
        std::string rest = co_await f.read();
        check(rest, data.size() - pos, "read() to the end");
        EXPECT_EQ(pos, data.size());
        co_await f.close();
    }());
}

// The file grows between two reads after the read-ahead found its end:
// the next read sees the new bytes.
TEST_P(ReadAhead, BytesAppendedMeanwhileAreRead) {
    const std::string data = random_bytes(2 * kMiB + kMiB / 2, 3);
    const std::string more = random_bytes(3 * kMiB, 4);
    put(path("f"), data);
    std::string got;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "rb");
        got += co_await f.read(kMiB);
        got += co_await f.read(kMiB);  // reads ahead [2 MiB, 3 MiB): half of it
        co_await settle();
        std::ofstream(path("f"), std::ios::binary | std::ios::app) << more;
        for (;;) {
            std::string chunk = co_await f.read(kMiB);
            if (chunk.empty()) break;
            got += chunk;
        }
        co_await f.close();
    }());
    EXPECT_TRUE(got == data + more) << got.size() << " of " << data.size() + more.size() << " bytes";
}

// Which reads read ahead, seen by their bytes: the file changes after a read
// at a position a read-ahead would have read. An "rb" file read in large
// pieces returns the piece as read ahead (at most one: the piece after it is
// read after the change); r+b, text, small reads and readinto see the change.
TEST_P(ReadAhead, OnlyLargeReadsOfReadOnlyBinaryFilesReadAhead) {
    const std::string data = random_bytes(6 * kMiB, 5);
    const std::string changed = random_bytes(2 * kMiB, 6);
    struct Case {
        const char* mode;
        std::size_t n;
        bool into;  // readinto rather than read
        bool reads_ahead;
    };
    const Case cases[] = {{"rb", kMiB, false, true},
                          {"r+b", kMiB, false, false},
                          {"rb", 64 * 1024, false, false},
                          {"rb", kMiB, true, false}};
    for (const Case& c : cases) {
        put(path("f"), data);
        const std::size_t at = 2 * c.n;
        std::string third, fourth;
        aio::run([&]() -> aio::Task<> {
            auto f = co_await files::open(path("f"), c.mode);
            auto next = [&]() -> aio::Task<std::string> {
                if (!c.into) co_return co_await f.read(static_cast<std::int64_t>(c.n));
                std::string buf(c.n, '\0');
                buf.resize(co_await f.readinto(buf));
                co_return buf;
            };
            co_await next();
            co_await next();
            co_await settle();
            overwrite(path("f"), at, changed.substr(0, 2 * c.n));
            third = co_await next();
            fourth = co_await next();
            co_await f.close();
        }());
        const std::string old_third = data.substr(at, c.n);
        const std::string new_third = changed.substr(0, c.n);
        EXPECT_TRUE(third == (c.reads_ahead ? old_third : new_third)) << c.mode << " n=" << c.n << " into=" << c.into;
        EXPECT_TRUE(fourth == changed.substr(c.n, c.n)) << c.mode << " n=" << c.n << ": more than one piece stale";
    }
    // Text: the same large reads (ASCII, so characters are bytes) see the change.
    const std::string text(6 * kMiB, 'a');
    put(path("t"), text);
    std::string third;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("t"), "r");
        co_await f.read(kMiB);
        co_await f.read(kMiB);
        co_await settle();
        overwrite(path("t"), 2 * kMiB, std::string(kMiB, 'b'));
        third = co_await f.read(kMiB);
        co_await f.close();
    }());
    EXPECT_TRUE(third == std::string(kMiB, 'b'));
}

// close() while the read-ahead runs: it waits for it, and closes the
// descriptor (the fixture counts them). Cold files keep it running.
TEST_P(ReadAhead, CloseWithAReadAheadInFlight) {
    const std::string data = random_bytes(8 * kMiB, 7);
    put_cold(path("f"), data);
    aio::run([&]() -> aio::Task<> {
        for (int i = 0; i < 3; ++i) {
            auto f = co_await files::open(path("f"), "rb");
            std::string a = co_await f.read(2 * kMiB);
            std::string b = co_await f.read(2 * kMiB);
            EXPECT_TRUE(a + b == data.substr(0, 4 * kMiB));
            co_await f.close();
            EXPECT_TRUE(f.closed());
        }
    }());
}

// ~File without close() while the read-ahead runs, on the loop: the
// descriptor stays open until the read is over, then closes; a descriptor
// opened meanwhile is not disturbed.
TEST_P(ReadAhead, DestroyedWithAReadAheadInFlight) {
    const std::string data = random_bytes(8 * kMiB, 8);
    put_cold(path("f"), data);
    const std::string other = random_bytes(kMiB, 9);
    put(path("g"), other);
    int before = 0, during = 0, after = 0;
    std::string got_other;
    aio::run([&]() -> aio::Task<> {
        before = aio::test::count_open_fds();
        {
            auto f = co_await files::open(path("f"), "rb");
            co_await f.read(2 * kMiB);
            co_await f.read(2 * kMiB);
        }  // destroyed with its read-ahead in flight
        during = aio::test::count_open_fds();
        auto g = co_await files::open(path("g"), "rb");
        got_other = co_await g.read();
        co_await g.close();
        for (int i = 0; i < 500 && aio::test::count_open_fds() > before; ++i) co_await aio::sleep(10ms);
        after = aio::test::count_open_fds();
    }());
    EXPECT_LE(during, before + 1);
    EXPECT_EQ(after, before);
    EXPECT_TRUE(got_other == other);
}

// A File destroyed while the loop ends at once: the loop's end finishes the
// read-ahead, which closes the descriptor (the fixture counts them).
TEST_P(ReadAhead, DestroyedJustBeforeTheLoopEnds) {
    const std::string data = random_bytes(8 * kMiB, 10);
    put_cold(path("f"), data);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "rb");
        co_await f.read(4 * kMiB);
        co_await f.read(4 * kMiB);
    }());
}

// A read cancelled while it waits for the read-ahead takes nothing: the
// position stays, and the next reads return the bytes in order.
TEST_P(ReadAhead, CancelledWhileWaitingForTheReadAhead) {
    const std::string data = random_bytes(16 * kMiB, 11);
    put_cold(path("f"), data);
    std::string got;
    int cancelled = 0;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "rb");
        for (int round = 0; round < 3; ++round) {
            got += co_await f.read(2 * kMiB);
            got += co_await f.read(2 * kMiB);
            auto reading = aio::create_task(f.read(2 * kMiB));
            co_await aio::sleep(0s);  // the read waits for the read-ahead
            reading.cancel();
            try {
                got += co_await reading;
            } catch (const aio::CancelledError&) {
                ++cancelled;
            }
            std::int64_t at = co_await f.tell();
            EXPECT_EQ(static_cast<std::size_t>(at), got.size());
            got += co_await f.read(kMiB / 2);
        }
        for (;;) {
            std::string chunk = co_await f.read(2 * kMiB);
            if (chunk.empty()) break;
            got += chunk;
        }
        co_await f.close();
    }());
    EXPECT_TRUE(got == data) << got.size() << " of " << data.size() << " bytes, " << cancelled << " cancelled";
}

// A loop stopped with the read-ahead's task still pending: the file, used
// on another loop, reads for itself and closes without waiting for it; the
// descriptor is closed when that loop lets the task go (the fixture counts).
TEST_P(ReadAhead, ALoopStoppedWithTheReadAheadPending) {
    const std::string data = random_bytes(6 * kMiB, 13);
    put(path("f"), data);
    std::string got;
    {
        aio::EventLoop first;
        std::optional<files::File> f;
        got = first.run_until_complete([&]() -> aio::Task<std::string> {
            f = co_await files::open(path("f"), "rb");
            std::string a = co_await f->read(kMiB);
            std::string b = co_await f->read(kMiB);  // its read-ahead is scheduled on `first`
            co_return a + b;
        }());
        aio::run([&]() -> aio::Task<> {
            got += co_await f->read(kMiB);
            got += co_await f->read(2 * kMiB);
            co_await f->close();
        }());
        first.close();
    }
    EXPECT_TRUE(got == data.substr(0, 5 * kMiB)) << got.size() << " bytes";
}

// A pipe cannot seek: never read ahead, and large reads still return every byte.
TEST_P(ReadAhead, APipeIsReadAsBefore) {
    const std::string data = random_bytes(5 * kMiB + 3, 12);
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    std::thread writer([&] {
        std::size_t done = 0;
        while (done < data.size()) {
            ssize_t w = ::write(fds[1], data.data() + done, data.size() - done);
            if (w <= 0) break;
            done += static_cast<std::size_t>(w);
        }
        ::close(fds[1]);
    });
    std::string got;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open("/dev/fd/" + std::to_string(fds[0]), "rb");
        for (;;) {
            std::string chunk = co_await f.read(kMiB);
            if (chunk.empty()) break;
            got += chunk;
        }
        co_await f.close();
    }());
    writer.join();
    ::close(fds[0]);
    EXPECT_TRUE(got == data) << got.size() << " of " << data.size() << " bytes";
}

AIO_FILES_BACKENDS(ReadAhead);
