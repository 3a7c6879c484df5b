// Character classes of HTTP/1.1 (RFC 9110 §5.6.2 token, §5.5 field-vchar,
// RFC 9112 §3.2 request-target), shared by the parser and the writers so that
// what aio sends is checked by the same rules as what it accepts.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace aio::http::detail {

constexpr std::uint8_t kToken = 1;  // tchar
constexpr std::uint8_t kHex = 2;    // HEXDIG

constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] |= kToken | kHex;
    for (int c = 'a'; c <= 'z'; ++c) t[c] |= kToken;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kToken;
    for (int c = 'a'; c <= 'f'; ++c) t[c] |= kHex;
    for (int c = 'A'; c <= 'F'; ++c) t[c] |= kHex;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] |= kToken;
    return t;
}
inline constexpr std::array<std::uint8_t, 256> kClasses = make_classes();

inline bool is_token_char(char c) { return kClasses[static_cast<unsigned char>(c)] & kToken; }
inline bool is_hex(char c) { return kClasses[static_cast<unsigned char>(c)] & kHex; }
inline int hex_value(char c) {
    if (c <= '9') return c - '0';
    return (c | 0x20) - 'a' + 10;
}

// Whether every byte is a tchar: a loop without early exit, so that its only
// branch is the (well predicted) loop condition.
inline bool all_token_chars(std::string_view s) {
    unsigned char all = kToken;
    for (char c : s) all &= kClasses[static_cast<unsigned char>(c)];
    return all != 0;
}
/// A non-empty token (a method, a header name).
inline bool is_token(std::string_view s) { return !s.empty() && all_token_chars(s); }

// Whether every byte may appear in a field value or reason phrase: HTAB, SP,
// VCHAR, obs-text. Written as a branch-free reduction so that it vectorizes.
// (Byte-wide accumulation lets the compiler use full-width vector compares.)
inline bool all_field_chars(std::string_view s) {
    unsigned char bad = 0;
    const auto* u = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = u[i];
        bad |= static_cast<unsigned char>(((c < 0x20) & (c != '\t')) | (c == 0x7f));
    }
    return bad == 0;
}
inline bool is_field_char(char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c >= 0x20 || c == '\t') && c != 0x7f;
}

// Whether every byte may appear in a request-target: VCHAR and obs-text.
inline bool all_target_chars(std::string_view s) {
    unsigned char bad = 0;
    const auto* u = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = u[i];
        bad |= static_cast<unsigned char>((c <= 0x20) | (c == 0x7f));
    }
    return bad == 0;
}

}  // namespace aio::http::detail
