// Internal: the storage behind aio::Column, shared by the table code and the
// CSV reader, which fills it in place.
#pragma once

#include "table/buffer.hpp"

#include <aio/table/column.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>

namespace aio::table_detail {

/// The largest offset a narrow (32-bit) object column holds: UINT32_MAX.
/// Tests lower it (before any column is built) to reach the 64-bit path
/// without 4 GiB of strings; nothing else writes it.
inline std::uint64_t max_narrow_offset = std::numeric_limits<std::uint32_t>::max();

/// NaT: the datetime64 value pandas uses for a missing time.
inline constexpr std::int64_t kNaT = std::numeric_limits<std::int64_t>::min();

struct ColumnData {
    DType dtype = DType::object;
    std::size_t size = 0;
    /// The values: int64 / uint64 / double / bool / int64 ns; for object the
    /// size + 1 offsets into `chars`, uint32 (uint64 once `wide_offsets`).
    Buffer values;
    /// object only: the strings, back to back.
    Buffer chars;
    /// One byte per row (1 = present), or empty when nothing is missing.
    Buffer validity;
    std::size_t nulls = 0;
    /// object only: the offsets are uint64. A column's strings take 32-bit
    /// offsets until its chars pass 4 GiB (as Arrow's string and
    /// large_string): for short strings the offsets are most of the column,
    /// and on a machine where fresh memory costs more than parsing, R8's
    /// table is 12 MB smaller.
    bool wide_offsets = false;

    bool valid(std::size_t i) const noexcept {
        return validity.empty() || validity.as<std::uint8_t>()[i] != 0;
    }
    /// Bytes of one object offset.
    std::size_t offset_width() const noexcept { return wide_offsets ? 8 : 4; }
    /// Where string i starts in `chars` (i == size: where the last one ends).
    std::uint64_t offset(std::size_t i) const noexcept {
        return wide_offsets ? values.as<std::uint64_t>()[i] : values.as<std::uint32_t>()[i];
    }
    void set_offset(std::size_t i, std::uint64_t v) noexcept {
        if (wide_offsets)
            values.as<std::uint64_t>()[i] = v;
        else
            values.as<std::uint32_t>()[i] = static_cast<std::uint32_t>(v);
    }
    std::string_view str(std::size_t i) const noexcept {
        const std::uint64_t a = offset(i);
        return {reinterpret_cast<const char*>(chars.data()) + a, static_cast<std::size_t>(offset(i + 1) - a)};
    }
    /// Appends the offset `end` (the end of a string just appended to
    /// `chars`), widening the offsets first when it needs 64 bits.
    void push_offset(std::uint64_t end) {
        if (!wide_offsets && end > max_narrow_offset) widen_offsets();
        if (wide_offsets) {
            values.append(&end, 8);
        } else {
            const auto e = static_cast<std::uint32_t>(end);
            values.append(&e, 4);
        }
    }
    /// Rewrites the 32-bit offsets in `values` as 64-bit ones (every offset
    /// the buffer holds, whether or not `size` counts it yet). Throws
    /// std::bad_alloc.
    void widen_offsets() {
        if (wide_offsets) return;
        const std::size_t n = values.size() / 4;
        Buffer wide;
        wide.reserve(std::max(values.capacity() * 2, n * 8));
        wide.resize(n * 8);
        const auto* in = values.as<std::uint32_t>();
        auto* out = wide.as<std::uint64_t>();
        for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
        values = std::move(wide);
        wide_offsets = true;
    }

    /// Marks row i missing, creating the mask if needed (rows [0, size) exist).
    void set_null(std::size_t i) {
        if (validity.empty()) {
            validity.resize(size);
            std::memset(validity.data(), 1, size);
        }
        validity.as<std::uint8_t>()[i] = 0;
        ++nulls;
    }
};

/// Builds a Column from ColumnData and reaches into one.
struct ColumnAccess {
    static Column make(std::shared_ptr<const ColumnData> d) noexcept { return Column(std::move(d)); }
    static const ColumnData& data(const Column& c) noexcept { return *c.data_; }
};

/// Size in bytes of one value of a fixed-width dtype (object columns hold
/// offsets of ColumnData::offset_width()).
inline std::size_t value_width(DType t) noexcept { return t == DType::bool_ ? 1 : 8; }

}  // namespace aio::table_detail
