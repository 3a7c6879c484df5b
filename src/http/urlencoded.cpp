// application/x-www-form-urlencoded: quote / unquote and query strings parsed and built.
#include "aio/http/urlencoded.hpp"

#include "http/percent.hpp"

namespace aio::http {

namespace detail {

std::string percent_decode(std::string_view s, bool plus, bool keep_slash) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
            auto byte = static_cast<unsigned char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            if (keep_slash && byte == '/') {
                out += "%2F";
            } else {
                out += static_cast<char>(byte);
            }
            i += 2;
        } else if (c == '+' && plus) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace detail

namespace {

std::string quote_impl(std::string_view s, std::string_view safe, bool plus) {
    std::string out;
    out.reserve(s.size() + s.size() / 4);
    for (char c : s) {
        if (detail::is_unreserved(c) || safe.find(c) != std::string_view::npos) {
            out += c;
        } else if (c == ' ' && plus) {
            out += '+';
        } else {
            detail::append_escape(out, static_cast<unsigned char>(c));
        }
    }
    return out;
}

}  // namespace

std::string quote(std::string_view s, std::string_view safe) { return quote_impl(s, safe, false); }
std::string quote_plus(std::string_view s, std::string_view safe) { return quote_impl(s, safe, true); }
std::string unquote(std::string_view s) { return detail::percent_decode(s, false, false); }
std::string unquote_plus(std::string_view s) { return detail::percent_decode(s, true, false); }

std::string urlencode(const MultiDict& fields) {
    std::string out;
    for (auto [key, value] : fields) {
        if (!out.empty()) out += '&';
        out += quote_impl(key, {}, true);
        out += '=';
        out += quote_impl(value, {}, true);
    }
    return out;
}

MultiDict parse_qsl(std::string_view text, bool keep_blank_values) {
    MultiDict out;
    while (!text.empty()) {
        std::size_t amp = text.find('&');
        std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        std::string_view key = pair.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (value.empty() && !keep_blank_values) continue;
        out.add(unquote_plus(key), unquote_plus(value));
    }
    return out;
}

}  // namespace aio::http
