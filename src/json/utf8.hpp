// UTF-8 validation and decoding for the JSON reader and writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace aio::json::detail {

/// Decodes the code point starting at s[i] (which must be non-ASCII); sets
/// `len` to its byte length. Returns -1 for an invalid sequence (overlong,
/// surrogate, beyond U+10FFFF, truncated, or a stray continuation byte).
inline std::int32_t decode_utf8(std::string_view s, std::size_t i, std::size_t& len) noexcept {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::int32_t cp;
    std::size_t n;
    std::int32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (i + n > s.size()) return -1;
    for (std::size_t k = 1; k < n; ++k) {
        unsigned char cc = b(i + k);
        if ((cc & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    len = n;
    return cp;
}

/// Offset of the first byte that is not valid UTF-8, or npos.
inline std::size_t first_invalid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        if (decode_utf8(s, i, len) < 0) return i;
        i += len;
    }
    return std::string_view::npos;
}

/// Appends code point `cp` (valid, not a surrogate) as UTF-8.
template <class Out>
inline void append_utf8(Out& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

}  // namespace aio::json::detail
