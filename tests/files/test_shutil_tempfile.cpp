// aio::files::shutil (copyfile, copy2, copytree, rmtree) and
// aio::files::tempfile (NamedTemporaryFile, TemporaryDirectory).
// Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <sys/stat.h>

#include <algorithm>

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
