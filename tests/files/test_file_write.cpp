// Writing: write, writelines, buffering (block, line, none), flush, seek/tell
// after writes, truncate, fsync, encodings, and a full disk (ENOSPC) reported
// with how much was written. Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>
#include <limits>

#include "files/files_fixture.hpp"

using aio::test::FilesTest;
using aio::test::raises;
namespace files = aio::files;

class Writing : public FilesTest {};
AIO_FILES_BACKENDS(Writing);

TEST_P(Writing, WriteReturnsBytesOrCharactersAndKeepsEverything) {
    aio::run([&]() -> aio::Task<> {
        auto b = co_await files::open(path("b"), "wb");
        std::size_t nb = co_await b.write("héllo");
        EXPECT_EQ(nb, 6u);  // bytes
        co_await b.close();
        auto t = co_await files::open(path("t"), "w");
        std::size_t nt = co_await t.write("héllo😀\n");
        EXPECT_EQ(nt, 7u);  // characters
        std::vector<std::string> lines{"a\n", "b", "c\n"};
        co_await t.writelines(lines);
        co_await t.close();
    }());
    EXPECT_EQ(get(path("b")), "héllo");
    EXPECT_EQ(get(path("t")), "héllo😀\na\nbc\n");
}

TEST_P(Writing, BufferedDataReachesTheFileOnFlush) {
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "w");
        co_await f.write("pending");
        EXPECT_EQ(get(path("f")), "");  // still in the buffer
        co_await f.flush();
        EXPECT_EQ(get(path("f")), "pending");
        co_await f.close();
    }());
}

TEST_P(Writing, LargeWritesAndSmallBuffersKeepOrder) {
    std::string want;
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts1{.buffering = 16};
        auto f = co_await files::open(path("f"), "wb", opts1);
        for (int i = 0; i < 200; ++i) {
            std::string piece(static_cast<std::size_t>(i % 37), static_cast<char>('a' + i % 26));
            want += piece;
            co_await f.write(piece);
        }
        std::string big(3 << 20, 'Z');
        want += big;
        co_await f.write(big);
        co_await f.close();
    }());
    EXPECT_EQ(get(path("f")), want);
}

TEST_P(Writing, UnbufferedWritesGoStraightToTheKernel) {
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts2{.buffering = 0};
        auto f = co_await files::open(path("f"), "wb", opts2);
        co_await f.write("now");
        EXPECT_EQ(get(path("f")), "now");
        co_await f.close();
    }());
}

TEST_P(Writing, LineBufferingFlushesAtEachLineEnd) {
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts3{.buffering = 1};
        auto f = co_await files::open(path("f"), "w", opts3);
        co_await f.write("partial");
        EXPECT_EQ(get(path("f")), "");
        co_await f.write(" line\n");
        EXPECT_EQ(get(path("f")), "partial line\n");
        co_await f.close();
    }());
}

TEST_P(Writing, SeekTellAndOverwrite) {
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "w+b");
        co_await f.write("0123456789");
        std::int64_t t1 = co_await f.tell();
        EXPECT_EQ(t1, 10);
        std::int64_t p = co_await f.seek(-3, SEEK_END);
        EXPECT_EQ(p, 7);
        co_await f.write("xy");
        std::int64_t t2 = co_await f.tell();
        EXPECT_EQ(t2, 9);
        std::int64_t back = co_await f.seek(-9, SEEK_CUR);
        EXPECT_EQ(back, 0);
        std::string all = co_await f.read();
        EXPECT_EQ(all, "0123456xy9");
        std::int64_t far = co_await f.seek(20);
        EXPECT_EQ(far, 20);
        co_await f.write("!");  // past the end: a hole of zeros
        auto neg = co_await raises<aio::ValueError>(f.seek(-1));
        EXPECT_EQ(neg, "negative seek position -1");
        auto whence = co_await raises<aio::ValueError>(f.seek(0, 7));
        EXPECT_TRUE(whence.has_value());
        auto before_start = co_await raises<aio::OSError>(f.seek(-100, SEEK_CUR));
        EXPECT_TRUE(before_start.has_value());
        co_await f.close();
    }());
    EXPECT_EQ(get(path("f")), std::string("0123456xy9") + std::string(10, '\0') + "!");
}

TEST_P(Writing, TruncateCutsAtThePositionOrASize) {
    put(path("f"), "0123456789");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "r+b");
        std::string head = co_await f.read(4);
        EXPECT_EQ(head, "0123");
        std::int64_t n = co_await f.truncate();
        EXPECT_EQ(n, 4);
        std::int64_t pos = co_await f.tell();
        EXPECT_EQ(pos, 4);  // the position does not move
        std::int64_t m = co_await f.truncate(8);  // extends with zeros
        EXPECT_EQ(m, 8);
        co_await f.close();
        auto r = co_await files::open(path("f"), "rb");
        auto err = co_await raises<files::UnsupportedOperation>(r.truncate(1));
        EXPECT_TRUE(err.has_value());
        co_await r.close();
    }());
    EXPECT_EQ(get(path("f")), std::string("0123") + std::string(4, '\0'));
}

TEST_P(Writing, FsyncAndFdatasyncFlushFirst) {
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "w");
        co_await f.write("durable");
        co_await f.fsync();
        EXPECT_EQ(get(path("f")), "durable");
        co_await f.write(" too");
        co_await files::os::fdatasync(f);
        EXPECT_EQ(get(path("f")), "durable too");
        co_await files::os::fsync(f);
        co_await files::os::fsync(f.fileno());
        co_await f.close();
        auto bad = co_await raises<aio::OSError>(files::os::fsync(-1));
        EXPECT_TRUE(bad.has_value());
    }());
}

TEST_P(Writing, TextEncodings) {
    aio::run([&]() -> aio::Task<> {
        std::size_t n = co_await files::write_text(path("latin"), "café\n", "latin-1");
        EXPECT_EQ(n, 5u);
        auto err = co_await raises<aio::ValueError>(files::write_text(path("bad"), "€", "latin-1"));
        EXPECT_TRUE(err.has_value());
        if (err) {
            EXPECT_NE(err->find("ordinal not in range(256)"), std::string::npos) << *err;
        }
        co_await files::write_text(path("replaced"), "a€b", "latin-1", "replace");
        auto invalid = co_await raises<aio::ValueError>(files::write_text(path("invalid"), "a\xff", ""));
        EXPECT_TRUE(invalid.has_value());
        files::OpenOptions opts4{.encoding = "utf-8-sig"};
        auto sig = co_await files::open(path("sig"), "w", opts4);
        co_await sig.write("x");
        co_await sig.write("y");  // one BOM, at the start
        co_await sig.close();
    }());
    EXPECT_EQ(get(path("latin")), "caf\xe9\n");
    EXPECT_EQ(get(path("replaced")), "a?b");
    EXPECT_EQ(get(path("sig")), "\xEF\xBB\xBFxy");
}

TEST_P(Writing, WholeFileHelpersRoundTrip) {
    aio::run([&]() -> aio::Task<> {
        std::size_t nb = co_await files::write_bytes(path("b"), std::string("\0\1\2", 3));
        EXPECT_EQ(nb, 3u);
        std::string b = co_await files::read_bytes(path("b"));
        EXPECT_EQ(b, std::string("\0\1\2", 3));
        co_await files::write_text(path("t"), "x\r\ny\n");
        std::string t = co_await files::read_text(path("t"));
        EXPECT_EQ(t, "x\ny\n");  // written as is, read with universal newlines
    }());
}

TEST_P(Writing, AFullDeviceIsENOSPC) {
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open("/dev/full", "wb");
        co_await f.write("buffered");
        std::optional<int> code;
        try {
            co_await f.flush();
        } catch (const aio::OSError& e) {
            code = e.errno_code();
            EXPECT_EQ(e.filename(), "/dev/full");
        }
        EXPECT_EQ(code, ENOSPC);
        auto on_close = co_await raises<aio::OSError>(f.close());  // the flush fails again; the fd is closed anyway
        EXPECT_TRUE(on_close.has_value());
        EXPECT_TRUE(f.closed());
    }());
}

TEST_P(Writing, AFullFileSystemReportsHowMuchWasWritten) {
    std::string mnt = path("small");
    ASSERT_EQ(::mkdir(mnt.c_str(), 0700), 0);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0)
        GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(errno) << "); /dev/full covers ENOSPC";
    std::optional<std::string> message;
    std::optional<int> code;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(mnt + "/big", "wb");
        std::string data(256 * 1024, 'x');
        try {
            co_await f.write(data);  // larger than the buffer: written at once, and only in part
        } catch (const aio::OSError& e) {
            code = e.errno_code();
            message = e.what();
        }
        co_await f.close();
    }());
    ::umount2(mnt.c_str(), MNT_DETACH);
    EXPECT_EQ(code, ENOSPC);
    ASSERT_TRUE(message.has_value());
    EXPECT_NE(message->find("bytes written"), std::string::npos) << *message;
    EXPECT_NE(message->find("No space left on device"), std::string::npos) << *message;
}

// Positions at the edge of int64: a seek or a write that would pass INT64_MAX
// is an OSError, as the kernel's answer, and the position never wraps (UBSan
// reported the signed overflow of both before they were checked).
TEST_P(Writing, PositionsPastTheLargestOffsetAreRefusedNotWrapped) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    put(path("f"), "0123456789");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "r+b");
        std::int64_t far = co_await f.seek(kMax);
        EXPECT_EQ(far, kMax);
        auto past = co_await raises<aio::OSError>(f.seek(kMax, SEEK_CUR));
        EXPECT_NE(past.value_or("").find("[Errno 22]"), std::string::npos) << past.value_or("no error");
        auto before = co_await raises<aio::OSError>(f.seek(std::numeric_limits<std::int64_t>::min(), SEEK_CUR));
        EXPECT_TRUE(before.has_value());
        std::int64_t near = co_await f.seek(kMax - 1);
        EXPECT_EQ(near, kMax - 1);
        auto too_large = co_await raises<aio::OSError>(f.write("xyz"));
        EXPECT_NE(too_large.value_or("").find("[Errno 27]"), std::string::npos) << too_large.value_or("no error");
        std::int64_t still = co_await f.tell();
        EXPECT_EQ(still, kMax - 1);  // nothing of the refused write was buffered
        co_await f.close();
    }());
    EXPECT_EQ(get(path("f")), "0123456789");
}

// Append mode writes at the end wherever seek() left the position, as
// O_APPEND does: even a position at INT64_MAX is no overflow.
TEST_P(Writing, AppendModeWritesAtTheEndAfterAnySeek) {
    put(path("f"), "head");
    aio::run([&]() -> aio::Task<> {
        for (const char* mode : {"ab", "a+b", "a"}) {
            auto f = co_await files::open(path("f"), mode);
            co_await f.seek(std::numeric_limits<std::int64_t>::max());
            co_await f.write(std::string(",") + mode);
            std::int64_t end = co_await f.tell();
            EXPECT_EQ(end, static_cast<std::int64_t>(get(path("f")).size())) << mode;
            co_await f.close();
        }
    }());
    EXPECT_EQ(get(path("f")), "head,ab,a+b,a");
}
