// aio: the command-line tool of the aio library (demo, fetch, csv, serve, ws, bench).
// This file only wires the command line; each subcommand lives in its own file.
#include "aio_tool.hpp"

#include <aio/version.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

/// The most seconds a --timeout may give: a year, enough for any transfer
/// and far below where a deadline overflows the clock's count of
/// nanoseconds (292 years; "1e300" did).
constexpr double kMaxTimeoutSeconds = 365.0 * 86400;

/// A number from `lo` to `hi` (above `lo` when `lo_excluded`). CLI::Range
/// alone lets "nan" through (no comparison with NaN is true), and "inf" and
/// "1e309" would become durations no clock holds.
CLI::Validator number_in(double lo, double hi, bool lo_excluded = false) {
    return CLI::Validator(
        [lo, hi, lo_excluded](std::string& input) -> std::string {
            double v = 0;
            bool ok = CLI::detail::lexical_cast(input, v) && std::isfinite(v) && (lo_excluded ? v > lo : v >= lo) &&
                      v <= hi;
            if (ok) return {};
            return fmt::format("'{}' is not a number from {} ({}) to {}", input, lo,
                               lo_excluded ? "excluded" : "included", hi);
        },
        fmt::format("in {}{} - {}]", lo_excluded ? "(" : "[", lo, hi), "");
}

/// A whole number written in decimal digits only: CLI11 reads integers with
/// strtoull(..., 0), which takes "-1" as 2^64 - 1, saturates "2^64" and
/// more to 2^64 - 1, and reads "010" as octal 8 and "0x10" as 16. A
/// transform (it rewrites the value without its leading zeros), so it runs
/// before the option's checks.
CLI::Validator whole_number() {
    return CLI::Validator(
        [](std::string& input) -> std::string {
            std::uint64_t v = 0;
            auto [end, ec] = std::from_chars(input.data(), input.data() + input.size(), v);
            if (input.empty() || end != input.data() + input.size())
                return fmt::format("'{}' is not a whole number (decimal digits only)", input);
            if (ec == std::errc::result_out_of_range) return fmt::format("'{}' is too large", input);
            input = std::to_string(v);  // "010" is ten: without its leading zeros, CLI11 reads no octal
            return {};
        },
        "", "");
}

}  // namespace

int main(int argc, char** argv) {
    using namespace aio::tool;
    CLI::App app{"aio — asyncio, aiohttp, aiofiles and pandas.read_csv in C++20.\n"
                 "Start with `aio demo`; `aio COMMAND --help` tells more about each command.",
                 "aio"};
    app.require_subcommand(1);
    app.fallthrough(false);
    app.set_version_flag("--version", "aio " + std::string(aio::version()), "Print the version and exit");

    // demo
    DemoOptions demo;
    auto* demo_cmd = app.add_subcommand(
        "demo", "Run the seed's scenarios against a local server started for the purpose (no network needed)");
    demo_cmd->add_option("--scenario", demo.scenarios, "Run only this scenario (repeatable); see --list")
        ->allow_extra_args(false)
        ->check(CLI::IsMember(demo_scenarios()));
    demo_cmd->add_flag("--list", demo.list, "List the scenarios and exit");

    // fetch
    FetchOptions fetch;
    auto* fetch_cmd = app.add_subcommand("fetch", "Fetch many URLs concurrently and summarise the results");
    fetch_cmd->add_option("urls", fetch.urls, "URLs to fetch (http:// or https://)");
    fetch_cmd->add_option("-i,--input", fetch.input_file, "Read URLs from FILE, one a line ('-' for stdin; # comments)");
    fetch_cmd->add_option("-c,--concurrency", fetch.concurrency, "Requests in flight at most")
        ->capture_default_str()
        ->transform(whole_number())
        ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
    fetch_cmd->add_option("--timeout", fetch.timeout, "Total seconds allowed per request (each attempt)")
        ->capture_default_str()
        ->check(number_in(0, kMaxTimeoutSeconds, true));
    fetch_cmd->add_option("--retries", fetch.retries,
                          "Retries after a connection error, a timeout or a 5xx status, with exponential backoff")
        ->capture_default_str()
        ->transform(whole_number())
        ->check(CLI::Range(0, 100));
    fetch_cmd->add_option("-o,--output-dir", fetch.output_dir, "Save each body in DIR (named after the URL's path)");
    fetch_cmd->add_option("-X,--method", fetch.method, "HTTP method")->capture_default_str();
    fetch_cmd->add_option("-H,--header", fetch.headers, "Request header 'Name: value' (repeatable)")
        ->allow_extra_args(false);
    fetch_cmd->add_option("-d,--data", fetch.data, "Request body (sent with every request)");
    fetch_cmd->add_flag("--json", fetch.json, "Print one JSON document: per-URL results and the summary");
    fetch_cmd->add_flag("-q,--quiet", fetch.quiet, "Do not list failures on stderr");

    // csv
    CsvOptions csv;
    auto* csv_cmd = app.add_subcommand("csv", "Read a CSV (URL, file or '-' for stdin) as pandas.read_csv does and print it");
    csv_cmd->add_option("source", csv.source, "http(s) URL, file path, or '-' for standard input")->required();
    auto* head_opt =
        csv_cmd->add_option("--head", csv.head, "Print the first N rows (default: 5)")->transform(whole_number());
    auto* tail_opt = csv_cmd->add_option("--tail", csv.tail, "Print the last N rows")->transform(whole_number());
    auto* describe_opt = csv_cmd->add_flag("--describe", csv.describe, "Print summary statistics (df.describe())");
    auto* dtypes_opt = csv_cmd->add_flag("--dtypes", csv.dtypes, "Print the column types (df.dtypes)");
    auto* to_opt = csv_cmd->add_option("--to", csv.to, "Convert the whole table: csv or json (records)")
                       ->check(CLI::IsMember({"csv", "json"}));
    head_opt->excludes(tail_opt, describe_opt, dtypes_opt, to_opt);
    tail_opt->excludes(describe_opt, dtypes_opt, to_opt);
    describe_opt->excludes(dtypes_opt, to_opt);
    dtypes_opt->excludes(to_opt);
    csv_cmd->add_option("--sep", csv.sep, "Field separator (one character, a string, or '\\s+')")->capture_default_str();
    csv_cmd->add_option("--header", csv.header, "Row number of the column names, or 'none' (default: infer)");
    csv_cmd->add_option("--usecols", csv.usecols, "Only these columns: names or 0-based positions, comma-separated");
    csv_cmd->add_option("--nrows", csv.nrows, "Read at most N data rows")->transform(whole_number());
    csv_cmd->add_option("--skiprows", csv.skiprows, "Skip N lines at the start")->transform(whole_number());
    csv_cmd->add_option("--na-values", csv.na_values, "Extra strings that mean missing, comma-separated");
    csv_cmd->add_option("--decimal", csv.decimal, "Decimal point")->capture_default_str();
    csv_cmd->add_option("--thousands", csv.thousands, "Thousands separator");
    csv_cmd->add_option("--comment", csv.comment, "Comment character");
    csv_cmd->add_option("--encoding", csv.encoding, "utf-8, utf-8-sig or latin-1")->capture_default_str();
    csv_cmd->add_option("--parse-dates", csv.parse_dates, "Columns to parse as dates: names or positions, comma-separated");

    // serve
    ServeOptions serve;
    auto* serve_cmd = app.add_subcommand("serve", "Serve the files of a directory over HTTP until SIGINT/SIGTERM");
    serve_cmd->add_option("dir", serve.dir, "Directory to serve")->required();
    serve_cmd->add_option("--host", serve.host, "Address to listen on")->capture_default_str();
    serve_cmd->add_option("-p,--port", serve.port, "Port to listen on (0 picks a free one)")
        ->transform(whole_number())
        ->capture_default_str();
    serve_cmd
        ->add_option("-w,--workers", serve.workers,
                     "Workers serving the port, each with its own loop (threads; see --processes)")
        ->transform(whole_number())
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
    serve_cmd->add_flag("--processes", serve.processes,
                        "Make the workers processes (a supervisor restarts one that dies) instead of threads");
    serve_cmd
        ->add_option("--shutdown-timeout", serve.shutdown_timeout,
                     "Seconds that requests in flight get to finish after SIGTERM/SIGINT")
        ->check(number_in(0, 86400))
        ->capture_default_str();

    // ws
    WsOptions ws;
    auto* ws_cmd = app.add_subcommand("ws", "Talk to a WebSocket: each line of stdin is sent as a text message, "
                                            "each message received is printed on a line");
    ws_cmd->add_option("url", ws.url, "ws:// or wss:// URL")->required();
    ws_cmd->add_option("-H,--header", ws.headers, "Handshake header 'Name: value' (repeatable)");
    ws_cmd->add_option("--protocol", ws.protocols, "Subprotocol to offer (repeatable)");
    ws_cmd->add_flag("--no-compress", ws.no_compress, "Do not offer permessage-deflate");
    ws_cmd->add_option("--ping-interval", ws.ping_interval,
                       "Ping after this many seconds of silence; no answer within half of it ends the connection")
        ->check(number_in(0, 86400));
    ws_cmd->add_flag("--binary", ws.binary, "Print binary messages raw instead of base64");
    ws_cmd->add_option("--cafile", ws.cafile, "Trust the CAs in this PEM file for wss://");

    // bench
    BenchOptions bench;
    auto* bench_cmd = app.add_subcommand("bench", "Run the runtime and CSV workloads that need no peer: " +
                                                      join(bench_workloads()));
    bench_cmd->add_option("workloads", bench.workloads, "Workloads to run (default: all)")
        ->check(CLI::IsMember(bench_workloads(), CLI::ignore_case));
    bench_cmd->add_option("--scale", bench.scale, "Multiply every workload's size by this (e.g. 0.1 for a quick run)")
        ->capture_default_str()
        ->check(number_in(0.001, 100));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        fmt::print(stderr, "Run `aio --help` or `aio COMMAND --help` for the usage.\n");
        return 2;
    }

    try {
        if (*demo_cmd) return run_demo(demo);
        if (*fetch_cmd) return run_fetch(fetch);
        if (*csv_cmd) return run_csv(csv);
        if (*serve_cmd) return run_serve(serve);
        if (*bench_cmd) return run_bench(bench);
        if (*ws_cmd) return run_ws(ws);
    } catch (const UsageError& e) {
        fmt::print(stderr, "aio: {}\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "aio: error: {}\n", e.what());
        return 1;
    }
    return 2;
}
