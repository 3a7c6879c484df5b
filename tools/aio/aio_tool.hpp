// The aio command's subcommands: options of each and the function that runs it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace aio::tool {

/// A mistake in the command line found after parsing (exit status 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct DemoOptions {
    std::vector<std::string> scenarios;  // empty: all, in order
    bool list = false;
};
int run_demo(const DemoOptions& opts);
/// The names of the demo's scenarios, in the order they run.
std::vector<std::string> demo_scenarios();

struct FetchOptions {
    std::vector<std::string> urls;
    std::string input_file;
    std::size_t concurrency = 10;
    double timeout = 30;
    int retries = 0;
    std::string output_dir;
    std::string method = "GET";
    std::vector<std::string> headers;
    std::optional<std::string> data;
    bool json = false;
    bool quiet = false;
};
int run_fetch(const FetchOptions& opts);

struct CsvOptions {
    std::string source;
    std::optional<std::size_t> head;
    std::optional<std::size_t> tail;
    bool describe = false;
    bool dtypes = false;
    std::string to;  // "", "csv" or "json"
    std::string sep = ",";
    std::string header = "infer";
    std::string usecols;
    std::optional<std::size_t> nrows;
    std::optional<std::size_t> skiprows;
    std::string na_values;
    std::string decimal = ".";
    std::string thousands;
    std::string comment;
    std::string encoding = "utf-8";
    std::string parse_dates;
};
int run_csv(const CsvOptions& opts);

struct ServeOptions {
    std::string dir;
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    unsigned workers = 1;
    bool processes = false;
    double shutdown_timeout = 60.0;
};
int run_serve(const ServeOptions& opts);

struct WsOptions {
    std::string url;
    std::vector<std::string> headers;
    std::vector<std::string> protocols;
    bool no_compress = false;
    double ping_interval = 0;  // seconds; 0: no heartbeat
    bool binary = false;       // print BINARY messages raw instead of base64
    std::string cafile;
};
int run_ws(const WsOptions& opts);

struct BenchOptions {
    std::vector<std::string> workloads;  // empty: all
    double scale = 1.0;
};
int run_bench(const BenchOptions& opts);
/// The workloads `aio bench` knows, in order.
std::vector<std::string> bench_workloads();

/// The CSV text of the seed's airtravel.csv (section 2.3), byte for byte.
extern const char* const kAirtravelCsv;

/// True when `url` is an absolute http:// or https:// URL with a host.
bool is_http_url(const std::string& url);

}  // namespace aio::tool
