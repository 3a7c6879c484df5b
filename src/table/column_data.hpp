// Internal: the storage behind aio::Column, shared by the table code and the
// CSV reader, which fills it in place.
#pragma once

#include "table/buffer.hpp"

#include <aio/table/column.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>

namespace aio::table_detail {

/// NaT: the datetime64 value pandas uses for a missing time.
inline constexpr std::int64_t kNaT = std::numeric_limits<std::int64_t>::min();

struct ColumnData {
    DType dtype = DType::object;
    std::size_t size = 0;
    /// The values: int64 / uint64 / double / bool / int64 ns; for object the
    /// size + 1 uint64 offsets into `chars`.
    Buffer values;
    /// object only: the strings, back to back.
    Buffer chars;
    /// One byte per row (1 = present), or empty when nothing is missing.
    Buffer validity;
    std::size_t nulls = 0;

    bool valid(std::size_t i) const noexcept {
        return validity.empty() || validity.as<std::uint8_t>()[i] != 0;
    }
    std::string_view str(std::size_t i) const noexcept {
        const auto* off = values.as<std::uint64_t>();
        return {reinterpret_cast<const char*>(chars.data()) + off[i], static_cast<std::size_t>(off[i + 1] - off[i])};
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

/// Size in bytes of one value of a fixed-width dtype (8 for object offsets).
inline std::size_t value_width(DType t) noexcept { return t == DType::bool_ ? 1 : 8; }

}  // namespace aio::table_detail
