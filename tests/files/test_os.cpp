// aio::files::os: stat and the os.path tests, renames, removals, directories,
// listings, links, sendfile, walk; each error typed and carrying the path.
// Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include "files/files_fixture.hpp"

using aio::test::FilesTest;
using aio::test::raises;
namespace files = aio::files;
namespace os = aio::files::os;

class Os : public FilesTest {};
AIO_FILES_BACKENDS(Os);

TEST_P(Os, StatHasPythonsFieldsWithTheKernelsValues) {
    put(path("f"), "12345");
    struct stat st {};
    ASSERT_EQ(::stat(path("f").c_str(), &st), 0);
    files::StatResult r = aio::run([&]() -> aio::Task<files::StatResult> { co_return co_await os::stat(path("f")); }());
    EXPECT_EQ(r.st_size, 5);
    EXPECT_TRUE(S_ISREG(r.st_mode));
    EXPECT_EQ(r.st_mode, st.st_mode);
    EXPECT_EQ(r.st_ino, st.st_ino);
    EXPECT_EQ(r.st_dev, st.st_dev);
    EXPECT_EQ(r.st_nlink, st.st_nlink);
    EXPECT_EQ(r.st_uid, st.st_uid);
    EXPECT_EQ(r.st_gid, st.st_gid);
    EXPECT_EQ(r.st_mtime_ns, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
    EXPECT_NEAR(r.st_mtime, static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9, 1e-6);
    EXPECT_NEAR(r.st_atime, static_cast<double>(st.st_atim.tv_sec), 1.0);
    EXPECT_NEAR(r.st_ctime, static_cast<double>(st.st_ctim.tv_sec), 1.0);
    EXPECT_GT(r.st_blksize, 0);
}

TEST_P(Os, PathTestsAnswerWithoutThrowing) {
    put(path("file"), "abc");
    ASSERT_EQ(::mkdir(path("dir").c_str(), 0700), 0);
    ASSERT_EQ(::symlink("file", path("link").c_str()), 0);
    ASSERT_EQ(::symlink("nowhere", path("dangling").c_str()), 0);
    aio::run([&]() -> aio::Task<> {
        bool e1 = co_await os::exists(path("file"));
        bool e2 = co_await os::exists(path("missing"));
        bool e3 = co_await os::exists(path("dangling"));
        bool f1 = co_await os::isfile(path("file"));
        bool f2 = co_await os::isfile(path("dir"));
        bool f3 = co_await os::isfile(path("link"));
        bool d1 = co_await os::isdir(path("dir"));
        bool d2 = co_await os::isdir(path("file"));
        bool l1 = co_await os::islink(path("link"));
        bool l2 = co_await os::islink(path("file"));
        bool l3 = co_await os::islink(path("dangling"));
        EXPECT_TRUE(e1);
        EXPECT_FALSE(e2);
        EXPECT_FALSE(e3);  // follows the link, as Python
        EXPECT_TRUE(f1);
        EXPECT_FALSE(f2);
        EXPECT_TRUE(f3);
        EXPECT_TRUE(d1);
        EXPECT_FALSE(d2);
        EXPECT_TRUE(l1);
        EXPECT_FALSE(l2);
        EXPECT_TRUE(l3);
        std::int64_t size = co_await os::getsize(path("file"));
        EXPECT_EQ(size, 3);
        double mtime = co_await os::getmtime(path("file"));
        double atime = co_await os::getatime(path("file"));
        double ctime = co_await os::getctime(path("file"));
        EXPECT_GT(mtime, 1e9);
        EXPECT_GT(atime, 1e9);
        EXPECT_GT(ctime, 1e9);
        auto missing = co_await raises<aio::FileNotFoundError>(os::getsize(path("missing")));
        EXPECT_EQ(missing, "[Errno 2] No such file or directory: '" + path("missing") + "'");
        files::StatResult ls = co_await os::lstat(path("link"));
        EXPECT_TRUE(S_ISLNK(ls.st_mode));
        files::StatResult fs = co_await os::stat(path("link"));
        EXPECT_TRUE(S_ISREG(fs.st_mode));
    }());
}

TEST_P(Os, RenameReplaceRemoveUnlink) {
    put(path("a"), "A");
    put(path("b"), "B");
    aio::run([&]() -> aio::Task<> {
        co_await os::rename(path("a"), path("c"));
        co_await os::replace(path("b"), path("c"));  // replaces an existing file
        auto gone = co_await raises<aio::FileNotFoundError>(os::rename(path("a"), path("d")));
        EXPECT_TRUE(gone.has_value());
        co_await os::remove(path("c"));
        auto twice = co_await raises<aio::FileNotFoundError>(os::unlink(path("c")));
        EXPECT_EQ(twice, "[Errno 2] No such file or directory: '" + path("c") + "'");
        auto on_dir = co_await raises<aio::IsADirectoryError>(os::remove(dir()));
        EXPECT_TRUE(on_dir.has_value());
    }());
    EXPECT_FALSE(std::filesystem::exists(path("a")));
    EXPECT_FALSE(std::filesystem::exists(path("c")));
}

TEST_P(Os, DirectoriesAreMadeAndRemoved) {
    aio::run([&]() -> aio::Task<> {
        co_await os::mkdir(path("d"));
        auto again = co_await raises<aio::FileExistsError>(os::mkdir(path("d")));
        EXPECT_EQ(again, "[Errno 17] File exists: '" + path("d") + "'");
        auto no_parent = co_await raises<aio::FileNotFoundError>(os::mkdir(path("x/y")));
        EXPECT_TRUE(no_parent.has_value());
        co_await os::makedirs(path("p/q/r"));
        co_await os::makedirs(path("p/q/r"), true);
        co_await os::makedirs(path("p/q/r/"), true);
        auto exists = co_await raises<aio::FileExistsError>(os::makedirs(path("p/q/r")));
        EXPECT_TRUE(exists.has_value());
        put(path("file"), "");
        auto over_file = co_await raises<aio::FileExistsError>(os::makedirs(path("file"), true));
        EXPECT_TRUE(over_file.has_value());  // exist_ok is for directories only
        auto not_empty = co_await raises<aio::OSError>(os::rmdir(path("p")));
        EXPECT_TRUE(not_empty.has_value());
        auto not_dir = co_await raises<aio::NotADirectoryError>(os::rmdir(path("file")));
        EXPECT_TRUE(not_dir.has_value());
        co_await os::removedirs(path("p/q/r"));  // r, then q and p once empty; stops at the test dir
        bool p_left = co_await os::exists(path("p"));
        EXPECT_FALSE(p_left);
        co_await os::rmdir(path("d"));
        bool d_left = co_await os::isdir(path("d"));
        EXPECT_FALSE(d_left);
        co_await os::mkdir(path("private"), 0700);
        files::StatResult st = co_await os::stat(path("private"));
        EXPECT_EQ(st.st_mode & 0777, 0700u);
    }());
    EXPECT_TRUE(std::filesystem::exists(dir()));
}

TEST_P(Os, ListdirAndScandirSeeEveryEntry) {
    put(path("f1"), "x");
    put(path("f2"), "yy");
    ASSERT_EQ(::mkdir(path("sub").c_str(), 0700), 0);
    ASSERT_EQ(::symlink("sub", path("to_sub").c_str()), 0);
    ASSERT_EQ(::symlink("f1", path("to_f1").c_str()), 0);
    aio::run([&]() -> aio::Task<> {
        auto names = co_await os::listdir(dir());
        std::sort(names.begin(), names.end());
        std::vector<std::string> want{"f1", "f2", "sub", "to_f1", "to_sub"};
        EXPECT_EQ(names, want);
        auto entries = co_await os::scandir(dir());
        EXPECT_EQ(entries.size(), 5u);
        for (const auto& e : entries) {
            EXPECT_EQ(e.path(), dir() + "/" + e.name());
            if (e.name() == "f1") {
                EXPECT_TRUE(e.is_file());
                EXPECT_FALSE(e.is_dir());
                EXPECT_FALSE(e.is_symlink());
                files::StatResult st = co_await e.stat();
                EXPECT_EQ(st.st_size, 1);
                EXPECT_EQ(st.st_ino, e.inode());
            } else if (e.name() == "sub") {
                EXPECT_TRUE(e.is_dir());
            } else if (e.name() == "to_sub") {
                EXPECT_TRUE(e.is_symlink());
                EXPECT_TRUE(e.is_dir());
                EXPECT_FALSE(e.is_dir(false));
            } else if (e.name() == "to_f1") {
                EXPECT_TRUE(e.is_file());
                EXPECT_FALSE(e.is_file(false));
            }
        }
        auto missing = co_await raises<aio::FileNotFoundError>(os::listdir(path("missing")));
        EXPECT_TRUE(missing.has_value());
        auto not_dir = co_await raises<aio::NotADirectoryError>(os::scandir(path("f1")));
        EXPECT_TRUE(not_dir.has_value());
    }());
}

TEST_P(Os, LinksAreMadeAndRead) {
    put(path("target"), "t");
    aio::run([&]() -> aio::Task<> {
        co_await os::symlink("target", path("sym"));
        std::string to = co_await os::readlink(path("sym"));
        EXPECT_EQ(to, "target");
        std::string long_target(300, 'x');
        co_await os::symlink(long_target, path("long"));
        std::string to_long = co_await os::readlink(path("long"));
        EXPECT_EQ(to_long, long_target);
        auto exists = co_await raises<aio::FileExistsError>(os::symlink("target", path("sym")));
        EXPECT_TRUE(exists.has_value());
        auto not_link = co_await raises<aio::OSError>(os::readlink(path("target")));
        EXPECT_TRUE(not_link.has_value());
        co_await os::link(path("target"), path("hard"));
        files::StatResult st = co_await os::stat(path("target"));
        EXPECT_EQ(st.st_nlink, 2u);
        auto missing = co_await raises<aio::FileNotFoundError>(os::link(path("missing"), path("h2")));
        EXPECT_TRUE(missing.has_value());
    }());
}

TEST_P(Os, SendfileCopiesInTheKernel) {
    put(path("src"), "0123456789");
    aio::run([&]() -> aio::Task<> {
        auto in = co_await files::open(path("src"), "rb");
        auto out = co_await files::open(path("dst"), "wb");
        std::size_t a = co_await os::sendfile(out.fileno(), in.fileno(), 2, 5);
        std::size_t b = co_await os::sendfile(out.fileno(), in.fileno(), 9, 100);
        std::size_t c = co_await os::sendfile(out.fileno(), in.fileno(), 10, 100);
        EXPECT_EQ(a, 5u);
        EXPECT_EQ(b, 1u);
        EXPECT_EQ(c, 0u);
        auto bad = co_await raises<aio::OSError>(os::sendfile(-1, in.fileno(), 0, 1));
        EXPECT_TRUE(bad.has_value());
        co_await in.close();
        co_await out.close();
    }());
    EXPECT_EQ(get(path("dst")), "234569");
}

TEST_P(Os, WalkVisitsTheTreeTopDownOrBottomUp) {
    for (const char* d : {"t", "t/a", "t/a/deep", "t/b"}) ASSERT_EQ(::mkdir(path(d).c_str(), 0700), 0);
    put(path("t/root.txt"), "");
    put(path("t/a/one"), "");
    put(path("t/a/deep/two"), "");
    ASSERT_EQ(::symlink("a", path("t/link_to_a").c_str()), 0);
    aio::run([&]() -> aio::Task<> {
        std::vector<std::string> order;
        std::size_t files_seen = 0;
        auto gen = os::walk(path("t"));
        for (;;) {
            std::optional<os::WalkEntry> e = co_await gen.next();
            if (!e) break;
            order.push_back(e->dirpath);
            files_seen += e->filenames.size();
            if (e->dirpath == path("t")) {
                auto dirs = e->dirnames;
                std::sort(dirs.begin(), dirs.end());
                std::vector<std::string> want{"a", "b", "link_to_a"};  // a link to a directory is listed...
                EXPECT_EQ(dirs, want);
                EXPECT_EQ(e->filenames, std::vector<std::string>{"root.txt"});
            }
        }
        EXPECT_EQ(order.size(), 4u);  // ...but not entered
        EXPECT_EQ(order.front(), path("t"));
        EXPECT_EQ(files_seen, 3u);
        std::vector<std::string> up;
        auto bottom_up = os::walk(path("t"), false);
        for (;;) {
            std::optional<os::WalkEntry> e = co_await bottom_up.next();
            if (!e) break;
            up.push_back(e->dirpath);
        }
        EXPECT_EQ(up.size(), 4u);
        EXPECT_EQ(up.back(), path("t"));
        auto deep_pos = std::find(up.begin(), up.end(), path("t/a/deep"));
        auto a_pos = std::find(up.begin(), up.end(), path("t/a"));
        EXPECT_LT(deep_pos, a_pos);
        std::size_t followed = 0;
        co_await aio::for_each(os::walk(path("t"), true, true), [&](const os::WalkEntry&) { ++followed; });
        EXPECT_EQ(followed, 6u);  // t/link_to_a and t/link_to_a/deep too
        std::size_t none = 0;
        co_await aio::for_each(os::walk(path("missing")), [&](const os::WalkEntry&) { ++none; });
        EXPECT_EQ(none, 0u);  // unreadable directories are skipped
    }());
}

// A path holding a NUL byte reached the kernel as the path cut at the NUL:
// "victim\0.txt" opened, truncated or removed "victim". Every call taking a
// path now throws ValueError "embedded null byte" (Python's), except the
// os.path predicates, which answer false; the file of the cut path is never
// touched.
TEST_P(Os, PathsHoldingANulByteAreValueErrorsAndTouchNothing) {
    put(path("victim"), "keep me");
    const std::string nul = path("victim") + std::string(1, '\0') + ".txt";
    aio::run([&]() -> aio::Task<> {
        using Check = std::function<aio::Task<>()>;
        const std::vector<std::pair<const char*, Check>> calls = {
            {"open r", [&]() -> aio::Task<> { co_await files::open(nul, "r"); }},
            {"open w", [&]() -> aio::Task<> { co_await files::open(nul, "w"); }},
            {"read_bytes", [&]() -> aio::Task<> { co_await files::read_bytes(nul); }},
            {"write_bytes", [&]() -> aio::Task<> { co_await files::write_bytes(nul, "x"); }},
            {"stat", [&]() -> aio::Task<> { co_await os::stat(nul); }},
            {"remove", [&]() -> aio::Task<> { co_await os::remove(nul); }},
            {"rename", [&]() -> aio::Task<> { co_await os::rename(nul, path("moved")); }},
            {"rename to", [&]() -> aio::Task<> { co_await os::rename(path("victim"), nul); }},
            {"mkdir", [&]() -> aio::Task<> { co_await os::mkdir(nul); }},
            {"listdir", [&]() -> aio::Task<> { co_await os::listdir(dir() + std::string(1, '\0')); }},
            {"symlink", [&]() -> aio::Task<> { co_await os::symlink("x", nul); }},
            {"readlink", [&]() -> aio::Task<> { co_await os::readlink(nul); }},
            {"copyfile", [&]() -> aio::Task<> { co_await files::shutil::copyfile(path("victim"), nul); }},
            {"rmtree", [&]() -> aio::Task<> { co_await files::shutil::rmtree(dir() + std::string(1, '\0')); }},
            {"tempfile", [&]() -> aio::Task<> {
                 files::tempfile::NamedTemporaryFileOptions o{.prefix = std::string("a\0b", 3), .dir = dir()};
                 co_await files::tempfile::NamedTemporaryFile(o);
             }},
        };
        for (const auto& [name, call] : calls) {
            auto raised = co_await raises<aio::ValueError>(call());
            EXPECT_EQ(raised.value_or("no ValueError"), "embedded null byte") << name;
        }
        bool exists = co_await os::exists(nul);
        bool isfile = co_await os::isfile(nul);
        bool isdir = co_await os::isdir(dir() + std::string(1, '\0'));
        bool islink = co_await os::islink(nul);
        EXPECT_FALSE(exists || isfile || isdir || islink);
    }());
    EXPECT_EQ(get(path("victim")), "keep me");
    EXPECT_FALSE(std::filesystem::exists(path("moved")));
}
