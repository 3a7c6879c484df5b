// The values room: text → datetime64[ns] (parse_dates, astype), shared by the CSV reader and the table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aio::values {

/// Parses `text` as a date-time, with `format` (strftime directives %Y %y %m
/// %d %H %I %M %S %f %p %b %B %j %%; a space matches any run of spaces) or,
/// when `format` is empty, as ISO 8601 ("2024-01-31", "2024/01/31",
/// "2024-01-31 12:00", "2024-01-31T12:00:00.123456789"), "20240131", or
/// month-first "01/31/2024 [12:00[:00]]". Surrounding spaces are ignored.
/// False when the text does not match or the time is outside 1677–2262.
bool parse_datetime(std::string_view text, const std::string& format, std::int64_t& ns) noexcept;

/// Days since 1970-01-01 of a valid civil date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept;

}  // namespace aio::values
