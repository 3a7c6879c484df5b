#include "csv/samples.hpp"

#include <aio/http/compression.hpp>

#include <cstdint>
#include <cstdio>
#include <random>

namespace aio::test {

std::string gzip(std::string_view data) { return aio::http::compress(data, aio::http::Coding::gzip); }

std::string r8_like(std::size_t rows, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::string s = "id,a,x,city,note\n";
    for (std::size_t i = 0; i < rows; ++i) {
        s += std::to_string(i) + ",";
        if (rng() % 50) s += std::to_string(static_cast<std::int64_t>(rng() % 2000000) - 1000000);
        s += ",";
        if (rng() % 50) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.17g", static_cast<double>(rng() % 1000000) / 997.0);
            s += buf;
        }
        s += rng() % 30 ? ",Zürich," : ",,";
        switch (rng() % 4) {
            case 0: s += "\"comma, inside\""; break;
            case 1: s += "\"say \"\"hi\"\"\""; break;
            case 2: s += "\"line\nbreak\""; break;
            default: s += "plain"; break;
        }
        s += "\n";
    }
    return s;
}

std::string eol_text(std::size_t rows, std::string_view eol, std::size_t block) {
    static const char* const kMixed[] = {"\r", "\n", "\r\n"};
    std::string s = "a,b,c";
    s += eol == "mixed" ? "\r" : eol;
    s.reserve(rows * 32);
    for (std::size_t i = 0; i < rows; ++i) {
        const std::string_view e = eol == "mixed" ? std::string_view(kMixed[i % 3]) : eol;
        std::string row = std::to_string(i) + "," + std::to_string(7 * static_cast<std::int64_t>(i) - 3) + ",s" +
                          std::to_string(i);
        const std::size_t next = (s.size() / block + 1) * block;  // the next block boundary
        const std::size_t room = next - 1 - s.size();             // row length putting its break there
        if (room < 128 && room >= row.size()) row.append(room - row.size(), 'x');
        s += row;
        s += e;
    }
    return s;
}

std::string eol_rows_mismatch(const aio::Table& t, std::size_t first) {
    if (t.num_columns() != 3) return "columns: " + std::to_string(t.num_columns());
    for (std::size_t c = 0; c < 3; ++c) {
        const aio::DType want = c < 2 ? aio::DType::int64 : aio::DType::object;
        if (t.dtypes()[c] != want)
            return "column " + t.columns()[c] + " is " + std::string(aio::to_string(t.dtypes()[c]));
        if (t.column(c).null_count() != 0)
            return "column " + t.columns()[c] + " has " + std::to_string(t.column(c).null_count()) + " missing";
    }
    const auto av = t.column(0).values<std::int64_t>();
    const auto bv = t.column(1).values<std::int64_t>();
    const aio::Column& c = t.column(2);
    for (std::size_t r = 0; r < t.num_rows(); ++r) {
        const auto i = static_cast<std::int64_t>(first + r);
        const std::string_view cs = c.str(r);
        const std::string want_c = "s" + std::to_string(i);
        if (av[r] != i || bv[r] != 7 * i - 3 || cs.substr(0, want_c.size()) != want_c ||
            cs.find_first_not_of('x', want_c.size()) != std::string_view::npos)
            return "row " + std::to_string(i) + " is " + std::to_string(av[r]) + "," + std::to_string(bv[r]) + "," +
                   std::string(cs);
    }
    return "";
}

}  // namespace aio::test
