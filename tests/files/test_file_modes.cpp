// aio::files::open: Python's modes and options, the file's attributes, closing,
// and the errors of opening. Every test runs on io_uring and on the thread pool.
// aio-test-labels: threads
#include <fcntl.h>
#include <sys/stat.h>

#include "files/files_fixture.hpp"

using aio::test::FilesTest;
using aio::test::raises;
namespace files = aio::files;

class OpenModes : public FilesTest {};
AIO_FILES_BACKENDS(OpenModes);

TEST_P(OpenModes, TheRequestedPathIsTaken) {
    std::string backend = aio::run([]() -> aio::Task<std::string> { co_return files::backend_name(); }());
    EXPECT_EQ(backend, expected_backend());
}

TEST_P(OpenModes, ReadModeReadsAndRefusesToWrite) {
    put(path("a.txt"), "abc");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("a.txt"));
        EXPECT_EQ(f.mode(), "r");
        EXPECT_EQ(f.name(), path("a.txt"));
        EXPECT_TRUE(f.readable());
        EXPECT_FALSE(f.writable());
        EXPECT_TRUE(f.seekable());
        EXPECT_EQ(f.encoding(), "utf-8");
        EXPECT_GE(f.fileno(), 0);
        {
            auto v1_ = co_await f.read();
            EXPECT_EQ(v1_, "abc");
        }
        auto err = co_await raises<files::UnsupportedOperation>(f.write("x"));
        EXPECT_EQ(err, "not writable");
        co_await f.close();
    }());
    EXPECT_EQ(get(path("a.txt")), "abc");
}

TEST_P(OpenModes, WriteModeTruncatesOrCreatesAndRefusesToRead) {
    put(path("a.txt"), "old contents");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("a.txt"), "w");
        auto err = co_await raises<files::UnsupportedOperation>(f.read());
        EXPECT_EQ(err, "not readable");
        co_await f.write("new");
        co_await f.close();
        auto g = co_await files::open(path("created.txt"), "wb");
        co_await g.write("b");
        co_await g.close();
    }());
    EXPECT_EQ(get(path("a.txt")), "new");
    EXPECT_EQ(get(path("created.txt")), "b");
    struct stat st {};
    ASSERT_EQ(::stat(path("created.txt").c_str(), &st), 0);
    mode_t mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST_P(OpenModes, AppendModeWritesAtTheEnd) {
    put(path("log"), "one\n");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("log"), "a");
        {
            auto v2_ = co_await f.tell();
            EXPECT_EQ(v2_, 4);
        }
        co_await f.write("two\n");
        {
            auto v3_ = co_await f.tell();
            EXPECT_EQ(v3_, 8);
        }
        co_await f.seek(0);  // appends still go to the end
        co_await f.write("three\n");
        co_await f.close();
        auto g = co_await files::open(path("log"), "a+");
        {
            auto v4_ = co_await g.read();
            EXPECT_EQ(v4_, "");  // at the end
        }
        co_await g.seek(0);
        {
            auto v5_ = co_await g.readline();
            EXPECT_EQ(v5_, "one\n");
        }
        co_await g.write("four\n");
        {
            auto v6_ = co_await g.tell();
            EXPECT_EQ(v6_, 19);
        }
        co_await g.close();
    }());
    EXPECT_EQ(get(path("log")), "one\ntwo\nthree\nfour\n");
}

TEST_P(OpenModes, ExclusiveModeFailsOnAnExistingFile) {
    put(path("exists"), "x");
    aio::run([&]() -> aio::Task<> {
        auto err = co_await raises<aio::FileExistsError>(files::open(path("exists"), "x"));
        EXPECT_TRUE(err.has_value());
        if (err) {
            EXPECT_NE(err->find("[Errno 17] File exists: '" + path("exists") + "'"), std::string::npos) << *err;
        }
        auto f = co_await files::open(path("new"), "xb");
        co_await f.write("fresh");
        co_await f.close();
    }());
    EXPECT_EQ(get(path("new")), "fresh");
}

TEST_P(OpenModes, PlusModesReadAndWrite) {
    put(path("f"), "0123456789");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "r+b");
        {
            auto v7_ = co_await f.read(3);
            EXPECT_EQ(v7_, "012");
        }
        co_await f.write("ab");  // at the reader's position, not where read-ahead stopped
        {
            auto v8_ = co_await f.tell();
            EXPECT_EQ(v8_, 5);
        }
        {
            auto v9_ = co_await f.read(2);
            EXPECT_EQ(v9_, "56");
        }
        co_await f.close();
        auto g = co_await files::open(path("g"), "w+");
        co_await g.write("hello\nworld\n");
        co_await g.seek(0);
        {
            auto v10_ = co_await g.readline();
            EXPECT_EQ(v10_, "hello\n");
        }
        co_await g.close();
        auto h = co_await files::open(path("h"), "x+b");
        co_await h.write("xyz");
        co_await h.seek(1);
        {
            auto v11_ = co_await h.read();
            EXPECT_EQ(v11_, "yz");
        }
        co_await h.close();
    }());
    EXPECT_EQ(get(path("f")), "012ab56789");
}

TEST_P(OpenModes, InvalidModesAreValueErrorsNamingTheMode) {
    aio::run([&]() -> aio::Task<> {
        for (std::string mode : {"rw", "z", "rr", "rbt", "", "+", "b", "wa", "r+w", "rU"}) {
            auto err = co_await raises<aio::ValueError>(files::open(path("f"), mode));
            EXPECT_TRUE(err.has_value()) << mode;
            if (err) {
                EXPECT_NE(err->find("'" + mode + "'"), std::string::npos) << *err;
            }
        }
    }());
}

TEST_P(OpenModes, OptionsAreCheckedAsPythonDoes) {
    put(path("f"), "x");
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts5{.buffering = 0};
        auto e1 = co_await raises<aio::ValueError>(files::open(path("f"), "r", opts5));
        EXPECT_EQ(e1, "can't have unbuffered text I/O");
        files::OpenOptions opts6{.encoding = "utf-8"};
        auto e2 = co_await raises<aio::ValueError>(files::open(path("f"), "rb", opts6));
        EXPECT_EQ(e2, "binary mode doesn't take an encoding argument");
        files::OpenOptions opts7{.errors = "strict"};
        auto e3 = co_await raises<aio::ValueError>(files::open(path("f"), "rb", opts7));
        EXPECT_EQ(e3, "binary mode doesn't take an errors argument");
        files::OpenOptions opts8{.encoding = "klingon"};
        auto e4 = co_await raises<aio::ValueError>(files::open(path("f"), "r", opts8));
        EXPECT_EQ(e4, "unknown encoding: klingon");
        files::OpenOptions opts9{.errors = "ignore"};
        auto e5 = co_await raises<aio::ValueError>(files::open(path("f"), "r", opts9));
        EXPECT_TRUE(e5.has_value());
        files::OpenOptions opts10{.buffering = -2};
        auto e6 = co_await raises<aio::ValueError>(files::open(path("f"), "r", opts10));
        EXPECT_TRUE(e6.has_value());
        files::OpenOptions opts11{.encoding = "Latin_1"};
        auto f = co_await files::open(path("f"), "r", opts11);
        EXPECT_EQ(f.encoding(), "latin-1");
        co_await f.close();
        auto g = co_await files::open(path("f"), "rb");
        EXPECT_EQ(g.encoding(), "");
        co_await g.close();
    }());
}

TEST_P(OpenModes, OpeningErrorsAreOSErrorSubclassesWithThePath) {
    put(path("file"), "x");
    ASSERT_EQ(::mkdir(path("locked").c_str(), 0), 0);
    aio::run([&]() -> aio::Task<> {
        auto missing = co_await raises<aio::FileNotFoundError>(files::open(path("missing")));
        EXPECT_EQ(missing, "[Errno 2] No such file or directory: '" + path("missing") + "'");
        auto dir_read = co_await raises<aio::IsADirectoryError>(files::open(dir()));
        EXPECT_EQ(dir_read, "[Errno 21] Is a directory: '" + dir() + "'");
        auto dir_write = co_await raises<aio::IsADirectoryError>(files::open(dir(), "w"));
        EXPECT_TRUE(dir_write.has_value());
        auto not_dir = co_await raises<aio::NotADirectoryError>(files::open(path("file") + "/x"));
        EXPECT_TRUE(not_dir.has_value());
        if (::geteuid() != 0) {  // root passes permission checks
            auto denied = co_await raises<aio::PermissionError>(files::open(path("locked") + "/x", "w"));
            EXPECT_TRUE(denied.has_value());
        }
        std::optional<int> code;
        try {
            co_await files::open(path("missing"));
        } catch (const aio::OSError& e) {
            code = e.errno_code();
            EXPECT_EQ(e.filename(), path("missing"));
        }
        EXPECT_EQ(code, ENOENT);
    }());
    ::chmod(path("locked").c_str(), 0700);
}

TEST_P(OpenModes, PermissionDeniedForAnUnprivilegedUser) {
    if (::geteuid() == 0) GTEST_SKIP() << "running as root: permission checks always pass";
    put(path("secret"), "x");
    ::chmod(path("secret").c_str(), 0);
    aio::run([&]() -> aio::Task<> {
        auto err = co_await raises<aio::PermissionError>(files::open(path("secret")));
        EXPECT_TRUE(err.has_value());
    }());
}

TEST_P(OpenModes, EveryOperationOnAClosedFileIsAValueError) {
    put(path("f"), "abc");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "r+");
        co_await f.close();
        EXPECT_TRUE(f.closed());
        co_await f.close();  // idempotent
        const std::string msg = "I/O operation on closed file.";
        {
            auto v12_ = co_await raises<aio::ValueError>(f.read());
            EXPECT_EQ(v12_, msg);
        }
        {
            auto v13_ = co_await raises<aio::ValueError>(f.readline());
            EXPECT_EQ(v13_, msg);
        }
        {
            auto v14_ = co_await raises<aio::ValueError>(f.readlines());
            EXPECT_EQ(v14_, msg);
        }
        {
            auto v15_ = co_await raises<aio::ValueError>(f.write("x"));
            EXPECT_EQ(v15_, msg);
        }
        {
            auto v16_ = co_await raises<aio::ValueError>(f.seek(0));
            EXPECT_EQ(v16_, msg);
        }
        {
            auto v17_ = co_await raises<aio::ValueError>(f.tell());
            EXPECT_EQ(v17_, msg);
        }
        {
            auto v18_ = co_await raises<aio::ValueError>(f.flush());
            EXPECT_EQ(v18_, msg);
        }
        {
            auto v19_ = co_await raises<aio::ValueError>(f.truncate());
            EXPECT_EQ(v19_, msg);
        }
        {
            auto v20_ = co_await raises<aio::ValueError>(f.fsync());
            EXPECT_EQ(v20_, msg);
        }
        EXPECT_THROW(f.fileno(), aio::ValueError);
        EXPECT_EQ(f.name(), path("f"));  // still known, as in Python
        auto lines = f.lines();
        auto next_of = [](aio::AsyncGenerator<std::string>& g) -> aio::Task<> { co_await g.next(); };
        auto from_lines = co_await raises<aio::ValueError>(next_of(lines));
        EXPECT_EQ(from_lines, msg);
        files::File empty;
        EXPECT_TRUE(empty.closed());
        {
            auto v21_ = co_await raises<aio::ValueError>(empty.read());
            EXPECT_EQ(v21_, msg);
        }
    }());
}

TEST_P(OpenModes, DestroyingAnOpenFileFlushesAndClosesIt) {
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"), "w");
        co_await f.write("kept");
        // f goes out of scope unclosed: the destructor writes and closes synchronously.
    }());
    EXPECT_EQ(get(path("f")), "kept");  // and TearDown checks no descriptor is left
}

TEST_P(OpenModes, AMovedFileKeepsWorkingAndTheOldHandleIsClosed) {
    put(path("f"), "abc");
    aio::run([&]() -> aio::Task<> {
        auto f = co_await files::open(path("f"));
        files::File g = std::move(f);
        EXPECT_TRUE(f.closed());  // NOLINT(bugprone-use-after-move): moved-from is empty
        {
            auto v22_ = co_await g.read();
            EXPECT_EQ(v22_, "abc");
        }
        co_await g.close();
    }());
}

TEST_P(OpenModes, OneOperationAtATimePerFile) {
    put(path("f"), std::string(1 << 20, 'x'));
    aio::run([&]() -> aio::Task<> {
        files::OpenOptions opts12{.buffering = 0};
        auto f = co_await files::open(path("f"), "rb", opts12);
        auto first = aio::create_task(f.read(1 << 20));
        co_await aio::sleep(std::chrono::seconds(0));  // first is now waiting for its read
        auto err = co_await raises<aio::RuntimeError>(f.read(1));
        std::string data = co_await first;
        EXPECT_EQ(data.size(), 1u << 20);
        EXPECT_TRUE(err.has_value());
        co_await f.close();
    }());
}

TEST_P(OpenModes, ManyFilesOpenAtOnceLeakNothing) {
    for (int i = 0; i < 200; ++i) put(path("f" + std::to_string(i)), std::to_string(i));
    aio::run([&]() -> aio::Task<> {
        std::vector<aio::Task<std::string>> reads;
        for (int i = 0; i < 200; ++i) reads.push_back(files::read_text(path("f" + std::to_string(i))));
        auto texts = co_await aio::gather(std::move(reads));
        for (int i = 0; i < 200; ++i) EXPECT_EQ(texts[static_cast<std::size_t>(i)], std::to_string(i));
    }());
}

TEST_P(OpenModes, CancellingATaskWhileItReadsLosesNoDescriptor) {
    put(path("big"), std::string(4 << 20, 'x'));
    aio::run([&]() -> aio::Task<> {
        for (int i = 0; i < 20; ++i) {
            auto t = aio::create_task([](std::string p) -> aio::Task<std::size_t> {
                auto f = co_await files::open(p, "rb");
                std::string s = co_await f.read();
                co_await f.close();
                co_return s.size();
            }(path("big")));
            for (int k = 0; k < i % 4; ++k) co_await aio::sleep(std::chrono::seconds(0));
            t.cancel();
            auto r = co_await raises<aio::CancelledError>(t.share());
            (void)r;  // cancelled, or finished first: either way nothing leaks
        }
    }());
}

TEST(FilesWithoutALoop, BackendNameIsARuntimeError) { EXPECT_THROW(files::backend_name(), aio::RuntimeError); }
