// Internal: Python's text forms of values, shared by the table printer,
// to_csv and the CSV reader (which turns numbers into text when a column
// becomes object).
#pragma once

#include <aio/table/dtype.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace aio::table_detail {

/// Python's repr(float): the shortest text that reads back as `v`, in fixed
/// notation for exponents in [-4, 16) ("0.0001", "1.0", "1e+16", "1e-05"),
/// "nan", "inf", "-inf". Writes at most 32 bytes to `out`; returns the length.
std::size_t format_float_repr(double v, char* out) noexcept;
std::string float_repr(double v);

/// Decimal digits of an integer.
std::size_t format_int(std::int64_t v, char* out) noexcept;
std::size_t format_uint(std::uint64_t v, char* out) noexcept;

/// "2020-01-02 03:04:05[.fffffffff]" with `frac_digits` (0, 3, 6 or 9)
/// fractional digits, or only "2020-01-02" when `date_only`.
std::string format_timestamp(std::int64_t ns, bool date_only, int frac_digits);
/// What pandas chooses for a whole datetime column: date only when every
/// value is at midnight, else the fewest of 0/3/6/9 fractional digits that
/// show every value exactly. NaT values are ignored.
void timestamp_style(const std::int64_t* values, std::size_t n, const std::uint8_t* validity, bool& date_only,
                     int& frac_digits) noexcept;

/// Number of code points of UTF-8 text (Python's len() of the str).
std::size_t display_width(const std::string& s) noexcept;

}  // namespace aio::table_detail
