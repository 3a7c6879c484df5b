// RFC 6265 cookie storage and matching.
#include <aio/http/client/cookie_jar.hpp>

#include <aio/exceptions.hpp>

#include <arpa/inet.h>
#include <libpsl.h>

#include <algorithm>
#include <ctime>

#include "http/chars.hpp"
#include "http/client/util.hpp"

namespace aio::http {

namespace {

using SysClock = std::chrono::system_clock;

bool is_ip_address(std::string_view host) {
    std::string h(host);
    unsigned char buf[16];
    return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

/// RFC 6265 §5.1.3.
bool domain_match(std::string_view host, std::string_view domain) {
    if (host == domain) return true;
    if (host.size() <= domain.size() || is_ip_address(host)) return false;
    return host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.';
}

/// RFC 6265 §5.1.4.
std::string default_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return "/";
    std::size_t last = path.rfind('/');
    if (last == 0) return "/";
    return std::string(path.substr(0, last));
}

bool path_match(std::string_view request_path, std::string_view cookie_path) {
    if (request_path == cookie_path) return true;
    if (!request_path.starts_with(cookie_path)) return false;
    return cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
}

bool is_secure_scheme(std::string_view scheme) { return scheme == "https" || scheme == "wss"; }

constexpr std::time_t kMaxTime = std::chrono::duration_cast<std::chrono::seconds>(SysClock::duration::max()).count() - 1;
constexpr std::time_t kMinTime = -kMaxTime;

/// RFC 6265bis §5.6 step 1: a Set-Cookie value holding a control character
/// other than HTAB is ignored whole (it could end up in a Cookie header).
bool has_control_char(std::string_view s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7F) return true;
    }
    return false;
}

/// Why a cookie given by name and value (not parsed from a Set-Cookie) may
/// not be sent in a Cookie header ("" when it may): a name must be a token
/// (':' allowed too, as http.cookies does), and neither part may hold a
/// control character or a ';', which would end the cookie early.
std::string bad_cookie(std::string_view name, std::string_view value) {
    if (name.empty()) return "a cookie name may not be empty";
    for (char ch : name)
        if (!detail::is_token_char(ch) && ch != ':')
            return "invalid character in cookie name \"" + std::string(name) + "\"";
    if (has_control_char(value) || value.find(';') != std::string_view::npos)
        return "cookie " + std::string(name) + ": the value holds a control character or ';'";
    return {};
}

/// The public suffix list: the newer of libpsl's built-in copy and the
/// system's (Debian's publicsuffix package); loaded once, kept for the
/// process (libpsl's contexts are read-only and thread-safe). Null when
/// neither is available.
const psl_ctx_t* suffix_list() noexcept {
    static const psl_ctx_t* ctx = [] {
        const psl_ctx_t* c = psl_latest(nullptr);
        return c ? c : psl_builtin();
    }();
    return ctx;
}

/// Is `domain` a public suffix ("com", "co.uk", "github.io")? Without the
/// list, every domain counts as one: Domain cookies then stay host-only.
/// The implicit "*" rule is left out, so that an unlisted single label
/// ("localhost", "test") is not a suffix, as curl does.
bool is_public_suffix(const std::string& domain) {
    const psl_ctx_t* ctx = suffix_list();
    if (!ctx) return true;
    return psl_is_public_suffix2(ctx, domain.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

/// The registrable domain ("example.co.uk" for "a.example.co.uk"): the
/// group the per-domain cap counts in. The domain itself when there is none.
std::string registrable_domain(const std::string& domain) {
    const psl_ctx_t* ctx = suffix_list();
    if (!ctx || domain.empty()) return domain;
    const char* r = psl_registrable_domain(ctx, domain.c_str());
    return r ? std::string(r) : domain;
}

}  // namespace

std::optional<SysClock::time_point> CookieJar::parse_date(std::string_view text) {
    // RFC 6265 §5.1.1: split into tokens at delimiters, then find the time,
    // the day of month, the month and the year, each the first token that fits.
    auto is_delim = [](unsigned char c) {
        return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    };
    std::optional<int> hour, minute, second, day, month, year;
    static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_delim(static_cast<unsigned char>(text[i]))) ++i;
        std::size_t start = i;
        while (i < text.size() && !is_delim(static_cast<unsigned char>(text[i]))) ++i;
        std::string_view tok = text.substr(start, i - start);
        if (tok.empty()) continue;
        auto digits = [](std::string_view s, std::size_t min, std::size_t max, std::size_t& used) {
            used = 0;
            while (used < s.size() && s[used] >= '0' && s[used] <= '9') ++used;
            return used >= min && used <= max;
        };
        std::size_t used = 0;
        if (!hour) {
            // time = hms-time ( non-digit *OCTET ): h[h]:m[m]:s[s]
            int parts[3];
            std::string_view t = tok;
            bool ok = true;
            for (int k = 0; k < 3 && ok; ++k) {
                if (!digits(t, 1, 2, used)) {
                    ok = false;
                    break;
                }
                parts[k] = std::stoi(std::string(t.substr(0, used)));
                t.remove_prefix(used);
                if (k < 2) {
                    if (t.empty() || t.front() != ':') ok = false;
                    else t.remove_prefix(1);
                } else if (!t.empty() && t.front() >= '0' && t.front() <= '9') {
                    ok = false;
                }
            }
            if (ok) {
                hour = parts[0];
                minute = parts[1];
                second = parts[2];
                continue;
            }
        }
        if (!day && digits(tok, 1, 2, used) && (used == tok.size() || !(tok[used] >= '0' && tok[used] <= '9'))) {
            day = std::stoi(std::string(tok.substr(0, used)));
            continue;
        }
        if (!month && tok.size() >= 3) {
            std::string m = detail::ascii_lower(tok.substr(0, 3));
            bool found = false;
            for (int k = 0; k < 12; ++k)
                if (m == kMonths[k]) {
                    month = k + 1;
                    found = true;
                }
            if (found) continue;
        }
        if (!year && digits(tok, 2, 4, used)) {
            year = std::stoi(std::string(tok.substr(0, used)));
            continue;
        }
    }
    if (!hour || !day || !month || !year) return std::nullopt;
    int y = *year;
    if (y >= 70 && y <= 99) y += 1900;
    if (y >= 0 && y <= 69) y += 2000;
    if (*day < 1 || *day > 31 || y < 1601 || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
    // §5.1.1 step 5: a date that does not exist (31 Apr, 29 Feb 2031) fails,
    // rather than rolling over into the next month.
    const std::chrono::year_month_day date(std::chrono::year(y), std::chrono::month(static_cast<unsigned>(*month)),
                                           std::chrono::day(static_cast<unsigned>(*day)));
    if (!date.ok()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    std::time_t t = ::timegm(&tm);
    // system_clock counts nanoseconds in 64 bits (years 1678 to 2261): clamp
    // the dates outside (1601, 9999 are valid cookie dates) instead of overflowing.
    return SysClock::from_time_t(std::clamp(t, kMinTime, kMaxTime));
}

void CookieJar::expire() {
    auto now = SysClock::now();
    std::erase_if(cookies_, [&](const Cookie& c) { return c.expires && *c.expires <= now; });
}

void CookieJar::update_cookies(const std::vector<std::string_view>& set_cookie_headers, const URL& response_url) {
    std::string host = response_url.host();
    if (!unsafe_ && is_ip_address(host)) return;
    bool secure_origin = is_secure_scheme(response_url.scheme());
    for (std::string_view header : set_cookie_headers) {
        if (has_control_char(header)) continue;
        // RFC 6265 §5.2: name=value, then attributes separated by ';'.
        std::size_t semi = header.find(';');
        std::string_view pair = header.substr(0, semi);
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        Cookie c;
        c.name = std::string(detail::trim(pair.substr(0, eq)));
        c.value = std::string(detail::trim(pair.substr(eq + 1)));
        if (c.name.empty()) continue;
        if (c.value.size() >= 2 && c.value.front() == '"' && c.value.back() == '"')
            c.value = c.value.substr(1, c.value.size() - 2);
        std::optional<SysClock::time_point> expires, max_age_expiry;
        std::string domain_attr, path_attr;
        while (semi != std::string_view::npos) {
            std::string_view rest = header.substr(semi + 1);
            std::size_t next = rest.find(';');
            std::string_view attr = rest.substr(0, next);
            semi = next == std::string_view::npos ? next : semi + 1 + next;
            std::size_t aeq = attr.find('=');
            std::string key = detail::ascii_lower(detail::trim(attr.substr(0, aeq)));
            std::string_view val = aeq == std::string_view::npos ? std::string_view() : detail::trim(attr.substr(aeq + 1));
            if (key == "expires") {
                if (auto t = parse_date(val)) expires = t;
            } else if (key == "max-age") {
                // RFC 6265 §5.2.2, and a leading '+' as aiohttp takes it.
                bool neg = !val.empty() && val.front() == '-';
                std::string_view digits = neg || (!val.empty() && val.front() == '+') ? val.substr(1) : val;
                if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) continue;
                // Leading zeros do not make a number big ("0000000000000" is 0).
                std::size_t nonzero = digits.find_first_not_of('0');
                digits = nonzero == std::string_view::npos ? std::string_view("0") : digits.substr(nonzero);
                long long secs = digits.size() > 12 ? 999999999999LL : std::stoll(std::string(digits));
                auto now = SysClock::now();
                // Saturated: now + secs may not fit system_clock's nanoseconds.
                long long room = std::chrono::duration_cast<std::chrono::seconds>(SysClock::time_point::max() - now).count();
                max_age_expiry = neg || secs == 0 ? SysClock::time_point::min() + std::chrono::hours(1)
                                                  : now + std::chrono::seconds(std::min(secs, room - 1));
            } else if (key == "domain") {
                std::string_view d = val;
                if (!d.empty() && d.front() == '.') d.remove_prefix(1);
                domain_attr = detail::ascii_lower(d);
            } else if (key == "path") {
                if (!val.empty() && val.front() == '/') path_attr = std::string(val);
            } else if (key == "secure") {
                c.secure = true;
            } else if (key == "httponly") {
                c.http_only = true;
            }
        }
        c.expires = max_age_expiry ? max_age_expiry : expires;
        if (c.name.size() + c.value.size() > kMaxCookieBytes) continue;
        if (c.secure && !secure_origin) continue;  // RFC 6265bis §5.7 step 13
        if (!domain_attr.empty() && is_public_suffix(domain_attr)) {
            // §5.3 step 5: a public suffix is refused, unless it is the host
            // itself, which gets a host-only cookie.
            if (domain_attr != host) continue;
            domain_attr.clear();
        }
        if (!domain_attr.empty()) {
            if (!domain_match(host, domain_attr)) continue;  // §5.3 step 6: refused
            c.domain = domain_attr;
            c.host_only = false;
        } else {
            c.domain = host;
            c.host_only = true;
        }
        c.path = path_attr.empty() ? default_path(response_url.path()) : path_attr;
        if (!c.secure && !secure_origin) {
            // RFC 6265bis §5.7 step 16: an insecure origin may not touch a
            // Secure cookie of the same name whose domain overlaps and whose
            // path covers this one's (no overwrite, deletion or shadow).
            bool shadows = std::any_of(cookies_.begin(), cookies_.end(), [&](const Cookie& o) {
                return o.secure && o.name == c.name &&
                       (domain_match(c.domain, o.domain) || domain_match(o.domain, c.domain)) &&
                       path_match(c.path, o.path);
            });
            if (shadows) continue;
        }
        store(std::move(c));
    }
    expire();
}

void CookieJar::store(Cookie c) {
    c.created = ++counter_;
    c.last_access = c.created;
    // Replace a cookie with the same name, domain and path (keeping its creation time).
    auto same = std::find_if(cookies_.begin(), cookies_.end(), [&](const Cookie& o) {
        return o.name == c.name && o.domain == c.domain && o.path == c.path && o.host_only == c.host_only;
    });
    if (same != cookies_.end()) {
        c.created = same->created;
        *same = std::move(c);
        return;
    }
    std::string group = registrable_domain(c.domain);
    cookies_.push_back(std::move(c));
    auto older = [](const Cookie& a, const Cookie& b) {
        return a.last_access != b.last_access ? a.last_access < b.last_access : a.created < b.created;
    };
    // The per-domain cap, then the jar's: the least recently used goes.
    // (A domain ends with its registrable domain: a cheap test first.)
    auto in = [&](const Cookie& o) { return o.domain.ends_with(group) && registrable_domain(o.domain) == group; };
    std::size_t in_group = 0;
    for (const Cookie& o : cookies_)
        if (in(o)) ++in_group;
    if (in_group > kMaxCookiesPerDomain) {
        expire();
        in_group = 0;
        auto lru = cookies_.end();
        for (auto it = cookies_.begin(); it != cookies_.end(); ++it) {
            if (!in(*it)) continue;
            ++in_group;
            if (lru == cookies_.end() || older(*it, *lru)) lru = it;
        }
        if (in_group > kMaxCookiesPerDomain) cookies_.erase(lru);
    }
    if (cookies_.size() > kMaxCookies) {
        expire();
        if (cookies_.size() > kMaxCookies) cookies_.erase(std::min_element(cookies_.begin(), cookies_.end(), older));
    }
}

void CookieJar::update_cookies(const MultiDict& cookies, const URL& response_url) {
    // All checked before any is stored: a refused call changes nothing.
    for (auto [name, value] : cookies)
        if (std::string why = bad_cookie(name, value); !why.empty()) throw aio::ValueError(why);
    std::string host = response_url.is_absolute() ? response_url.host() : std::string();
    for (auto [name, value] : cookies) {
        Cookie c;
        c.name = std::string(name);
        c.value = std::string(value);
        c.domain = host;  // "" matches every host (shared cookie)
        c.host_only = true;
        store(std::move(c));
    }
}

std::string CookieJar::filter_cookies(const URL& request_url) {
    if (cookies_.empty()) return {};
    expire();
    std::string host = request_url.host();
    std::string path = request_url.path();
    bool secure = is_secure_scheme(request_url.scheme());
    std::vector<Cookie*> match;
    for (Cookie& c : cookies_) {
        if (!c.domain.empty()) {
            if (c.host_only ? host != c.domain : !domain_match(host, c.domain)) continue;
        }
        if (!path_match(path, c.path)) continue;
        if (c.secure && !secure) continue;
        match.push_back(&c);
    }
    std::sort(match.begin(), match.end(), [](const Cookie* a, const Cookie* b) {
        if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
        return a->created < b->created;
    });
    std::string out;
    for (Cookie* c : match) {
        c->last_access = ++counter_;
        if (!out.empty()) out += "; ";
        out += c->name;
        out += '=';
        out += c->value;
    }
    return out;
}

std::vector<Cookie> CookieJar::cookies() {
    expire();
    return cookies_;
}

void CookieJar::clear(std::string_view domain) {
    if (domain.empty()) {
        cookies_.clear();
        return;
    }
    std::erase_if(cookies_, [&](const Cookie& c) { return domain_match(c.domain, domain); });
}

std::size_t CookieJar::size() {
    expire();
    return cookies_.size();
}

}  // namespace aio::http
