// Reading: read(n), read(), readinto, readline(size), readlines(hint), lines();
// text decoding (UTF-8 across buffer edges, newlines as Python's newline=None,
// errors="replace", latin-1, utf-8-sig) and block-buffered line reading.
// Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <fcntl.h>
#include <sys/ioctl.h>

#include <aio/detail/huge_pages.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <thread>
#include <utility>

#include "files/files_fixture.hpp"

using aio::test::FilesTest;
using aio::test::raises;
namespace files = aio::files;
using namespace std::chrono_literals;

class Reading : public FilesTest {};
AIO_FILES_BACKENDS(Reading);

namespace {

/// Whether the mapping holding `p` was advised for huge pages ("hg" among
/// its VmFlags in /proc/self/smaps).
bool advised_huge(const void* p) {
    std::FILE* f = std::fopen("/proc/self/smaps", "r");
    if (f == nullptr) return false;
    const auto addr = reinterpret_cast<std::uintptr_t>(p);
    char line[512];
    bool inside = false, advised = false;
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            inside = addr >= lo && addr < hi;
        } else if (inside && std::strncmp(line, "VmFlags:", 8) == 0) {
            advised = std::strstr(line, " hg") != nullptr;
            break;
        }
    }
    std::fclose(f);
    return advised;
}

/// Whether this kernel takes the advice (THP built in and not "never").
bool thp_available() {
    std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (f == nullptr) return false;
    char line[128] = {};
    const bool read = std::fgets(line, sizeof line, f) != nullptr;
    std::fclose(f);
    return read && std::strstr(line, "[never]") == nullptr;
}

constexpr std::uintptr_t kHugePage = std::uintptr_t(2) << 20;

/// The first 2 MiB-aligned address inside [p, ...).
const void* first_huge_page(const void* p) {
    return reinterpret_cast<const void*>((reinterpret_cast<std::uintptr_t>(p) + kHugePage - 1) & ~(kHugePage - 1));
}

std::string numbered_lines(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "line " + std::to_string(i) + "\n";
    return s;
}
}  // namespace

TEST_P(Reading, ReadNReturnsExactlyNBytesUntilTheEnd) {
    put(path("f"), "0123456789");
    aio::run([&]() -> aio::Task<> {
        for (int buffering : {-1, 0, 3, 64}) {
            files::OpenOptions opts13{.buffering = buffering};
            auto f = co_await files::open(path("f"), "rb", opts13);
            std::string a = co_await f.read(4);
            std::string b = co_await f.read(0);
            std::string c = co_await f.read(100);
            std::string d = co_await f.read(4);
            std::string e = co_await f.read();
            EXPECT_EQ(a, "0123") << buffering;
            EXPECT_EQ(b, "");
            EXPECT_EQ(c, "456789");
            EXPECT_EQ(d, "");
            EXPECT_EQ(e, "");
            co_await f.close();
        }
    }());
}

TEST_P(Reading, ReadAllOfLargeAndEmptyFiles) {
    std::string big(3'000'001, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
    put(path("big"), big);
    put(path("empty"), "");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("big"), "rb");
        std::string head = co_await f.read(10);
        std::string rest = co_await f.read();
        EXPECT_EQ(head + rest, big);
        co_await f.close();
        auto e = co_await files::open(path("empty"), "rb");
        std::string none = co_await e.read();
        EXPECT_EQ(none, "");
        co_await e.close();
        std::string whole = co_await files::read_bytes(path("big"));
        EXPECT_EQ(whole, big);
    }());
}

TEST_P(Reading, AFileThatGrewAfterOpeningIsReadToItsNewEnd) {
    put(path("f"), "abc");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "rb");
        std::ofstream(path("f"), std::ios::app) << std::string(200'000, 'd');
        std::string all = co_await f.read();
        EXPECT_EQ(all.size(), 200'003u);
        co_await f.close();
    }());
}

TEST_P(Reading, ReadIntoFillsTheCallersBuffer) {
    std::string data(500'000, 'q');
    data[0] = 'a';
    data.back() = 'z';
    put(path("f"), data);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "rb");
        std::vector<char> small(3), large(600'000);
        std::size_t n1 = co_await f.readinto(small);
        std::size_t n2 = co_await f.readinto(large);
        std::size_t n3 = co_await f.readinto(large);
        EXPECT_EQ(n1, 3u);
        EXPECT_EQ(std::string(small.data(), 3), data.substr(0, 3));
        EXPECT_EQ(n2, data.size() - 3);
        EXPECT_EQ(large[n2 - 1], 'z');
        EXPECT_EQ(n3, 0u);
        co_await f.close();
        auto t = co_await files::open(path("f"));
        auto err = co_await raises<files::UnsupportedOperation>(t.readinto(small));
        EXPECT_TRUE(err.has_value());
        co_await t.close();
    }());
}

TEST_P(Reading, ReadlineKeepsTheNewlineAndHonoursSize) {
    put(path("f"), "first\nsecond line\n\nno newline at end");
    aio::run([&]() -> aio::Task<> {
        for (std::string mode : {"r", "rb"}) {
            files::OpenOptions opts14{.buffering = mode == "rb" ? 4 : 8};
            auto f = co_await files::open(path("f"), mode, opts14);
            std::vector<std::string> got;
            got.push_back(co_await f.readline());
            got.push_back(co_await f.readline(3));
            got.push_back(co_await f.readline(100));
            got.push_back(co_await f.readline());
            got.push_back(co_await f.readline());
            got.push_back(co_await f.readline());
            std::vector<std::string> want{"first\n", "sec", "ond line\n", "\n", "no newline at end", ""};
            EXPECT_EQ(got, want) << mode;
            co_await f.close();
        }
    }());
}

TEST_P(Reading, UnbufferedBinaryReadsOneCallPerRead) {
    put(path("f"), "ab\ncd\n");
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts15{.buffering = 0};
        auto f = co_await files::open(path("f"), "rb", opts15);
        std::string l1 = co_await f.readline();
        std::string rest = co_await f.read(100);
        EXPECT_EQ(l1, "ab\n");
        EXPECT_EQ(rest, "cd\n");
        co_await f.close();
    }());
}

TEST_P(Reading, ReadlinesAndLinesGiveEveryLine) {
    std::string text = numbered_lines(1000);
    put(path("f"), text);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"));
        auto all = co_await f.readlines();
        EXPECT_EQ(all.size(), 1000u);
        EXPECT_EQ(all[999], "line 999\n");
        co_await f.seek(0);
        auto some = co_await f.readlines(20);  // stops once 20 characters were read
        EXPECT_EQ(some.size(), 3u);
        co_await f.seek(0);
        std::string joined;
        int count = 0;
        auto gen = f.lines();
        for (;;) {
            std::optional<std::string> line = co_await gen.next();
            if (!line) break;
            joined += *line;
            ++count;
        }
        EXPECT_EQ(count, 1000);
        EXPECT_EQ(joined, text);
        co_await f.close();
        auto b = co_await files::open(path("f"), "rb");
        int n = 0;
        co_await aio::for_each(b.lines(), [&](const std::string&) { ++n; });
        EXPECT_EQ(n, 1000);
        co_await b.close();
    }());
}

TEST_P(Reading, TextModeReadsEveryLineEndAsNewline) {
    put(path("f"), "a\r\nb\rc\nd\r\r\ne\r");
    aio::run([&]() -> aio::Task<> {
        for (int buffering : {-1, 2, 3}) {
            files::OpenOptions opts16{.buffering = buffering};
            auto f = co_await files::open(path("f"), "r", opts16);
            auto lines = co_await f.readlines();
            std::vector<std::string> want{"a\n", "b\n", "c\n", "d\n", "\n", "e\n"};
            EXPECT_EQ(lines, want) << buffering;
            co_await f.seek(0);
            std::string all = co_await f.read();
            EXPECT_EQ(all, "a\nb\nc\nd\n\ne\n");
            co_await f.seek(0);
            std::string three = co_await f.read(3);  // "\r\n" is one character
            EXPECT_EQ(three, "a\nb");
            co_await f.close();
        }
        auto b = co_await files::open(path("f"), "rb");
        std::string raw = co_await b.read();
        EXPECT_EQ(raw, "a\r\nb\rc\nd\r\r\ne\r");  // binary mode keeps them
        co_await b.close();
    }());
}

TEST_P(Reading, Utf8CharactersCutByBufferEdgesDecodeWhole) {
    std::string text;
    for (int i = 0; i < 300; ++i) text += "é€😀x\n";  // 2-, 3- and 4-byte characters
    put(path("f"), text);
    aio::run([&]() -> aio::Task<> {
        for (int buffering : {2, 3, 5, 7, -1}) {
            files::OpenOptions opts17{.buffering = buffering};
            auto f = co_await files::open(path("f"), "r", opts17);
            std::string first = co_await f.read(3);
            EXPECT_EQ(first, "é€😀") << buffering;
            std::string rest = co_await f.read();
            EXPECT_EQ(first + rest, text);
            co_await f.seek(0);
            std::string line = co_await f.readline(2);
            EXPECT_EQ(line, "é€");
            co_await f.close();
        }
    }());
}

TEST_P(Reading, InvalidUtf8IsAUnicodeDecodeErrorWithTheFileOffset) {
    std::string data = std::string(70'000, 'a') + "\n" + "ok\xff" + "\n";
    put(path("f"), data);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"));
        std::string first = co_await f.readline();
        EXPECT_EQ(first.size(), 70'001u);
        std::optional<std::size_t> offset;
        try {
            co_await f.readline();
        } catch (const aio::UnicodeDecodeError& e) {
            offset = e.offset();
            EXPECT_EQ(e.encoding(), "utf-8");
            EXPECT_NE(std::string(e.what()).find("invalid start byte"), std::string::npos) << e.what();
        }
        EXPECT_EQ(offset, 70'003u);
        co_await f.close();
        auto g = co_await files::open(path("f"));
        auto whole = co_await raises<aio::UnicodeDecodeError>(g.read());
        EXPECT_TRUE(whole.has_value());
        co_await g.close();
        auto cut = co_await files::open(path("cut"), "wb");
        co_await cut.write("ab\xe2\x82");  // a 3-byte character cut by the end of the file
        co_await cut.close();
        auto h = co_await files::open(path("cut"));
        auto end = co_await raises<aio::UnicodeDecodeError>(h.read());
        EXPECT_TRUE(end.has_value());
        if (end) {
            EXPECT_NE(end->find("unexpected end of data"), std::string::npos) << *end;
        }
        co_await h.close();
    }());
}

TEST_P(Reading, ErrorsReplaceGivesReplacementCharacters) {
    put(path("f"), "a\xff" "b\xe2\x82" "c\xed\xa0\x80" "d");
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts18{.errors = "replace"};
        auto f = co_await files::open(path("f"), "r", opts18);
        std::string s = co_await f.read();
        // One U+FFFD per maximal invalid subpart, as Python: \xe2\x82 is one, each byte of a surrogate is one.
        EXPECT_EQ(s, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "d");
        co_await f.close();
    }());
}

TEST_P(Reading, Latin1DecodesEveryByte) {
    put(path("f"), "caf\xe9 \xff\n");
    aio::run([&]() -> aio::Task<> {
        std::string s = co_await files::read_text(path("f"), "latin-1");
        EXPECT_EQ(s, "café ÿ\n");
    }());
}

TEST_P(Reading, Utf8SigSkipsTheBomAtTheStartOnly) {
    put(path("f"), "\xEF\xBB\xBFhello\n\xEF\xBB\xBF");
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts19{.encoding = "utf-8-sig"};
        auto f = co_await files::open(path("f"), "r", opts19);
        std::string line = co_await f.readline();
        std::string rest = co_await f.read();
        EXPECT_EQ(line, "hello\n");
        EXPECT_EQ(rest, "\xEF\xBB\xBF");  // U+FEFF elsewhere is text
        co_await f.seek(0);
        std::string again = co_await f.read(5);
        EXPECT_EQ(again, "hello");
        co_await f.close();
        std::string plain = co_await files::read_text(path("f"));
        EXPECT_EQ(plain.substr(0, 3), "\xEF\xBB\xBF");  // utf-8 keeps the BOM, as Python
    }());
}

TEST_P(Reading, TellAndSeekInTextModeUseByteOffsets) {
    put(path("f"), "é\r\nabc\n");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"));
        std::string line = co_await f.readline();
        std::int64_t after = co_await f.tell();
        EXPECT_EQ(line, "é\n");
        EXPECT_EQ(after, 4);
        std::string abc = co_await f.readline();
        co_await f.seek(after);
        std::string again = co_await f.readline();
        EXPECT_EQ(abc, again);
        auto cur = co_await raises<files::UnsupportedOperation>(f.seek(1, SEEK_CUR));
        EXPECT_EQ(cur, "can't do nonzero cur-relative seeks");
        auto end = co_await raises<files::UnsupportedOperation>(f.seek(-1, SEEK_END));
        EXPECT_EQ(end, "can't do nonzero end-relative seeks");
        std::int64_t at_end = co_await f.seek(0, SEEK_END);
        EXPECT_EQ(at_end, 8);
        co_await f.close();
    }());
}

TEST_P(Reading, LineIterationReadsABufferAtATime) {
    // The thread-pool path makes one read(2)/pread(2) per kernel round trip:
    // /proc/self/io counts them. 20,000 lines in 3 buffers must not take 20,000 reads.
    if (GetParam() != "threads") GTEST_SKIP() << "read system calls are counted on the thread-pool path";
    std::string text = numbered_lines(20'000);  // ~210 KB
    put(path("f"), text);
    auto syscr = [] {
        std::ifstream io("/proc/self/io");
        std::string key;
        long long v = 0;
        while (io >> key >> v)
            if (key == "syscr:") return v;
        return -1LL;
    };
    long long reads = 0;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "r");
        long long before = syscr();
        int n = 0;
        auto gen = f.lines();
        for (;;) {
            std::optional<std::string> line = co_await gen.next();
            if (!line) break;
            ++n;
        }
        reads = syscr() - before;
        EXPECT_EQ(n, 20'000);
        co_await f.close();
    }());
    EXPECT_LE(reads, 40) << "line iteration must read a buffer at a time";
}

TEST_P(Reading, NonSeekableFilesReadSequentially) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::string fifo = "/dev/fd/" + std::to_string(fds[0]);
    ASSERT_EQ(::write(fds[1], "pipe data\nmore", 14), 14);
    ::close(fds[1]);
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(fifo, "rb");
        EXPECT_FALSE(f.seekable());
        std::string line = co_await f.readline();
        std::string rest = co_await f.read();
        EXPECT_EQ(line, "pipe data\n");
        EXPECT_EQ(rest, "more");
        auto tell = co_await raises<aio::OSError>(f.tell());
        EXPECT_TRUE(tell.has_value());
        co_await f.close();
    }());
    ::close(fds[0]);
}

namespace {

/// A pipe whose write end the test keeps: a read of it waits for bytes, so it
/// can be cancelled after it has taken some.
struct HeldPipe {
    int r = -1;
    int w = -1;
    HeldPipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) == 0) {
            r = fds[0];
            w = fds[1];
        }
    }
    ~HeldPipe() {
        close_write();
        if (r >= 0) ::close(r);
    }
    bool put(std::string_view s) const { return ::write(w, s.data(), s.size()) == static_cast<ssize_t>(s.size()); }
    void close_write() {
        if (w >= 0) ::close(std::exchange(w, -1));
    }
    int queued() const {
        int n = 0;
        ::ioctl(r, FIONREAD, &n);
        return n;
    }
    std::string path() const { return "/dev/fd/" + std::to_string(r); }
};

struct ReadCase {
    const char* name;
    const char* mode;
    std::function<aio::Task<std::string>(files::File&)> read;
};

std::string joined(const std::vector<std::string>& lines) {
    std::string all;
    for (const auto& l : lines) all += l;
    return all;
}

}  // namespace

// A read that needs several operations is cancelled after it has taken the
// first bytes of a pipe (the race: the first operation's result is delivered
// and the cancellation hits the next one). Whatever the read returned plus
// what the next read returns must be every byte, in order.
TEST_P(Reading, ACancelledReadGivesBackWhatItTook) {
    const std::string first = "abcd", second = "ef\ngh\n";
    std::vector<ReadCase> cases = {
        {"read(n)", "rb", [](files::File& f) { return f.read(20); }},
        {"read()", "rb", [](files::File& f) { return f.read(); }},
        {"readinto", "rb",
         [](files::File& f) -> aio::Task<std::string> {
             std::string buf(20, '\0');
             std::size_t n = co_await f.readinto(buf);
             buf.resize(n);
             co_return buf;
         }},
        {"readline", "rb", [](files::File& f) { return f.readline(); }},
        {"readlines", "rb",
         [](files::File& f) -> aio::Task<std::string> {
             auto lines = co_await f.readlines();
             co_return joined(lines);
         }},
        {"text read(n)", "r", [](files::File& f) { return f.read(20); }},
        {"text read()", "r", [](files::File& f) { return f.read(); }},
        {"text readline", "r", [](files::File& f) { return f.readline(); }},
        {"text readline(size)", "r", [](files::File& f) { return f.readline(15); }},
        {"text readlines", "r",
         [](files::File& f) -> aio::Task<std::string> {
             auto lines = co_await f.readlines();
             co_return joined(lines);
         }},
    };
    for (const ReadCase& c : cases) {
        for (int buffering : {-1, 3}) {
            if (buffering == 3 && std::string(c.mode) == "r") continue;  // text files keep a larger buffer
            HeldPipe pipe;
            ASSERT_GE(pipe.r, 0);
            std::string got, rest;
            bool cancelled = false;
            aio::run([&]() -> aio::Task<> {
                files::OpenOptions opts{.buffering = buffering};
                auto f = co_await files::open(pipe.path(), c.mode, opts);
                EXPECT_TRUE(pipe.put(first));
                auto reading = aio::create_task(c.read(f));
                for (int i = 0; i < 10'000 && pipe.queued() > 0; ++i) co_await aio::sleep(1ms);
                co_await aio::sleep(1ms);  // the read has taken "abcd" and waits for more
                reading.cancel();
                EXPECT_TRUE(pipe.put(second));
                // EOF too: a pool worker already blocked in read() cannot be
                // withdrawn, and a read that wants more than is sent would
                // otherwise wait for ever on the open write end.
                pipe.close_write();
                try {
                    got = co_await reading;
                } catch (const aio::CancelledError&) {
                    cancelled = true;
                }
                rest = co_await f.read();
                co_await f.close();
            }());
            EXPECT_EQ(got + rest, first + second)
                << c.name << " buffering=" << buffering << (cancelled ? " (cancelled)" : " (finished)");
        }
    }
}

// The same for a failure: a text readlines() whose third line is not UTF-8
// throws, and the two good lines are still there to read.
TEST_P(Reading, AFailedReadlinesTakesNothing) {
    put(path("f"), "one\ntwo\nbad \xff\nfour\n");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "r");
        auto failed = co_await raises<aio::UnicodeDecodeError>(f.readlines());
        EXPECT_TRUE(failed.has_value());
        std::int64_t at = co_await f.tell();
        EXPECT_EQ(at, 0);
        std::string line1 = co_await f.readline();
        std::string line2 = co_await f.readline();
        EXPECT_EQ(line1, "one\n");
        EXPECT_EQ(line2, "two\n");
        co_await f.close();
    }());
}

// read(n) with n far beyond the data returns the data: it allocates for what
// the file holds, not for n (read(INT64_MAX) threw std::bad_alloc). Buffered,
// unbuffered, text, and a pipe, whose size is not known.
TEST_P(Reading, ReadOfFarMoreThanTheFileHoldsReturnsWhatItHolds) {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    put(path("f"), "line1\nline2\n");
    aio::run([&]() -> aio::Task<> {
        for (int buffering : {-1, 0}) {
            files::OpenOptions opts{.buffering = buffering};
            auto f = co_await files::open(path("f"), "rb", opts);
            std::string head = co_await f.read(2);
            std::string rest = co_await f.read(kMax);
            std::string after = co_await f.read(kMax);
            EXPECT_EQ(head + rest, "line1\nline2\n") << buffering;
            EXPECT_EQ(after, "");
            co_await f.close();
        }
        auto t = co_await files::open(path("f"), "r");
        std::string text = co_await t.read(kMax);
        EXPECT_EQ(text, "line1\nline2\n");
        co_await t.close();
    }());
    HeldPipe pipe;
    ASSERT_TRUE(pipe.put("from a pipe"));
    pipe.close_write();
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(pipe.path(), "rb");
        std::string all = co_await f.read(kMax);
        EXPECT_EQ(all, "from a pipe");
        co_await f.close();
    }());
}

// A pipe read to its end arrives a pipe buffer (64 KiB) at a time: megabytes
// of it, fed by a writer thread, come back whole and in order, by read(),
// read(n) and text read().
TEST_P(Reading, MegabytesOfAPipeReadWhole) {
    std::string data(6 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + (i * 31 + i / 4096) % 26);
    for (const char* how : {"read()", "read(n)", "text read()"}) {
        HeldPipe pipe;
        std::thread writer([&] {
            for (std::size_t at = 0; at < data.size(); at += 100'000) {
                if (!pipe.put(std::string_view(data).substr(at, 100'000))) break;
            }
            pipe.close_write();
        });
        std::string got;
        aio::run([&]() -> aio::Task<> {
            std::string h = how;
            auto f = co_await files::open(pipe.path(), h == "text read()" ? "r" : "rb");
            if (h == "read(n)") {
                got = co_await f.read(static_cast<std::int64_t>(data.size()) + 1000);
            } else {
                got = co_await f.read();
            }
            co_await f.close();
        }());
        writer.join();
        EXPECT_EQ(got.size(), data.size()) << how;
        EXPECT_TRUE(got == data) << how;
        // read() of a size nobody knows fills its result once, on huge pages
        // where the kernel has them: one fault per 2 MiB instead of 512.
        if (std::string_view(how) == "read()" && thp_available()) {
            EXPECT_TRUE(advised_huge(first_huge_page(got.data()))) << how;
        }
    }
}

TEST(HugePages, TheWholeAlignedPagesOfALargeBufferAreAdvisedAndNothingElse) {
    if (!thp_available()) GTEST_SKIP() << "transparent huge pages are off on this kernel";
    // A range without a whole aligned huge page, and an empty one: left alone.
    aio::detail::advise_huge_pages(nullptr, 0);
    std::vector<char> small(kHugePage - 1, 'x');
    aio::detail::advise_huge_pages(small.data(), small.size());
    EXPECT_EQ(std::count(small.begin(), small.end(), 'x'), static_cast<std::ptrdiff_t>(small.size()));
    // A large one: its aligned interior is advised; the bytes stay as written.
    std::vector<char> large(3 * kHugePage, 'y');
    aio::detail::advise_huge_pages(large.data(), large.size());
    EXPECT_TRUE(advised_huge(first_huge_page(large.data())));
    EXPECT_EQ(std::count(large.begin(), large.end(), 'y'), static_cast<std::ptrdiff_t>(large.size()));
}
