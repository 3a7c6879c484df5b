// HTTP authentication for the client: BasicAuth and DigestAuth (RFC 7617, RFC 7616).
#include <aio/http/client/auth.hpp>
#include <aio/http/urlencoded.hpp>

#include "http/client/util.hpp"

namespace aio::http {

std::string BasicAuth::encode() const {
    if (login.find(':') != std::string::npos) throw aio::ValueError("a Basic auth login cannot contain ':'");
    return "Basic " + detail::base64_encode(login + ":" + password);
}

BasicAuth BasicAuth::decode(std::string_view header) {
    std::string_view h = detail::trim(header);
    std::size_t sp = h.find(' ');
    if (sp == std::string_view::npos || !iequals(h.substr(0, sp), "basic"))
        throw aio::ValueError("not a Basic authorization header");
    std::string raw;
    if (!detail::base64_decode(detail::trim(h.substr(sp + 1)), raw))
        throw aio::ValueError("invalid base64 in a Basic authorization header");
    std::size_t colon = raw.find(':');
    if (colon == std::string::npos) throw aio::ValueError("invalid credentials in a Basic authorization header");
    return BasicAuth{raw.substr(0, colon), raw.substr(colon + 1)};
}

std::optional<BasicAuth> BasicAuth::from_url(const URL& url) {
    auto user = url.user();
    if (!user) return std::nullopt;
    return BasicAuth{*user, url.password().value_or("")};
}

}  // namespace aio::http
