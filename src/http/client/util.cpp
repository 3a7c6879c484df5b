// Small helpers of the HTTP client: repr of strings, case folding, base64, media type parameters.
#include "http/client/util.hpp"

#include <aio/http/multidict.hpp>

namespace aio::http::detail {

std::string py_repr(std::string_view s) {
    bool has_single = s.find('\'') != std::string_view::npos;
    bool has_double = s.find('"') != std::string_view::npos;
    char quote = (has_single && !has_double) ? '"' : '\'';
    std::string out;
    out.reserve(s.size() + 2);
    out += quote;
    static constexpr char kHex[] = "0123456789abcdef";
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (ch == quote || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\r') {
            out += "\\r";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    out += quote;
    return out;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string base64_encode(std::string_view in) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        std::uint32_t v = (std::uint32_t(static_cast<unsigned char>(in[i])) << 16) |
                          (std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8) |
                          std::uint32_t(static_cast<unsigned char>(in[i + 2]));
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i < in.size()) {
        std::uint32_t v = std::uint32_t(static_cast<unsigned char>(in[i])) << 16;
        if (i + 1 < in.size()) v |= std::uint32_t(static_cast<unsigned char>(in[i + 1])) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

bool lists_token(std::string_view value, std::string_view token) {
    while (true) {
        std::size_t comma = value.find(',');
        std::string_view item = trim(value.substr(0, comma));
        if (item.size() == token.size() && ascii_lower(item) == ascii_lower(token)) return true;
        if (comma == std::string_view::npos) return false;
        value.remove_prefix(comma + 1);
    }
}

bool base64_decode(std::string_view in, std::string& out) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = value(c);
        if (v < 0) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return bits < 6;
}

std::string media_param(std::string_view content_type, std::string_view name) {
    std::size_t semi = content_type.find(';');
    while (semi != std::string_view::npos) {
        std::string_view rest = content_type.substr(semi + 1);
        std::size_t next = rest.find(';');
        std::string_view param = trim(rest.substr(0, next));
        std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), name)) {
            std::string_view v = trim(param.substr(eq + 1));
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            return std::string(v);
        }
        semi = next == std::string_view::npos ? next : semi + 1 + next;
    }
    return {};
}

std::string media_type(std::string_view content_type) {
    return ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
}

}  // namespace aio::http::detail
