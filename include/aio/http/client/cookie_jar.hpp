// aio/http/client/cookie_jar.hpp — cookies kept between requests (aiohttp.CookieJar).
//
// A session stores the cookies its responses set (Set-Cookie) and sends back
// those that match each request, following RFC 6265:
//   - Domain: without the attribute a cookie is host-only (sent to exactly
//     that host); with it, to that domain and its subdomains. A Domain the
//     request's host does not domain-match is refused, as is one on an IP
//     address host other than itself.
//   - Path: the attribute, or the default path of the request (its path up to
//     the last '/'); sent to that path and the paths below it (at '/' boundaries).
//   - Expiry: Max-Age (seconds, wins; a leading '+' is taken as aiohttp
//     takes it, one of zero or below deletes the cookie, a huge one lasts
//     as long as the clock can count) or Expires (RFC 6265 §5.1.1 date
//     parsing; a date that does not exist, such as 31 Feb, is no date); a
//     date in the past deletes the cookie. Without either, a session cookie
//     lasting as long as the jar.
//   - Secure: sent only over https (and wss). HttpOnly is kept and reported.
//   - Sending order: longer paths first, then earlier creation (§5.4).
//
// And as curl, wget and browsers do beyond RFC 6265 (RFC 6265bis):
//   - Public suffixes: a Domain that is a public suffix ("com", "co.uk",
//     "github.io", from Debian's publicsuffix list through libpsl) is
//     refused, unless it is the response's host itself, which then gets a
//     host-only cookie (§5.3 step 5).
//   - Secure only from secure origins: a Secure cookie from an http response
//     is ignored, and an http response may not set (overwrite, delete or
//     shadow) a cookie whose name a Secure cookie of an overlapping domain
//     and path already has (RFC 6265bis §5.7 "Leave Secure Cookies Alone").
//   - Size: a cookie whose name and value pass kMaxCookieBytes is ignored;
//     the jar keeps at most kMaxCookiesPerDomain cookies per registrable
//     domain ("example.co.uk" for "a.b.example.co.uk") and kMaxCookies in
//     all; beyond them the least recently used cookie (set or sent longest
//     ago; the older on ties) of that domain, or of the jar, is evicted.
//
// As aiohttp's default jar (unsafe=False), cookies set by a server addressed
// by IP address are ignored; `unsafe = true` accepts them (tests, local servers).
#pragma once

#include <aio/http/url.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aio::http {

/// One stored cookie (http.cookies.Morsel's fields that matter).
struct Cookie {
    /// The cookie's name, as the server set it.
    std::string name;
    /// The cookie's value, as the server set it (surrounding double quotes removed; not percent-decoded).
    std::string value;
    /// The domain, lowercase, without a leading dot.
    std::string domain;
    /// The path the cookie is sent for (and below); "/" by default.
    std::string path = "/";
    /// Absent for a session cookie.
    std::optional<std::chrono::system_clock::time_point> expires;
    /// Sent only to `domain` itself (no Domain attribute was given), not to its subdomains.
    bool host_only = true;
    /// The Secure attribute: sent only over https (and wss).
    bool secure = false;
    /// The HttpOnly attribute (kept for inspection; the jar sends it like any other).
    bool http_only = false;
    /// Creation order (RFC 6265 §5.4: ties of path length go to the older).
    std::uint64_t created = 0;
    /// When it was last set or sent, on the same counter (eviction order).
    std::uint64_t last_access = 0;
};

/// The cookie store of a ClientSession (aiohttp.CookieJar). Belongs to one
/// thread. Nothing here throws but std::bad_alloc, and aio::ValueError from
/// update_cookies() with name=value pairs.
class CookieJar {
public:
    /// Cookies kept per registrable domain. RFC 6265 §6.1 asks for at least
    /// 50; 180 is what Chrome and Firefox keep, enough for real sites while
    /// a host cannot fill memory.
    static constexpr std::size_t kMaxCookiesPerDomain = 180;
    /// Cookies kept in all (RFC 6265 §6.1's minimum, Chrome's limit).
    static constexpr std::size_t kMaxCookies = 3000;
    /// The largest name plus value accepted (RFC 6265 §6.1: at least 4096
    /// bytes per cookie; RFC 6265bis caps name + value at 4096).
    static constexpr std::size_t kMaxCookieBytes = 4096;

    /// `unsafe`: accept cookies from hosts given by IP address.
    explicit CookieJar(bool unsafe = false) : unsafe_(unsafe) {}

    /// Stores the cookies of `set_cookie_headers` (Set-Cookie values) received
    /// from `response_url` (aiohttp's update_cookies with a response URL);
    /// its scheme decides what Secure cookies may do. Malformed or refused
    /// cookies are skipped.
    void update_cookies(const std::vector<std::string_view>& set_cookie_headers, const URL& response_url);
    /// Stores name=value pairs as cookies for `response_url` (host-only; with
    /// an empty URL: sent to every host, as aiohttp's shared cookies).
    /// Throws aio::ValueError, storing none of them, when a name is empty or
    /// holds a character outside an HTTP token (':' allowed, as http.cookies
    /// allows it), or a value holds a control character or ';' (either would
    /// break the Cookie header of every later request).
    void update_cookies(const MultiDict& cookies, const URL& response_url = URL());
    /// The "Cookie" header value for a request to `request_url` ("" if none).
    std::string filter_cookies(const URL& request_url);
    /// Every cookie still valid, in storage order.
    std::vector<Cookie> cookies();
    /// Removes every cookie (or those of `domain` and its subdomains).
    void clear(std::string_view domain = {});
    /// The number of cookies still valid (expired ones are dropped first; len(jar) in aiohttp).
    std::size_t size();

    /// Parses an RFC 6265 §5.1.1 cookie date ("Wed, 09 Jun 2021 10:18:14 GMT",
    /// and the odd forms the algorithm accepts); nullopt if it is not one.
    static std::optional<std::chrono::system_clock::time_point> parse_date(std::string_view text);

private:
    void expire();
    /// Stores `c` (replacing its namesake), then evicts down to the caps.
    void store(Cookie c);
    bool unsafe_;
    std::uint64_t counter_ = 0;
    std::vector<Cookie> cookies_;
};

}  // namespace aio::http
