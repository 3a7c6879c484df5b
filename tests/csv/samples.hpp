// CSV test inputs shared by the CSV suites.
#pragma once

#include <aio/http/compression.hpp>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>

namespace aio::test {

/// `data` as a gzip stream (header and trailer included).
inline std::string gzip(std::string_view data) { return aio::http::compress(data, aio::http::Coding::gzip); }

/// A CSV of `rows` rows shaped like R8's (ints, floats with gaps, quoted text
/// with commas, doubled quotes and line breaks).
inline std::string r8_like(std::size_t rows, unsigned seed = 1) {
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

}  // namespace aio::test
