// aio-test-labels: threads
// aio-test-shards: 13
// aio::csv on hostile input: every shape ends in a typed aio::csv error that
// names what was wrong (the limit, and the ReadOptions member that raises
// it), with work linear in the input, and never std::bad_alloc, an OOM kill,
// SIGBUS, or a silently short table.
#include <aio/aio.hpp>
#include <aio/csv.hpp>

#include "csv/samples.hpp"
#include "support/support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace aio::csv::detail {
// Bytes given to the CSV tokenizer so far, process-wide (src/csv/engine.hpp;
// src/ is not on the tests' include path).
std::size_t tokenized_bytes() noexcept;
}  // namespace aio::csv::detail

namespace {

using aio::csv::LimitError;
using aio::csv::ParserError;
using aio::csv::ReadOptions;
using aio::csv::StreamingParser;
using aio::csv::detail::tokenized_bytes;

constexpr std::size_t kMiB = std::size_t{1} << 20;

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("aio_csv_faults_" + std::to_string(::getpid()) + "_" + name))
        .string();
}

void write_file(const std::string& path, std::string_view data) {
    std::ofstream f(path, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// A header, one good row, then a quote that never closes over `size`
/// bytes of lines.
std::string open_quote_after_rows(std::size_t size) {
    std::string s = "a,b\n1,2\n3,\"";
    s.reserve(s.size() + size);
    while (s.size() < size) s += "text inside a quote that never closes\n";
    return s;
}

/// Feeds `text` to `p` in pieces of `piece` bytes; returns the bytes fed
/// when the parser threw (the exception is rethrown to the caller through
/// `error`), or text.size().
template <class E>
std::size_t feed_until_error(StreamingParser& p, std::string_view text, std::size_t piece, std::string& error) {
    std::size_t fed = 0;
    try {
        while (fed < text.size()) {
            const std::size_t n = std::min(piece, text.size() - fed);
            p.feed(text.substr(fed, n));
            fed += n;
        }
        p.finish();
    } catch (const E& e) {
        error = e.what();
        return fed;
    }
    return fed;
}

// 1. An incomplete record is not tokenized again from its start for every block.

TEST(CsvFaults, OpenQuoteFedInSmallPiecesCostsLinearWork) {
    // 64 MiB in 64 KiB pieces: tokenizing the tail again for every piece
    // would be 1024 passes over up to 64 MiB (~32 GiB); linear is a few.
    const std::string text = open_quote_after_rows(64 * kMiB);
    StreamingParser p;
    const std::size_t before = tokenized_bytes();
    std::string error;
    const std::size_t fed = feed_until_error<ParserError>(p, text, 64 << 10, error);
    const std::size_t work = tokenized_bytes() - before;
    EXPECT_EQ(fed, text.size());
    EXPECT_NE(error.find("EOF inside string starting at line 3"), std::string::npos) << error;
    EXPECT_LE(work, 4 * text.size()) << "bytes tokenized for a " << text.size() << "-byte input";
}

TEST(CsvFaults, OpenQuoteInTheHeaderFedByteRangesCostsLinearWork) {
    // The whole input one open quote: the header never completes.
    std::string text = "\"";
    text.append(32 * kMiB, 'x');
    StreamingParser p;
    const std::size_t before = tokenized_bytes();
    std::string error;
    feed_until_error<ParserError>(p, text, 4 << 10, error);
    EXPECT_NE(error.find("EOF inside string starting at line 1"), std::string::npos) << error;
    EXPECT_LE(tokenized_bytes() - before, 4 * text.size());
}

TEST(CsvFaults, OpenQuoteInAFileCostsLinearWorkOnEveryPath) {
    const std::string path = temp_path("open_quote.csv");
    const std::string text = open_quote_after_rows(64 * kMiB);
    write_file(path, text);
    const int fds = aio::test::count_open_fds();
    for (unsigned threads : {1u, 2u}) {
        ReadOptions o;
        o.threads = threads;
        const std::size_t before = tokenized_bytes();
        try {
            aio::csv::read_csv(path, o);
            ADD_FAILURE() << "no error";
        } catch (const ParserError& e) {
            EXPECT_NE(std::string(e.what()).find("EOF inside string starting at line 3"), std::string::npos)
                << e.what();
        }
        // Two threads may parse the second half once more.
        EXPECT_LE(tokenized_bytes() - before, 6 * text.size()) << "threads=" << threads;
    }
    {
        const std::size_t before = tokenized_bytes();
        std::string error;
        aio::run([&]() -> aio::Task<> {
            auto f = co_await aio::files::open(path, "rb");
            try {
                co_await aio::csv::read_csv_async(f);
            } catch (const ParserError& e) {
                error = e.what();
            }
            co_await f.close();
        }());
        EXPECT_NE(error.find("EOF inside string starting at line 3"), std::string::npos) << error;
        EXPECT_LE(tokenized_bytes() - before, 4 * text.size());
    }
    {
        ReadOptions o;
        o.chunksize = 1;
        const std::size_t before = tokenized_bytes();
        std::string error;
        std::size_t rows = 0;
        aio::run([&]() -> aio::Task<> {
            auto f = co_await aio::files::open(path, "rb");
            try {
                auto gen = aio::csv::read_csv_chunks_async(f, o);
                while (auto chunk = co_await gen.next()) rows += chunk->num_rows();
            } catch (const ParserError& e) {
                error = e.what();
            }
            co_await f.close();
        }());
        EXPECT_EQ(rows, 1u);
        EXPECT_NE(error.find("EOF inside string starting at line 3"), std::string::npos) << error;
        EXPECT_LE(tokenized_bytes() - before, 4 * text.size());
    }
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    std::filesystem::remove(path);
}

TEST(CsvFaults, ARecordPastMaxRecordBytesFailsWithoutReadingTheRest) {
    ReadOptions o;
    o.max_record_bytes = 4 * kMiB;
    StreamingParser p(o);
    std::string text = "a,b\n1,2\n";
    text.append(64 * kMiB, 'y');  // a line that never ends
    std::string error;
    try {
        std::size_t fed = 0;
        while (fed < text.size()) {
            p.feed(std::string_view(text).substr(fed, 64 << 10));
            fed += 64 << 10;
        }
        p.finish();
        FAIL() << "no error";
    } catch (const LimitError& e) {
        EXPECT_EQ(e.limit(), "max_record_bytes");
        EXPECT_EQ(e.line(), 3u);
        error = e.what();
    }
    EXPECT_NE(error.find("ReadOptions::max_record_bytes"), std::string::npos) << error;
    EXPECT_NE(error.find("4194304"), std::string::npos) << error;
    EXPECT_NE(error.find("line 3"), std::string::npos) << error;
    EXPECT_EQ(p.rows(), 1u);
}

TEST(CsvFaults, LimitOptionsAreChecked) {
    ReadOptions o;
    o.max_record_bytes = 0;
    EXPECT_THROW(StreamingParser{o}, aio::ValueError);
    o.max_record_bytes = std::size_t{2} << 30;  // past the 32-bit offsets
    EXPECT_THROW(StreamingParser{o}, aio::ValueError);
    ReadOptions c;
    c.max_columns = 0;
    EXPECT_THROW(StreamingParser{c}, aio::ValueError);
    const ReadOptions d;
    EXPECT_EQ(d.max_memory, 0u);
    EXPECT_EQ(d.max_columns, 16'384u);
    EXPECT_EQ(d.max_record_bytes, std::size_t{256} << 20);
    const std::size_t mem = aio::csv::default_max_memory();
    EXPECT_GT(mem, std::size_t{64} << 20);
    EXPECT_LE(mem, static_cast<std::size_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::size_t>(::sysconf(_SC_PAGE_SIZE)) / 2);
}

// 2. Adversarial shapes end in LimitError, never std::bad_alloc.

std::string wide_header_then_short_rows(std::size_t columns, std::size_t rows) {
    std::string s(columns - 1, ',');
    s += '\n';
    s.reserve(s.size() + 2 * rows);
    for (std::size_t i = 0; i < rows; ++i) s += "1\n";
    return s;
}

TEST(CsvFaults, AHeaderOfAHundredThousandCommasHitsMaxColumns) {
    const std::string text = wide_header_then_short_rows(100'001, 1'000'000);
    for (unsigned threads : {1u, 2u}) {
        ReadOptions o;
        o.threads = threads;
        try {
            aio::csv::read_csv_string(text, o);
            FAIL() << "no error";
        } catch (const LimitError& e) {
            EXPECT_EQ(e.limit(), "max_columns");
            EXPECT_EQ(e.line(), 1u);
            EXPECT_NE(std::string(e.what()).find("ReadOptions::max_columns"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("16384"), std::string::npos) << e.what();
        }
    }
    // header=None: the first row sets the width, and is capped the same way.
    ReadOptions none;
    none.header = std::nullopt;
    EXPECT_THROW(aio::csv::read_csv_string(text, none), LimitError);
}

TEST(CsvFaults, AWideHeaderAllowedByMaxColumnsHitsMaxMemory) {
    // Each 2-byte row costs 100,001 cells: the columns, not the text, grow.
    const std::string text = wide_header_then_short_rows(100'001, 1'000'000);
    ReadOptions o;
    o.max_columns = 200'000;
    o.max_memory = 48 * kMiB;  // small: filling 100,001 columns under ASan is slow
    try {
        aio::csv::read_csv_string(text, o);
        FAIL() << "no error";
    } catch (const LimitError& e) {
        EXPECT_EQ(e.limit(), "max_memory");
        EXPECT_NE(std::string(e.what()).find("ReadOptions::max_memory"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("50331648"), std::string::npos) << e.what();
    }
}

TEST(CsvFaults, RowsEndedByBareCarriageReturnsUnderAWideHeaderHitMaxMemory) {
    // Rows ended by CR alone are not counted as lines up front: the index of
    // one block must still be built in parts, or 512 Ki rows x 16,000
    // columns would be asked for at once (64 GB).
    std::string text(15'999, ',');
    text += "\r";
    for (int i = 0; i < 1'000'000; ++i) text += "1\r";
    ReadOptions o;
    o.max_memory = 48 * kMiB;  // small: growing 16,000 columns under ASan is slow
    try {
        aio::csv::read_csv_string(text, o);
        FAIL() << "no error";
    } catch (const LimitError& e) {
        EXPECT_EQ(e.limit(), "max_memory");
    }
    // Under the limit, every row lands.
    std::string small = "a,b,c\r";
    for (int i = 0; i < 200'000; ++i) small += std::to_string(i) + "\r";
    const aio::Table t = aio::csv::read_csv_string(small);
    ASSERT_EQ(t.num_rows(), 200'000u);
}

TEST(CsvFaults, AWideTableUnderTheLimitsIsReadWhole) {
    // 20,000 columns (max_columns raised) by 300 rows: tokenized in parts of
    // a few hundred rows, and every value lands.
    std::string text;
    for (int c = 0; c < 20'000; ++c) text += (c ? ",c" : "c") + std::to_string(c);
    text += '\n';
    for (int r = 0; r < 300; ++r) {
        for (int c = 0; c < 20'000; ++c) text += (c ? "," : "") + std::to_string(r + c);
        text += '\n';
    }
    ReadOptions o;
    o.max_columns = 20'000;
    const aio::Table t = aio::csv::read_csv_string(text, o);
    ASSERT_EQ(t.num_columns(), 20'000u);
    ASSERT_EQ(t.num_rows(), 300u);
    EXPECT_EQ(t.column(19'999).values<std::int64_t>()[299], 299 + 19'999);
    EXPECT_EQ(t.column(0).values<std::int64_t>()[150], 150);
}

/// `members` gzip members, each `member` bytes of `unit` repeated: a few MB
/// that inflate to members × member bytes.
std::string gzip_bomb(std::string_view unit, std::size_t member, std::size_t members) {
    std::string plain;
    while (plain.size() < member) plain += unit;
    const std::string one = aio::test::gzip(plain);
    std::string bomb;
    bomb.reserve(one.size() * members);
    for (std::size_t i = 0; i < members; ++i) bomb += one;
    return bomb;
}

TEST(CsvFaults, AGzipBombOfRowsHitsMaxMemory) {
    // 4 GiB of "1\n" in about 4 MB.
    std::string bomb = "a\n";
    bomb = aio::test::gzip(bomb) + gzip_bomb("1\n", 16 * kMiB, 256);
    ASSERT_LT(bomb.size(), 64 * kMiB);
    const std::string path = temp_path("bomb.csv.gz");
    write_file(path, bomb);
    ReadOptions o;
    o.max_memory = 64 * kMiB;
    try {
        aio::csv::read_csv(path, o);
        FAIL() << "no error";
    } catch (const LimitError& e) {
        EXPECT_EQ(e.limit(), "max_memory");
        EXPECT_NE(std::string(e.what()).find("ReadOptions::max_memory"), std::string::npos) << e.what();
    }
    // Streaming in pieces: the same.
    StreamingParser p(o);
    std::string error;
    feed_until_error<LimitError>(p, bomb, 1 << 20, error);
    EXPECT_NE(error.find("ReadOptions::max_memory"), std::string::npos) << error;
    std::filesystem::remove(path);
}

TEST(CsvFaults, AGzipBombOfOneEndlessRecordHitsMaxRecordBytes) {
    // 4 GiB of zeros, no line break, in about 4 MB; inflated a block at a
    // time, so the record is caught at max_record_bytes.
    const std::string bomb = gzip_bomb(std::string(4096, '0'), 16 * kMiB, 256);
    ReadOptions o;
    o.max_record_bytes = 16 * kMiB;
    try {
        aio::csv::read_csv(aio::csv::Text{bomb}, o);
        FAIL() << "no error";
    } catch (const LimitError& e) {
        EXPECT_EQ(e.limit(), "max_record_bytes");
        EXPECT_EQ(e.line(), 1u);
    }
}

TEST(CsvFaults, AGzipBombReadInChunksStaysWithinMaxMemory) {
    // Chunks are handed out as they fill: the same 4 GiB of rows read a
    // chunk at a time never holds more than a block, so max_memory is not hit.
    // Read whole, its 32 Mi rows need 256 MiB.
    std::string bomb = aio::test::gzip("a\n") + gzip_bomb("1\n", 16 * kMiB, 4);  // 64 MiB of text
    ReadOptions o;
    o.max_memory = 32 * kMiB;
    o.compression = "gzip";
    EXPECT_THROW(aio::csv::read_csv(aio::csv::Text{bomb}, o), LimitError);
    o.chunksize = 100'000;
    std::size_t rows = 0;
    for (const aio::Table& t : aio::csv::read_csv_chunks(aio::csv::Text{bomb}, o)) rows += t.num_rows();
    EXPECT_EQ(rows, 4 * 8 * kMiB);
    // The async chunked reader, from a file.
    const std::string path = temp_path("bomb_chunks.csv.gz");
    write_file(path, bomb);
    rows = 0;
    aio::run([&]() -> aio::Task<> {
        auto f = co_await aio::files::open(path, "rb");
        auto gen = aio::csv::read_csv_chunks_async(f, o);
        while (auto chunk = co_await gen.next()) rows += chunk->num_rows();
        co_await f.close();
    }());
    EXPECT_EQ(rows, 4 * 8 * kMiB);
    std::filesystem::remove(path);
}

// 3. A file truncated while it is read: an error, never SIGBUS or a short table.

TEST(CsvFaults, AFileTruncatedWhileReadIsAnErrorNotSigbus) {
    const std::string path = temp_path("shrinking.csv");
    const std::string text = aio::test::r8_like(1'500'000);  // ~70 MB: the parallel path
    const int fds = aio::test::count_open_fds();
    int errors = 0;
    for (int attempt = 0; attempt < 6 && errors < 2; ++attempt) {
        write_file(path, text);
        ReadOptions o;
        o.threads = attempt % 2 == 0 ? 2 : 1;
        std::atomic<bool> stop{false};
        // Truncate as soon as the reader has the file open.
        std::thread writer([&] {
            const auto target = std::filesystem::canonical(path);
            while (!stop.load()) {
                for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
                    std::error_code ec;
                    if (std::filesystem::read_symlink(fd.path(), ec) == target) {
                        ::truncate(path.c_str(), 1 << 20);
                        return;
                    }
                }
            }
        });
        try {
            const aio::Table t = aio::csv::read_csv(path, o);
            // The reader saw the file only after the truncation: a whole
            // table of the 1 MiB that is left, never a part of the 70 MB.
            struct stat st {};
            ASSERT_EQ(::stat(path.c_str(), &st), 0);
            EXPECT_LT(t.num_rows(), 30'000u);
        } catch (const ParserError& e) {
            const std::string what = e.what();
            if (what.find("truncated while it was read") != std::string::npos) {
                ++errors;
            } else {
                // The cut fell inside a quoted field: the parser saw the end
                // of a shorter file. Still an error, never a short table.
                EXPECT_NE(what.find("EOF inside string"), std::string::npos) << what;
            }
        }
        stop = true;
        writer.join();
    }
    EXPECT_GE(errors, 1);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    std::filesystem::remove(path);
}

}  // namespace
