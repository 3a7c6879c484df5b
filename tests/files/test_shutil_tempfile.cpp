// aio::files::shutil (copyfile, copy2, copytree, rmtree) and
// aio::files::tempfile (NamedTemporaryFile, TemporaryDirectory).
// Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <optional>

#include <aio/files/shutil.hpp>
#include <aio/sleep.hpp>

#include "files/files_fixture.hpp"

using aio::test::FilesTest;
using aio::test::raises;
namespace files = aio::files;
namespace shutil = aio::files::shutil;
namespace tempfile = aio::files::tempfile;

class Shutil : public FilesTest {};
AIO_FILES_BACKENDS(Shutil);

TEST_P(Shutil, CopyfileCopiesContentsOnly) {
    std::string data(5'000'000, 'c');
    data[123] = 'x';
    put(path("src"), data);
    ::chmod(path("src").c_str(), 0604);
    aio::run([&]() -> aio::Task<> {
        auto dst = co_await shutil::copyfile(path("src"), path("dst"));
        EXPECT_EQ(dst, path("dst"));
        auto same = co_await raises<aio::OSError>(shutil::copyfile(path("src"), path("src")));
        EXPECT_TRUE(same.has_value());
        if (same) {
            EXPECT_NE(same->find("are the same file"), std::string::npos) << *same;
        }
        auto on_dir = co_await raises<aio::IsADirectoryError>(shutil::copyfile(dir(), path("d2")));
        EXPECT_TRUE(on_dir.has_value());
        auto missing = co_await raises<aio::FileNotFoundError>(shutil::copyfile(path("none"), path("d3")));
        EXPECT_TRUE(missing.has_value());
        co_await shutil::copy2(path("src"), path("dst2"));
    }());
    EXPECT_EQ(get(path("dst")), data);
    struct stat a {}, b {}, c {};
    ::stat(path("src").c_str(), &a);
    ::stat(path("dst").c_str(), &b);
    ::stat(path("dst2").c_str(), &c);
    EXPECT_EQ(c.st_mode & 0777, 0604u);  // copy2 copies the mode...
    EXPECT_EQ(c.st_mtim.tv_sec, a.st_mtim.tv_sec);  // ...and the times
    EXPECT_EQ(get(path("dst2")), data);
}

TEST_P(Shutil, CopyfileobjCopiesTheRestOfOneFileIntoAnother) {
    std::string data(3 * 1024 * 1024 + 12345, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) >> 3);
    std::string small = data.substr(0, 3001);
    put(path("src"), data);
    put(path("small"), small);
    std::int64_t copied[5] = {};
    aio::run([&]() -> aio::Task<> {
        // From src's position to its end, to dst's position; each length.
        const std::int64_t lengths[] = {0, 7777, -1};
        for (int i = 0; i < 3; ++i) {
            auto src = co_await files::open(path("src"), "rb");
            co_await src.seek(100);
            auto dst = co_await files::open(path("dst" + std::to_string(i)), "wb");
            co_await dst.write("HEAD");
            copied[i] = co_await shutil::copyfileobj(src, dst, lengths[i]);
            co_await src.close();
            co_await dst.close();
        }
        // Tiny chunks: many rounds, the same bytes.
        auto src = co_await files::open(path("small"), "rb");
        auto dst = co_await files::open(path("small.copy"), "wb");
        copied[3] = co_await shutil::copyfileobj(src, dst, 3);
        // At the end already: nothing more.
        copied[4] = co_await shutil::copyfileobj(src, dst);
        co_await src.close();
        co_await dst.close();
    }());
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(copied[i], static_cast<std::int64_t>(data.size() - 100)) << i;
        EXPECT_TRUE(get(path("dst" + std::to_string(i))) == "HEAD" + data.substr(100)) << i;
    }
    EXPECT_EQ(copied[3], 3001);
    EXPECT_EQ(copied[4], 0);
    EXPECT_TRUE(get(path("small.copy")) == small);
}

TEST_P(Shutil, CopyfileobjCopiesTextInCharacters) {
    std::string line = "h\u00e9llo w\u00f6rld \u2713\n";  // 14 characters, 18 bytes
    std::string text;
    for (int i = 0; i < 500; ++i) text += line;
    put(path("t.txt"), text);
    std::int64_t copied = 0;
    aio::run([&]() -> aio::Task<> {
        auto src = co_await files::open(path("t.txt"), "r");
        auto dst = co_await files::open(path("t.copy"), "w");
        copied = co_await shutil::copyfileobj(src, dst, 7);
        co_await src.close();
        co_await dst.close();
    }());
    EXPECT_EQ(copied, 500 * 14);
    EXPECT_EQ(get(path("t.copy")), text);
}

TEST_P(Shutil, CopyfileobjReportsTheFilesErrors) {
    put(path("src"), std::string(300'000, 's'));
    aio::run([&]() -> aio::Task<> {
        auto src = co_await files::open(path("src"), "rb");
        auto out = co_await files::open(path("out"), "wb");
        auto not_readable = co_await raises<files::UnsupportedOperation>(shutil::copyfileobj(out, out));
        EXPECT_TRUE(not_readable.has_value());
        auto not_writable = co_await raises<files::UnsupportedOperation>(shutil::copyfileobj(src, src));
        EXPECT_TRUE(not_writable.has_value());
        // A device that takes nothing: the write's OSError (ENOSPC), after some rounds.
        auto full = co_await files::open("/dev/full", "wb");
        auto no_space = co_await raises<aio::OSError>(shutil::copyfileobj(src, full, 65536));
        EXPECT_TRUE(no_space.has_value());
        if (no_space) {
            EXPECT_NE(no_space->find("No space left"), std::string::npos) << *no_space;
        }
        // 64 KiB chunks go through the file's 128 KiB buffer: what the device
        // refused stays there, as with Python's BufferedWriter, so closing
        // tries it again, fails again, and still closes the descriptor.
        auto at_close = co_await raises<aio::OSError>(full.close());
        EXPECT_TRUE(at_close.has_value());
        EXPECT_TRUE(full.closed());
        co_await src.close();
        auto closed = co_await raises<aio::ValueError>(shutil::copyfileobj(src, out));
        EXPECT_TRUE(closed.has_value());
        co_await out.close();
    }());
}

/// Lets a scheduled copy run two turns of the loop, cancels it and waits
/// for it: whether it ended in CancelledError.
static aio::Task<bool> cancelled_after_two_turns(aio::Task<std::int64_t> copy) {
    co_await aio::sleep(std::chrono::seconds(0));
    co_await aio::sleep(std::chrono::seconds(0));
    copy.cancel();
    try {
        co_await copy;
    } catch (const aio::CancelledError&) {
        co_return true;
    }
    co_return false;
}

TEST_P(Shutil, CancellingCopyfileobjWaitsForItsReadAndWrite) {
    // Under the size copied by lanes (see the test after it): chunk by chunk.
    std::string data(7 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131);
    put(path("src"), data);
    bool cancelled = false;
    aio::run([&]() -> aio::Task<> {
        auto src = co_await files::open(path("src"), "rb");
        auto dst = co_await files::open(path("dst"), "wb");
        cancelled = co_await cancelled_after_two_turns(aio::create_task(shutil::copyfileobj(src, dst, 64 * 1024)));
        // Nothing runs on the files any more: they take new operations and close.
        auto pos = co_await dst.tell();
        EXPECT_GE(pos, 0);
        co_await src.close();
        co_await dst.close();
    }());
    EXPECT_TRUE(cancelled);
    std::string copied = get(path("dst"));
    EXPECT_LT(copied.size(), data.size());
    EXPECT_TRUE(data.compare(0, copied.size(), copied) == 0);  // a prefix, byte for byte
}

/// `n` bytes that differ from chunk to chunk and from place to place, so
/// that a chunk written at the wrong offset shows.
static std::string patterned(std::size_t n) {
    std::string data(n, '\0');
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
    return data;
}

TEST_P(Shutil, CopyfileobjCopiesLargeFilesInLanesAsASequentialCopyWould) {
    // 8 MiB and more between binary regular files goes by lanes; the same
    // bytes, count and positions as a copy chunk by chunk, whatever the
    // chunk, the source's offset or what the destination held first.
    const std::string data = patterned(20 * 1024 * 1024 + 12345);
    put(path("src"), data);
    put(path("old"), std::string(30 * 1024 * 1024, 'o'));  // longer than the copy: the rest stays
    std::int64_t copied[3] = {};
    std::int64_t src_pos[3] = {}, dst_pos[3] = {};
    aio::run([&]() -> aio::Task<> {
        const std::int64_t lengths[] = {0, 7777, 3 * 1024 * 1024};
        for (int i = 0; i < 3; ++i) {
            auto src = co_await files::open(path("src"), "rb");
            co_await src.seek(100);
            auto dst = co_await files::open(path("dst" + std::to_string(i)), "wb");
            co_await dst.write("HEAD");  // buffered: it goes out first
            copied[i] = co_await shutil::copyfileobj(src, dst, lengths[i]);
            src_pos[i] = co_await src.tell();
            dst_pos[i] = co_await dst.tell();
            co_await dst.write("TAIL");  // after the copy, where a sequential copy would leave it
            co_await src.close();
            co_await dst.close();
        }
        auto src = co_await files::open(path("src"), "rb");
        auto dst = co_await files::open(path("old"), "r+b");
        co_await dst.seek(5);
        co_await shutil::copyfileobj(src, dst);
        co_await src.close();
        co_await dst.close();
    }());
    const auto whole = static_cast<std::int64_t>(data.size());
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(copied[i], whole - 100) << i;
        EXPECT_EQ(src_pos[i], whole) << i;
        EXPECT_EQ(dst_pos[i], whole - 100 + 4) << i;
        EXPECT_TRUE(get(path("dst" + std::to_string(i))) == "HEAD" + data.substr(100) + "TAIL") << i;
    }
    std::string old = get(path("old"));
    ASSERT_EQ(old.size(), 30u * 1024 * 1024);
    EXPECT_TRUE(old.compare(0, 5, "ooooo") == 0);
    EXPECT_TRUE(old.compare(5, data.size(), data) == 0);
    EXPECT_EQ(old.find_first_not_of('o', 5 + data.size()), std::string::npos);
}

TEST_P(Shutil, CopyfileobjCopiesInOrderWhereLanesDoNotFit) {
    // A destination in append mode (a positional write would append) and a
    // source with bytes already buffered go chunk by chunk: same result.
    const std::string data = patterned(9 * 1024 * 1024 + 7);
    put(path("src"), data);
    put(path("app"), "START");
    std::int64_t copied[2] = {};
    std::string first;
    aio::run([&]() -> aio::Task<> {
        auto src = co_await files::open(path("src"), "rb");
        auto app = co_await files::open(path("app"), "ab");
        copied[0] = co_await shutil::copyfileobj(src, app);
        co_await app.close();
        co_await src.seek(0);
        first = co_await src.read(10);  // the file's buffer now holds more than these
        auto dst = co_await files::open(path("dst"), "wb");
        copied[1] = co_await shutil::copyfileobj(src, dst);
        co_await dst.close();
        co_await src.close();
    }());
    EXPECT_EQ(copied[0], static_cast<std::int64_t>(data.size()));
    EXPECT_TRUE(get(path("app")) == "START" + data);
    EXPECT_EQ(first, data.substr(0, 10));
    EXPECT_EQ(copied[1], static_cast<std::int64_t>(data.size() - 10));
    EXPECT_TRUE(get(path("dst")) == data.substr(10));
}

TEST_P(Shutil, CancellingCopyfileobjInLanesLeavesACleanPrefix) {
    const std::string data = patterned(48 * 1024 * 1024);
    put(path("src"), data);
    bool cancelled = false;
    std::int64_t src_pos = -1, dst_pos = -1;
    aio::run([&]() -> aio::Task<> {
        auto src = co_await files::open(path("src"), "rb");
        auto dst = co_await files::open(path("dst"), "wb");
        cancelled = co_await cancelled_after_two_turns(aio::create_task(shutil::copyfileobj(src, dst)));
        src_pos = co_await src.tell();
        dst_pos = co_await dst.tell();
        co_await src.close();
        co_await dst.close();
    }());
    EXPECT_TRUE(cancelled);
    // Both files stand where the whole spans end, and the destination holds
    // that much of the source: nothing a lane wrote beyond, no hole.
    EXPECT_EQ(src_pos, dst_pos);
    EXPECT_LT(dst_pos, static_cast<std::int64_t>(data.size()));
    std::string copied = get(path("dst"));
    EXPECT_EQ(static_cast<std::int64_t>(copied.size()), dst_pos);
    EXPECT_TRUE(data.compare(0, copied.size(), copied) == 0);
}

/// Lowers the file size limit (RLIMIT_FSIZE) for its life, SIGXFSZ ignored,
/// so that every write past `bytes` fails with EFBIG. lowered() is false
/// when the hard limit is lower already.
class FileSizeLimit {
public:
    explicit FileSizeLimit(std::int64_t bytes) {
        if (::getrlimit(RLIMIT_FSIZE, &old_) != 0) return;
        if (old_.rlim_max != RLIM_INFINITY && old_.rlim_max < static_cast<rlim_t>(bytes)) return;
        handler_ = ::signal(SIGXFSZ, SIG_IGN);
        rlimit lower = old_;
        lower.rlim_cur = static_cast<rlim_t>(bytes);
        lowered_ = ::setrlimit(RLIMIT_FSIZE, &lower) == 0;
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    ~FileSizeLimit() {
        if (lowered_) ::setrlimit(RLIMIT_FSIZE, &old_);
        if (handler_ != SIG_ERR) ::signal(SIGXFSZ, handler_);
    }
    bool lowered() const noexcept { return lowered_; }

private:
    rlimit old_ {};
    sighandler_t handler_ = SIG_ERR;
    bool lowered_ = false;
};

TEST_P(Shutil, CopyfileobjInLanesReportsAFailedWriteAndStopsThere) {
    // A file size limit makes every write past 20 MiB fail with EFBIG: the
    // OSError names the destination, and both files stand at the limit, the
    // bytes before it copied.
    const std::string data = patterned(48 * 1024 * 1024);
    put(path("src"), data);
    constexpr std::int64_t kLimit = 20 * 1024 * 1024;
    std::optional<std::string> failure;
    std::int64_t src_pos = -1, dst_pos = -1;
    {
        FileSizeLimit limit(kLimit);
        if (!limit.lowered()) GTEST_SKIP() << "a lower file size limit";
        aio::run([&]() -> aio::Task<> {
            auto src = co_await files::open(path("src"), "rb");
            auto dst = co_await files::open(path("dst"), "wb");
            failure = co_await raises<aio::OSError>(shutil::copyfileobj(src, dst));
            src_pos = co_await src.tell();
            dst_pos = co_await dst.tell();
            co_await src.close();
            co_await dst.close();
        }());
    }
    ASSERT_TRUE(failure.has_value());
    EXPECT_NE(failure->find("File too large"), std::string::npos) << *failure;
    EXPECT_NE(failure->find(path("dst")), std::string::npos) << *failure;
    EXPECT_EQ(src_pos, kLimit);
    EXPECT_EQ(dst_pos, kLimit);
    std::string copied = get(path("dst"));
    EXPECT_EQ(copied.size(), static_cast<std::size_t>(kLimit));
    EXPECT_TRUE(data.compare(0, copied.size(), copied) == 0);
}

TEST_P(Shutil, CopyfileThatFailsPartWayLeavesWhatItCopied) {
    // Over a file longer than where it stops (EFBIG at 20 MiB, the old file
    // 22): the OSError, and the destination cut to the bytes copied, none of
    // its old tail left.
    const std::string data = patterned(24 * 1024 * 1024);
    put(path("src"), data);
    put(path("dst"), std::string(22 * 1024 * 1024, 'o'));
    constexpr std::int64_t kLimit = 20 * 1024 * 1024;
    std::optional<std::string> failure;
    {
        FileSizeLimit limit(kLimit);
        if (!limit.lowered()) GTEST_SKIP() << "a lower file size limit";
        aio::run([&]() -> aio::Task<> {
            failure = co_await raises<aio::OSError>(shutil::copyfile(path("src"), path("dst")));
        }());
    }
    ASSERT_TRUE(failure.has_value());
    EXPECT_NE(failure->find("File too large"), std::string::npos) << *failure;
    std::string copied = get(path("dst"));
    EXPECT_EQ(copied.size(), static_cast<std::size_t>(kLimit));
    EXPECT_TRUE(data.compare(0, copied.size(), copied) == 0);
}

TEST_P(Shutil, CopyfileOverwritesAnExistingFileInPlace) {
    // The same file in the end as truncate-then-write: src's bytes and
    // length, the same inode (a hard link sees the copy), a device as dst.
    const std::string data = patterned(3 * 1024 * 1024 + 1);
    put(path("src"), data);
    put(path("long"), std::string(5 * 1024 * 1024, 'L'));
    put(path("short"), "short");
    ASSERT_EQ(::link(path("long").c_str(), path("long.link").c_str()), 0);
    aio::run([&]() -> aio::Task<> {
        co_await shutil::copyfile(path("src"), path("long"));
        co_await shutil::copyfile(path("src"), path("short"));
        co_await shutil::copyfile(path("src"), "/dev/null");
        co_await shutil::copyfile(path("short"), path("empty.src"));  // a copy of a copy
        put(path("empty"), "");
        co_await shutil::copyfile(path("empty"), path("short"));
    }());
    EXPECT_TRUE(get(path("long")) == data);
    EXPECT_TRUE(get(path("long.link")) == data);
    EXPECT_TRUE(get(path("empty.src")) == data);
    EXPECT_EQ(get(path("short")), "");
}

TEST_P(Shutil, CopytreeAndRmtree) {
    for (const char* d : {"src", "src/a", "src/a/b", "src/empty"}) ASSERT_EQ(::mkdir(path(d).c_str(), 0700), 0);
    put(path("src/top"), "1");
    put(path("src/a/mid"), "22");
    put(path("src/a/b/low"), "333");
    ASSERT_EQ(::symlink("top", path("src/link").c_str()), 0);
    aio::run([&]() -> aio::Task<> {
        co_await shutil::copytree(path("src"), path("dst"));
        auto exists = co_await raises<aio::FileExistsError>(shutil::copytree(path("src"), path("dst")));
        EXPECT_TRUE(exists.has_value());
        co_await shutil::copytree(path("src"), path("dst"), true);
        std::size_t count = 0;
        co_await aio::for_each(files::os::walk(path("dst")), [&](const files::os::WalkEntry& e) {
            count += e.filenames.size();
        });
        EXPECT_EQ(count, 4u);
        bool link_is_copy = co_await files::os::islink(path("dst/link"));
        EXPECT_FALSE(link_is_copy);  // followed, as Python's default symlinks=False
        co_await shutil::rmtree(path("dst"));
        bool left = co_await files::os::exists(path("dst"));
        EXPECT_FALSE(left);
        auto missing = co_await raises<aio::FileNotFoundError>(shutil::rmtree(path("dst")));
        EXPECT_TRUE(missing.has_value());
        co_await shutil::rmtree(path("dst"), true);
        ::symlink("src", path("link_to_src").c_str());
        auto on_link = co_await raises<aio::OSError>(shutil::rmtree(path("link_to_src")));
        EXPECT_TRUE(on_link.has_value());
    }());
    EXPECT_EQ(get(path("src/a/b/low")), "333");  // rmtree never followed a link out of its tree
}

namespace {

/// Makes `levels` directories named `name` nested in `top`, by descriptor
/// (the deepest path may be longer than PATH_MAX), with a file at every
/// tenth level.
bool make_nested(const std::string& top, int levels, const std::string& name = "d") {
    int fd = ::open(top.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (int i = 0; i < levels && fd >= 0; ++i) {
        if (::mkdirat(fd, name.c_str(), 0700) < 0) break;
        if (i % 10 == 0) ::close(::openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ::close(fd);
        fd = next;
    }
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

/// Sets the soft limit of open descriptors (to the hard limit at most); returns the old one.
rlim_t set_fd_limit(rlim_t want) {
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    rlim_t old = r.rlim_cur;
    r.rlim_cur = std::min(want, r.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &r);
    return old;
}

}  // namespace

// rmtree goes depth first with a stack of its own, by descriptor, and builds
// a path only for an error: a tree whose deepest path is three times
// PATH_MAX is removed, and one that runs out of descriptors half way is an
// OSError naming the directory it could not open, with every descriptor
// given back.
TEST_P(Shutil, RmtreeRemovesTreesDeeperThanAPathCanName) {
    constexpr int kLevels = 120;  // of 100-character names: 12,120 characters deep
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_max < 512) GTEST_SKIP() << "the descriptor limit is too low for the test";
    const rlim_t old = set_fd_limit(512);
    ASSERT_EQ(::mkdir(path("deep").c_str(), 0700), 0);
    ASSERT_TRUE(make_nested(path("deep"), kLevels, std::string(100, 'n')));
    aio::run([&]() -> aio::Task<> {
        co_await shutil::rmtree(path("deep"));
        bool left = co_await files::os::exists(path("deep"));
        EXPECT_FALSE(left);
    }());

    // Out of descriptors 50 levels down: an error that names that level.
    ASSERT_EQ(::mkdir(path("deep").c_str(), 0700), 0);
    ASSERT_TRUE(make_nested(path("deep"), 200));
    std::optional<std::string> error;
    const int open_now = aio::test::count_open_fds();
    aio::run([&]() -> aio::Task<> {
        set_fd_limit(static_cast<rlim_t>(open_now) + 60);  // the loop's own descriptors are open by now
        error = co_await raises<aio::OSError>(shutil::rmtree(path("deep")));
        set_fd_limit(512);
        co_await shutil::rmtree(path("deep"));
    }());
    set_fd_limit(old);
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("Too many open files"), std::string::npos) << *error;
    const std::size_t at = error->find(path("deep") + "/d/d/");
    EXPECT_NE(at, std::string::npos) << *error;
    EXPECT_EQ(error->substr(error->size() - 3), "/d'") << *error;
}

TEST_P(Shutil, NamedTemporaryFileIsRemovedWhenClosed) {
    std::string name;
    aio::run([&]() -> aio::Task<> {
        tempfile::NamedTemporaryFileOptions opts20{.suffix = ".txt", .prefix = "aio-", .dir = dir()};
        auto f = co_await tempfile::NamedTemporaryFile(opts20);
        name = f.name();
        EXPECT_EQ(name.rfind(dir() + "/aio-", 0), 0u) << name;
        EXPECT_EQ(name.substr(name.size() - 4), ".txt");
        EXPECT_EQ(f.mode(), "w+b");
        co_await f.write("temp");
        co_await f.seek(0);
        std::string back = co_await f.read();
        EXPECT_EQ(back, "temp");
        struct stat st {};
        EXPECT_EQ(::stat(name.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        co_await f.close();
    }());
    EXPECT_FALSE(std::filesystem::exists(name));
    aio::run([&]() -> aio::Task<> {
        tempfile::NamedTemporaryFileOptions opts21{.mode = "w", .dir = dir(), .delete_ = false};
        auto kept = co_await tempfile::NamedTemporaryFile(opts21);
        name = kept.name();
        co_await kept.write("stays");
        co_await kept.close();
        tempfile::NamedTemporaryFileOptions opts22{.dir = dir()};
        auto dropped = co_await tempfile::NamedTemporaryFile(opts22);
        std::string dropped_name = dropped.name();
        EXPECT_TRUE(std::filesystem::exists(dropped_name));
        // destroyed unclosed: removed synchronously
    }());
    EXPECT_EQ(get(name), "stays");
    auto left = std::distance(std::filesystem::directory_iterator(dir()), std::filesystem::directory_iterator());
    EXPECT_EQ(left, 1);
}

TEST_P(Shutil, TemporaryDirectoryIsRemovedWithItsContents) {
    std::string kept_name, dropped_name;
    aio::run([&]() -> aio::Task<> {
        tempfile::TemporaryDirectoryOptions opts23{.prefix = "aio-dir-", .dir = dir()};
        auto d = co_await tempfile::TemporaryDirectory::create(opts23);
        kept_name = d.name();
        bool is_dir = co_await files::os::isdir(d.path());
        EXPECT_TRUE(is_dir);
        co_await files::write_text(d.path() / "inside.txt", "x");
        co_await files::os::makedirs(d.path() / "a" / "b");
        co_await d.cleanup();
        co_await d.cleanup();  // idempotent
        tempfile::TemporaryDirectoryOptions opts24{.dir = dir()};
        auto other = co_await tempfile::TemporaryDirectory::create(opts24);
        dropped_name = other.name();
        co_await files::write_text(other.path() / "f", "y");
        tempfile::TemporaryDirectory moved = std::move(other);
        EXPECT_EQ(moved.name(), dropped_name);
    }());
    EXPECT_FALSE(std::filesystem::exists(kept_name));
    EXPECT_FALSE(std::filesystem::exists(dropped_name));  // the destructor removed it
    EXPECT_FALSE(tempfile::gettempdir().empty());
}
