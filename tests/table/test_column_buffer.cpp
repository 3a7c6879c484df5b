// aio-test-labels: sync
// Column storage (src/table/buffer.hpp): append_moving, which joins the two
// halves of a table read on two threads by moving pages, gives the bytes a
// copy would, whatever the first part's size is against a page; the joined
// buffer can still grow. The CSV engine's columns (src/csv/engine.hpp) are
// reserved after the first block when the input's size is known.
#include "csv/engine.hpp"
#include "table/buffer.hpp"

#include <aio/csv/parser.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using aio::table_detail::Buffer;

/// A buffer of `n` bytes from `seed`.
Buffer filled(std::size_t n, unsigned seed) {
    Buffer b;
    b.resize(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        b.as<unsigned char>()[i] = static_cast<unsigned char>(x >> 24);
    }
    return b;
}

std::string bytes(const Buffer& b, std::size_t from = 0) {
    return {b.as<char>() + from, b.size() - from};
}

TEST(ColumnBuffer, AppendMovingGivesTheBytesACopyWould) {
    constexpr std::size_t kMiB = std::size_t{1} << 20;
    // First parts ending on a page, just past one, and anywhere in a page;
    // tails with and without a skipped prefix (object offsets skip their
    // leading 0: 4 bytes, or 8 in a column past 4 GiB of strings).
    for (std::size_t head_size : {2 * kMiB, 2 * kMiB + 1, 2 * kMiB + 4095, 3 * kMiB + 1234, 5 * kMiB + 8}) {
        for (std::size_t skip : {std::size_t{0}, std::size_t{4}, std::size_t{8}}) {
            Buffer head = filled(head_size, 1);
            Buffer tail = filled(3 * kMiB + 777, 2);
            const std::string expected = bytes(head) + bytes(tail, skip);
            head.append_moving(std::move(tail), skip);
            EXPECT_EQ(head.size(), expected.size()) << head_size << " " << skip;
            EXPECT_TRUE(bytes(head) == expected) << head_size << " " << skip;
            EXPECT_EQ(tail.size(), 0u);
            EXPECT_EQ(tail.data(), nullptr);
            // Grown afterwards (its pages now come from two mappings): the bytes stay.
            head.reserve(head.capacity() * 2 + 1);
            head.append("end", 3);
            EXPECT_TRUE(bytes(head) == expected + "end") << head_size << " " << skip;
        }
    }
}

TEST(ColumnBuffer, AppendMovingCopiesSmallParts) {
    // Below the mapping threshold on either side the bytes are copied.
    Buffer head = filled(1000, 3);
    Buffer tail = filled(5 << 20, 4);
    std::string expected = bytes(head) + bytes(tail);
    head.append_moving(std::move(tail));
    EXPECT_TRUE(bytes(head) == expected);
    EXPECT_EQ(tail.size(), 0u);
    Buffer big = filled(5 << 20, 5);
    Buffer small = filled(100, 6);
    expected = bytes(big) + bytes(small, 8);
    big.append_moving(std::move(small), 8);
    EXPECT_TRUE(bytes(big) == expected);
    Buffer empty;
    big.append_moving(std::move(empty));
    EXPECT_TRUE(bytes(big) == expected);
}

/// An engine fed `text` a block at a time, with `expected` bytes announced
/// (0: none), stopped before the end (the last block not final).
void feed_blocks(aio::csv::detail::Engine& e, const std::string& text) {
    for (std::size_t at = 0; at < text.size(); at += aio::csv::StreamingParser::kBlockSize) {
        const std::size_t n = std::min(aio::csv::StreamingParser::kBlockSize, text.size() - at);
        e.text().append(text.data() + at, n);
        e.process(false);
    }
}

TEST(ColumnReservation, TheFirstBlockReservesTheColumnsForTheRowsAnnounced) {
    // 3 MiB of rows of the same shape; the engine is told ten times as much
    // will come: after its first block, the int column has room for about ten
    // times the rows, the string column for their offsets and characters.
    std::string text = "i,s\n";
    std::size_t rows = 0;
    while (text.size() < (std::size_t{3} << 20)) {
        text += std::to_string(1000000 + rows) + ",abcdefgh\n";
        ++rows;
    }
    aio::csv::detail::Config announced_cfg{aio::csv::ReadOptions{}};
    aio::csv::detail::Engine announced(announced_cfg, "utf-8", true);
    announced.expect_bytes(text.size() * 10);
    feed_blocks(announced, text);
    ASSERT_EQ(announced.builders().size(), 2u);
    EXPECT_GE(announced.builders()[0].capacity(), rows * 10 * 8 * 9 / 10);
    EXPECT_GE(announced.builders()[1].capacity(), rows * 10 * (8 + 8) * 9 / 10);

    // nrows caps the rows reserved for.
    aio::csv::ReadOptions first_rows;
    first_rows.nrows = rows / 2;
    aio::csv::detail::Config capped_cfg{first_rows};
    aio::csv::detail::Engine capped(capped_cfg, "utf-8", true);
    capped.expect_bytes(text.size() * 10);
    feed_blocks(capped, text);
    EXPECT_GE(capped.builders()[0].capacity(), rows / 2 * 8);
    EXPECT_LT(capped.builders()[0].capacity(), rows * 2 * 8);

    // A size no input has (a Content-Length that lies) reserves nothing.
    for (std::size_t lie : {SIZE_MAX, std::size_t{1} << 55}) {
        aio::csv::detail::Config lied_cfg{aio::csv::ReadOptions{}};
        aio::csv::detail::Engine lied(lied_cfg, "utf-8", true);
        lied.expect_bytes(lie);
        feed_blocks(lied, text);
        EXPECT_LT(lied.builders()[0].capacity(), rows * 2 * 8) << lie;
    }

    aio::csv::detail::Config plain_cfg{aio::csv::ReadOptions{}};
    aio::csv::detail::Engine plain(plain_cfg, "utf-8", true);
    feed_blocks(plain, text);
    EXPECT_LT(plain.builders()[0].capacity(), rows * 2 * 8);
    EXPECT_EQ(plain.rows(), announced.rows());
}

TEST(ColumnReservation, ABuilderReservesNothingBeforeItsTypeIsKnown) {
    // A column of only missing values may still become any type: nothing is
    // reserved for it. A reservation under 256 KiB is not made; one under
    // 1 MiB is a heap block (a huge page would hold 2 MiB of memory for a
    // fraction of it, in every column of a wide table); from 1 MiB up it is
    // a huge-page mapping. The values already there stay.
    std::string text = "a,b\n";
    for (int i = 0; i < 20000; ++i) text += "," + std::to_string(i % 10) + "\n";
    aio::csv::detail::Config cfg{aio::csv::ReadOptions{}};
    aio::csv::detail::Engine e(cfg, "utf-8", true);
    feed_blocks(e, text);
    e.process(true);
    auto& b = e.builders();
    ASSERT_EQ(b.size(), 2u);
    EXPECT_EQ(b[0].bytes_for_rows(10000000), 0u);
    EXPECT_EQ(b[1].bytes_for_rows(10000000), 10000000u * 8);
    const std::size_t before = b[1].capacity();
    ASSERT_LT(before, 30000u * 8);
    std::size_t no_slack = 0;
    b[1].reserve_rows(30000, no_slack);  // 240,000 bytes: left to grow
    EXPECT_EQ(b[1].capacity(), before);
    b[1].reserve_rows(40000, no_slack);
    EXPECT_GE(b[1].capacity(), 40000u * 8);
    EXPECT_LT(b[1].capacity(), std::size_t{1} << 20);
    b[1].reserve_rows(200000, no_slack);
    EXPECT_EQ(b[1].capacity() % aio::table_detail::Buffer::kHugePage, 0u);  // whole huge pages
    EXPECT_GE(b[1].capacity(), 200000u * 8);
    EXPECT_EQ(b[1].size(), 20000u);
    const aio::Column c = b[1].finish();
    ASSERT_EQ(c.size(), 20000u);
    EXPECT_EQ(c.values<std::int64_t>()[19999], 19999 % 10);
}

TEST(ColumnReservation, BuffersFrom512KiBAreWholeHugePagesWhileTheTableHasSlack) {
    // A buffer of 512 KiB to 1 MiB becomes one whole huge page (one fault
    // instead of up to 256) when the table's slack pays for the rest; the
    // slack is spent, and once it is short the next buffer is a heap block
    // of the size asked. Under 512 KiB nothing is rounded up.
    constexpr std::size_t kHugePage = aio::table_detail::Buffer::kHugePage;
    std::string text = "a,b\n";
    for (int i = 0; i < 20000; ++i) text += "x," + std::to_string(i % 10) + "\n";
    // An engine over the text (each with its own Config: the engine keeps
    // its column specs there); its column b is int64 with 20,000 rows.
    struct Parsed {
        aio::csv::detail::Config cfg{aio::csv::ReadOptions{}};
        aio::csv::detail::Engine e{cfg, "utf-8", true};
    };
    std::vector<std::unique_ptr<Parsed>> engines;
    auto int_column = [&]() -> aio::csv::detail::ColumnBuilder& {
        auto& p = *engines.emplace_back(std::make_unique<Parsed>());
        feed_blocks(p.e, text);
        p.e.process(true);
        return p.e.builders()[1];
    };

    std::size_t slack = kHugePage;
    auto& rounded = int_column();
    rounded.reserve_rows(80000, slack);  // 640,000 bytes
    EXPECT_EQ(rounded.capacity() % kHugePage, 0u);
    EXPECT_EQ(slack, 80000u * 8);  // the rest of the huge page was paid from it

    auto& short_of_slack = int_column();
    short_of_slack.reserve_rows(80000, slack);
    EXPECT_GE(short_of_slack.capacity(), 80000u * 8);
    EXPECT_LT(short_of_slack.capacity(), std::size_t{1} << 20);
    EXPECT_EQ(slack, 80000u * 8);

    std::size_t plenty = 64 * kHugePage;
    auto& small = int_column();
    small.reserve_rows(60000, plenty);  // 480,000 bytes: under 512 KiB
    EXPECT_LT(small.capacity(), std::size_t{1} << 20);
    EXPECT_EQ(plenty, 64 * kHugePage);

    std::size_t none = 0;
    auto& no_slack = int_column();
    no_slack.reserve_rows(80000, none);
    EXPECT_LT(no_slack.capacity(), std::size_t{1} << 20);

    const aio::Column c = rounded.finish();
    ASSERT_EQ(c.size(), 20000u);
    EXPECT_EQ(c.values<std::int64_t>()[19999], 19999 % 10);
}

}  // namespace
