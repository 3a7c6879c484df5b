// Text to datetime64[ns]: ISO 8601 forms and strptime-style formats.
#include "values/datetime.hpp"

#include "values/numbers.hpp"

#include <limits>

namespace aio::values {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

namespace {

struct Parts {
    std::int64_t year = 1970;
    unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
    std::int64_t nanos = 0;
    int yday = -1;
};

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

bool to_ns(const Parts& p, std::int64_t& ns) {
    if (p.month < 1 || p.month > 12 || p.hour > 23 || p.minute > 59 || p.second > 59) return false;
    std::int64_t days;
    if (p.yday >= 0) {
        if (p.yday < 1 || p.yday > (leap(p.year) ? 366 : 365)) return false;
        days = days_from_civil(p.year, 1, 1) + p.yday - 1;
    } else {
        if (p.day < 1 || p.day > days_in_month(p.year, p.month)) return false;
        days = days_from_civil(p.year, p.month, p.day);
    }
    // datetime64[ns] spans about ±292 years around 1970.
    if (days < -106751 || days > 106750) return false;
    const std::int64_t secs = days * 86400 + p.hour * 3600 + p.minute * 60 + p.second;
    const std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
    if (secs > limit || secs < -limit) return false;
    ns = secs * 1'000'000'000 + p.nanos;
    return ns != std::numeric_limits<std::int64_t>::min();
}

// Reads between min and max digits.
bool digits(std::string_view s, std::size_t& i, unsigned min, unsigned max, std::int64_t& out) {
    std::size_t start = i;
    std::int64_t v = 0;
    while (i < s.size() && i - start < max && is_digit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0');
    if (i - start < min) return false;
    out = v;
    return true;
}

bool fraction(std::string_view s, std::size_t& i, std::int64_t& nanos) {
    std::size_t start = i;
    std::int64_t v = 0;
    std::size_t n = 0;
    while (i < s.size() && is_digit(static_cast<unsigned char>(s[i]))) {
        if (n < 9) {
            v = v * 10 + (s[i] - '0');
            ++n;
        }
        ++i;
    }
    if (i == start) return false;
    for (; n < 9; ++n) v *= 10;
    nanos = v;
    return true;
}

// "HH:MM[:SS[.f]]" at i.
bool clock(std::string_view s, std::size_t& i, Parts& p) {
    std::int64_t h, m, sec = 0;
    if (!digits(s, i, 1, 2, h) || i >= s.size() || s[i] != ':') return false;
    ++i;
    if (!digits(s, i, 2, 2, m)) return false;
    if (i < s.size() && s[i] == ':') {
        ++i;
        if (!digits(s, i, 2, 2, sec)) return false;
        if (i < s.size() && s[i] == '.') {
            ++i;
            if (!fraction(s, i, p.nanos)) return false;
        }
    }
    p.hour = static_cast<unsigned>(h);
    p.minute = static_cast<unsigned>(m);
    p.second = static_cast<unsigned>(sec);
    return true;
}

bool parse_inferred(std::string_view s, std::int64_t& ns) {
    Parts p;
    std::size_t i = 0;
    std::int64_t a, b, c;
    if (s.size() == 8) {
        // YYYYMMDD
        if (!digits(s, i, 8, 8, a) || i != s.size()) return false;
        p.year = a / 10000;
        p.month = static_cast<unsigned>(a / 100 % 100);
        p.day = static_cast<unsigned>(a % 100);
        return to_ns(p, ns);
    }
    if (!digits(s, i, 1, 4, a) || i >= s.size()) return false;
    const char sep = s[i];
    if (sep != '-' && sep != '/') return false;
    const bool year_first = i == 4;
    ++i;
    if (!digits(s, i, 1, 2, b) || i >= s.size() || s[i] != sep) return false;
    ++i;
    if (year_first) {
        if (!digits(s, i, 1, 2, c)) return false;
        p.year = a;
        p.month = static_cast<unsigned>(b);
        p.day = static_cast<unsigned>(c);
    } else {
        if (sep != '/' || !digits(s, i, 4, 4, c)) return false;
        p.month = static_cast<unsigned>(a);
        p.day = static_cast<unsigned>(b);
        p.year = c;
    }
    if (i < s.size()) {
        if (s[i] != ' ' && !(s[i] == 'T' && year_first)) return false;
        ++i;
        if (!clock(s, i, p) || i != s.size()) return false;
    }
    return to_ns(p, ns);
}

constexpr const char* kMonths[] = {"january", "february", "march",     "april",   "may",      "june",
                                   "july",    "august",   "september", "october", "november", "december"};

bool month_name(std::string_view s, std::size_t& i, bool full, unsigned& month) {
    for (unsigned m = 0; m < 12; ++m) {
        std::string_view name = kMonths[m];
        if (!full) name = name.substr(0, 3);
        if (s.size() - i >= name.size() && iequals(s.data() + i, name.size(), name)) {
            month = m + 1;
            i += name.size();
            return true;
        }
    }
    return false;
}

bool parse_format(std::string_view s, const std::string& f, std::int64_t& ns) {
    Parts p;
    std::size_t i = 0;
    int pm = -1;
    bool twelve = false;
    for (std::size_t k = 0; k < f.size(); ++k) {
        const char fc = f[k];
        if (fc == ' ') {
            while (i < s.size() && is_space(static_cast<unsigned char>(s[i]))) ++i;
            continue;
        }
        if (fc != '%' || k + 1 >= f.size()) {
            if (i >= s.size() || s[i] != fc) return false;
            ++i;
            continue;
        }
        const char d = f[++k];
        std::int64_t v = 0;
        switch (d) {
            case 'Y':
                if (!digits(s, i, 4, 4, v)) return false;
                p.year = v;
                break;
            case 'y':
                if (!digits(s, i, 2, 2, v)) return false;
                p.year = v < 69 ? 2000 + v : 1900 + v;
                break;
            case 'm':
                if (!digits(s, i, 1, 2, v)) return false;
                p.month = static_cast<unsigned>(v);
                break;
            case 'd':
                if (!digits(s, i, 1, 2, v)) return false;
                p.day = static_cast<unsigned>(v);
                break;
            case 'H':
                if (!digits(s, i, 1, 2, v)) return false;
                p.hour = static_cast<unsigned>(v);
                break;
            case 'I':
                if (!digits(s, i, 1, 2, v) || v < 1 || v > 12) return false;
                p.hour = static_cast<unsigned>(v);
                twelve = true;
                break;
            case 'M':
                if (!digits(s, i, 1, 2, v)) return false;
                p.minute = static_cast<unsigned>(v);
                break;
            case 'S':
                if (!digits(s, i, 1, 2, v)) return false;
                p.second = static_cast<unsigned>(v);
                break;
            case 'f':
                if (!fraction(s, i, p.nanos)) return false;
                break;
            case 'j':
                if (!digits(s, i, 1, 3, v)) return false;
                p.yday = static_cast<int>(v);
                break;
            case 'p':
                if (s.size() - i >= 2 && iequals(s.data() + i, 2, "am"))
                    pm = 0;
                else if (s.size() - i >= 2 && iequals(s.data() + i, 2, "pm"))
                    pm = 1;
                else
                    return false;
                i += 2;
                break;
            case 'b':
                if (!month_name(s, i, false, p.month)) return false;
                break;
            case 'B':
                if (!month_name(s, i, true, p.month)) return false;
                break;
            case '%':
                if (i >= s.size() || s[i] != '%') return false;
                ++i;
                break;
            default:
                return false;
        }
    }
    if (i != s.size()) return false;
    if (twelve && pm >= 0) p.hour = p.hour % 12 + (pm == 1 ? 12 : 0);
    return to_ns(p, ns);
}

}  // namespace

bool parse_datetime(std::string_view s, const std::string& format, std::int64_t& ns) noexcept {
    while (!s.empty() && is_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && is_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    if (s.empty()) return false;
    return format.empty() ? parse_inferred(s, ns) : parse_format(s, format, ns);
}

}  // namespace aio::values
