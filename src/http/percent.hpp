// Percent-encoding primitives shared by url.cpp and urlencoded.cpp (private to the library).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aio::http::detail {

/// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
constexpr bool is_unreserved(char ch) noexcept {
    auto c = static_cast<unsigned char>(ch);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

/// The value of a hex digit, or -1.
constexpr int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Appends "%XX" (uppercase hex) for the byte.
inline void append_escape(std::string& out, unsigned char c) {
    static constexpr char digits[] = "0123456789ABCDEF";
    out += '%';
    out += digits[c >> 4];
    out += digits[c & 15];
}

/// Decodes "%XX" escapes (a '%' without two hex digits stays); '+' becomes a
/// space when `plus`; "%2F"/"%2f" stays encoded (as "%2F") when `keep_slash`.
std::string percent_decode(std::string_view s, bool plus, bool keep_slash);

}  // namespace aio::http::detail
