// aio/http/headers.hpp — HTTP header fields: aio::http::Headers and the usual names.
//
// `Headers` is what aiohttp hands out as `request.headers` / `response.headers`
// (a CIMultiDict): an ordered, ASCII case-insensitive multimap that keeps
// repeated fields apart (Set-Cookie) and each name as it was spelt.
//
//     aio::http::Headers h{{"Content-Type", "text/plain"}};
//     h.add("Set-Cookie", "a=1");
//     h.add("set-cookie", "b=2");
//     h.get("content-type");      // "text/plain"
//     h.get_all("SET-COOKIE");    // {"a=1", "b=2"}
//     for (auto [name, value] : h) ...
//
// Views returned by a Headers are invalidated by its next change; see
// <aio/http/multidict.hpp> for the full contract.
#pragma once

#include <aio/http/multidict.hpp>

#include <string_view>

namespace aio::http {

/// Header fields of a request or response (aiohttp's CIMultiDict of headers).
using Headers = CIMultiDict;

/// Header names used by aio, spelt canonically (aiohttp.hdrs).
namespace hdrs {
inline constexpr std::string_view ACCEPT = "Accept";
inline constexpr std::string_view ACCEPT_ENCODING = "Accept-Encoding";
inline constexpr std::string_view ALLOW = "Allow";
inline constexpr std::string_view AUTHORIZATION = "Authorization";
inline constexpr std::string_view CONNECTION = "Connection";
inline constexpr std::string_view CONTENT_ENCODING = "Content-Encoding";
inline constexpr std::string_view CONTENT_LENGTH = "Content-Length";
inline constexpr std::string_view CONTENT_TYPE = "Content-Type";
inline constexpr std::string_view COOKIE = "Cookie";
inline constexpr std::string_view DATE = "Date";
inline constexpr std::string_view ETAG = "ETag";
inline constexpr std::string_view EXPECT = "Expect";
inline constexpr std::string_view HOST = "Host";
inline constexpr std::string_view IF_MODIFIED_SINCE = "If-Modified-Since";
inline constexpr std::string_view IF_NONE_MATCH = "If-None-Match";
inline constexpr std::string_view LAST_MODIFIED = "Last-Modified";
inline constexpr std::string_view LOCATION = "Location";
inline constexpr std::string_view PROXY_AUTHORIZATION = "Proxy-Authorization";
inline constexpr std::string_view RANGE = "Range";
inline constexpr std::string_view SERVER = "Server";
inline constexpr std::string_view SET_COOKIE = "Set-Cookie";
inline constexpr std::string_view TRANSFER_ENCODING = "Transfer-Encoding";
inline constexpr std::string_view UPGRADE = "Upgrade";
inline constexpr std::string_view USER_AGENT = "User-Agent";
}  // namespace hdrs

}  // namespace aio::http
