// aio/http/client/auth.hpp — HTTP Basic authentication (aiohttp.BasicAuth).
#pragma once

#include <aio/http/url.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace aio::http {

/// Credentials for `Authorization: Basic ...` (aiohttp.BasicAuth). The login
/// and password are bytes and are sent as given (aiohttp encodes str as
/// latin-1 by default; pass the bytes you mean, UTF-8 for most servers).
struct BasicAuth {
    /// The user name (must not contain ':').
    std::string login;
    /// The password; empty by default.
    std::string password{};

    /// The header value: "Basic " + base64(login ":" password). Throws
    /// aio::ValueError when the login contains ':' (it could not be decoded).
    std::string encode() const;
    /// Parses an Authorization header value "Basic ..." (aiohttp's
    /// BasicAuth.decode). Throws aio::ValueError when it is not one.
    static BasicAuth decode(std::string_view header);
    /// The credentials of a URL's user-info ("http://user:pass@host/"), if any
    /// (aiohttp's BasicAuth.from_url).
    static std::optional<BasicAuth> from_url(const URL& url);

    friend bool operator==(const BasicAuth&, const BasicAuth&) = default;
};

}  // namespace aio::http
