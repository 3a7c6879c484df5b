// aio-test-labels: threads;sync
// aio-test-shards: 6
// aio::csv::read_csv, StreamingParser and TextFileReader: options, streaming
// in arbitrary pieces, chunks, the parallel mode, and bad input (every error
// typed and naming the line and column; never a crash or a short table).
#include <aio/csv.hpp>

#include "csv/samples.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

using aio::csv::ReadOptions;
using aio::test::gzip;
using aio::test::r8_like;
const std::string kDir = std::string(AIO_SOURCE_DIR) + "/tests/csv/data/";

aio::Table parse(std::string_view text, const ReadOptions& o = {}) { return aio::csv::read_csv_string(text, o); }

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("aio_csv_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

void write_file(const std::string& path, std::string_view data) {
    std::ofstream f(path, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
}


TEST(ReadCsv, PathTextAndBytesGiveTheSameTable) {
    const std::string text = "a,b\n1,x\n2,y\n";
    const std::string path = temp_path("same.csv");
    write_file(path, text);
    const aio::Table a = aio::csv::read_csv(path);
    const aio::Table b = aio::csv::read_csv(aio::csv::Text{text});
    const aio::Table c = aio::csv::read_csv(std::as_bytes(std::span(text.data(), text.size())));
    EXPECT_EQ(a.to_csv(), text);
    EXPECT_EQ(b.to_csv(), text);
    EXPECT_EQ(c.to_csv(), text);
    std::filesystem::remove(path);
}

TEST(ReadCsv, MissingFileIsFileNotFoundError) {
    EXPECT_THROW((void)aio::csv::read_csv(kDir + "no_such_file.csv"), aio::FileNotFoundError);
    EXPECT_THROW((void)aio::csv::read_csv(kDir), aio::IsADirectoryError);
    // A NUL would end the path there: not "no_such_file.csv" but a ValueError.
    EXPECT_THROW((void)aio::csv::read_csv(kDir + std::string("airtravel.csv\0.txt", 18)), aio::ValueError);
}

TEST(ReadCsv, GzipByExtensionAndByMagicBytes) {
    const std::string text = "a,b\n1,\"x,y\"\n2,z\n";
    const std::string gz = gzip(text);
    const std::string path = temp_path("data.csv.gz");
    write_file(path, gz);
    EXPECT_EQ(aio::csv::read_csv(path).to_csv(), text);
    std::filesystem::remove(path);
    EXPECT_EQ(parse(gz).to_csv(), text);
    EXPECT_EQ(parse(gz + gz.substr(0, 0)).num_rows(), 2u);
    // Two concatenated gzip members are one stream (as gzip -c a b > c makes).
    EXPECT_EQ(parse(gz + gzip("3,w\n")).num_rows(), 3u);
}

TEST(ReadCsv, TruncatedGzipIsAParserError) {
    const std::string gz = gzip(r8_like(2000));
    try {
        (void)parse(std::string_view(gz).substr(0, gz.size() / 2));
        FAIL() << "no error";
    } catch (const aio::csv::ParserError& e) {
        EXPECT_NE(std::string(e.what()).find("compressed file ended"), std::string::npos) << e.what();
        EXPECT_GT(e.line(), 1u);
    }
}

TEST(ReadCsv, SeparatorsQuotesAndDialects) {
    EXPECT_EQ(parse("a;b\n1,5;x\n", {.sep = ";", .decimal = ","})["a"].values<double>()[0], 1.5);
    EXPECT_EQ(parse("a\tb\n1\t2\n", {.sep = "\t"})["b"].values<std::int64_t>()[0], 2);
    EXPECT_EQ(parse("a::b\n1::2\n", {.sep = "::"})["b"].values<std::int64_t>()[0], 2);
    EXPECT_EQ(parse("a  b\n 1   2\n", {.sep = "\\s+"})["b"].values<std::int64_t>()[0], 2);
    EXPECT_EQ(parse("a,b\n\"x\\\"y\",1\n", {.escapechar = "\\"})["a"].str(0), "x\"y");
    EXPECT_EQ(parse("a,b\n1, 2\n", {.skipinitialspace = true})["b"].values<std::int64_t>()[0], 2);
    EXPECT_EQ(parse("a,b\n'x,y',1\n", {.quotechar = "'"})["a"].str(0), "x,y");
    EXPECT_EQ(parse("a,b\n\"x\",1\n", {.quotechar = ""})["a"].str(0), "\"x\"");
    EXPECT_EQ(parse("a\n1,234\n", {.sep = ";", .thousands = ","})["a"].values<std::int64_t>()[0], 1234);
    EXPECT_EQ(parse("a,b\r\n1,\"x\r\ny\"\r\n")["b"].str(0), "x\r\ny");
    EXPECT_EQ(parse("a\r1\r2\r")["a"].values<std::int64_t>()[1], 2);
    EXPECT_THROW((void)parse("a\n1\n", {.quotechar = "ab"}), aio::ValueError);
    EXPECT_THROW((void)parse("a\n1\n", {.sep = ""}), aio::ValueError);
    EXPECT_THROW((void)parse("a\n1\n", {.encoding = "klingon"}), aio::ValueError);
}

TEST(ReadCsv, HeaderNamesUsecolsSkiprowsNrows) {
    const std::string text = "x,y,z\n1,2,3\n4,5,6\n7,8,9\n";
    EXPECT_EQ(parse(text, {.header = std::nullopt}).columns(), (std::vector<std::string>{"0", "1", "2"}));
    EXPECT_EQ(parse(text, {.header = std::nullopt}).num_rows(), 4u);
    EXPECT_EQ(parse(text, {.names = {"p", "q", "r"}}).num_rows(), 4u);
    EXPECT_EQ(parse(text, {.header = 0, .names = {"p", "q", "r"}}).num_rows(), 3u);
    EXPECT_EQ(parse(text, {.header = 1}).columns(), (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(parse(text, {.usecols = {"z", "x"}}).columns(), (std::vector<std::string>{"x", "z"}));
    EXPECT_EQ(parse(text, {.usecols = {1}}).columns(), (std::vector<std::string>{"y"}));
    EXPECT_THROW((void)parse(text, {.usecols = {"w"}}), aio::ValueError);
    EXPECT_THROW((void)parse(text, {.usecols = {7}}), aio::csv::ParserError);
    EXPECT_EQ(parse(text, {.skiprows = 2}).columns(), (std::vector<std::string>{"4", "5", "6"}));
    EXPECT_EQ(parse(text, {.skiprows = {1, 3}}).num_rows(), 1u);
    EXPECT_EQ(parse(text, {.nrows = 2}).num_rows(), 2u);
    EXPECT_EQ(parse(text, {.nrows = 0}).num_rows(), 0u);
    // Past nrows nothing is read: a broken tail is not an error.
    EXPECT_EQ(parse("a\n1\n2\n\"unterminated\n", {.nrows = 2}).num_rows(), 2u);
    EXPECT_THROW((void)parse(text, {.names = {"a", "a", "b"}}), aio::ValueError);
}

/// The message of the `E` that read_csv_string throws for `o`, or "" (none thrown, or another type).
template <class E>
std::string message_of(std::string_view text, const ReadOptions& o) {
    try {
        (void)parse(text, o);
    } catch (const E& e) {
        return e.what();
    } catch (...) {
    }
    return "";
}

// parse_dates names the table's columns, as pandas: an unknown name (or one
// usecols left out) is an error naming it, not a silently ignored typo, and
// a position counts the table's columns, not the file's.
TEST(ReadCsv, ParseDatesNamesColumnsOfTheTable) {
    const std::string text = "a,b,c\n7,2024-01-31,2024-02-01\n";
    EXPECT_EQ(message_of<aio::ValueError>(text, {.parse_dates = {"zz", "b", "yy"}}),
              "Missing column provided to 'parse_dates': 'yy, zz'");
    EXPECT_EQ(message_of<aio::ValueError>(text, {.usecols = {"a", "c"}, .parse_dates = {"b"}}),
              "Missing column provided to 'parse_dates': 'b'");
    EXPECT_EQ(message_of<aio::IndexError>(text, {.parse_dates = {3}}),
              "parse_dates position 3 is out of range: the table has 3 columns");
    EXPECT_EQ(message_of<aio::IndexError>(text, {.usecols = {1}, .parse_dates = {1}}),
              "parse_dates position 1 is out of range: the table has 1 columns");
    // Position 0 of the table is the file's column b once usecols drops a.
    const aio::Table t = parse(text, {.usecols = {1, 2}, .parse_dates = {0}});
    EXPECT_EQ(t["b"].dtype(), aio::DType::datetime64_ns);
    EXPECT_EQ(t["c"].dtype(), aio::DType::object);
    const aio::Table u = parse(text, {.parse_dates = {"c", "b"}});
    EXPECT_EQ(u["a"].dtype(), aio::DType::int64);
    EXPECT_EQ(u["b"].dtype(), aio::DType::datetime64_ns);
    EXPECT_EQ(u["c"].dtype(), aio::DType::datetime64_ns);
}

// A header row past the rows the file has: pandas' ParserError naming both
// numbers; an input with no rows at all stays an EmptyDataError.
TEST(ReadCsv, AHeaderRowPastTheEndIsAParserErrorNamingIt) {
    EXPECT_EQ(message_of<aio::csv::ParserError>("a,b\n1,2\n", {.header = 5}),
              "Passed header=5 but only 2 lines in file");
    EXPECT_EQ(message_of<aio::csv::ParserError>("a,b\n1,2\n", {.header = 2}),
              "Passed header=2 but only 2 lines in file");
    EXPECT_EQ(message_of<aio::csv::ParserError>("a,b\n1,2\n", {.header = 2147483647}),
              "Passed header=2147483647 but only 2 lines in file");
    EXPECT_THROW((void)parse("", {.header = 3}), aio::csv::EmptyDataError);
    EXPECT_EQ(parse("a,b\n1,2\n", {.header = 1}).columns(), (std::vector<std::string>{"1", "2"}));
}

TEST(ReadCsv, DtypesAndNaValues) {
    const aio::Table t = parse("a,b,c\n1,2,x\n3,4,y\n", {.dtype = {{"a", aio::DType::float64}, {"b", aio::DType::object}}});
    EXPECT_EQ(t.dtypes(), (std::vector<aio::DType>{aio::DType::float64, aio::DType::object, aio::DType::object}));
    EXPECT_EQ(parse("a\nNA\nfoo\n", {.na_values = {"foo"}})["a"].null_count(), 2u);
    EXPECT_EQ(parse("a\nNA\nfoo\n", {.na_values = {"foo"}, .keep_default_na = false})["a"].str(0), "NA");
    EXPECT_EQ(parse("a\n\nNA\n", {.na_filter = false, .skip_blank_lines = false})["a"].str(1), "NA");
    EXPECT_EQ(parse("a\n9223372036854775808\n")["a"].dtype(), aio::DType::uint64);
    EXPECT_EQ(parse("a\n1\n\n", {.skip_blank_lines = false})["a"].dtype(), aio::DType::float64);
    // "nan" is missing only as an NA string: with na_filter off it is text, as
    // in pandas, and the column beside it keeps its numbers as text too.
    const aio::Table kept = parse("a,b\n1.5,x\nnan,y\n", {.na_filter = false});
    EXPECT_EQ(kept["a"].dtype(), aio::DType::object);
    EXPECT_EQ(kept["a"].str(0), "1.5");
    EXPECT_EQ(kept["a"].str(1), "nan");
    const aio::Table missing = parse("a,b\n1.5,x\nNaN,y\n");
    EXPECT_EQ(missing["a"].dtype(), aio::DType::float64);
    EXPECT_TRUE(missing["a"].is_na(1));
    EXPECT_EQ(missing["a"].null_count(), 1u);
}

TEST(ReadCsv, DtypeThatDoesNotFitNamesLineAndColumn) {
    std::string text = "a,b\n";
    for (int i = 0; i < 15; ++i) text += std::to_string(i) + ",x\n";
    text += "abc,y\n";
    try {
        (void)parse(text, {.dtype = {{"a", aio::DType::int64}}});
        FAIL() << "no error";
    } catch (const aio::csv::ConversionError& e) {
        EXPECT_STREQ(e.what(), "could not convert 'abc' to int64 at line 17, column 'a'");
        EXPECT_EQ(e.line(), 17u);
        EXPECT_EQ(e.column(), "a");
    }
    EXPECT_THROW((void)parse("a\n1\n\n2\nNA\n", {.dtype = {{"a", aio::DType::int64}}}), aio::csv::ConversionError);
    EXPECT_THROW((void)parse("a\n1\n", {.dtype = {{"a", aio::DType::bool_}}}), aio::csv::ConversionError);
}

TEST(ReadCsv, RaggedRowsFollowOnBadLines) {
    const std::string text = "a,b\n1,2\n3,4,5\n6,7\n8\n";
    try {
        (void)parse(text);
        FAIL() << "no error";
    } catch (const aio::csv::ParserError& e) {
        EXPECT_STREQ(e.what(), "Error tokenizing data: expected 2 fields in line 3, saw 3");
        EXPECT_EQ(e.line(), 3u);
    }
    const aio::Table skip = parse(text, {.on_bad_lines = aio::csv::BadLines::skip});
    EXPECT_EQ(skip.num_rows(), 3u);
    EXPECT_TRUE(skip["b"].is_na(2));  // a short row is not bad: its cells are missing
    testing::internal::CaptureStderr();
    EXPECT_EQ(parse(text, {.on_bad_lines = aio::csv::BadLines::warn}).num_rows(), 3u);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "Skipping line 3: expected 2 fields, saw 3\n");
}

TEST(ReadCsv, UnterminatedQuoteNamesLineAndColumn) {
    try {
        (void)parse("a,b\n1,2\n3,\"open\n4,5\n");
        FAIL() << "no error";
    } catch (const aio::csv::ParserError& e) {
        EXPECT_STREQ(e.what(), "Error tokenizing data: EOF inside string starting at line 3, column 'b'");
        EXPECT_EQ(e.column(), "b");
    }
}

TEST(ReadCsv, InvalidUtf8IsUnicodeDecodeError) {
    try {
        (void)parse("a\nok\nbad\xff\n");
        FAIL() << "no error";
    } catch (const aio::UnicodeDecodeError& e) {
        EXPECT_EQ(e.offset(), 8u);
        EXPECT_NE(std::string(e.what()).find("invalid start byte (line 3)"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)parse("a\n\xc3"), aio::UnicodeDecodeError);
    EXPECT_EQ(parse("a\ncaf\xe9\n", {.encoding = "latin-1"})["a"].str(0), "caf\xc3\xa9");
}

TEST(ReadCsv, EmptyInputIsEmptyDataError) {
    EXPECT_THROW((void)parse(""), aio::csv::EmptyDataError);
    EXPECT_THROW((void)parse("\n\n"), aio::csv::EmptyDataError);
    const aio::Table t = parse("a,b\n");
    EXPECT_EQ(t.shape(), (std::pair<std::size_t, std::size_t>{0, 2}));
    EXPECT_EQ(t.dtypes()[0], aio::DType::object);
}

TEST(StreamingParser, AnySplitOfTheInputGivesTheSameTable) {
    const std::string text = "\xEF\xBB\xBFid,q,n\r\n1,\"a\"\"b\",1.5\r\n2,\"x\r\ny\",\r\n3,Zürich,2\r\n4,,3";
    const std::string expected = parse(text).to_csv();
    for (std::size_t step = 1; step <= text.size(); ++step) {
        aio::csv::StreamingParser p;
        for (std::size_t i = 0; i < text.size(); i += step) p.feed(std::string_view(text).substr(i, step));
        p.finish();
        EXPECT_EQ(p.table().to_csv(), expected) << "pieces of " << step;
    }
}

TEST(StreamingParser, TypesChangingAfterTheFirstBlockAreUnified) {
    // An int column whose first non-int is megabytes later: the earlier
    // values become text (as pandas' low-memory reader gives them).
    std::string text = "a,b,c\n";
    while (text.size() < 3 * aio::csv::StreamingParser::kBlockSize) text += "7,1,\n";
    text += "x,2.5,5\n";
    const aio::Table t = parse(text);
    EXPECT_EQ(t.dtypes(), (std::vector<aio::DType>{aio::DType::object, aio::DType::float64, aio::DType::float64}));
    EXPECT_EQ(t["a"].str(0), "7");
    EXPECT_EQ(t["a"].str(t.num_rows() - 1), "x");
    EXPECT_EQ(t["c"].null_count(), t.num_rows() - 1);
}

TEST(StreamingParser, ChunksizeYieldsTablesOfThatManyRows) {
    aio::csv::StreamingParser p({.chunksize = 3});
    p.feed("a,b\n1,x\n2,y\n3,z\n4,w\n");
    auto first = p.next_chunk();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->num_rows(), 3u);
    EXPECT_FALSE(p.next_chunk().has_value());
    p.finish();
    auto second = p.next_chunk();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->num_rows(), 1u);
    EXPECT_EQ(second->to_string(), "   a  b\n3  4  w");  // labels go on, as pandas numbers chunks
    EXPECT_FALSE(p.next_chunk().has_value());
    EXPECT_THROW(p.feed("5,v\n"), aio::InvalidStateError);
}

TEST(TextFileReader, IteratesChunksOfAFile) {
    std::size_t rows = 0, chunks = 0;
    for (aio::Table& t : aio::csv::read_csv_chunks(kDir + "long.csv", {.chunksize = 30})) {
        rows += t.num_rows();
        ++chunks;
        EXPECT_EQ(t.columns().size(), 4u);
    }
    EXPECT_EQ(rows, 100u);
    EXPECT_EQ(chunks, 4u);
    auto reader = aio::csv::read_csv_chunks(aio::csv::Text{"a\n"}, {.chunksize = 2});
    auto only = reader.get_chunk();
    ASSERT_TRUE(only.has_value());
    EXPECT_EQ(only->num_rows(), 0u);
    EXPECT_FALSE(reader.get_chunk().has_value());
    EXPECT_THROW(aio::csv::read_csv_chunks(aio::csv::Text{"a\n"}, {}), aio::ValueError);
}

/// Parses `text` on one thread and on two and expects the same table (types,
/// missing values, text); returns the one-thread table.
aio::Table expect_two_threads_match(const std::string& text) {
    aio::Table one = parse(text, {.threads = 1});
    const aio::Table two = parse(text, {.threads = 2});
    EXPECT_EQ(two.num_rows(), one.num_rows());
    EXPECT_EQ(two.dtypes(), one.dtypes());
    for (const std::string& name : one.columns()) EXPECT_EQ(two[name].null_count(), one[name].null_count()) << name;
    // The first line that differs, not a diff of megabytes of text.
    const std::string a = one.to_csv(), b = two.to_csv();
    if (a != b) {
        const std::size_t at = std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin();
        const std::size_t from = a.rfind('\n', at) == std::string::npos ? 0 : a.rfind('\n', at) + 1;
        ADD_FAILURE() << "the tables differ from byte " << at << ": one thread has\n"
                      << a.substr(from, 300) << "\ntwo threads have\n" << b.substr(from, 300);
    }
    return one;
}

TEST(ReadCsv, TwoThreadsMergeMappedColumnsWithMissingValues) {
    // Large enough that each half's columns are page mappings (over 1 MiB):
    // the second half's pages are moved in behind the first's, into room the
    // first thread reserved for the whole input, and the columns with missing
    // values (a, x, city) merge their validity too.
    const aio::Table one = expect_two_threads_match(r8_like(300000, 7));
    ASSERT_EQ(one.num_rows(), 300000u);
    for (const char* name : {"a", "x", "city"}) EXPECT_GT(one[name].null_count(), 0u) << name;
}

TEST(ReadCsv, TwoThreadsGiveTheSameTableAsOne) {
    const std::string text = r8_like(60000, 3);
    const aio::Table one = expect_two_threads_match(text);
    EXPECT_EQ(one.num_rows(), 60000u);
    // A file whose quotes break RFC 4180 near the middle: the split is
    // rejected and the result is still that of one thread.
    std::string odd = text.substr(0, text.size() / 2) + "1,2,3,x\"y,\"z\n" + text.substr(text.size() / 2);
    odd = odd.substr(0, odd.find('\n', odd.size() / 2 + 40) + 1);
    EXPECT_EQ(parse(odd, {.on_bad_lines = aio::csv::BadLines::skip, .threads = 2}).to_csv(),
              parse(odd, {.on_bad_lines = aio::csv::BadLines::skip, .threads = 1}).to_csv());
    // And from a file.
    const std::string path = temp_path("two.csv");
    write_file(path, text);
    EXPECT_EQ(aio::csv::read_csv(path, {.threads = 2}).to_csv(), one.to_csv());
    std::filesystem::remove(path);
}

TEST(ReadCsv, TwoThreadsMatchOneWhereverTheHeaderIs) {
    // The parallel mode parses the header alone before the second thread
    // starts when the first line is the header, and a small first piece
    // otherwise: every placement of the header gives the one-thread table.
    const std::string body = r8_like(40000, 5);
    const std::string rows = body.substr(body.find('\n') + 1);
    struct Case {
        const char* what;
        std::string text;
        aio::csv::ReadOptions options;
    };
    std::vector<Case> cases;
    cases.push_back({"header inferred", body, {}});
    cases.push_back({"header=0", body, {.header = 0}});
    cases.push_back({"header=None", rows, {.header = std::nullopt}});
    aio::csv::ReadOptions named;
    named.names = {"c0", "c1", "c2", "c3", "c4"};
    cases.push_back({"names=", rows, named});
    cases.push_back({"skiprows=2", "junk line\nmore junk\n" + body, {.skiprows = 2}});
    cases.push_back({"blank first line", "\n" + body, {}});
    cases.push_back({"header=1", "first,line\n" + body, {.header = 1}});
    std::string quoted = body;
    quoted.replace(0, quoted.find(','), "\"id\nwith a line break\"");
    cases.push_back({"a header name over two lines", quoted, {}});
    // The end of the header line is looked for in the first 4 KiB, then in
    // the first 64 KiB; past that the header is parsed a piece at a time.
    for (const std::size_t name_size : {std::size_t{5000}, std::size_t{70000}}) {
        std::string long_header = body;
        long_header.replace(0, long_header.find(','), std::string(name_size, 'n'));
        cases.push_back({name_size < 65536 ? "a header line over 4 KiB" : "a header line over 64 KiB",
                         long_header, {}});
    }
    const std::string path = temp_path("header_placement.csv");
    for (Case& c : cases) {
        SCOPED_TRACE(c.what);
        c.options.threads = 1;
        const aio::Table one = parse(c.text, c.options);
        c.options.threads = 2;
        const aio::Table two = parse(c.text, c.options);
        write_file(path, c.text);  // a file is read by pieces, not looked at whole
        const aio::Table two_from_file = aio::csv::read_csv(path, c.options);
        EXPECT_EQ(one.num_rows(), 40000u);
        EXPECT_EQ(two.columns(), one.columns());
        EXPECT_EQ(two.dtypes(), one.dtypes());
        EXPECT_EQ(two.to_csv(), one.to_csv());
        EXPECT_EQ(two_from_file.to_csv(), one.to_csv());
    }
    std::filesystem::remove(path);
}

TEST(ReadCsv, TwoThreadsCheckTheirCutWhereQuotedFieldsSpanLines) {
    // The second thread starts at a guess at a row boundary near the middle.
    // Here quoted fields over several lines, whose inner lines hold an even
    // number of quotes, are sprinkled every 64 KiB through 16 MB or more, and
    // packed for 256 KiB around the middle, where every line break that
    // starts a line of even quotes is inside one: the guess is always wrong
    // there, must be found out, and the table must still be one thread's.
    const std::string rows = r8_like(500000, 9);
    // A row of r8_like's shape whose last field spans lines, after every
    // 64 KiB or so, each after a row's end (an even count of quotes before it).
    const std::string spanning = "1,2,0.5,Paris,\"line one\n\"\"quoted\"\", even\nline three\"\n";
    std::string text;
    text.reserve(rows.size() + rows.size() / 128);
    std::size_t sprinkled = 0, quotes = 0, last = 0;
    bool packed = false;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        text += rows[i];
        if (rows[i] == '"') ++quotes;
        if (rows[i] != '\n' || quotes % 2 != 0) continue;
        if (!packed && i >= rows.size() / 2 - 65536) {
            // 256 KiB of them from 64 KiB before the middle: the middle of
            // the whole text (about 135 KiB after the rows' middle) is inside.
            const std::size_t n = (256 << 10) / spanning.size();
            for (std::size_t k = 0; k < n; ++k) text += spanning;
            sprinkled += n;
            packed = true;
            last = i;
        } else if (i - last > 65536) {
            text += spanning;
            ++sprinkled;
            last = i;
        }
    }
    ASSERT_GT(text.size(), std::size_t{16} << 20);
    ASSERT_GT(sprinkled, 200u);
    const aio::Table one = expect_two_threads_match(text);
    EXPECT_EQ(one.num_rows(), 500000u + sprinkled);
}

TEST(ReadCsv, ColumnsReservedFromTheFirstBlockStillTakeEveryLaterType) {
    // read_csv reserves each column for the rows the whole input should hold,
    // judged by its first block. Here the first blocks are not like the rest:
    // later rows are ten times longer, an int column turns float and then
    // text, a bool column turns text, an int column passes int64 (uint64),
    // and a column with no gaps gets some. The table is the one a
    // StreamingParser, which reserves nothing, builds from the same text.
    std::string text = "i,f,b,u,s,g\n";
    const std::size_t rows = 120000;
    for (std::size_t i = 0; i < rows; ++i) {
        const bool late = i > rows / 3;
        text += std::to_string(i) + ",";
        text += late ? (i > rows / 2 ? "x" + std::to_string(i) : std::to_string(i) + ".25") : std::to_string(i % 97);
        text += ",";
        text += late && i % 5 == 0 ? "maybe" : (i % 2 ? "True" : "False");
        text += ",";
        text += late && i % 7 == 0 ? "18446744073709551000" : std::to_string(i * 3);
        text += ",";
        text += late ? std::string(40 + i % 30, static_cast<char>('a' + i % 26)) : "s";
        text += ",";
        if (!late || i % 3) text += std::to_string(i % 11);
        text += "\n";
    }
    aio::csv::StreamingParser streamed;
    for (std::size_t at = 0; at < text.size(); at += 65536) streamed.feed(std::string_view(text).substr(at, 65536));
    streamed.finish();
    const aio::Table expected = streamed.table();
    for (unsigned threads : {1u, 2u}) {
        const aio::Table got = parse(text, {.threads = threads});
        ASSERT_EQ(got.num_rows(), rows) << threads;
        EXPECT_EQ(got.dtypes(), expected.dtypes()) << threads;
        EXPECT_EQ(got["u"].dtype(), aio::DType::uint64) << threads;
        EXPECT_EQ(got["g"].null_count(), expected["g"].null_count()) << threads;
        EXPECT_EQ(got.to_csv(), expected.to_csv()) << threads;
    }
}

TEST(ReadCsv, TwoThreadsJoinLargeHalvesAsOneThreadReads) {
    // Halves whose columns pass 1 MiB (the size from which column storage is
    // a mapping) are joined by moving the second half's pages behind the
    // first's. 300,000 rows: ints, floats with gaps, strings (offsets and
    // characters), a column that is int64 in the first half and float64 in
    // the second, and one whose gaps are all in the first half.
    std::mt19937_64 rng(5);
    std::string text = "id,x,s,m,g\n";
    const std::size_t rows = 300000;
    for (std::size_t i = 0; i < rows; ++i) {
        text += std::to_string(i * 7919) + ",";
        if (rng() % 40) text += std::to_string(static_cast<double>(rng() % 100000) / 8.0);
        text += ",w" + std::string(1 + rng() % 12, static_cast<char>('a' + i % 26)) + ",";
        text += i < rows / 2 ? std::to_string(rng() % 1000) : std::to_string(rng() % 1000) + ".5";
        text += ",";
        if (i >= rows / 2 || rng() % 10) text += std::to_string(i);
        text += "\n";
    }
    const aio::Table one = parse(text, {.threads = 1});
    const aio::Table two = parse(text, {.threads = 2});
    ASSERT_EQ(two.num_rows(), rows);
    EXPECT_EQ(two.dtypes(), one.dtypes());
    EXPECT_EQ(two["m"].dtype(), aio::DType::float64);
    EXPECT_EQ(two["x"].null_count(), one["x"].null_count());
    EXPECT_EQ(two["g"].null_count(), one["g"].null_count());
    EXPECT_EQ(two.to_csv(), one.to_csv());
}

TEST(ReadCsv, TwoThreadsGiveOneThreadsTableWhenTheGuessedSplitIsInsideAField) {
    // The second thread starts at the first line break after the middle whose
    // next line has an even number of quotes. A quoted field over three lines
    // makes that guess wrong half the time (its middle line has no quotes):
    // the halves are not joined, and the table is still that of one thread.
    for (std::size_t shift = 0; shift < 3; ++shift) {
        std::string text = "id,note,n\n" + std::string(shift, '\n');
        for (int i = 0; i < 40000; ++i)
            text += std::to_string(i) + ",\"first " + std::to_string(i) + "\nmiddle\nlast\"," + std::to_string(i % 7) + "\n";
        const aio::Table one = parse(text, {.threads = 1});
        const aio::Table two = parse(text, {.threads = 2});
        ASSERT_EQ(one.num_rows(), 40000u);
        EXPECT_EQ(two.to_csv(), one.to_csv()) << shift;
        EXPECT_EQ(two["note"].str(39999), "first 39999\nmiddle\nlast");
    }
}

TEST(ReadCsv, TwoThreadsReportAFaultOfTheSecondHalfAtItsLine) {
    // The second thread does not know its true line numbers; a second half
    // that fails or warns is parsed again by the first thread, which does.
    std::string text = r8_like(60000, 3);
    const std::size_t at = text.find("\n45000,") + 1;  // the start of row 45000 (fields may hold line breaks)
    const std::size_t line = static_cast<std::size_t>(std::count(text.begin(), text.begin() + at, '\n')) + 1;
    text.insert(at, std::string(15, ',') + "\n");  // more fields than columns
    for (unsigned threads : {1u, 2u}) {
        try {
            (void)parse(text, {.threads = threads});
            ADD_FAILURE() << "no error, threads=" << threads;
        } catch (const aio::csv::ParserError& e) {
            EXPECT_EQ(e.line(), line) << "threads=" << threads;
            EXPECT_NE(std::string(e.what()).find("line " + std::to_string(line) + ","), std::string::npos) << e.what();
        }
    }
    // Skipped, the bad line costs no row on either path.
    const aio::Table one = parse(text, {.on_bad_lines = aio::csv::BadLines::skip, .threads = 1});
    const aio::Table two = parse(text, {.on_bad_lines = aio::csv::BadLines::skip, .threads = 2});
    EXPECT_EQ(one.num_rows(), 60000u);
    EXPECT_EQ(two.to_csv(), one.to_csv());
}

TEST(ReadCsv, TwoThreadsReadUnderTheMaxMemoryOneThreadReadsUnder) {
    // While both threads parse, the first one checks max_memory against both
    // engines (their columns, and each one's block of text and index, about
    // 4 MB here). A limit of twice the text leaves room for the second block:
    // two threads must then give one thread's table. (At 1.6 times the text
    // one thread fits and the first of two does not; the second thread's own
    // LimitError only sends its half back to the first thread.)
    const std::string text = r8_like(200000, 4);
    const aio::Table one = parse(text, {.threads = 1});
    for (unsigned threads : {1u, 2u}) {
        try {
            const aio::Table t = parse(text, {.threads = threads, .max_memory = text.size() * 2});
            EXPECT_EQ(t.to_csv(), one.to_csv()) << threads;
        } catch (const aio::csv::LimitError& e) {
            ADD_FAILURE() << "threads=" << threads << ": " << e.what();
        }
    }
}

TEST(ReadCsv, LineNumbersFarIntoTheInput) {
    // Lines are counted in steps of 16 bytes, summed every 255 steps: an
    // error 100,000 lines in (over 1 MB, several blocks) names its line.
    std::string text = "a,b\n";
    for (int i = 0; i < 100000; ++i) text += std::to_string(i) + ",\"x\ny\"\n";
    text += "1,2,3\n";
    for (unsigned threads : {1u, 2u}) {
        try {
            (void)parse(text, {.threads = threads});
            ADD_FAILURE() << "no error";
        } catch (const aio::csv::ParserError& e) {
            EXPECT_EQ(e.line(), 200002u) << "threads=" << threads;
        }
    }
}

TEST(ReadCsv, CrLfAtEveryOffsetOfA64ByteChunk) {
    // The CR of a CR LF is dropped wherever the pair falls against the
    // tokenizer's 64-byte chunks, the LF first in a chunk included; quoted
    // fields keep theirs.
    for (std::size_t pad = 0; pad < 70; ++pad) {
        const std::string text = "a,b\r\n" + std::string(pad, 'x') + ",1\r\n\"q\r\n\",2\r\nz,\r\n";
        const aio::Table t = parse(text);
        ASSERT_EQ(t.num_rows(), 3u) << pad;
        EXPECT_EQ(t["a"].str(0), std::string(pad, 'x')) << pad;
        EXPECT_EQ(t["a"].str(1), "q\r\n") << pad;
        EXPECT_EQ(t["b"].values<double>()[1], 2.0) << pad;
        EXPECT_TRUE(t["b"].is_na(2)) << pad;
    }
}

TEST(ReadCsv, DoubledQuotesAtEveryOffsetOfA64ByteChunk) {
    // The tokenizer finds doubled quotes in its 64-byte masks: a pair that
    // straddles two chunks, a field that spans chunks with its pair in an
    // earlier one, and quoted fields without a pair next to fields with one
    // (which must stay as they are) all come out as the text says.
    for (std::size_t pad = 0; pad < 140; ++pad) {
        // Each field has one pair at most, so that no other pair hides a missed one.
        const std::string text = "a,b,c\n"
                                 "\"" + std::string(pad, 'p') + "\"\"" + std::string(pad % 7, 'q') + "\","
                                 "\"plain " + std::string(pad % 5, 'r') + "\",\"\"\"\"\n"
                                 "\"x\",\"" + std::string(pad % 66, 's') + "\"\"\",\"\"\n";
        const aio::Table t = parse(text);
        ASSERT_EQ(t.num_rows(), 2u) << pad;
        EXPECT_EQ(t["a"].str(0), std::string(pad, 'p') + "\"" + std::string(pad % 7, 'q')) << pad;
        EXPECT_EQ(t["b"].str(0), "plain " + std::string(pad % 5, 'r')) << pad;
        EXPECT_EQ(t["c"].str(0), "\"") << pad;
        EXPECT_EQ(t["a"].str(1), "x") << pad;
        EXPECT_EQ(t["b"].str(1), std::string(pad % 66, 's') + "\"") << pad;
        EXPECT_TRUE(t["c"].is_na(1)) << pad;
    }
}

TEST(ReadCsv, ManyDoubledQuotesInOneFieldKeepTheTextBetweenThem) {
    // Each pair becomes one quote and the runs between pairs move whole:
    // runs of 0 to 19 bytes (shorter and longer than the 8-byte steps that
    // look for the next quote), pairs back to back, and a pair at either
    // end of the field.
    for (std::size_t gap = 0; gap < 20; ++gap) {
        for (std::size_t pairs = 1; pairs < 6; ++pairs) {
            std::string field, want;
            for (std::size_t i = 0; i < pairs; ++i) {
                const std::string run(gap + i, static_cast<char>('a' + i));
                field += run + "\"\"";
                want += run + "\"";
            }
            field += std::string(gap, 'z');
            want += std::string(gap, 'z');
            const std::string text = "a,b\n\"" + field + "\",\"\"\"\"\"\"" + "\n\"" + field + "\",tail\n";
            const aio::Table t = parse(text);
            ASSERT_EQ(t.num_rows(), 2u) << gap << " " << pairs;
            EXPECT_EQ(t["a"].str(0), want) << gap << " " << pairs;
            EXPECT_EQ(t["b"].str(0), "\"\"") << gap << " " << pairs;
            EXPECT_EQ(t["a"].str(1), want) << gap << " " << pairs;
            EXPECT_EQ(t["b"].str(1), "tail") << gap << " " << pairs;
        }
    }
}

TEST(StreamingParser, CharactersCutAtBlockEndsAndABadByteFarIn) {
    // Rows of 2-, 3- and 4-byte characters over several parser blocks, fed in
    // pieces whose ends (and so the blocks' ends) fall inside characters: a
    // character cut off at the end of a block waits for the rest.
    const char* words[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "z\xC3\xBCrich"};
    std::string text = "a,b\n";
    std::size_t rows = 0;
    while (text.size() < 3 * aio::csv::StreamingParser::kBlockSize) {
        text += std::to_string(rows) + "," + words[rows % 4] + words[(rows + 1) % 4] + "\n";
        ++rows;
    }
    auto feed = [](std::string_view t, std::size_t piece) {
        aio::csv::StreamingParser p;
        for (std::size_t i = 0; i < t.size(); i += piece) p.feed(t.substr(i, piece));
        p.finish();
        return p.table();
    };
    for (std::size_t piece : {std::size_t{1'000'003}, std::size_t{65'537}, std::size_t{4'097}}) {
        const aio::Table t = feed(text, piece);
        ASSERT_EQ(t.num_rows(), rows) << piece;
        for (std::size_t r : {std::size_t{0}, rows / 2, rows - 1})
            EXPECT_EQ(t["b"].str(r), std::string(words[r % 4]) + words[(r + 1) % 4]) << piece << " row " << r;
    }
    // A byte that is never UTF-8, at the start of a row past two blocks: named
    // by its offset and line, whatever the pieces.
    std::size_t at = text.find('\n', 2 * aio::csv::StreamingParser::kBlockSize + 12345) + 1;
    std::string bad = text;
    bad.insert(at, "\xFF");
    const std::size_t line = static_cast<std::size_t>(std::count(bad.begin(), bad.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;
    for (std::size_t piece : {std::size_t{1'000'003}, std::size_t{4'097}}) {
        try {
            (void)feed(bad, piece);
            ADD_FAILURE() << "no error, pieces of " << piece;
        } catch (const aio::UnicodeDecodeError& e) {
            EXPECT_EQ(e.offset(), at) << piece;
            EXPECT_NE(std::string(e.what()).find("invalid start byte (line " + std::to_string(line) + ")"),
                      std::string::npos)
                << e.what();
        }
    }
}

}  // namespace
