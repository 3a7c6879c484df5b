// aio/http/urlencoded.hpp — percent-encoding and application/x-www-form-urlencoded.
//
// Python's urllib.parse helpers, which aiohttp uses for form bodies
// (`data=` with a dict, `request.post()`): quote / unquote, their `_plus`
// forms (space as '+'), urlencode and parse_qsl. Strings are bytes here:
// non-ASCII text is percent-encoded as its UTF-8 bytes, and decoding yields
// the bytes the escapes stand for (Python decodes them to str as UTF-8 and
// replaces invalid sequences; aio leaves that to the caller). Nothing here
// throws but std::bad_alloc.
//
//     aio::http::urlencode({{"name", "Zoë"}, {"q", "a b&c"}});  // "name=Zo%C3%AB&q=a+b%26c"
//     aio::http::parse_qsl("a=1&b=&c", true);                 // {a: "1", b: "", c: ""}
#pragma once

#include <aio/http/multidict.hpp>

#include <string>
#include <string_view>

namespace aio::http {

/// Percent-encodes every byte except A-Z a-z 0-9 "_.-~" and those in `safe`
/// (urllib.parse.quote).
std::string quote(std::string_view s, std::string_view safe = "/");
/// As quote, but a space becomes '+' and `safe` is empty by default
/// (urllib.parse.quote_plus): for form fields.
std::string quote_plus(std::string_view s, std::string_view safe = "");
/// Decodes "%XX" escapes; a '%' not followed by two hex digits stays as it is
/// (urllib.parse.unquote).
std::string unquote(std::string_view s);
/// As unquote, but '+' is a space first (urllib.parse.unquote_plus).
std::string unquote_plus(std::string_view s);

/// Encodes fields as application/x-www-form-urlencoded: "k=v&k2=v2" with
/// quote_plus on each key and value (urllib.parse.urlencode(..., doseq=True),
/// what aiohttp sends for `data=` given a dict).
std::string urlencode(const MultiDict& fields);

/// Decodes application/x-www-form-urlencoded text (urllib.parse.parse_qsl):
/// pairs split on '&', each at its first '='; keys and values unquote_plus'ed;
/// empty pairs skipped; a pair with an empty value ("b=" or "c") is kept only
/// when `keep_blank_values` (aiohttp's `request.post()` keeps them).
MultiDict parse_qsl(std::string_view text, bool keep_blank_values = false);

}  // namespace aio::http
