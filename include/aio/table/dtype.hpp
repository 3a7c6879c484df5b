// aio/table/dtype.hpp — the element types of an aio::Table column, named as
// pandas names its dtypes, and the scalar values a column hands out.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace aio {

/// The type of a column's values (a pandas / NumPy dtype).
///
/// | DType         | pandas name        | storage                         | missing value |
/// |---------------|--------------------|---------------------------------|---------------|
/// | int64         | `int64`            | `std::int64_t`                  | none (a gap makes the column float64) |
/// | uint64        | `uint64`           | `std::uint64_t`                 | none          |
/// | float64       | `float64`          | `double`                        | NaN           |
/// | bool_         | `bool`             | `bool`                          | none (a gap makes the column object) |
/// | object        | `object`           | UTF-8 strings in one arena      | NaN (a null)  |
/// | datetime64_ns | `datetime64[ns]`   | `aio::Timestamp` (ns since 1970) | NaT          |
enum class DType : std::uint8_t { int64, uint64, float64, bool_, object, datetime64_ns };

/// pandas' name of the dtype: "int64", "uint64", "float64", "bool", "object",
/// "datetime64[ns]" (what `str(df.dtypes[i])` prints).
std::string_view to_string(DType dtype) noexcept;

/// Parses a dtype name as pandas accepts it in `dtype=`: the names above plus
/// "int", "float", "str", "string", "O" and "datetime64". Throws aio::TypeError
/// ("data type 'x' not understood", as NumPy says) for anything else.
DType dtype_from_string(std::string_view name);

/// A point in time with nanosecond resolution, nanoseconds since 1970-01-01
/// 00:00:00 UTC, without a time zone (pandas' Timestamp of a datetime64[ns]
/// column). Covers the years 1677 to 2262, as pandas' does.
struct Timestamp {
    /// Nanoseconds since 1970-01-01 00:00:00 UTC (pandas' Timestamp.value);
    /// INT64_MIN stands for NaT in a column.
    std::int64_t ns = 0;
    friend bool operator==(Timestamp, Timestamp) = default;
    friend auto operator<=>(Timestamp, Timestamp) = default;
};

/// Python's `str(pd.Timestamp(...))`: "2020-01-02 03:04:05", with ".fff…"
/// fractional digits (6 or 9) only when the time has them.
std::string to_string(Timestamp t);

/// One cell (or one aggregate) of a table: missing (`std::monostate`, pandas'
/// NaN / NaT / None), or a value of one of the column types.
using Scalar = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Timestamp>;

/// True when the scalar is missing (pandas' `pd.isna(x)`; NaN doubles count as missing).
bool is_na(const Scalar& value) noexcept;

/// Python's `str(x)` of the scalar: "5", "1.5", "1e-05", "True", "NaN", "NaT", the string itself.
std::string to_string(const Scalar& value);

}  // namespace aio
