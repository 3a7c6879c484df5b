// Numbers are read exactly: every float is the correctly rounded double of
// its text (checked against std::from_chars over many random texts in the
// forms CSV files use), integers up to the limits of int64 and uint64.
#include <aio/csv.hpp>

#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <random>

namespace {

TEST(Numbers, FloatsAreCorrectlyRounded) {
    std::mt19937_64 rng(42);
    std::vector<std::string> texts;
    char buf[64];
    for (int i = 0; i < 20000; ++i) {
        const double mag = std::ldexp(static_cast<double>(rng() % 1000000), static_cast<int>(rng() % 200) - 100);
        const double v = (rng() & 1) ? -mag : mag;
        switch (i % 6) {
            case 0: std::snprintf(buf, sizeof buf, "%.17g", v); break;
            case 1: std::snprintf(buf, sizeof buf, "%.6f", v); break;
            case 2: std::snprintf(buf, sizeof buf, "%.3e", v); break;
            case 3: std::snprintf(buf, sizeof buf, "%.15g", v); break;
            case 4: std::snprintf(buf, sizeof buf, "%.16g", v); break;
            default: std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(rng() % 20), v / 1e10); break;
        }
        texts.emplace_back(buf);
    }
    texts.push_back("9007199254740993");
    texts.push_back("0.30000000000000004");
    texts.push_back("2.2250738585072011e-308");
    texts.push_back("4.9406564584124654e-324");
    texts.push_back("1.7976931348623157e308");
    texts.push_back("123456789012345678901234567890");
    texts.push_back("0.000000000000000000000000000001");
    std::string csv = "x\n";
    for (const auto& t : texts) csv += t + "\n";
    const aio::Table table = aio::csv::read_csv_string(csv);
    ASSERT_EQ(table["x"].dtype(), aio::DType::float64);
    const auto values = table["x"].values<double>();
    ASSERT_EQ(values.size(), texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        double expected = 0;
        std::from_chars(texts[i].data(), texts[i].data() + texts[i].size(), expected);
        ASSERT_EQ(values[i], expected) << texts[i];
        ASSERT_EQ(std::signbit(values[i]), std::signbit(expected)) << texts[i];
    }
}

TEST(Numbers, IntegerLimits) {
    const aio::Table t = aio::csv::read_csv_string(
        "a,b,c\n9223372036854775807,18446744073709551615,-9223372036854775808\n0,0,0\n");
    EXPECT_EQ(t["a"].values<std::int64_t>()[0], INT64_MAX);
    EXPECT_EQ(t["b"].dtype(), aio::DType::uint64);
    EXPECT_EQ(t["b"].values<std::uint64_t>()[0], UINT64_MAX);
    EXPECT_EQ(t["c"].values<std::int64_t>()[0], INT64_MIN);
    // Past uint64, or signed and unsigned mixed: text, as pandas.
    EXPECT_EQ(aio::csv::read_csv_string("a\n18446744073709551616\n")["a"].dtype(), aio::DType::object);
    EXPECT_EQ(aio::csv::read_csv_string("a\n9223372036854775808\n-1\n")["a"].dtype(), aio::DType::object);
    // An int column with a gap is float64; with a float too.
    EXPECT_EQ(aio::csv::read_csv_string("a\n1\n\n2\nNA\n")["a"].dtype(), aio::DType::float64);
    EXPECT_EQ(aio::csv::read_csv_string("a\n1e400\n")["a"].dtype(), aio::DType::object);
}

}  // namespace
