// aio-test-labels: sync
// The bitmask tokenizer is built once per instruction set (baseline, AVX2,
// AVX-512BW under clang on x86-64) and the CPU's best runs. Every version
// this CPU can run must give what the baseline gives, table for table and
// error for error, on random text full of quotes, doubled quotes, CR, LF and
// separators, on quoted fields longer than many 64-byte chunks, and on an
// R8-shaped file.
#include <aio/csv.hpp>

#include "csv/samples.hpp"
#include "csv/tokenizer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

using aio::csv::detail::TokenizerIsa;

/// The table as CSV, or the kind of error.
std::string outcome(std::string_view text, const aio::csv::ReadOptions& o) {
    try {
        return aio::csv::read_csv_string(text, o).to_csv();
    } catch (const aio::csv::ParserError& e) {
        return std::string("ParserError: ") + e.what();
    } catch (const aio::csv::EmptyDataError&) {
        return "EmptyDataError";
    }
}

std::vector<std::string> inputs() {
    std::vector<std::string> docs;
    std::mt19937 rng(7);
    // Rows of plain and quoted cells (quoted ones holding separators, line
    // breaks and doubled quotes), LF or CR LF, with now and then a stray
    // quote or CR that sends the rest to the state machine or is an error.
    const std::string plain = "aaaabbb1234567.- ;\t";
    const std::string quoted = "aaaa12 ,,\n\r;";
    for (int i = 0; i < 600; ++i) {
        std::string d = "h1,h2,h3\n";
        const std::size_t rows = rng() % 60;
        for (std::size_t r = 0; r < rows; ++r) {
            const std::size_t cells = rng() % 50 == 0 ? 4 : 3;  // now and then a row too long
            for (std::size_t c = 0; c < cells; ++c) {
                if (c != 0) d += ',';
                const std::size_t n = rng() % 30;
                if (rng() % 3 == 0) {
                    d += '"';
                    for (std::size_t k = 0; k < n; ++k) d += rng() % 10 == 0 ? std::string("\"\"") : std::string(1, quoted[rng() % quoted.size()]);
                    d += '"';
                } else {
                    for (std::size_t k = 0; k < n; ++k) d += plain[rng() % plain.size()];
                }
                if (rng() % 200 == 0) d += rng() % 2 ? '"' : '\r';
            }
            d += rng() % 2 ? "\n" : "\r\n";
        }
        docs.push_back(std::move(d));
    }
    // Well-formed rows with quoted fields of every length across chunk
    // boundaries, doubled quotes and CR LF.
    for (int i = 0; i < 60; ++i) {
        std::string d = "a,b,c\r\n";
        for (int r = 0; r < 40; ++r) {
            std::string q(rng() % 300, 'x');
            for (std::size_t k = 0; k < q.size(); k += 1 + rng() % 40) q[k] = rng() % 2 ? ',' : '\n';
            if (rng() % 3 == 0) q.insert(q.size() / 2, "\"\"");
            d += std::to_string(r) + ",\"" + q + "\"," + std::to_string(rng() % 1000) + (r % 2 ? "\r\n" : "\n");
        }
        docs.push_back(std::move(d));
    }
    docs.push_back(aio::test::r8_like(3000));
    return docs;
}

TEST(CsvIsa, EveryVersionThisCpuRunsReadsAsTheBaselineDoes) {
    const TokenizerIsa best = aio::csv::detail::tokenizer_isa_supported();
    const std::vector<std::string> docs = inputs();
    const std::vector<aio::csv::ReadOptions> dialects = {
        aio::csv::ReadOptions{},
        aio::csv::ReadOptions{.sep = ";"},
        aio::csv::ReadOptions{.header = std::nullopt, .on_bad_lines = aio::csv::BadLines::skip},
    };
    std::vector<std::string> expected;
    aio::csv::detail::set_tokenizer_isa(TokenizerIsa::baseline);
    ASSERT_EQ(aio::csv::detail::tokenizer_isa(), TokenizerIsa::baseline);
    std::size_t tables = 0;
    for (const auto& o : dialects)
        for (const std::string& d : docs) {
            expected.push_back(outcome(d, o));
            tables += expected.back().find("Error") == std::string::npos;
        }
    EXPECT_GT(tables, expected.size() / 2);  // most inputs make a table, not an error
    for (int v = 1; v <= static_cast<int>(best); ++v) {
        const auto isa = static_cast<TokenizerIsa>(v);
        aio::csv::detail::set_tokenizer_isa(isa);
        ASSERT_EQ(aio::csv::detail::tokenizer_isa(), isa);
        std::size_t i = 0;
        for (const auto& o : dialects)
            for (const std::string& d : docs) {
                ASSERT_EQ(outcome(d, o), expected[i]) << "version " << v << ", input " << i % docs.size() << ":\n"
                                                      << d;
                ++i;
            }
    }
    aio::csv::detail::set_tokenizer_isa(best);
    EXPECT_EQ(aio::csv::detail::tokenizer_isa(), best);
    // More than the CPU runs is clamped to what it runs.
    aio::csv::detail::set_tokenizer_isa(TokenizerIsa::avx512);
    EXPECT_EQ(aio::csv::detail::tokenizer_isa(), best);
}

}  // namespace
