// aio-test-labels: sync
// Numbers are read exactly: every float is the correctly rounded double of
// its text (checked against std::from_chars over many random texts in the
// forms CSV files use), integers up to the limits of int64 and uint64.
#include <aio/csv.hpp>

#include <gtest/gtest.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <random>

namespace {

/// Reads `texts` as one CSV column and checks every value bit for bit (sign
/// of zero included) against std::from_chars of the same text.
void expect_read_as_from_chars(const std::vector<std::string>& texts) {
    std::string csv = "x\n";
    for (const auto& t : texts) csv += t + "\n";
    const aio::Table table = aio::csv::read_csv_string(csv);
    ASSERT_EQ(table["x"].dtype(), aio::DType::float64);
    const auto values = table["x"].values<double>();
    ASSERT_EQ(values.size(), texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        double expected = 0;
        std::from_chars(texts[i].data(), texts[i].data() + texts[i].size(), expected);
        ASSERT_EQ(std::memcmp(&values[i], &expected, sizeof expected), 0) << texts[i] << " read as " << values[i];
    }
}

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
    expect_read_as_from_chars(texts);
}

TEST(Numbers, LongMantissasAreCorrectlyRounded) {
    // 16 to 19 significant digits (past 2^53, where one 128-bit multiply
    // decides instead of Clinger's exact operands) at every position of the
    // point, with exponents inside and outside the range that multiply
    // covers, each bit for bit as std::from_chars reads it.
    std::mt19937_64 rng(19);
    std::vector<std::string> texts;
    for (int i = 0; i < 100000; ++i) {
        const int digits = 16 + static_cast<int>(rng() % 4);
        std::string d(1, static_cast<char>('1' + rng() % 9));
        for (int k = 1; k < digits; ++k) d += static_cast<char>('0' + rng() % 10);
        const int point = static_cast<int>(rng() % (digits + 1));
        std::string t = (rng() & 1) ? "-" : "";
        t += point == 0 ? "0" : d.substr(0, static_cast<std::size_t>(point));
        if (point < digits) t += "." + d.substr(static_cast<std::size_t>(point));
        if (rng() % 2) t += "e" + std::to_string(static_cast<int>(rng() % 121) - 60);
        texts.push_back(t);
    }
    // Halfway between two doubles (rounded to even), next to it, the largest
    // 19-digit mantissa, and exponents at the ends of the multiply's range.
    for (const char* t : {"9007199254740993", "9007199254740995", "9007199254740994", "9007199254740993.0",
                          "18014398509481986", "18014398509481990", "9223372036854775807", "9223372036854775808",
                          "9999999999999999999", "1000000000000000000e3", "1.2345678901234567e-64",
                          "1.2345678901234567e-65", "9.999999999999999999e64", "1.234567890123456789e65",
                          "4.9406564584124654e-324", "2.2250738585072014e-308", "1.7976931348623157e308"})
        texts.emplace_back(t);
    expect_read_as_from_chars(texts);
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

TEST(Numbers, IntegersOfEveryLengthAndSign) {
    // 1 to 19 digits, with '-', '+', leading zeros and spaces: the 8-byte
    // digit reader, its scalar fallback and the general parser agree.
    std::mt19937_64 rng(7);
    std::vector<std::string> texts;
    std::vector<std::int64_t> expected;
    for (int digits = 1; digits <= 18; ++digits) {
        for (int k = 0; k < 20; ++k) {
            std::string t;
            for (int i = 0; i < digits; ++i) t += static_cast<char>('0' + rng() % 10);
            const std::int64_t v = std::stoll(t);
            switch (k % 4) {
                case 0: texts.push_back(t); expected.push_back(v); break;
                case 1: texts.push_back("-" + t); expected.push_back(-v); break;
                case 2: texts.push_back("+" + t); expected.push_back(v); break;
                default: texts.push_back(" " + t + " "); expected.push_back(v); break;
            }
        }
    }
    texts.push_back("9223372036854775807");
    expected.push_back(INT64_MAX);
    texts.push_back("-0000000000000000000000001");
    expected.push_back(-1);
    std::string csv = "x,y\n";
    for (const auto& t : texts) csv += t + ",\"" + t + "\"\n";
    const aio::Table table = aio::csv::read_csv_string(csv);
    ASSERT_EQ(table["x"].dtype(), aio::DType::int64);
    ASSERT_EQ(table["y"].dtype(), aio::DType::int64);
    for (std::size_t i = 0; i < texts.size(); ++i) {
        EXPECT_EQ(table["x"].values<std::int64_t>()[i], expected[i]) << texts[i];
        EXPECT_EQ(table["y"].values<std::int64_t>()[i], expected[i]) << texts[i];
    }
}

TEST(Numbers, FloatsOfEveryDigitCount) {
    // Digits before and after the point from 0 to 21 (more than the 19 the
    // fast path takes), each compared with std::from_chars.
    std::mt19937_64 rng(11);
    std::vector<std::string> texts;
    for (int before = 0; before <= 21; ++before) {
        for (int after = 0; after <= 21; ++after) {
            if (before + after == 0) continue;
            std::string t = (rng() & 1) ? "-" : "";
            for (int i = 0; i < before; ++i) t += static_cast<char>('0' + rng() % 10);
            if (after != 0) t += '.';
            for (int i = 0; i < after; ++i) t += static_cast<char>('0' + rng() % 10);
            if (rng() % 3 == 0) t += "e" + std::to_string(static_cast<int>(rng() % 40) - 20);
            texts.push_back(t);
        }
    }
    expect_read_as_from_chars(texts);
}

TEST(Numbers, MissingValuesAmongNumbers) {
    // The default NA strings are not numbers: they are looked up only when a
    // cell does not parse, and still read as missing.
    const aio::Table t = aio::csv::read_csv_string("a,b,c\n1,1.5,1\nNA,nan,x\n3,,3\n");
    EXPECT_EQ(t["a"].dtype(), aio::DType::float64);
    EXPECT_TRUE(t["a"].is_na(1));
    EXPECT_EQ(t["a"].values<double>()[2], 3.0);
    EXPECT_TRUE(t["b"].is_na(1));
    EXPECT_TRUE(t["b"].is_na(2));
    EXPECT_EQ(t["c"].dtype(), aio::DType::object);
    // An NA string that is a number is missing, not a number.
    aio::csv::ReadOptions o;
    o.na_values = {"-1", "2.5", "True"};
    const aio::Table u = aio::csv::read_csv_string("a,b,c\n-1,2.5,True\n4,1.5,False\n", o);
    EXPECT_EQ(u["a"].dtype(), aio::DType::float64);
    EXPECT_TRUE(u["a"].is_na(0));
    EXPECT_EQ(u["a"].values<double>()[1], 4.0);
    EXPECT_TRUE(u["b"].is_na(0));
    EXPECT_EQ(u["b"].values<double>()[1], 1.5);
    EXPECT_TRUE(u["c"].is_na(0));
}

}  // namespace
