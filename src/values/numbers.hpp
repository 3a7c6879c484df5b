// The values room: text → number conversions with the syntax pandas' C parser
// accepts (leading/trailing ASCII whitespace, a sign, thousands separators after
// the first digit, a configurable decimal point), shared by the CSV reader and
// the table's astype. Doubles are correctly rounded (Clinger's exact path,
// eisel_lemire.hpp, else std::from_chars).
#pragma once

#include "values/eisel_lemire.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string_view>
#include <system_error>

namespace aio::values {

inline bool is_space(unsigned char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }
inline bool is_digit(unsigned char c) noexcept { return static_cast<unsigned char>(c - '0') < 10; }

/// The value of the k (1 to 8) bytes at p when all are ASCII digits (8
/// bytes at p must be readable); false otherwise.
inline bool exact_digits_padded(const char* p, std::size_t k, std::uint64_t& value) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    const std::uint64_t x = (v ^ 0x3030303030303030u) << (8 * (8 - k));  // the k digits at the top
    const std::uint64_t bad =
        (x & 0xF0F0F0F0F0F0F0F0u) | (((x & 0x0F0F0F0F0F0F0F0Fu) + 0x0606060606060606u) & 0x1010101010101010u);
    if (bad != 0) return false;
    std::uint64_t y = (x * 10) + (x >> 8);
    y = (((y & 0x000000FF000000FFu) * (100 + (1000000ull << 32))) +
         (((y >> 16) & 0x000000FF000000FFu) * (1 + (10000ull << 32)))) >>
        32;
    value = y & 0xFFFFFFFFu;
    return true;
}

enum class IntStatus : unsigned char { ok, invalid, overflow };

/// True when the 8 bytes at p are all ASCII digits.
inline bool eight_digits(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    // Each byte must be 0x30..0x39: high nibble 3, and adding 6 must not carry into it.
    return ((v & 0xF0F0F0F0F0F0F0F0u) | (((v + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) ==
           0x3333333333333333u;
}

/// The value of the 8 ASCII digits at p (eight_digits(p) must hold): pairs,
/// then quads, then the whole, each step one multiply-add on all lanes.
inline std::uint32_t parse_eight_digits(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    v -= 0x3030303030303030u;
    v = (v * 10) + (v >> 8);  // bytes 0,2,4,6: two-digit numbers
    v = (((v & 0x000000FF000000FFu) * (100 + (1000000ull << 32))) +
         (((v >> 16) & 0x000000FF000000FFu) * (1 + (10000ull << 32)))) >>
        32;
    return static_cast<std::uint32_t>(v);
}

/// read_digits for text with 8 readable bytes past every position up to e
/// (the CSV engine's blocks have kPadding bytes after them): 8 bytes per
/// step, the digits among them found and combined without a branch per digit.
inline const char* read_digits_padded(const char* p, const char* e, std::uint64_t& m) noexcept {
    static constexpr std::uint64_t kPow[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    for (;;) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        const std::uint64_t x = v ^ 0x3030303030303030u;  // digits become 0..9
        // A byte is not a digit when its high nibble is set or its low nibble is 10..15
        // (no carry crosses a byte in either test).
        const std::uint64_t bad = (x & 0xF0F0F0F0F0F0F0F0u) | (((x & 0x0F0F0F0F0F0F0F0Fu) + 0x0606060606060606u) &
                                                               0x1010101010101010u);
        std::size_t k = bad == 0 ? 8 : static_cast<std::size_t>(__builtin_ctzll(bad)) >> 3;
        const auto avail = static_cast<std::size_t>(e - p);
        if (k > avail) k = avail;
        if (k == 0) return p;
        // The k digits moved to the top bytes (the least significant end), zeros before them.
        std::uint64_t y = x << (8 * (8 - k));
        y = (y * 10) + (y >> 8);
        y = (((y & 0x000000FF000000FFu) * (100 + (1000000ull << 32))) +
             (((y >> 16) & 0x000000FF000000FFu) * (1 + (10000ull << 32)))) >>
            32;
        m = m * kPow[k] + (y & 0xFFFFFFFFu);
        p += k;
        if (k < 8) return p;
    }
}

/// Reads the ASCII digits at [p, e) into m (m = m * 10^k + digits) and
/// returns the first byte that is not a digit. The caller bounds the count
/// of digits so that m cannot overflow.
inline const char* read_digits(const char* p, const char* e, std::uint64_t& m) noexcept {
    while (e - p >= 8 && eight_digits(p)) {
        m = m * 100'000'000u + parse_eight_digits(p);
        p += 8;
    }
    for (; p != e; ++p) {
        const unsigned d = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
        if (d > 9) break;
        m = m * 10 + d;
    }
    return p;
}

/// parse_int64 for what its fast path leaves: spaces, '+', thousands
/// separators, 19 digits and more.
[[gnu::noinline]] inline IntStatus parse_int64_general(const char* p, std::size_t n, char tsep, std::int64_t& out) noexcept {
    const char* e = p + n;
    while (p != e && is_space(static_cast<unsigned char>(*p))) ++p;
    bool neg = false;
    if (p != e && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        ++p;
    }
    if (p == e || !is_digit(static_cast<unsigned char>(*p))) return IntStatus::invalid;
    std::uint64_t v = 0;
    const std::uint64_t limit = neg ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    bool overflow = false;
    while (p != e) {
        unsigned char c = static_cast<unsigned char>(*p);
        if (tsep != 0 && c == static_cast<unsigned char>(tsep)) {
            ++p;
            continue;
        }
        if (!is_digit(c)) break;
        unsigned d = c - '0';
        if (!overflow) {
            if (v > (limit - d) / 10)
                overflow = true;
            else
                v = v * 10 + d;
        }
        ++p;
    }
    while (p != e && is_space(static_cast<unsigned char>(*p))) ++p;
    if (p != e) return IntStatus::invalid;
    if (overflow) return IntStatus::overflow;
    out = neg ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    return IntStatus::ok;
}

/// "  -1,234 " → -1234 (tsep = ',' or 0 for none). Overflow is reported, not wrapped.
/// Padded: 8 bytes past p + n may be read (see read_digits_padded).
template <bool Padded = false>
[[gnu::always_inline]] inline IntStatus parse_int64(const char* p, std::size_t n, char tsep, std::int64_t& out) noexcept {
    // Fast path: an optional '-' and 1 to 18 digits, nothing else (cannot overflow).
    const char* e = p + n;
    const bool neg = n != 0 && *p == '-';
    const char* q = p + (neg ? 1 : 0);
    const auto len = static_cast<std::size_t>(e - q);
    if constexpr (Padded) {
        // 1 to 16 digits: one or two 8-byte steps, no loop.
        std::uint64_t hi = 0, lo = 0;
        if (len - 1 < 8 && exact_digits_padded(q, len, lo)) {
            out = neg ? -static_cast<std::int64_t>(lo) : static_cast<std::int64_t>(lo);
            return IntStatus::ok;
        }
        if (len - 9 < 8 && exact_digits_padded(q, len - 8, hi) && exact_digits_padded(q + len - 8, 8, lo)) {
            const std::uint64_t v = hi * 100'000'000u + lo;
            out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
            return IntStatus::ok;
        }
    }
    if (len - 1 < 18) {
        std::uint64_t v = 0;
        if ((Padded ? read_digits_padded(q, e, v) : read_digits(q, e, v)) == e) {
            out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
            return IntStatus::ok;
        }
    }
    return parse_int64_general(p, n, tsep, out);
}

/// What an unsigned parse saw, as pandas' uint64 inference tracks it.
enum class UintStatus : unsigned char { ok_small, ok_big, negative, invalid, overflow };

/// Parses an integer for the uint64 inference: ok_small (fits int64, ≥ 0),
/// ok_big (> INT64_MAX, ≤ UINT64_MAX), negative (fits int64), overflow
/// (outside both), invalid (not an integer).
inline UintStatus parse_uint64(const char* p, std::size_t n, char tsep, std::uint64_t& out) noexcept {
    std::int64_t s = 0;
    IntStatus st = parse_int64(p, n, tsep, s);
    if (st == IntStatus::invalid) return UintStatus::invalid;
    if (st == IntStatus::ok) {
        out = static_cast<std::uint64_t>(s);
        return s < 0 ? UintStatus::negative : UintStatus::ok_small;
    }
    const char* e = p + n;
    while (p != e && is_space(static_cast<unsigned char>(*p))) ++p;
    if (p != e && *p == '-') return UintStatus::overflow;
    if (p != e && *p == '+') ++p;
    std::uint64_t v = 0;
    for (; p != e; ++p) {
        unsigned char c = static_cast<unsigned char>(*p);
        if (tsep != 0 && c == static_cast<unsigned char>(tsep)) continue;
        if (!is_digit(c)) break;
        unsigned d = c - '0';
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return UintStatus::overflow;
        v = v * 10 + d;
    }
    out = v;
    return UintStatus::ok_big;
}

inline bool iequals(const char* p, std::size_t n, std::string_view lower) noexcept {
    if (n != lower.size()) return false;
    for (std::size_t i = 0; i < n; ++i) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

/// Clinger's fast path: a decimal whose digits make an integer m ≤ 2^53
/// times a power of ten up to 10^22 is one exact product or quotient of two
/// exact doubles, so one rounding: the correctly rounded result. Most CSV
/// numbers qualify; those with 17 to 19 digits go to eisel_lemire. False
/// means "not decided here".
[[gnu::always_inline]] inline bool parse_double_fast(const char* p, const char* e, double& out) noexcept {
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    constexpr std::uint64_t kExact = std::uint64_t{1} << 53;
    const bool neg = p != e && *p == '-';
    p += neg;  // no branch: signs of CSV numbers are as good as random
    // The digits, before and after the point, as one integer m. More than 19
    // digits may have wrapped m around (unsigned: defined) and are refused
    // below, so the loops need no overflow checks. read_digits (8 digits at
    // once, then one at a time) and not read_digits_padded, even on padded
    // text: a float's parts are short runs (1-3 digits before the point,
    // 6-14 after), and for those the branch-free variable-width step is
    // slower. It is one long chain (ctz, shift, three multiplies) per run,
    // where the digit loop's chain is one multiply-add and the branch
    // predictor runs ahead; the instruction counts are about equal, the time
    // is not (R8's float columns: 21.6 -> 13.0 ns a value).
    std::uint64_t m = 0;
    const char* start = p;
    p = read_digits(p, e, m);
    std::size_t digits = static_cast<std::size_t>(p - start);
    int exp10 = 0;
    if (p != e && *p == '.') {
        const char* f = ++p;
        p = read_digits(p, e, m);
        exp10 = -static_cast<int>(p - f);
        digits += static_cast<std::size_t>(p - f);
    }
    if (digits == 0 || digits > 19) return false;
    if (p != e && (*p == 'e' || *p == 'E')) {
        ++p;
        bool eneg = false;
        if (p != e && (*p == '-' || *p == '+')) {
            eneg = *p == '-';
            ++p;
        }
        if (p == e || !is_digit(static_cast<unsigned char>(*p))) return false;
        int x = 0;
        while (p != e && is_digit(static_cast<unsigned char>(*p))) {
            if (x < 10000) x = x * 10 + (*p - '0');
            ++p;
        }
        exp10 += eneg ? -x : x;
    }
    if (p != e) return false;
    // Signed: one cvtsi2sd, where an unsigned 64-bit conversion takes six
    // instructions before AVX-512. Exact for the m ≤ 2^53 that use it; a
    // larger m goes to eisel_lemire, which makes v itself.
    double v = static_cast<double>(static_cast<std::int64_t>(m));
    if (m == 0) {
        v = 0.0;
    } else if (m > kExact || exp10 < -22 || exp10 > 22) {
        // Past Clinger's exact operands (17 to 19 digits, or a power of ten
        // past 10^22): one 128-bit multiply, when that decides.
        if (!eisel_lemire(m, exp10, v)) return false;
    } else {
        // Both the quotient and the product, then a select: the sign of a
        // column's exponents is as good as random ("%.3e" of values around
        // 10^3 and 10^4 makes 4.921e+03 -> 4921 * 10^0, 1.415e+04 ->
        // 1415 * 10^1, 9.5e+02 -> 950 / 10^1), and a mispredicted branch
        // costs more than a division whose result is dropped (R8's z column:
        // 14.8 -> 13.2 ns a value). 10^0 leaves v as it is either way.
        const double pw = kPow10[exp10 < 0 ? -exp10 : exp10];
        const double quotient = v / pw, product = v * pw;
        v = exp10 < 0 ? quotient : product;
    }
    // The sign as a bit, not a branch.
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    bits |= static_cast<std::uint64_t>(neg) << 63;
    std::memcpy(&out, &bits, 8);
    return true;
}

/// parse_double for what parse_double_fast leaves: from_chars for long
/// mantissas and large exponents, spaces, '+', thousands separators, another
/// decimal point, "inf".
[[gnu::noinline]] inline bool parse_double_general(const char* p, std::size_t n, char decimal, char tsep,
                                                   double& out) noexcept {
    const char* e = p + n;
    if (n != 0 && decimal == '.') {
        // Text already in from_chars' syntax ("-1.5e3"). It must start with a
        // digit or a point, so that the words from_chars also takes ("nan",
        // "inf") are left to the checks below.
        unsigned char c0 = static_cast<unsigned char>(*p == '-' && n > 1 ? p[1] : *p);
        if (is_digit(c0) || c0 == '.') {
            auto [ptr, ec] = std::from_chars(p, e, out, std::chars_format::general);
            if (ptr == e) return ec == std::errc();
            if (ec == std::errc::result_out_of_range) return false;
        }
    }
    while (p != e && is_space(static_cast<unsigned char>(*p))) ++p;
    while (e != p && is_space(static_cast<unsigned char>(e[-1]))) --e;
    if (p == e) return false;
    bool neg = false;
    const char* s = p;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        ++s;
    }
    if (s != e && !is_digit(static_cast<unsigned char>(*s)) && *s != decimal) {
        std::size_t len = static_cast<std::size_t>(e - s);
        if (iequals(s, len, "inf") || iequals(s, len, "infinity")) {
            out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
            return true;
        }
        return false;
    }
    // Normalise into from_chars' syntax: sign, digits, '.', digits, exponent.
    // The text is at most n + 2 characters long.
    char stack[256];
    std::unique_ptr<char[]> heap;
    char* buf = stack;
    if (n + 4 > sizeof stack) {
        heap.reset(new (std::nothrow) char[n + 4]);
        if (!heap) return false;
        buf = heap.get();
    }
    std::size_t w = 0;
    std::size_t digits = 0;
    if (neg) buf[w++] = '-';
    while (s != e && is_digit(static_cast<unsigned char>(*s))) {
        buf[w++] = *s++;
        ++digits;
        if (tsep != 0 && s != e && *s == tsep) ++s;
    }
    if (s != e && *s == decimal) {
        ++s;
        buf[w++] = '.';
        while (s != e && is_digit(static_cast<unsigned char>(*s))) {
            buf[w++] = *s++;
            ++digits;
        }
    }
    if (digits == 0) return false;
    if (s != e && (*s == 'e' || *s == 'E')) {
        const char* t = s + 1;
        if (t != e && (*t == '-' || *t == '+')) ++t;
        if (t != e && is_digit(static_cast<unsigned char>(*t))) {
            buf[w++] = 'e';
            if (s[1] == '-') buf[w++] = '-';
            s = t;
            while (s != e && is_digit(static_cast<unsigned char>(*s))) buf[w++] = *s++;
        }
    }
    if (s != e) return false;
    auto [ptr, ec] = std::from_chars(buf, buf + w, out, std::chars_format::general);
    return ec == std::errc() && ptr == buf + w;
}

/// A float in pandas' syntax ("1.5", " -2e-3 ", "1,234.5" with tsep, ".5",
/// "5.", "inf", "-Infinity"); correctly rounded. False for anything else,
/// including values outside the range of double (pandas keeps those as text).
/// Inlined: the fast path is a column loop's body (the CSV reader's).
[[gnu::always_inline]] inline bool parse_double(const char* p, std::size_t n, char decimal, char tsep,
                                                double& out) noexcept {
    // Fast path: a sign, digits, a '.', digits and an exponent, 19 digits at
    // most. It must start with a digit or a point (after the sign).
    if (n != 0 && decimal == '.') {
        const unsigned char c0 = static_cast<unsigned char>(p[(*p == '-') & (n > 1)]);  // no branch on the sign
        if ((is_digit(c0) || c0 == '.') && parse_double_fast(p, p + n, out)) return true;
    }
    return parse_double_general(p, n, decimal, tsep, out);
}

/// pandas' boolean words.
inline int parse_bool(const char* p, std::size_t n) noexcept {
    switch (n) {
        case 4:
            if (std::memcmp(p, "True", 4) == 0 || std::memcmp(p, "true", 4) == 0 || std::memcmp(p, "TRUE", 4) == 0)
                return 1;
            return -1;
        case 5:
            if (std::memcmp(p, "False", 5) == 0 || std::memcmp(p, "false", 5) == 0 || std::memcmp(p, "FALSE", 5) == 0)
                return 0;
            return -1;
        default:
            return -1;
    }
}

}  // namespace aio::values
