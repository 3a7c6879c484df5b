// Small helpers of aio::web: UTF-8 checks, ETag lists, path decoding, compressible types.
#include "web/util.hpp"

#include <time.h>

#include <cstring>
#include <ctime>
#include <vector>

#include "aio/http/multidict.hpp"
#include "web/protocol.hpp"

namespace aio::web::detail {

namespace {

int hexval(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
        if (n == 0 || (n == 3 && c > 0xEF) || i + n > s.size()) return false;
        std::uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
        for (std::size_t k = 1; k < n; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool etag_list_matches(std::string_view list, std::string_view etag, bool weak) {
    list = trim(list);
    if (list == "*") return true;
    auto strip_weak = [](std::string_view t) { return t.substr(0, 2) == "W/" ? t.substr(2) : t; };
    std::string_view ours = weak ? strip_weak(etag) : etag;
    while (!list.empty()) {
        std::size_t comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (weak) item = strip_weak(item);
        if (!weak && item.substr(0, 2) == "W/") item = {};
        if (!item.empty() && item == ours) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

bool percent_decode_path(std::string_view raw, std::string& out) {
    out.clear();
    out.reserve(raw.size());
    bool ascii = true;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%' && i + 2 < raw.size()) {
            int h = hexval(raw[i + 1]);
            int l = hexval(raw[i + 2]);
            if (h >= 0 && l >= 0) {
                c = static_cast<char>(h * 16 + l);
                i += 2;
            }
        }
        if (c == '\0') return false;
        ascii &= static_cast<unsigned char>(c) < 0x80;
        out.push_back(c);
    }
    return ascii || valid_utf8(out);
}

bool compressible_type(std::string_view ct) noexcept {
    std::size_t semi = ct.find(';');
    ct = trim(ct.substr(0, semi));
    auto starts = [&](std::string_view p) { return ct.size() >= p.size() && http::iequals(ct.substr(0, p.size()), p); };
    auto ends = [&](std::string_view p) {
        return ct.size() >= p.size() && http::iequals(ct.substr(ct.size() - p.size()), p);
    };
    return starts("text/") || http::iequals(ct, "application/json") || http::iequals(ct, "application/javascript") ||
           http::iequals(ct, "application/xml") || http::iequals(ct, "application/x-www-form-urlencoded") ||
           http::iequals(ct, "image/svg+xml") || ends("+json") || ends("+xml");
}

std::optional<http::Coding> choose_coding(std::string_view accept, std::optional<http::Coding> forced) {
    // q-values per coding; "*" covers the ones not named.
    double q_br = -1, q_gzip = -1, q_deflate = -1, q_star = -1;
    while (!accept.empty()) {
        std::size_t comma = accept.find(',');
        std::string_view item = trim(accept.substr(0, comma));
        accept.remove_prefix(comma == std::string_view::npos ? accept.size() : comma + 1);
        std::size_t semi = item.find(';');
        std::string_view name = trim(item.substr(0, semi));
        double q = 1.0;
        if (semi != std::string_view::npos) {
            std::string_view param = trim(item.substr(semi + 1));
            if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
                q = std::strtod(std::string(param.substr(2)).c_str(), nullptr);
        }
        if (http::iequals(name, "br")) q_br = q;
        else if (http::iequals(name, "gzip") || http::iequals(name, "x-gzip")) q_gzip = q;
        else if (http::iequals(name, "deflate")) q_deflate = q;
        else if (name == "*") q_star = q;
    }
    auto eff = [&](double q) { return q >= 0 ? q : q_star; };
    if (forced) {
        double q = *forced == http::Coding::br ? eff(q_br) : *forced == http::Coding::gzip ? eff(q_gzip) : eff(q_deflate);
        if (q > 0) return forced;
        return std::nullopt;
    }
    if (eff(q_br) > 0) return http::Coding::br;
    if (eff(q_gzip) > 0) return http::Coding::gzip;
    if (eff(q_deflate) > 0) return http::Coding::deflate;
    return std::nullopt;
}

std::string http_date(std::time_t t) {
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                  kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::optional<std::time_t> parse_http_date(std::string_view s) {
    // RFC 9110 §5.6.7: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), and
    // the two obsolete forms a recipient must accept as well: rfc850-date
    // ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime-date ("Sun Nov  6
    // 08:49:37 1994"). Each is recognised by its fixed layout first:
    // strptime alone would take far more than these.
    struct tm tm {};
    std::string text(s);
    const char* end = nullptr;
    bool two_digit_year = false;
    std::size_t comma = s.find(", ");
    if (s.size() == 29 && s.substr(25) == " GMT") {
        end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    } else if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
        end = ::strptime(text.c_str(), "%a %b %e %H:%M:%S %Y", &tm);
    } else if (comma != std::string_view::npos && comma >= 6 && s.size() == comma + 24 && s[comma + 4] == '-' &&
               s[comma + 8] == '-' && s.substr(s.size() - 4) == " GMT") {
        end = ::strptime(text.c_str(), "%A, %d-%b-%y %H:%M:%S GMT", &tm);
        two_digit_year = true;
    }
    if (!end || *end != '\0') return std::nullopt;
    if (two_digit_year) {
        // A two-digit year more than 50 years ahead is the latest past year
        // with those digits (RFC 9110 §5.6.7).
        std::time_t now = std::time(nullptr);
        struct tm today {};
        ::gmtime_r(&now, &today);
        int this_year = today.tm_year + 1900;
        int year = this_year - this_year % 100 + tm.tm_year % 100;
        if (year > this_year + 50) year -= 100;
        tm.tm_year = year - 1900;
    }
    std::time_t t = ::timegm(&tm);
    // timegm normalises out-of-range fields (a leap second 60, 31 Feb): a
    // date that lands past year 9999 has no IMF-fixdate and is not one.
    struct tm back {};
    if (!::gmtime_r(&t, &back) || back.tm_year + 1900 > 9999) return std::nullopt;
    return t;
}

std::string_view date_header_line() {
    // Formatted once per second: the clock read is cheap, the formatting is not.
    thread_local std::time_t cached = 0;
    thread_local std::string line;
    std::time_t now = std::time(nullptr);
    if (now != cached) {
        cached = now;
        line = "Date: " + http_date(now) + "\r\n";
    }
    return line;
}

FileValidators file_validators(const struct stat& st) {
    FileValidators v;
    std::uint64_t ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ull +
                       static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
    char buf[64];
    std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(ns),
                  static_cast<unsigned long long>(st.st_size));
    v.etag = buf;
    v.mtime = st.st_mtim.tv_sec;
    v.last_modified = http_date(v.mtime);
    return v;
}

ConditionResult evaluate_conditions(const http::Headers& rq, const FileValidators& v, std::string_view method) {
    if (auto im = rq.get("If-Match")) {
        if (!etag_list_matches(*im, v.etag, false)) return ConditionResult::precondition_failed;
    } else if (auto ius = rq.get("If-Unmodified-Since")) {
        auto t = parse_http_date(*ius);
        if (t && v.mtime > *t) return ConditionResult::precondition_failed;
    }
    bool safe = method == "GET" || method == "HEAD";
    if (auto inm = rq.get("If-None-Match")) {
        if (etag_list_matches(*inm, v.etag, true))
            return safe ? ConditionResult::not_modified : ConditionResult::precondition_failed;
    } else if (auto ims = rq.get("If-Modified-Since")) {
        auto t = parse_http_date(*ims);
        if (t && safe && v.mtime <= *t) return ConditionResult::not_modified;
    }
    return ConditionResult::proceed;
}

RangeResult parse_range(const http::Headers& rq, const FileValidators& v, std::uint64_t size) {
    RangeResult r;
    auto range = rq.get("Range");
    if (!range) return r;
    if (auto ir = rq.get("If-Range")) {
        // RFC 9110 §13.1.5: an entity tag matches by strong comparison (a
        // weak one never does), a date when it is Last-Modified's own second,
        // in any of the three HTTP-date formats. Else the whole file.
        std::string_view cond = trim(*ir);
        if (cond.starts_with('"') || cond.starts_with("W/")) {
            if (cond != v.etag) return r;
        } else {
            std::optional<std::time_t> t = parse_http_date(cond);
            if (!t || *t != v.mtime) return r;
        }
    }
    std::string_view spec = trim(*range);
    // Range units are case-insensitive (RFC 9110 §14.1).
    if (spec.size() < 6 || !http::iequals(spec.substr(0, 6), "bytes=")) return r;
    spec.remove_prefix(6);
    if (spec.find(',') != std::string_view::npos) return r;
    std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return r;
    std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
    // Digits of any length: a number past UINT64_MAX saturates there, which
    // is still past the end of any file (a last-pos that large means "to the
    // end", a first-pos that large is unsatisfiable, a suffix that large is
    // the whole file), as RFC 9110 §14.1.2 reads them.
    auto num = [](std::string_view t, std::uint64_t& out) {
        if (t.empty()) return false;
        out = 0;
        for (char c : t) {
            if (c < '0' || c > '9') return false;
            auto d = static_cast<std::uint64_t>(c - '0');
            out = out > (UINT64_MAX - d) / 10 ? UINT64_MAX : out * 10 + d;
        }
        return true;
    };
    std::uint64_t first = 0, last = 0;
    if (a.empty()) {  // suffix: the last n bytes
        if (!num(b, last)) return r;
        if (last == 0) {
            r.kind = RangeResult::unsatisfiable;
            return r;
        }
        if (size == 0) {
            r.kind = RangeResult::unsatisfiable;
            return r;
        }
        r.first = last >= size ? 0 : size - last;
        r.last = size - 1;
        r.kind = RangeResult::partial;
        return r;
    }
    if (!num(a, first)) return r;
    if (b.empty()) {
        last = size ? size - 1 : 0;
    } else {
        if (!num(b, last) || last < first) return r;
        if (last >= size) last = size ? size - 1 : 0;
    }
    if (first >= size) {
        r.kind = RangeResult::unsatisfiable;
        return r;
    }
    r.kind = RangeResult::partial;
    r.first = first;
    r.last = last;
    return r;
}

std::string format_access_log(std::string_view fmt, const http::RequestHead& head, const std::string& remote,
                              int status, std::uint64_t bytes, std::chrono::steady_clock::duration took) {
    std::string out;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] != '%' || i + 1 >= fmt.size()) {
            out.push_back(fmt[i]);
            continue;
        }
        char c = fmt[++i];
        switch (c) {
            case '%': out.push_back('%'); break;
            case 'a': out += remote; break;
            case 't': {
                std::time_t now = std::time(nullptr);
                struct tm tm {};
                ::localtime_r(&now, &tm);
                char buf[64];
                std::strftime(buf, sizeof buf, "[%d/%b/%Y:%H:%M:%S %z]", &tm);
                out += buf;
                break;
            }
            case 'r':
                out += head.method + " " + head.path + " HTTP/" + std::to_string(head.version.major) + "." +
                       std::to_string(head.version.minor);
                break;
            case 's': out += std::to_string(status); break;
            case 'b': out += std::to_string(bytes); break;
            case 'P': out += std::to_string(::getpid()); break;
            case 'D':
                out += std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
                break;
            case 'T': {
                char buf[32];
                std::snprintf(buf, sizeof buf, "%.6f", std::chrono::duration<double>(took).count());
                out += buf;
                break;
            }
            case '{': {
                std::size_t close = fmt.find('}', i);
                if (close == std::string_view::npos || close + 1 >= fmt.size()) {
                    out += fmt.substr(i - 1);
                    return out;
                }
                std::string_view name = fmt.substr(i + 1, close - i - 1);
                char kind = fmt[close + 1];
                if (kind == 'i') {
                    out += std::string(head.headers.get(name).value_or("-"));
                } else {
                    out += "-";
                }
                i = close + 1;
                break;
            }
            default:
                out.push_back('%');
                out.push_back(c);
        }
    }
    return out;
}

}  // namespace aio::web::detail
