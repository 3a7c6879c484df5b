// Small helpers of the HTTP client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aio::http::detail {

/// Python's repr() of a str: quoted with ' (or " when the text has ' and no "),
/// backslash escapes for quotes, backslash and control bytes.
std::string py_repr(std::string_view s);
/// Lowercase ASCII copy.
std::string ascii_lower(std::string_view s);
/// Trims spaces and tabs at both ends.
std::string_view trim(std::string_view s) noexcept;
/// Whether a comma-separated header value lists `token` (ASCII case-insensitive;
/// "keep-alive, Upgrade" lists "upgrade").
bool lists_token(std::string_view value, std::string_view token);
/// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view in);
/// Decodes base64 (padding optional); false when the text is not base64.
bool base64_decode(std::string_view in, std::string& out);
/// A media type's parameter ("charset" of "text/html; charset=UTF-8"),
/// unquoted; "" when absent.
std::string media_param(std::string_view content_type, std::string_view name);
/// The media type without parameters, lowercase ("text/html").
std::string media_type(std::string_view content_type);

}  // namespace aio::http::detail
