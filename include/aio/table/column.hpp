// aio/table/column.hpp — one typed column of an aio::Table (a pandas Series
// without its index) with a validity mask.
#pragma once

#include <aio/table/dtype.hpp>
#include <aio/table/errors.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aio {

namespace table_detail {
struct ColumnData;
struct ColumnAccess;
}  // namespace table_detail

/// A column: `size()` values of one `dtype()`, and which of them are missing.
///
/// Columns are immutable values that share their storage: copying one is a
/// reference-count increment, and every operation returns a new column. The
/// storage is one contiguous array per column (strings: one byte arena plus
/// `size() + 1` offsets), so `values<T>()` is a plain span to loop over.
///
/// Missing values (pandas' NaN / NaT / None) are marked in `validity()`; a
/// float64 column also holds NaN there, a datetime column holds `INT64_MIN`
/// (NaT), an object column an empty string.
///
/// Mirrors pandas.Series: `count`, `sum`, `mean`, `std`, `min`, `max`,
/// `quantile`, `unique`, `isna`, `fillna`, `astype`.
class Column {
public:
    /// An empty object column.
    Column();

    /// Columns built from values (pandas' `pd.Series(values)`): an int64
    /// column of these values (none missing).
    static Column from_int64(std::vector<std::int64_t> values);
    /// A uint64 column of these values (none missing).
    static Column from_uint64(std::vector<std::uint64_t> values);
    /// A float64 column; NaN values are missing.
    static Column from_float64(std::vector<double> values);
    /// A bool column of these values (none missing).
    static Column from_bool(const std::vector<bool>& values);
    /// An object column; `std::nullopt` is missing.
    static Column from_strings(const std::vector<std::optional<std::string>>& values);
    /// A datetime64[ns] column; `std::nullopt` is missing (NaT).
    static Column from_timestamps(const std::vector<std::optional<Timestamp>>& values);
    /// A column of `dtype` from scalars: each must be missing or convertible
    /// as `astype` would convert it. Throws aio::ValueError when one is not.
    static Column from_scalars(const std::vector<Scalar>& values, DType dtype);

    /// The column's dtype (pandas' `s.dtype`).
    DType dtype() const noexcept;
    /// Number of rows, missing values included (pandas' `len(s)`).
    std::size_t size() const noexcept;
    /// True when the column has no rows.
    bool empty() const noexcept { return size() == 0; }

    /// One byte per row, 1 where a value is present, 0 where it is missing;
    /// an empty span when no value is missing.
    std::span<const std::uint8_t> validity() const noexcept;
    /// True when row `i` is missing. Throws aio::IndexError past the end.
    bool is_na(std::size_t i) const;
    /// How many values are missing.
    std::size_t null_count() const noexcept;
    /// Bytes of the column's storage (pandas' `s.memory_usage(index=False,
    /// deep=True)`, without Python's object overhead): the values, or for an
    /// object column its string bytes and their offsets (4 bytes per row
    /// while its strings total at most 4 GiB, 8 past that), plus one byte per
    /// row for the validity mask when any value is missing. Columns that
    /// share storage each count it.
    std::size_t memory_usage() const noexcept;

    /// The values as a span. `T` must match the dtype: std::int64_t (int64),
    /// std::uint64_t (uint64), double (float64), bool (bool_), Timestamp
    /// (datetime64_ns). Throws aio::TypeError otherwise. Missing slots hold
    /// NaN (float64), NaT (datetime) or an unspecified value (never for int/bool).
    template <class T>
    std::span<const T> values() const;

    /// Row `i` of an object column as a view into the column's arena (valid as
    /// long as any copy of the column lives); empty for a missing value.
    /// Throws aio::TypeError for other dtypes, aio::IndexError past the end.
    std::string_view str(std::size_t i) const;

    /// Row `i` as a scalar (pandas' `s.iloc[i]`). Throws aio::IndexError.
    Scalar at(std::size_t i) const;
    /// Row `i` as a scalar, as at(). Throws aio::IndexError past the end.
    Scalar operator[](std::size_t i) const { return at(i); }

    /// Number of values that are not missing (pandas' `count()`).
    std::size_t count() const noexcept;
    /// Sum of the values that are not missing (pandas' `sum()`): int64 / uint64
    /// (wrapping as NumPy does), float64, bool (a count as int64), object (the
    /// strings concatenated). 0 for an empty numeric column. Throws
    /// aio::TypeError for datetime64.
    Scalar sum() const;
    /// Arithmetic mean of the values present (NaN when there are none). Throws
    /// aio::TypeError for object and datetime columns.
    double mean() const;
    /// Sample standard deviation (`ddof` = 1 as pandas' default); NaN with fewer
    /// than `ddof + 1` values. Throws aio::TypeError for object and datetime columns.
    double std(int ddof = 1) const;
    /// The `q`-quantile (0 ≤ q ≤ 1) with linear interpolation (pandas' default);
    /// NaN when empty. Throws aio::TypeError for object and datetime columns,
    /// aio::ValueError for q outside [0, 1].
    double quantile(double q) const;
    /// Smallest / largest value present (missing when there is none); strings
    /// compare bytewise as Python's str does for UTF-8.
    Scalar min() const;
    /// Largest value present (missing when there is none), as min() compares.
    Scalar max() const;
    /// The distinct values in order of first appearance, the missing value
    /// included once if present (pandas' `unique()`).
    Column unique() const;

    /// A bool column, true where the value is missing (pandas' `isna()`).
    Column isna() const;
    /// Missing values replaced by `value` (pandas' `fillna(value)`): the value
    /// must fit the column's dtype (an int into float64 is fine); object
    /// columns take its `str()`. Throws aio::TypeError when it does not fit.
    Column fillna(const Scalar& value) const;
    /// The column converted to `dtype` (pandas' `astype`). Throws
    /// aio::ValueError when a value does not convert (e.g. "abc" to int64, a
    /// missing value to int64 or bool).
    Column astype(DType dtype) const;

    /// The rows at `positions`, in that order. Throws aio::IndexError.
    Column take(std::span<const std::size_t> positions) const;
    /// Rows [offset, offset + length), clamped to the column.
    Column slice(std::size_t offset, std::size_t length) const;
    /// The columns one after the other; dtypes are unified as pandas' concat
    /// does (int64 + float64 → float64, anything else mixed → object).
    static Column concat(std::span<const Column> columns);

private:
    friend struct table_detail::ColumnAccess;
    explicit Column(std::shared_ptr<const table_detail::ColumnData> data) noexcept;
    std::shared_ptr<const table_detail::ColumnData> data_;
};

}  // namespace aio
