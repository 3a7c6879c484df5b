// aio-test-labels: examples
// The seed's §3 run(): the aio twins (examples/seed/seed_3_aiohttp_run.cpp with
// a Semaphore, seed_3_aiohttp_run_bounded.cpp with aio::map_bounded) and the
// Python original, all against the same local aiohttp server, print the same
// lines.
#include <gtest/gtest.h>

#include "client_peers.hpp"

namespace {
/// Runs the Python original and the aio twin `example` against one local
/// aiohttp server; both must succeed and print the same.
void expect_prints_what_the_python_original_prints(const std::string& example) {
    aio::test::PeerServer server(aio::test::aiohttp_server_command(), aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    auto python = aio::test::run_command("/usr/bin/python3 " +
                                         aio::test::source_path("tests/http/client/peers/seed_3_aiohttp_run.py") +
                                         " " + server.base() + " 2>&1");
    auto ours = aio::test::run_command("AIO_SEED_BASE_URL=" + server.base() + " " +
                                       aio::test::binary_path("examples/" + example) + " 2>&1");
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
}  // namespace

TEST(SeedAiohttpRun, PrintsWhatThePythonOriginalPrints) {
    expect_prints_what_the_python_original_prints("seed_3_aiohttp_run");
}

// The twin written with aio::map_bounded (examples/seed/seed_3_aiohttp_run_bounded.cpp).
TEST(SeedAiohttpRun, TheMapBoundedTwinPrintsWhatThePythonOriginalPrints) {
    expect_prints_what_the_python_original_prints("seed_3_aiohttp_run_bounded");
}

TEST(SeedAiohttpRun, WithoutABaseUrlItSaysHowToRunIt) {
    for (const char* example : {"seed_3_aiohttp_run", "seed_3_aiohttp_run_bounded"}) {
        auto ours = aio::test::run_command("env -u AIO_SEED_BASE_URL " +
                                           aio::test::binary_path(std::string("examples/") + example) + " 2>&1");
        EXPECT_EQ(ours.status, 2) << example;
        EXPECT_NE(ours.output.find("AIO_SEED_BASE_URL"), std::string::npos) << example;
    }
}

// The seed's §2.3 (a remote CSV read through a ClientSession, then timed):
// the aio twin (examples/seed/seed_2_3_read_remote_csv.cpp) against a local
// server of airtravel.csv prints the head() that pandas prints for the file,
// then the timing lines and main()'s lines. The timings vary; only their
// labels are checked.
namespace {
int count_of(const std::string& s, std::string_view m) {
    int n = 0;
    for (std::size_t p = s.find(m); p != std::string::npos; p = s.find(m, p + 1)) ++n;
    return n;
}
}  // namespace

TEST(SeedReadRemoteCsv, PrintsTheHeadPandasPrintsAndTheTimings) {
    const std::string data = aio::test::source_path("tests/csv/data");
    const std::string file = data + "/airtravel.csv";
    auto pandas = aio::test::run_command("/usr/bin/python3 -c \"import pandas as pd; print(pd.read_csv('" + file +
                                         "').head())\" 2>&1");
    if (pandas.status != 0) GTEST_SKIP() << "/usr/bin/python3 has no pandas: " << pandas.output;
    aio::test::PeerServer server("/usr/bin/python3 -m http.server {port} --bind 127.0.0.1 --directory " + data,
                                 aio::test::free_port());
    ASSERT_TRUE(server.up) << server.why;
    // main()'s one-second sleeps scaled down (20 of them), as the other seed twins' tests do.
    auto ours = aio::test::run_command("AIO_TIME_SCALE=0.02 AIO_SEED_BASE_URL=" + server.base() + " " +
                                       aio::test::binary_path("examples/seed_2_3_read_remote_csv") + " 2>&1");
    ASSERT_EQ(ours.status, 0) << ours.output;
    EXPECT_EQ(ours.output.substr(0, pandas.output.size()), pandas.output) << ours.output;
    for (const char* label : {"\nasync read, mean of 10: ", "\nsync read, mean of 10: ",
                              "\nasync read with main(), mean of 10: ", "\nsync read then main(), mean of 10: "})
        EXPECT_EQ(count_of(ours.output, label), 1) << label << "\n" << ours.output;
    // main() ran 20 times: 10 beside a read, 10 after one.
    EXPECT_EQ(count_of(ours.output, "Fetching data from http://example.com/0\n"), 20);
    EXPECT_EQ(count_of(ours.output, "\nData from http://example.com/2\n"), 20);
}
