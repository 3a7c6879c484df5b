// aio-test-labels: sanitizer-pending
// The seed's §3 run(): the aio twin (examples/seed/seed_3_aiohttp_run.cpp) and
// the Python original, both against the same local aiohttp server, print the
// same lines.
#include <gtest/gtest.h>

#include "client_peers.hpp"

TEST(SeedAiohttpRun, PrintsWhatThePythonOriginalPrints) {
    aio::test::PeerServer server(aio::test::aiohttp_server_command(), aio::test::free_port());
    ASSERT_TRUE(server.up);
    auto python = aio::test::run_command("/usr/bin/python3 " +
                                         aio::test::source_path("tests/http/client/peers/seed_3_aiohttp_run.py") +
                                         " " + server.base() + " 2>&1");
    auto ours = aio::test::run_command("AIO_SEED_BASE_URL=" + server.base() + " " +
                                       aio::test::binary_path("examples/seed_3_aiohttp_run") + " 2>&1");
    EXPECT_EQ(python.status, 0) << python.output;
    EXPECT_EQ(ours.status, 0) << ours.output;
    EXPECT_EQ(ours.output, python.output);
    // The three URLs: two pages and one 404, reported and not fatal.
    EXPECT_NE(python.output.find("Client error: 404, message='Not Found', url=URL('" + server.base() +
                                 "/www.github.com')"),
              std::string::npos)
        << python.output;
    EXPECT_NE(python.output.find("<!doctype html>\n<ht"), std::string::npos) << python.output;
}

TEST(SeedAiohttpRun, WithoutABaseUrlItSaysHowToRunIt) {
    auto ours = aio::test::run_command("env -u AIO_SEED_BASE_URL " +
                                       aio::test::binary_path("examples/seed_3_aiohttp_run") + " 2>&1");
    EXPECT_EQ(ours.status, 2);
    EXPECT_NE(ours.output.find("AIO_SEED_BASE_URL"), std::string::npos);
}
