// aio-test-labels: sync
// Column storage (src/table/buffer.hpp): append_moving, which joins the two
// halves of a table read on two threads by moving pages, gives the bytes a
// copy would, whatever the first part's size is against a page; the joined
// buffer can still grow.
#include "table/buffer.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>

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
    // tails with and without a skipped prefix (object offsets skip 8).
    for (std::size_t head_size : {2 * kMiB, 2 * kMiB + 1, 2 * kMiB + 4095, 3 * kMiB + 1234, 5 * kMiB + 8}) {
        for (std::size_t skip : {std::size_t{0}, std::size_t{8}}) {
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

}  // namespace
