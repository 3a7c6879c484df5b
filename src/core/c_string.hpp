// Strings that reach the kernel as C strings (paths, host names): a NUL byte
// inside one would end it early, and the call would name another file or
// host than the caller's string says ("report.pdf\0.txt" opens "report.pdf").
#pragma once

#include <string_view>

#include "aio/exceptions.hpp"

namespace aio::detail {

/// Whether `s` holds a NUL byte.
inline bool has_nul(std::string_view s) noexcept { return s.find('\0') != std::string_view::npos; }

/// Throws ValueError "embedded null byte" (Python's check and message) when
/// `s` holds a NUL byte.
inline void check_no_nul(std::string_view s) {
    if (has_nul(s)) throw ValueError("embedded null byte");
}

}  // namespace aio::detail
