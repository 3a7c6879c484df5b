// aio csv: pandas.read_csv of a URL, a file or standard input, printed as
// pandas prints head() / tail() / describe() / dtypes, or converted.
#include "aio_tool.hpp"
#include "progress.hpp"

#include <aio/aio.hpp>
#include <aio/csv.hpp>
#include <aio/http.hpp>
#include <aio/json.hpp>
#include <fmt/core.h>


#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

namespace aio::tool {

namespace {

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(',', start);
        if (end == std::string::npos) end = s.size();
        out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

/// `digits` (all_digits) as a number of at most `max`; UsageError naming
/// the flag when it is larger.
template <class T>
T number_of(const std::string& flag, const std::string& value, const std::string& digits, T max) {
    T n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || n > max) {
        std::string where = digits == value ? "--" + flag : fmt::format("--{} '{}'", flag, value);
        throw UsageError(fmt::format("csv: {}: {} is too large (at most {})", where, digits, max));
    }
    return n;
}

csv::ColumnList column_list(const std::string& flag, const std::string& value) {
    auto items = split_commas(value);
    if (std::all_of(items.begin(), items.end(), all_digits)) {
        std::vector<std::size_t> pos;
        for (const auto& i : items) pos.push_back(number_of(flag, value, i, std::numeric_limits<std::size_t>::max()));
        return csv::ColumnList(std::move(pos));
    }
    for (const auto& i : items)
        if (i.empty()) throw UsageError(fmt::format("csv: {} '{}' has an empty column name; write --{} a,b", flag, value, flag));
    return csv::ColumnList(std::move(items));
}

csv::ReadOptions read_options(const CsvOptions& o) {
    csv::ReadOptions ro;
    ro.sep = o.sep;
    if (o.header == "none" || o.header == "None") {
        ro.header = std::nullopt;
    } else if (o.header != "infer") {
        if (!all_digits(o.header))
            throw UsageError(fmt::format("csv: --header '{}' is not a row number; write --header 0, --header none "
                                         "or leave it out to infer", o.header));
        ro.header = number_of("header", o.header, o.header, std::numeric_limits<int>::max());
    }
    if (!o.usecols.empty()) ro.usecols = column_list("usecols", o.usecols);
    if (o.nrows) ro.nrows = *o.nrows;
    if (o.skiprows) ro.skiprows = *o.skiprows;
    if (!o.na_values.empty()) ro.na_values = split_commas(o.na_values);
    ro.decimal = o.decimal;
    ro.thousands = o.thousands;
    ro.comment = o.comment;
    ro.encoding = o.encoding;
    if (!o.parse_dates.empty()) ro.parse_dates = column_list("parse-dates", o.parse_dates);
    return ro;
}

/// What pandas prints for `print(df.dtypes)`.
std::string dtypes_text(const Table& t) {
    std::size_t nw = 0, vw = 0;
    auto types = t.dtypes();
    for (const auto& n : t.columns()) nw = std::max(nw, n.size());
    for (auto d : types) vw = std::max(vw, std::string(to_string(d)).size());
    std::string out;
    for (std::size_t i = 0; i < types.size(); ++i)
        out += fmt::format("{:<{}}{:>{}}\n", t.columns()[i], nw, std::string(to_string(types[i])), vw + 4);
    out += "dtype: object";
    return out;
}

json::Value scalar_json(const Scalar& s) {
    if (is_na(s)) return nullptr;
    if (auto* b = std::get_if<bool>(&s)) return *b;
    if (auto* i = std::get_if<std::int64_t>(&s)) return *i;
    if (auto* u = std::get_if<std::uint64_t>(&s)) return *u;
    if (auto* d = std::get_if<double>(&s)) return *d;
    if (auto* str = std::get_if<std::string>(&s)) return *str;
    return to_string(s);
}

/// pandas' df.to_json(orient="records"): one object per row.
std::string to_json_records(const Table& t) {
    json::Array rows;
    rows.reserve(t.num_rows());
    for (std::size_t r = 0; r < t.num_rows(); ++r) {
        json::Object row;
        for (std::size_t c = 0; c < t.num_columns(); ++c) row.set(t.columns()[c], scalar_json(t.column(c).at(r)));
        rows.emplace_back(std::move(row));
    }
    return json::dumps(json::Value(std::move(rows)));
}

/// "[#########---------] 45% 45.0 MiB of 100.0 MiB  30.2 MiB/s  ETA 0:02  412331 rows".
std::string csv_progress_line(const csv::ReadProgress& p, double secs) {
    auto bytes = static_cast<double>(p.bytes_read.load());
    auto total = p.total_bytes.load();
    double rate = secs > 0 ? bytes / secs : 0;
    std::string line;
    if (total > 0) {
        double fraction = bytes / static_cast<double>(total);
        line = fmt::format("{} {:.0f}% {} of {}", progress_bar(fraction), std::min(fraction, 1.0) * 100,
                           human_bytes(bytes), human_bytes(static_cast<double>(total)));
    } else {
        line = human_bytes(bytes);
    }
    line += fmt::format("  {}/s", human_bytes(rate));
    if (total > 0 && bytes < static_cast<double>(total)) line += "  " + eta(static_cast<double>(total) - bytes, rate);
    return line + fmt::format("  {} rows", p.rows_parsed.load());
}

/// read_csv_async of a URL with a progress line on stderr (a terminal):
/// download and parse advance together, the body parsed as it arrives.
Task<Table> read_url_with_progress(std::string url, csv::ReadOptions ro) {
    csv::ReadProgress progress;
    ro.progress = &progress;
    auto t0 = std::chrono::steady_clock::now();
    ProgressTicker ticker([&progress, t0] {
        return csv_progress_line(progress, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    });
    std::optional<Table> table;
    std::exception_ptr error;
    try {
        // The call's arguments are made before the co_await (g++ 12 and
        // temporaries in co_await expressions: docs/differences.md).
        Task<Table> reading = csv::read_csv_async(url, std::move(ro));
        Table got = co_await std::move(reading);
        table.emplace(std::move(got));
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        co_await ticker.stop(ProgressTicker::End::erase);
        std::rethrow_exception(error);
    }
    co_await ticker.stop(ProgressTicker::End::keep_last);
    co_return std::move(*table);
}

}  // namespace

int run_csv(const CsvOptions& o) {
    csv::ReadOptions ro = read_options(o);
    std::string what = o.source == "-" ? "<stdin>" : o.source;
    Table t;
    try {
        if (o.source == "-") {
            std::string text(std::istreambuf_iterator<char>(std::cin), {});
            std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()), text.size());
            t = csv::read_csv(bytes, ro);
        } else if (o.source.find("://") != std::string::npos) {
            if (!is_http_url(o.source))
                throw UsageError(fmt::format("csv: '{}' is not an http:// or https:// URL; give a URL, a file "
                                             "path, or - for standard input", o.source));
            if (progress_wanted()) {
                t = aio::run(read_url_with_progress(o.source, ro));
            } else {
                t = aio::run(csv::read_csv_async(o.source, ro));
            }
        } else {
            std::error_code ec;
            if (!std::filesystem::exists(o.source, ec)) {
                fmt::print(stderr, "aio csv: no such file '{}'; give a file path, a URL, or - for standard input\n",
                           o.source);
                return 1;
            }
            if (std::filesystem::is_directory(o.source, ec)) {
                fmt::print(stderr, "aio csv: '{}' is a directory, not a CSV file\n", o.source);
                return 1;
            }
            t = csv::read_csv(std::filesystem::path(o.source), ro);
        }
    } catch (const csv::ParserError& e) {
        std::string msg = e.what();
        if (e.line() && msg.find("line") == std::string::npos)
            fmt::print(stderr, "aio csv: {}: line {}: {}\n", what, e.line(), msg);
        else
            fmt::print(stderr, "aio csv: {}: {}\n", what, msg);
        return 1;
    } catch (const UsageError&) {
        throw;
    } catch (const std::exception& e) {
        fmt::print(stderr, "aio csv: {}: {}\n", what, e.what());
        return 1;
    }

    if (o.to == "csv") {
        fmt::print("{}", t.to_csv());
    } else if (o.to == "json") {
        fmt::print("{}\n", to_json_records(t));
    } else if (o.dtypes) {
        fmt::print("{}\n", dtypes_text(t));
    } else if (o.describe) {
        fmt::print("{}\n", t.describe().to_string());
    } else if (o.tail) {
        fmt::print("{}\n", t.tail(*o.tail).to_string());
    } else {
        fmt::print("{}\n", t.head(o.head.value_or(5)).to_string());
    }
    return 0;
}

}  // namespace aio::tool
