// aio-test-labels: examples
// Every example of examples/seed/ runs and prints what its Python original prints.
// Delays are scaled down (AIO_TIME_SCALE) so the suite stays fast; the order of
// lines is part of what is checked.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/support.hpp"

namespace {

struct Expected {
    const char* name;
    const char* stdout_text;
    int status;
};

aio::test::CommandResult run_example(const std::string& name, const std::string& env = "AIO_TIME_SCALE=0.01") {
    std::string exe = aio::test::binary_path("examples/" + name);
    return aio::test::run_command(env + " " + exe + " 2>/dev/null");
}

class SeedExample : public ::testing::TestWithParam<Expected> {};

}  // namespace

TEST_P(SeedExample, PrintsWhatPythonPrints) {
    const Expected& e = GetParam();
    auto r = run_example(e.name);
    EXPECT_EQ(r.output, e.stdout_text) << e.name;
    EXPECT_EQ(r.status, e.status) << e.name;
}

INSTANTIATE_TEST_SUITE_P(
    Runtime, SeedExample,
    ::testing::Values(
        Expected{"seed_1_1a_generator_send", "Coroutine Started\nReceived: 42\n", 1},
        Expected{"seed_1_1b_generator_stop_iteration", "Coroutine Started\nReceived: 42\nFinished...\n", 0},
        Expected{"seed_1_1c_generator_send_twice", "Coroutine Started\nReceived: 42\nFinished...\n", 0},
        Expected{"seed_1_1d_generator_loop", "Coroutine Started\nReceived: 42\nReceived: 25\n", 0},
        Expected{"seed_1_1e_generator_close", "Coroutine Started\nReceived: 42\nFinished...\n", 0},
        Expected{"seed_1_2a_await_hello", "Hello\nWorld\n", 0},
        Expected{"seed_1_2b_call_without_await", "", 0},
        Expected{"seed_1_2c_run_until_complete", "Hello\nWorld\n", 0},
        Expected{"seed_1_3_gather", "Task 1 started\nTask 2 started\nTask 2 finished\nTask 1 finished\n", 0},
        Expected{"seed_1_4_async_context_manager", "Resource opened\nResource is opened: True\nResource closed\n", 0},
        Expected{"seed_1_5_lock",
                 "A acquired lock\nA released lock\nB acquired lock\nB released lock\nC acquired lock\nC released "
                 "lock\n",
                 0},
        Expected{"seed_2_1_fetch_data",
                 "Fetching data from http://example.com/0\n"
                 "Fetching data from http://example.com/1\n"
                 "Fetching data from http://example.com/2\n"
                 "Data fetched from http://example.com/0\n"
                 "Data fetched from http://example.com/1\n"
                 "Data fetched from http://example.com/2\n"
                 "Data from http://example.com/0\n"
                 "Data from http://example.com/1\n"
                 "Data from http://example.com/2\n",
                 0},
        Expected{"seed_2_4_to_thread", "Done\n", 0}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SeedExample, UncaughtStopIterationIsReportedLikePython) {
    auto r = aio::test::run_command(aio::test::binary_path("examples/seed_1_1a_generator_send") + " 2>&1 >/dev/null");
    EXPECT_NE(r.output.find("StopIteration"), std::string::npos);
}

// Seed §2.2: the two file-reading twins, run in a directory holding the files
// they read (example.txt and .gitignore), once per I/O path.
TEST(SeedExample, ReadFileTwinsPrintWhatPythonPrints) {
    char tmpl[] = "/tmp/aio-seed-2-2-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    std::ofstream(dir + "/example.txt") << "Hello from example.txt\nsecond line\n";
    std::ofstream(dir + "/.gitignore") << "# Byte-compiled / optimized / DLL files\n__pycache__/\n";
    for (std::string backend : {"uring", "threads"}) {
        auto run_in_dir = [&](const std::string& name) {
            return aio::test::run_command("cd " + dir + " && AIO_IO_BACKEND=" + backend + " " +
                                          aio::test::binary_path("examples/" + name) + " 2>/dev/null");
        };
        auto a = run_in_dir("seed_2_2a_read_file_executor");
        EXPECT_EQ(a.output, "Hello from example.txt\nsecond line\n\n") << backend;
        EXPECT_EQ(a.status, 0);
        auto b = run_in_dir("seed_2_2b_read_file_aiofiles");
        EXPECT_EQ(b.output, "# Byte-compiled / op\n") << backend;
        EXPECT_EQ(b.status, 0);
    }
    std::filesystem::remove_all(dir);
}

// examples/websocket/: the echo server and its client, as aiohttp's documentation has them.
TEST(WebSocketExample, TheClientTalksToTheServer) {
    int port = aio::test::free_port();
    aio::test::Process server(aio::test::binary_path("examples/ws_echo_server") + " " + std::to_string(port));
    ASSERT_TRUE(aio::test::wait_listening(port, &server)) << server.output();
    auto r = aio::test::run_command(aio::test::binary_path("examples/ws_echo_client") + " ws://127.0.0.1:" +
                                    std::to_string(port) + "/ws 2>&1");
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "TEXT hello/answer\nTEXT async/answer\nTEXT world/answer\nCLOSE 1000\n");
    server.wait_printed("websocket connection closed", std::chrono::seconds(5));
    EXPECT_EQ(server.output(), "listening on ws://127.0.0.1:" + std::to_string(port) + "/ws\nwebsocket connection closed\n");
}
