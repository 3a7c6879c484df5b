// Internal: turning the fields of one column, block after block, into a typed
// aio::Column, inferring the type as pandas does.
//
// Per block the column is parsed as int64, else float64, else bool, else
// object (pandas' order; uint64 when an integer exceeds int64). Blocks are
// unified as they are appended: int64 + float64 → float64, a block of only
// missing values takes the other's type (int64 and bool then widen to
// float64 and object), anything else mixed → object, the values already
// parsed turned into their Python text. The next block is first parsed
// straight into the column's storage as the column's current type; only a
// block that does not fit is parsed again on its own.
#pragma once

#include "csv/dialect.hpp"
#include "csv/tokenizer.hpp"
#include "table/column_data.hpp"

#include <aio/table/column.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace aio::csv::detail {

/// The type a column has so far. `none`: no rows yet; `null`: only missing
/// values (float64 NaN storage).
enum class Kind : std::uint8_t { none, null, int64, uint64, float64, bool_, object, datetime };

class LineLocator {
public:
    /// 1-based line of row `row` of the current block.
    virtual std::size_t line_of_row(std::size_t row) = 0;

protected:
    ~LineLocator() = default;
};

/// Rows [r0, r1) of a tokenized block.
struct BlockView {
    const char* text;
    const RowBlock* rows;
    std::size_t r0, r1;
    LineLocator* lines;
};

/// One output column: where it comes from and how to convert it.
struct ColumnSpec {
    std::string name;
    std::size_t source = 0;        // field position in the row
    std::optional<DType> dtype;    // the user's dtype=
    bool parse_dates = false;
};

struct ConvertSettings {
    NaSet na;
    char decimal = '.';
    char thousands = 0;
    std::string date_format;
    /// Some NA string reads as a number or a bool (na_values=["-1"]): the
    /// converters must look a cell up in `na` before parsing it. When false
    /// (the default strings), they parse first and look up only the cells
    /// that do not parse.
    bool na_numeric = true;
};

class ColumnBuilder {
public:
    ColumnBuilder(const ColumnSpec& spec, const ConvertSettings& settings) : spec_(&spec), settings_(&settings) {}

    /// Converts and appends the view's rows of this column. Throws
    /// ConversionError for values that do not fit a user dtype.
    void append(const BlockView& view);
    /// Appends another builder's rows (the next part of the same column).
    void append(ColumnBuilder&& other);
    /// Bytes the column's buffers have room for (reserved or grown into).
    std::size_t capacity() const noexcept {
        return data_.values.capacity() + data_.chars.capacity() + data_.validity.capacity();
    }
    /// Bytes reserve_rows(rows) would make room for: the column's storage at
    /// `rows` rows for its type so far (strings at their mean length so far);
    /// 0 before the first row, or for a column of only missing values.
    std::size_t bytes_for_rows(std::size_t rows) const noexcept;
    /// Before the first row: room for `rows` values of 8 bytes (what every
    /// type but bool takes, and a string's offset), so that the first block
    /// already lands in it. Throws std::bad_alloc.
    void reserve_values(std::size_t rows);
    /// Makes room for `rows` rows in all: a hint from the input's size, so
    /// that a large column is one mapping from its first block on instead
    /// of a heap buffer copied at each doubling, every 4 KiB page of it
    /// fresh. A buffer that would need less than 256 KiB is left to grow;
    /// under 1 MiB it is one heap block (a huge page would hold 2 MiB for
    /// each column of a wide table). A wrong hint costs address space, never
    /// rows. A buffer of 512 KiB to 1 MiB is rounded up to a whole huge page
    /// while the bytes rounded up fit in `slack` (taken from it): the table's
    /// spare allowance, shared by its columns, so that a 1,000,000-row
    /// table's validity bytes take one fault, not 250, and a wide table still
    /// holds at most its allowance more. Throws std::bad_alloc.
    void reserve_rows(std::size_t rows, std::size_t& slack);
    std::size_t size() const noexcept { return data_.size; }
    /// Bytes of the values built so far (for ReadOptions::max_memory).
    std::size_t memory() const noexcept {
        return data_.values.size() + data_.chars.size() + data_.validity.size();
    }
    /// The finished column (the builder is left empty).
    Column finish();

private:
    void merge(aio::table_detail::ColumnData&& block, Kind kind);
    void append_user(const BlockView& view);
    const ColumnSpec* spec_;
    const ConvertSettings* settings_;
    Kind kind_ = Kind::none;
    aio::table_detail::ColumnData data_;
};

}  // namespace aio::csv::detail
