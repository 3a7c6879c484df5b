// The fixture of the file tests: every test runs once per I/O path
// (AIO_IO_BACKEND=uring, then threads), in a fresh directory, and checks that
// no descriptor leaked.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <aio/async_generator.hpp>
#include <aio/events.hpp>
#include <aio/files.hpp>
#include <aio/gather.hpp>
#include <aio/runners.hpp>
#include <aio/sleep.hpp>
#include <aio/task.hpp>

#include "support/raises.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "support/support.hpp"

namespace aio::test {

class FilesTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ::setenv("AIO_IO_BACKEND", GetParam().c_str(), 1);
        try {
            aio::EventLoop probe;  // reads AIO_IO_BACKEND: throws when io_uring is forced and refused
        } catch (const aio::OSError& e) {
            GTEST_SKIP() << "AIO_IO_BACKEND=" << GetParam() << " is not available here: " << e.what();
        }
        char tmpl[] = "/tmp/aio-files-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        fds_before_ = count_open_fds();
    }
    void TearDown() override {
        if (dir_.empty()) return;  // skipped
        EXPECT_EQ(count_open_fds(), fds_before_) << "a descriptor leaked";
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        ::unsetenv("AIO_IO_BACKEND");
    }
    /// A path inside the test's directory.
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    const std::string& dir() const { return dir_; }
    /// The name backend_name() gives for this run.
    std::string expected_backend() const { return GetParam() == "uring" ? "io_uring" : "thread pool"; }

    static void put(const std::string& p, const std::string& bytes) {
        std::ofstream(p, std::ios::binary) << bytes;
    }
    static std::string get(const std::string& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

private:
    std::string dir_;
    int fds_before_ = 0;
};

inline std::string backend_param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace aio::test

#define AIO_FILES_BACKENDS(suite) \
    INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("uring", "threads"), aio::test::backend_param_name)
