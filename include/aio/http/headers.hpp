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
/// "Accept": the media types a client takes in the response.
inline constexpr std::string_view ACCEPT = "Accept";
/// "Accept-Encoding": the content codings a client can decode (gzip, deflate, br).
inline constexpr std::string_view ACCEPT_ENCODING = "Accept-Encoding";
/// "Allow": the methods a resource supports (sent with 405 Method Not Allowed).
inline constexpr std::string_view ALLOW = "Allow";
/// "Authorization": the client's credentials for the server (e.g. Basic auth).
inline constexpr std::string_view AUTHORIZATION = "Authorization";
/// "Connection": per-connection options ("close", "keep-alive", "upgrade").
inline constexpr std::string_view CONNECTION = "Connection";
/// "Content-Encoding": the coding applied to the body (gzip, deflate, br).
inline constexpr std::string_view CONTENT_ENCODING = "Content-Encoding";
/// "Content-Length": the body's size in bytes.
inline constexpr std::string_view CONTENT_LENGTH = "Content-Length";
/// "Content-Type": the body's media type and charset.
inline constexpr std::string_view CONTENT_TYPE = "Content-Type";
/// "Cookie": the cookies a client sends back.
inline constexpr std::string_view COOKIE = "Cookie";
/// "Date": when the message was sent (an HTTP-date).
inline constexpr std::string_view DATE = "Date";
/// "ETag": the entity tag of a response's representation.
inline constexpr std::string_view ETAG = "ETag";
/// "Expect": a client's expectation ("100-continue").
inline constexpr std::string_view EXPECT = "Expect";
/// "Host": the authority (host and port) a request is for.
inline constexpr std::string_view HOST = "Host";
/// "If-Modified-Since": a conditional request on the modification date.
inline constexpr std::string_view IF_MODIFIED_SINCE = "If-Modified-Since";
/// "If-None-Match": a conditional request on entity tags.
inline constexpr std::string_view IF_NONE_MATCH = "If-None-Match";
/// "Last-Modified": when the representation last changed.
inline constexpr std::string_view LAST_MODIFIED = "Last-Modified";
/// "Location": where a redirect (3xx) or a 201 Created points.
inline constexpr std::string_view LOCATION = "Location";
/// "Proxy-Authorization": the client's credentials for a proxy.
inline constexpr std::string_view PROXY_AUTHORIZATION = "Proxy-Authorization";
/// "Range": the byte range a client asks for.
inline constexpr std::string_view RANGE = "Range";
/// "Server": the software of the server.
inline constexpr std::string_view SERVER = "Server";
/// "Set-Cookie": a cookie the server sets (one field per cookie: never folded).
inline constexpr std::string_view SET_COOKIE = "Set-Cookie";
/// "Transfer-Encoding": the transfer codings of the body ("chunked").
inline constexpr std::string_view TRANSFER_ENCODING = "Transfer-Encoding";
/// "Upgrade": the protocol to switch to ("websocket").
inline constexpr std::string_view UPGRADE = "Upgrade";
/// "User-Agent": the software of the client.
inline constexpr std::string_view USER_AGENT = "User-Agent";
}  // namespace hdrs

}  // namespace aio::http
