// aio-test-labels: sync
// Object columns keep 32-bit offsets until their strings pass 4 GiB, then
// 64-bit ones (src/table/column_data.hpp). The limit is lowered here
// (table_detail::max_narrow_offset) so that every path that widens is met
// without 4 GiB of text: a column built string by string, a CSV block whose
// strings cross it, the two halves of a parallel read that cross it only
// when joined, and a first half already wide joined to a narrow second.
// Whatever the width, every string reads back the same, and memory_usage()
// counts what the column holds.
#include "table/column_data.hpp"

#include <aio/csv/reader.hpp>
#include <aio/table.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

using aio::Column;
using aio::Table;

/// Lowers the narrow limit for one test (no column is being built meanwhile).
class NarrowLimit {
public:
    explicit NarrowLimit(std::uint64_t limit) : saved_(aio::table_detail::max_narrow_offset) {
        aio::table_detail::max_narrow_offset = limit;
    }
    ~NarrowLimit() { aio::table_detail::max_narrow_offset = saved_; }
    NarrowLimit(const NarrowLimit&) = delete;
    NarrowLimit& operator=(const NarrowLimit&) = delete;

private:
    std::uint64_t saved_;
};

/// Total bytes of a column's strings.
std::size_t string_bytes(const Column& c) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < c.size(); ++i) n += c.str(i).size();
    return n;
}

/// Bytes per offset, from what memory_usage() reports.
std::size_t offset_width(const Column& c) {
    const std::size_t mask = c.null_count() != 0 ? c.size() : 0;
    return (c.memory_usage() - string_bytes(c) - mask) / (c.size() + 1);
}

void expect_same_strings(const Column& a, const Column& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a.is_na(i), b.is_na(i)) << "row " << i;
        ASSERT_EQ(a.str(i), b.str(i)) << "row " << i;
    }
}

/// Reads `csv` on two threads with the narrow limit at `num/den` of its
/// strings' bytes: the name column comes out wide, with the strings of a
/// one-thread read at the usual limit.
Table expect_wide_parallel_read(const std::string& csv, std::size_t num, std::size_t den) {
    const Table reference = aio::csv::read_csv_string(csv, {.threads = 1});
    const std::size_t total = string_bytes(reference["name"]);
    Table t;
    {
        const NarrowLimit limit(total * num / den);
        t = aio::csv::read_csv_string(csv, {.threads = 2});
    }
    EXPECT_EQ(offset_width(t["name"]), 8u);
    expect_same_strings(reference["name"], t["name"]);
    return t;
}

/// A CSV of `rows` rows: an id, a string whose length varies with the row
/// (`long_from` on: longer), and an integer.
std::string make_csv(std::size_t rows, std::size_t long_from = SIZE_MAX) {
    std::string s = "id,name,n\n";
    for (std::size_t i = 0; i < rows; ++i) {
        std::string name = "s" + std::to_string(i * 7919 % 1000);
        if (i >= long_from) name += std::string(40, 'x');
        if (i % 97 == 5) name.clear();  // missing
        s += std::to_string(i) + "," + name + "," + std::to_string(i % 13) + "\n";
    }
    return s;
}

TEST(StringOffsets, AColumnTakesFourBytesAnOffsetAndMemoryUsageCountsWhatItHolds) {
    const Table t = aio::csv::read_csv_string("a,b,c\n1,xy,1.5\n2,,2.5\n3,hello,\n");
    const Column& b = t["b"];
    ASSERT_EQ(b.dtype(), aio::DType::object);
    // 4 offsets of 4 bytes, 7 string bytes, a mask of 3 (one missing).
    EXPECT_EQ(b.memory_usage(), 4u * 4 + 7 + 3);
    EXPECT_EQ(t["a"].memory_usage(), 3u * 8);      // no missing value: no mask
    EXPECT_EQ(t["c"].memory_usage(), 3u * 8 + 3);  // one NaN
    EXPECT_EQ(t.memory_usage(), b.memory_usage() + t["a"].memory_usage() + t["c"].memory_usage());
    EXPECT_EQ(Column().memory_usage(), 0u);
    EXPECT_EQ(Table().memory_usage(), 0u);
}

TEST(StringOffsets, AColumnBuiltStringByStringWidensAsItPassesTheLimit) {
    std::vector<std::optional<std::string>> values;
    for (int i = 0; i < 200; ++i) values.push_back(i % 10 == 3 ? std::nullopt : std::optional(std::to_string(i * i)));
    const Column narrow = Column::from_strings(values);
    EXPECT_EQ(offset_width(narrow), 4u);
    Column wide;
    {
        const NarrowLimit limit(100);  // passed a third of the way in
        wide = Column::from_strings(values);
    }
    EXPECT_EQ(offset_width(wide), 8u);
    expect_same_strings(narrow, wide);
    // Operations on the wide column give what they give on the narrow one.
    const std::vector<std::size_t> picks{199, 0, 57, 3, 120};
    expect_same_strings(narrow.take(picks), wide.take(picks));
    expect_same_strings(narrow.fillna(aio::Scalar{std::string("-")}), wide.fillna(aio::Scalar{std::string("-")}));
    const std::vector<Column> parts{wide, narrow};
    const std::vector<Column> same{narrow, narrow};
    expect_same_strings(Column::concat(parts), Column::concat(same));
    EXPECT_EQ(wide.unique().size(), narrow.unique().size());
}

TEST(StringOffsets, ACsvColumnWidensInTheBlockThatCrossesTheLimit) {
    const std::string csv = make_csv(20000);
    const Table narrow = aio::csv::read_csv_string(csv, {.threads = 1});
    EXPECT_EQ(offset_width(narrow["name"]), 4u);
    const std::size_t total = string_bytes(narrow["name"]);
    for (std::uint64_t at : {std::uint64_t{0}, std::uint64_t{1000}, std::uint64_t{total / 2}, std::uint64_t{total - 1}}) {
        Table t;
        {
            const NarrowLimit limit(at);
            t = aio::csv::read_csv_string(csv, {.threads = 1});
        }
        EXPECT_EQ(offset_width(t["name"]), 8u) << at;
        expect_same_strings(narrow["name"], t["name"]);
        EXPECT_EQ(t.memory_usage(), narrow.memory_usage() + (t.num_rows() + 1) * 4) << at;
    }
    // At the limit exactly: still narrow.
    const NarrowLimit limit(total);
    EXPECT_EQ(offset_width(aio::csv::read_csv_string(csv, {.threads = 1})["name"]), 4u);
}

TEST(StringOffsets, TheHalvesOfAParallelReadWidenWhenJoined) {
    // Over 1 MiB, so that two threads take a half each.
    const std::string csv = make_csv(200000);
    ASSERT_GT(csv.size(), std::size_t{2} << 20);
    // Each half holds about half the strings: both narrow, the whole not.
    const Table t = expect_wide_parallel_read(csv, 3, 4);
    EXPECT_EQ(t["id"].values<std::int64_t>().back(), 199999);
}

TEST(StringOffsets, AWideFirstHalfJoinsANarrowSecondHalf) {
    // The first half's strings are long, the second half's short: with the
    // limit between them the first half widens on its own and the second
    // does not.
    const std::size_t rows = 120000;
    std::string csv = "id,name,n\n";
    for (std::size_t i = 0; i < rows; ++i)
        csv += std::to_string(i) + "," + (i < rows / 3 ? std::string(60, 'a' + i % 26) : "z" + std::to_string(i % 10)) +
               "," + std::to_string(i % 5) + "\n";
    expect_wide_parallel_read(csv, 2, 3);
}

}  // namespace
