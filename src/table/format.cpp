// Python's text forms of numbers and timestamps, for printing and to_csv.
#include "table/format.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace aio::table_detail {

std::size_t format_float_repr(double v, char* out) noexcept {
    if (std::isnan(v)) {
        std::memcpy(out, "nan", 3);
        return 3;
    }
    if (std::isinf(v)) {
        if (v < 0) {
            std::memcpy(out, "-inf", 4);
            return 4;
        }
        std::memcpy(out, "inf", 3);
        return 3;
    }
    // The shortest round-trip digits in scientific form: "d.ddde±x".
    char sci[40];
    auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    const char* end = r.ptr;
    const char* p = sci;
    std::size_t w = 0;
    if (*p == '-') {
        out[w++] = '-';
        ++p;
    }
    char digits[20];
    std::size_t nd = 0;
    while (p < end && *p != 'e') {
        if (*p != '.') digits[nd++] = *p;
        ++p;
    }
    int exp = 0;
    std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exp);
    if (exp < -4 || exp >= 16) {
        out[w++] = digits[0];
        if (nd > 1) {
            out[w++] = '.';
            for (std::size_t i = 1; i < nd; ++i) out[w++] = digits[i];
        }
        out[w++] = 'e';
        out[w++] = exp < 0 ? '-' : '+';
        int a = exp < 0 ? -exp : exp;
        if (a < 10) out[w++] = '0';
        auto e = std::to_chars(out + w, out + w + 4, a);
        w = static_cast<std::size_t>(e.ptr - out);
        return w;
    }
    if (exp < 0) {
        out[w++] = '0';
        out[w++] = '.';
        for (int i = -1; i > exp; --i) out[w++] = '0';
        for (std::size_t i = 0; i < nd; ++i) out[w++] = digits[i];
        return w;
    }
    const std::size_t int_digits = static_cast<std::size_t>(exp) + 1;
    for (std::size_t i = 0; i < int_digits; ++i) out[w++] = i < nd ? digits[i] : '0';
    out[w++] = '.';
    if (nd > int_digits) {
        for (std::size_t i = int_digits; i < nd; ++i) out[w++] = digits[i];
    } else {
        out[w++] = '0';
    }
    return w;
}

std::string float_repr(double v) {
    char buf[40];
    return std::string(buf, format_float_repr(v, buf));
}

std::size_t format_int(std::int64_t v, char* out) noexcept {
    return static_cast<std::size_t>(std::to_chars(out, out + 24, v).ptr - out);
}
std::size_t format_uint(std::uint64_t v, char* out) noexcept {
    return static_cast<std::size_t>(std::to_chars(out, out + 24, v).ptr - out);
}

namespace {

constexpr std::int64_t kNsPerDay = 86'400'000'000'000;

// Days since 1970-01-01 → civil date (proleptic Gregorian).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

void put2(std::string& s, unsigned v) {
    s.push_back(static_cast<char>('0' + v / 10));
    s.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

std::string format_timestamp(std::int64_t ns, bool date_only, int frac_digits) {
    std::int64_t days = ns / kNsPerDay;
    std::int64_t rem = ns % kNsPerDay;
    if (rem < 0) {
        rem += kNsPerDay;
        --days;
    }
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    std::string s;
    s.reserve(32);
    char buf[24];
    std::int64_t ay = y < 0 ? -y : y;
    if (y < 0) s.push_back('-');
    auto r = std::to_chars(buf, buf + sizeof buf, ay);
    for (std::ptrdiff_t pad = 4 - (r.ptr - buf); pad > 0; --pad) s.push_back('0');
    s.append(buf, r.ptr);
    s.push_back('-');
    put2(s, m);
    s.push_back('-');
    put2(s, d);
    if (date_only) return s;
    const std::int64_t secs = rem / 1'000'000'000;
    const std::int64_t frac = rem % 1'000'000'000;
    s.push_back(' ');
    put2(s, static_cast<unsigned>(secs / 3600));
    s.push_back(':');
    put2(s, static_cast<unsigned>(secs / 60 % 60));
    s.push_back(':');
    put2(s, static_cast<unsigned>(secs % 60));
    if (frac_digits > 0) {
        char f[10];
        std::int64_t v = frac;
        for (int i = 8; i >= 0; --i) {
            f[i] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
        s.push_back('.');
        s.append(f, static_cast<std::size_t>(frac_digits));
    }
    return s;
}

void timestamp_style(const std::int64_t* values, std::size_t n, const std::uint8_t* validity, bool& date_only,
                     int& frac_digits) noexcept {
    date_only = true;
    frac_digits = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (validity != nullptr && validity[i] == 0) continue;
        std::int64_t rem = values[i] % kNsPerDay;
        if (rem < 0) rem += kNsPerDay;
        if (rem != 0) date_only = false;
        const std::int64_t frac = rem % 1'000'000'000;
        int need = frac == 0 ? 0 : frac % 1'000'000 == 0 ? 3 : frac % 1'000 == 0 ? 6 : 9;
        if (need > frac_digits) frac_digits = need;
    }
    if (date_only) frac_digits = 0;
}

std::size_t display_width(const std::string& s) noexcept {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

}  // namespace aio::table_detail
