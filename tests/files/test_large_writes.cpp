// Large writes (a chunk at least the buffer size, which goes to the kernel
// as it is): the copy loop `while (chunk = f.read(n)) g.write(chunk)` of R11
// must put every byte where it was written, in place or not, whatever the
// chunk sizes and whatever the source does meanwhile; the next operation on
// the file sees the data; a failure is an OSError saying how much was
// written; a file destroyed or closed early loses nothing and leaks no
// descriptor. Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>
#include <functional>
#include <vector>

#include "files/files_fixture.hpp"

using aio::test::FilesTest;
using aio::test::raises;
namespace files = aio::files;

namespace {

constexpr std::size_t kMiB = std::size_t(1) << 20;

/// `n` bytes that differ from chunk to chunk (a misplaced chunk shows).
std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + i / 4096) & 0xff);
    return s;
}

/// The R11 loop: reads `chunk` bytes at a time from src and writes them to
/// dst; `after_first` (if given) runs once the first chunk is written.
aio::Task<std::size_t> copy_loop(std::string src, std::string dst, std::string dst_mode, std::size_t chunk,
                                 const std::function<void()>* after_first = nullptr) {
    auto in = co_await files::open(src, "rb");
    auto out = co_await files::open(dst, dst_mode);
    std::size_t total = 0;
    for (;;) {
        std::string data = co_await in.read(static_cast<std::int64_t>(chunk));
        if (data.empty()) break;
        std::size_t n = co_await out.write(data);
        EXPECT_EQ(n, data.size());
        if (total == 0 && after_first) (*after_first)();
        total += data.size();
    }
    co_await in.close();
    co_await out.close();
    co_return total;
}

}  // namespace

class LargeWrites : public FilesTest {};
AIO_FILES_BACKENDS(LargeWrites);

TEST_P(LargeWrites, CopyLoopInPlaceGivesTheSameBytes) {
    // 5.5 MiB: chunks of 1 MiB, the last one short; the destination exists,
    // longer and with other bytes, and is overwritten in place (r+b).
    std::string src = pattern(5 * kMiB + kMiB / 2, 1);
    std::string old = pattern(7 * kMiB, 2);
    put(path("src"), src);
    put(path("dst"), old);
    std::size_t total = aio::run(copy_loop(path("src"), path("dst"), "r+b", kMiB));
    EXPECT_EQ(total, src.size());
    std::string got = get(path("dst"));
    ASSERT_EQ(got.size(), old.size());
    EXPECT_TRUE(got.compare(0, src.size(), src) == 0) << "the copied part differs";
    EXPECT_TRUE(got.compare(src.size(), std::string::npos, old, src.size()) == 0) << "the tail was touched";
}

TEST_P(LargeWrites, CopyLoopOfOddChunkSizesGivesTheSameBytes) {
    std::string src = pattern(3 * kMiB + 12345, 3);
    put(path("src"), src);
    for (std::size_t chunk : {std::size_t(128 * 1024), std::size_t(1000 * 1000), kMiB + 1, 9 * kMiB}) {
        std::size_t total = aio::run(copy_loop(path("src"), path("dst"), "wb", chunk));
        EXPECT_EQ(total, src.size()) << chunk;
        EXPECT_TRUE(get(path("dst")) == src) << "chunk " << chunk;
    }
}

TEST_P(LargeWrites, TheNextOperationOnTheFileSeesTheWrite) {
    std::string a = pattern(kMiB, 4), b = pattern(2 * kMiB, 5);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "w+b");
        co_await f.write(a);
        std::int64_t at = co_await f.tell();
        EXPECT_EQ(at, static_cast<std::int64_t>(a.size()));
        co_await f.write(b);
        co_await f.write("tail");  // buffered after the large writes
        co_await f.seek(0);
        std::string all = co_await f.read();
        EXPECT_TRUE(all == a + b + "tail");
        co_await f.seek(static_cast<std::int64_t>(kMiB / 2));
        co_await f.write(b);  // over the middle
        co_await f.seek(0);
        std::string again = co_await f.read();
        EXPECT_TRUE(again == a.substr(0, kMiB / 2) + b + b.substr(kMiB + kMiB / 2) + "tail");
        co_await f.close();
    }());
}

TEST_P(LargeWrites, FlushHandsTheWriteToTheKernel) {
    std::string a = pattern(kMiB, 6);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "wb");
        co_await f.write(a);
        co_await f.flush();
        EXPECT_TRUE(get(path("f")) == a);  // another reader sees it after flush()
        co_await f.close();
    }());
}

TEST_P(LargeWrites, AFileDestroyedWithoutCloseLosesNothing) {
    std::string a = pattern(2 * kMiB, 7), b = pattern(kMiB, 8);
    aio::run([&]() -> aio::Task<> {
        {
            auto f = co_await files::open(path("f"), "wb");
            co_await f.write(a);
            co_await f.write(b);
            co_await f.write("end");
        }  // not closed: the destructor writes the buffered rest and closes
        co_await aio::sleep(std::chrono::milliseconds(0));
    }());
    EXPECT_TRUE(get(path("f")) == a + b + "end");
    // The fixture checks that no descriptor leaked.
}

TEST_P(LargeWrites, AFileDestroyedAfterTheLoopEndedLosesNothing) {
    std::string a = pattern(kMiB, 9);
    std::optional<files::File> kept;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "wb");
        co_await f.write(a);
        kept.emplace(std::move(f));  // outlives the loop
    }());
    kept.reset();
    EXPECT_TRUE(get(path("f")) == a);
}

TEST_P(LargeWrites, CancelledWhileClosingTheDataStillLands) {
    std::string a = pattern(4 * kMiB, 10);
    bool written = false;
    aio::run([&]() -> aio::Task<> {
        auto writer = [](std::string p, const std::string* data, bool* done) -> aio::Task<> {
            auto f = co_await files::open(p, "wb");
            co_await f.write(*data);
            *done = true;
            co_await f.close();  // cancelled here (or already closed)
        };
        auto t = aio::create_task(writer(path("f"), &a, &written));
        while (!written) co_await aio::sleep(std::chrono::milliseconds(0));
        t.cancel();
        try {
            co_await t;
        } catch (const aio::CancelledError&) {
        }
    }());
    EXPECT_TRUE(written);
    EXPECT_TRUE(get(path("f")) == a);
}

TEST_P(LargeWrites, ASourceThatShrinksWhileCopyingEndsTheCopyAtItsNewEnd) {
    std::string src = pattern(4 * kMiB, 11);
    put(path("src"), src);
    std::string p = path("src");
    std::function<void()> shrink = [p] { ::truncate(p.c_str(), static_cast<off_t>(kMiB + kMiB / 2)); };
    std::size_t total = aio::run(copy_loop(path("src"), path("dst"), "wb", kMiB, &shrink));
    EXPECT_EQ(total, kMiB + kMiB / 2);
    EXPECT_TRUE(get(path("dst")) == src.substr(0, kMiB + kMiB / 2));
}

TEST_P(LargeWrites, ASourceThatGrowsWhileCopyingIsCopiedToItsNewEnd) {
    std::string src = pattern(2 * kMiB, 12), more = pattern(kMiB, 13);
    put(path("src"), src);
    std::string p = path("src");
    std::function<void()> grow = [p, &more] { std::ofstream(p, std::ios::binary | std::ios::app) << more; };
    std::size_t total = aio::run(copy_loop(path("src"), path("dst"), "wb", kMiB, &grow));
    EXPECT_EQ(total, src.size() + more.size());
    EXPECT_TRUE(get(path("dst")) == src + more);
}

TEST_P(LargeWrites, WritingAClosedOrReadOnlyFileIsATypedError) {
    put(path("ro"), "x");
    aio::run([&]() -> aio::Task<> {
        std::string big = pattern(kMiB, 14);
        auto f = co_await files::open(path("f"), "wb");
        co_await f.close();
        auto closed = co_await raises<aio::ValueError>(f.write(big));
        EXPECT_TRUE(closed.has_value());
        auto r = co_await files::open(path("ro"), "rb");
        auto ro = co_await raises<files::UnsupportedOperation>(r.write(big));
        EXPECT_TRUE(ro.has_value());
        co_await r.close();
    }());
    EXPECT_EQ(get(path("ro")), "x");
}

TEST_P(LargeWrites, AFullFileSystemIsReportedWithTheCount) {
    std::string mnt = path("small");
    ASSERT_EQ(::mkdir(mnt.c_str(), 0700), 0);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=512k") != 0)
        GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(errno) << ")";
    std::optional<int> code;
    std::optional<std::string> message;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(mnt + "/big", "wb");
        std::string chunk = pattern(kMiB, 15);
        try {
            co_await f.write(chunk);  // 1 MiB into 512 KiB: part of it fits
            co_await f.write(chunk);  // if the first did not report it, this one does
        } catch (const aio::OSError& e) {
            code = e.errno_code();
            message = e.what();
        }
        try {
            co_await f.close();
        } catch (const aio::OSError&) {
        }
    }());
    ::umount2(mnt.c_str(), MNT_DETACH);
    EXPECT_EQ(code, ENOSPC);
    ASSERT_TRUE(message.has_value());
    EXPECT_NE(message->find("bytes written"), std::string::npos) << *message;
}
