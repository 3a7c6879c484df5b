// aio-test-labels: threads;sync
// aio-test-shards: 6
// Line endings across parser blocks: files whose lines end with a bare CR
// (old Mac), CR LF or LF, larger than several 1 MiB blocks, with a line break
// placed on every block's last byte (a CR ending a block, a CR LF cut in
// two), read through every path — read_csv with one and two threads,
// memory and file, the chunked TextFileReader, StreamingParser fed in odd
// pieces — and compared value by value with what the file holds, and (where
// /usr/bin/python3 has pandas) with pandas.read_csv.
#include <aio/csv.hpp>

#include "csv/samples.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace {

using aio::csv::ReadOptions;
constexpr std::size_t kBlock = aio::csv::StreamingParser::kBlockSize;

using aio::test::eol_text;

/// Checks that `t` holds rows [first, first + t.num_rows()) of eol_text().
void expect_rows(const aio::Table& t, std::size_t first, const std::string& what) {
    EXPECT_EQ(aio::test::eol_rows_mismatch(t, first), "") << what;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("aio_csv_eol_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

void write_file(const std::string& path, std::string_view data) {
    std::ofstream f(path, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

struct Eol {
    const char* name;
    const char* eol;
};
void PrintTo(const Eol& e, std::ostream* os) { *os << e.name; }

class LineEndings : public ::testing::TestWithParam<Eol> {
protected:
    /// About 6 MiB: six blocks, each ending on a line break.
    static constexpr std::size_t kRows = 260000;
    void SetUp() override {
        text_ = eol_text(kRows, GetParam().eol);
        path_ = temp_path(std::string(GetParam().name) + ".csv");
        write_file(path_, text_);
    }
    void TearDown() override { std::filesystem::remove(path_); }
    std::string text_;
    std::string path_;
};

TEST_P(LineEndings, TheTextHasItsBreaksOnBlockEnds) {
    ASSERT_GT(text_.size(), 5 * kBlock);
    const std::string_view eol = GetParam().eol;
    for (std::size_t b = kBlock; b < text_.size(); b += kBlock) {
        const char last = text_[b - 1];
        if (eol == "\n") {
            EXPECT_EQ(last, '\n') << "block end " << b;
        } else if (eol != "mixed") {
            EXPECT_EQ(last, '\r') << "block end " << b;
        }
        if (eol == "\r\n") {
            EXPECT_EQ(text_[b], '\n') << "CR LF cut at " << b;
        }
    }
}

TEST_P(LineEndings, ReadCsvOfAFileWithOneThread) {
    expect_rows(aio::csv::read_csv(path_, {.threads = 1}), 0, "file, 1 thread");
    EXPECT_EQ(aio::csv::read_csv(path_, {.threads = 1}).num_rows(), kRows);
}

TEST_P(LineEndings, ReadCsvOfAFileWithTwoThreads) {
    const aio::Table t = aio::csv::read_csv(path_, {.threads = 2});
    EXPECT_EQ(t.num_rows(), kRows);
    expect_rows(t, 0, "file, 2 threads");
}

TEST_P(LineEndings, ReadCsvOfTextWithOneAndTwoThreads) {
    for (unsigned threads : {1u, 2u}) {
        const aio::Table t = aio::csv::read_csv(aio::csv::Text{text_}, {.threads = threads});
        EXPECT_EQ(t.num_rows(), kRows);
        expect_rows(t, 0, "text, " + std::to_string(threads) + " threads");
    }
}

TEST_P(LineEndings, ChunkedTextFileReader) {
    std::size_t first = 0;
    std::size_t chunks = 0;
    for (aio::Table& t : aio::csv::read_csv_chunks(path_, {.chunksize = 50000})) {
        expect_rows(t, first, "chunk " + std::to_string(chunks));
        first += t.num_rows();
        ++chunks;
    }
    EXPECT_EQ(first, kRows);
    EXPECT_EQ(chunks, 6u);
}

TEST_P(LineEndings, StreamingParserFedInOddPieces) {
    // Pieces of 1 B to 64 KiB, some ending between a CR and its LF.
    std::mt19937 rng(11);
    aio::csv::StreamingParser p;
    for (std::size_t i = 0; i < text_.size();) {
        const std::size_t n = std::min<std::size_t>(1 + rng() % (rng() % 4 == 0 ? 7 : 65536), text_.size() - i);
        p.feed(std::string_view(text_).substr(i, n));
        i += n;
    }
    p.finish();
    const aio::Table t = p.table();
    EXPECT_EQ(t.num_rows(), kRows);
    expect_rows(t, 0, "streamed");
}

// pandas ---------------------------------------------------------------------

const char* kPython = "/usr/bin/python3";

/// compare_pandas.py's cell section (dtypes and every cell) for `t`.
std::string cells(const aio::Table& t) {
    std::string out = "== shape " + std::to_string(t.num_rows()) + " " + std::to_string(t.num_columns()) + "\n";
    for (std::size_t c = 0; c < t.num_columns(); ++c) {
        const aio::Column& col = t.column(c);
        out += "== column " + t.columns()[c] + " " + std::string(aio::to_string(t.dtypes()[c])) + "\n";
        for (std::size_t r = 0; r < t.num_rows(); ++r) {
            if (col.is_na(r))
                out += "NA\n";
            else if (col.dtype() == aio::DType::object)
                out += "s:" + std::string(col.str(r)) + "\n";
            else
                out += aio::to_string(col.at(r)) + "\n";
        }
    }
    return out;
}

TEST_P(LineEndings, EveryCellAsPandasReadsIt) {
    if (!aio::test::python_has_module("pandas")) GTEST_SKIP() << "/usr/bin/python3 has no pandas";
    // Three blocks (pandas' side prints every cell: a smaller file).
    const std::string path = temp_path(std::string(GetParam().name) + "_pandas.csv");
    write_file(path, eol_text(100000, GetParam().eol));
    std::string expected =
        aio::test::run_command(std::string(kPython) + " " + AIO_SOURCE_DIR + "/tests/csv/compare_pandas.py '" + path + "'")
            .output;
    const std::size_t end = expected.find("== to_csv\n");
    ASSERT_NE(end, std::string::npos) << "pandas failed";
    expected.resize(end);
    EXPECT_NE(expected.find("== column a int64\n"), std::string::npos) << "pandas reads column a as int64";
    const aio::Table one = aio::csv::read_csv(path, {.threads = 1});
    const aio::Table two = aio::csv::read_csv(path, {.threads = 2});
    std::filesystem::remove(path);
    ASSERT_GT(one.num_rows(), 2 * kBlock / 32);
    const std::string got = cells(one);
    EXPECT_TRUE(got == expected) << "aio and pandas differ (sizes " << got.size() << ", " << expected.size() << ")";
    EXPECT_TRUE(cells(two) == expected) << "aio with 2 threads and pandas differ";
}

INSTANTIATE_TEST_SUITE_P(Eols, LineEndings,
                         ::testing::Values(Eol{"cr", "\r"}, Eol{"crlf", "\r\n"}, Eol{"lf", "\n"},
                                           Eol{"mixed", "mixed"}),
                         [](const ::testing::TestParamInfo<Eol>& info) { return std::string(info.param.name); });

// Small cases ----------------------------------------------------------------

TEST(LineEndings, FewRowsEndedByBareCrAreInt64) {
    const aio::Table t = aio::csv::read_csv_string(eol_text(5, "\r"));
    EXPECT_EQ(t.num_rows(), 5u);
    expect_rows(t, 0, "5 rows");
}

TEST(LineEndings, ManyBareCrRowsInOneFedBlockKeepEveryValue) {
    // One piece larger than a block of rows ended only by CRs: the row index
    // grows well past what was reserved for it (no '\n' to count up front).
    const std::string text = eol_text(120000, "\r", std::size_t{1} << 40);
    ASSERT_LT(text.size(), 4 * kBlock);
    aio::csv::StreamingParser p;
    p.feed(text);
    p.finish();
    expect_rows(p.table(), 0, "one piece");
    expect_rows(aio::csv::read_csv_string(text), 0, "read_csv_string");
}

TEST(LineEndings, ACrEndingTheInputIsALineBreak) {
    // The final CR of the input has no next byte to look at.
    for (std::size_t rows : {1u, 3u, 70000u}) {
        const std::string text = eol_text(rows, "\r");
        const aio::Table t = aio::csv::read_csv_string(text);
        EXPECT_EQ(t.num_rows(), rows);
        expect_rows(t, 0, std::to_string(rows) + " rows");
        std::string no_break = text.substr(0, text.size() - 1);
        const aio::Table u = aio::csv::read_csv_string(no_break);
        EXPECT_EQ(u.num_rows(), rows);
        expect_rows(u, 0, std::to_string(rows) + " rows, no final CR");
    }
}

TEST(LineEndings, ACrAt64ByteBoundariesOfTheFastTokenizer) {
    // CR LF with the CR at every offset modulo 64 relative to the block start.
    for (std::size_t shift = 0; shift < 64; ++shift) {
        std::string text = "a,b,c\r\n";
        text += "0,-3,s0" + std::string(shift, 'x') + "\r\n";
        for (std::size_t i = 1; i < 40; ++i)
            text += std::to_string(i) + "," + std::to_string(7 * static_cast<std::int64_t>(i) - 3) + ",s" +
                    std::to_string(i) + "\r\n";
        const aio::Table t = aio::csv::read_csv_string(text);
        ASSERT_EQ(t.num_rows(), 40u) << "shift " << shift;
        expect_rows(t, 0, "shift " + std::to_string(shift));
    }
}

}  // namespace
