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
//   - Expiry: Max-Age (seconds, wins) or Expires (RFC 6265 §5.1.1 date
//     parsing); a date in the past deletes the cookie. Without either, a
//     session cookie lasting as long as the jar.
//   - Secure: sent only over https (and wss). HttpOnly is kept and reported.
//   - Sending order: longer paths first, then earlier creation (§5.4).
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
    std::string name;
    std::string value;
    /// The domain, lowercase, without a leading dot.
    std::string domain;
    std::string path = "/";
    /// Absent for a session cookie.
    std::optional<std::chrono::system_clock::time_point> expires;
    bool host_only = true;
    bool secure = false;
    bool http_only = false;
    /// Creation order (RFC 6265 §5.4: ties of path length go to the older).
    std::uint64_t created = 0;
};

/// The cookie store of a ClientSession (aiohttp.CookieJar). Belongs to one
/// thread. Nothing here throws but std::bad_alloc.
class CookieJar {
public:
    /// `unsafe`: accept cookies from hosts given by IP address.
    explicit CookieJar(bool unsafe = false) : unsafe_(unsafe) {}

    /// Stores the cookies of `set_cookie_headers` (Set-Cookie values) received
    /// from `response_url` (aiohttp's update_cookies with a response URL).
    /// Malformed or refused cookies are skipped.
    void update_cookies(const std::vector<std::string_view>& set_cookie_headers, const URL& response_url);
    /// Stores name=value pairs as cookies for `response_url` (host-only; with
    /// an empty URL: sent to every host, as aiohttp's shared cookies).
    void update_cookies(const MultiDict& cookies, const URL& response_url = URL());
    /// The "Cookie" header value for a request to `request_url` ("" if none).
    std::string filter_cookies(const URL& request_url);
    /// Every cookie still valid, in storage order.
    std::vector<Cookie> cookies();
    /// Removes every cookie (or those of `domain` and its subdomains).
    void clear(std::string_view domain = {});
    std::size_t size();

    /// Parses an RFC 6265 §5.1.1 cookie date ("Wed, 09 Jun 2021 10:18:14 GMT",
    /// and the odd forms the algorithm accepts); nullopt if it is not one.
    static std::optional<std::chrono::system_clock::time_point> parse_date(std::string_view text);

private:
    void expire();
    bool unsafe_;
    std::uint64_t counter_ = 0;
    std::vector<Cookie> cookies_;
};

}  // namespace aio::http
