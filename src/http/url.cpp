// aio::http::URL (yarl): parsing, normalising, joining and building URLs.
#include "aio/http/url.hpp"

#include "aio/http/urlencoded.hpp"
#include "http/percent.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace aio::http {

/// A URL taken apart; every string already normalised and encoded.
struct URL::Parts {
    std::string scheme;  // lowercase, "" for none
    bool has_authority = false;
    bool has_user = false;
    bool has_password = false;
    std::string user;
    std::string password;
    std::string host;  // lowercase; IPv6 literals in brackets
    std::optional<std::uint16_t> port;
    std::string path;
    std::string query;
    std::string fragment;
};

namespace {

using detail::append_escape;
using detail::hex_digit;
using detail::is_unreserved;

constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_sub_delim(char c) {
    return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' ||
           c == ',' || c == ';' || c == '=';
}

// Which characters stay literal in each part (RFC 3986 §3).
enum class Part { user, password, path, query, fragment };
constexpr bool allowed_in(Part part, char c) {
    if (is_unreserved(c) || is_sub_delim(c)) return true;
    switch (part) {
        case Part::user: return false;
        case Part::password: return c == ':';
        case Part::path: return c == ':' || c == '@' || c == '/';
        case Part::query:
        case Part::fragment: return c == ':' || c == '@' || c == '/' || c == '?';
    }
    return false;
}

// Normalises already-encoded text: escapes get uppercase hex, escapes of
// unreserved characters are decoded, a stray '%' and disallowed bytes are encoded.
std::string requote(std::string_view s, Part part) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
            if (lo < 0) {
                out += "%25";
                continue;
            }
            auto byte = static_cast<unsigned char>(hi * 16 + lo);
            if (is_unreserved(static_cast<char>(byte)))
                out += static_cast<char>(byte);
            else
                append_escape(out, byte);
            i += 2;
        } else if (allowed_in(part, c)) {
            out += c;
        } else {
            append_escape(out, static_cast<unsigned char>(c));
        }
    }
    return out;
}

// Encodes decoded text for a part: '%' is a literal percent here.
std::string encode(std::string_view s, Part part) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c != '%' && allowed_in(part, c))
            out += c;
        else
            append_escape(out, static_cast<unsigned char>(c));
    }
    return out;
}

// Encodes one query key or value as yarl does: space as '+'; '&', '=', '+',
// ';' and the rest outside unreserved, "!$'()*," and "/?:@" as escapes.
void append_query_part(std::string& out, std::string_view s) {
    for (char c : s) {
        if (is_unreserved(c) || std::string_view("!$'()*,/?:@").find(c) != std::string_view::npos)
            out += c;
        else if (c == ' ')
            out += '+';
        else
            append_escape(out, static_cast<unsigned char>(c));
    }
}

std::string encode_query(const MultiDict& params) {
    std::string out;
    for (auto [k, v] : params) {
        if (!out.empty()) out += '&';
        append_query_part(out, k);
        out += '=';
        append_query_part(out, v);
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    return out;
}

std::optional<std::uint16_t> default_port(std::string_view scheme) {
    if (scheme == "http" || scheme == "ws") return 80;
    if (scheme == "https" || scheme == "wss") return 443;
    return std::nullopt;
}

bool needs_host(std::string_view scheme) {
    return scheme == "http" || scheme == "https" || scheme == "ws" || scheme == "wss";
}

bool valid_scheme(std::string_view s) {
    if (s.empty() || !is_alpha(s[0])) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.'; });
}

// RFC 3986 §5.2.4.
std::string remove_dot_segments(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    auto pop_segment = [&] {
        std::size_t slash = out.rfind('/');
        out.erase(slash == std::string::npos ? 0 : slash);
    };
    while (!in.empty()) {
        if (in.starts_with("../")) {
            in.remove_prefix(3);
        } else if (in.starts_with("./")) {
            in.remove_prefix(2);
        } else if (in.starts_with("/./")) {
            in.remove_prefix(2);
        } else if (in == "/.") {
            in = "/";
        } else if (in.starts_with("/../")) {
            in.remove_prefix(3);
            pop_segment();
        } else if (in == "/..") {
            in = "/";
            pop_segment();
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            std::size_t next = in.find('/', in[0] == '/' ? 1 : 0);
            out.append(in.substr(0, next));
            in = next == std::string_view::npos ? std::string_view{} : in.substr(next);
        }
    }
    return out;
}

// The host as written between "//" (and userinfo) and the port; throws for bad ones.
std::string parse_host(std::string_view host, std::string_view url) {
    if (!host.empty() && host[0] == '[') {
        if (host.back() != ']') throw InvalidURL(std::string(url), "invalid IPv6 address");
        std::string_view lit = host.substr(1, host.size() - 2);
        if (!lit.empty() && (lit[0] == 'v' || lit[0] == 'V'))
            throw InvalidURL(std::string(url), "IPvFuture addresses are not supported");
        std::string_view addr = lit, zone;
        if (std::size_t pct = lit.find('%'); pct != std::string_view::npos) {
            addr = lit.substr(0, pct);
            zone = lit.substr(pct);
            // RFC 6874: the zone is introduced by "%25".
            if (!zone.starts_with("%25") || zone.size() == 3 ||
                !std::all_of(zone.begin() + 3, zone.end(), [](char c) { return is_unreserved(c); }))
                throw InvalidURL(std::string(url), "invalid IPv6 zone identifier");
        }
        std::string a(addr);
        unsigned char buf[16];
        if (a.size() > 45 || inet_pton(AF_INET6, a.c_str(), buf) != 1)
            throw InvalidURL(std::string(url), "invalid IPv6 address");
        return "[" + lower(addr) + std::string(zone) + "]";
    }
    for (char c : host) {
        if (static_cast<unsigned char>(c) >= 0x80)
            throw InvalidURL(std::string(url), "non-ASCII host name (IDNA is not supported: use the xn-- form)");
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'))
            throw InvalidURL(std::string(url), std::string("invalid character '") + c + "' in host");
    }
    return lower(host);
}

std::optional<std::uint16_t> parse_port(std::string_view port, std::string_view url) {
    if (port.empty()) return std::nullopt;  // "http://h:/" has no port (RFC 3986 §3.2.3)
    std::uint32_t n = 0;
    for (char c : port) {
        if (!is_digit(c)) throw InvalidURL(std::string(url), "port is not a number");
        n = n * 10 + static_cast<std::uint32_t>(c - '0');
        if (n > 65535) throw InvalidURL(std::string(url), "port is out of range 0-65535");
    }
    return static_cast<std::uint16_t>(n);
}

}  // namespace

URL::Parts URL::parse(std::string_view text) {
    if (text.size() > kMaxLength)
        throw InvalidURL(std::string(text), "URL is longer than " + std::to_string(kMaxLength) + " bytes");
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c == ' ') throw InvalidURL(std::string(text), "URL contains a space");
        if (c < 0x20 || c == 0x7f) throw InvalidURL(std::string(text), "URL contains a control character");
    }
    Parts p;
    std::string_view rest = text;
    if (std::size_t colon = rest.find_first_of(":/?#");
        colon != std::string_view::npos && rest[colon] == ':' && valid_scheme(rest.substr(0, colon))) {
        p.scheme = lower(rest.substr(0, colon));
        rest.remove_prefix(colon + 1);
    }
    if (rest.starts_with("//")) {
        p.has_authority = true;
        std::size_t end = rest.find_first_of("/?#", 2);
        std::string_view auth = rest.substr(2, end == std::string_view::npos ? std::string_view::npos : end - 2);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
        if (std::size_t at = auth.rfind('@'); at != std::string_view::npos) {
            std::string_view userinfo = auth.substr(0, at);
            auth.remove_prefix(at + 1);
            p.has_user = true;
            std::size_t colon = userinfo.find(':');
            p.user = requote(userinfo.substr(0, colon), Part::user);
            if (colon != std::string_view::npos) {
                p.has_password = true;
                p.password = requote(userinfo.substr(colon + 1), Part::password);
            }
        }
        std::string_view host = auth, port;
        if (!auth.empty() && auth[0] == '[') {
            std::size_t close = auth.find(']');
            if (close == std::string_view::npos) throw InvalidURL(std::string(text), "invalid IPv6 address");
            host = auth.substr(0, close + 1);
            std::string_view after = auth.substr(close + 1);
            if (!after.empty()) {
                if (after[0] != ':') throw InvalidURL(std::string(text), "invalid characters after the IPv6 address");
                port = after.substr(1);
            }
        } else if (std::size_t colon = auth.find(':'); colon != std::string_view::npos) {
            host = auth.substr(0, colon);
            port = auth.substr(colon + 1);
        }
        p.host = parse_host(host, text);
        p.port = parse_port(port, text);
    }
    if (std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
        p.fragment = requote(rest.substr(hash + 1), Part::fragment);
        rest = rest.substr(0, hash);
    }
    if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
        p.query = requote(rest.substr(q + 1), Part::query);
        rest = rest.substr(0, q);
    }
    p.path = requote(rest, Part::path);
    if (p.has_authority) p.path = remove_dot_segments(p.path);
    return p;
}

URL URL::assemble(const Parts& parts) {
    // RFC 3986 §3.3, §4.2: without a host, a path must not start with "//"
    // (it would read back as a host), and without a scheme its first segment
    // must not hold ':' (it would read back as a scheme). "/." and "./" keep
    // the meaning and the round trip.
    const Parts* pp = &parts;
    Parts fixed;
    if (!parts.has_authority) {
        const std::string& path = parts.path;
        bool slashes = path.starts_with("//");
        bool colon = parts.scheme.empty() && path.substr(0, path.find('/')).find(':') != std::string::npos;
        if (slashes || colon) {
            fixed = parts;
            fixed.path.insert(0, slashes ? "/." : "./");
            pp = &fixed;
        }
    }
    const Parts& p = *pp;
    URL u;
    std::string& t = u.text_;
    t.reserve(p.scheme.size() + p.user.size() + p.password.size() + p.host.size() + p.path.size() + p.query.size() +
              p.fragment.size() + 16);
    auto add = [&](Range& r, std::string_view s) {
        r = Range{static_cast<std::uint32_t>(t.size()), static_cast<std::uint32_t>(s.size())};
        t += s;
    };
    if (!p.scheme.empty()) {
        add(u.scheme_, p.scheme);
        t += ':';
    }
    if (p.has_authority) {
        t += "//";
        if (p.has_user) {
            add(u.user_, p.user);
            if (p.has_password) {
                t += ':';
                add(u.password_, p.password);
            }
            t += '@';
        }
        add(u.host_, p.host);
        if (p.port) {
            t += ':';
            t += std::to_string(*p.port);
        }
    }
    add(u.path_, p.path);
    if (!p.query.empty()) {
        t += '?';
        add(u.query_, p.query);
    }
    if (!p.fragment.empty()) {
        t += '#';
        add(u.fragment_, p.fragment);
    }
    u.port_ = p.port;
    u.has_authority_ = p.has_authority;
    u.has_user_ = p.has_user;
    u.has_password_ = p.has_password;
    if (t.size() > kMaxLength)
        throw InvalidURL(t, "URL is longer than " + std::to_string(kMaxLength) + " bytes");
    if (needs_host(p.scheme) && p.host.empty()) throw InvalidURL(t, "no host in an " + p.scheme + " URL");
    return u;
}

URL::Parts URL::parts() const {
    Parts p;
    p.scheme = scheme();
    p.has_authority = has_authority_;
    p.has_user = has_user_;
    p.has_password = has_password_;
    p.user = part(user_);
    p.password = part(password_);
    p.host = part(host_);
    p.port = port_;
    p.path = part(path_);
    p.query = part(query_);
    p.fragment = part(fragment_);
    return p;
}

URL::URL(std::string_view text) {
    Parts p = parse(text);
    try {
        *this = assemble(p);
    } catch (const InvalidURL& e) {
        throw InvalidURL(std::string(text), e.description());
    }
}

// ---------------------------------------------------------------------------
// Accessors

std::optional<std::string> URL::user() const {
    if (!has_user_) return std::nullopt;
    return detail::percent_decode(part(user_), false, false);
}
std::optional<std::string_view> URL::raw_user() const {
    if (!has_user_) return std::nullopt;
    return part(user_);
}
std::optional<std::string> URL::password() const {
    if (!has_password_) return std::nullopt;
    return detail::percent_decode(part(password_), false, false);
}
std::optional<std::string_view> URL::raw_password() const {
    if (!has_password_) return std::nullopt;
    return part(password_);
}

std::string URL::host() const {
    std::string_view h = part(host_);
    if (h.empty() || h[0] != '[') return std::string(h);
    return detail::percent_decode(h.substr(1, h.size() - 2), false, false);
}

std::optional<std::uint16_t> URL::port() const noexcept {
    if (port_) return port_;
    return default_port(scheme());
}

bool URL::is_default_port() const noexcept { return !port_ || port_ == default_port(scheme()); }

std::string URL::host_port() const {
    std::string out(part(host_));
    if (!is_default_port()) {
        out += ':';
        out += std::to_string(*port_);
    }
    return out;
}

std::string_view URL::raw_path() const noexcept {
    if (path_.len == 0 && has_authority_) return "/";
    return part(path_);
}

std::string URL::path() const { return detail::percent_decode(raw_path(), false, true); }
std::string URL::query_string() const { return detail::percent_decode(part(query_), true, false); }
MultiDict URL::query() const { return parse_qsl(part(query_), true); }
std::string URL::fragment() const { return detail::percent_decode(part(fragment_), false, false); }

std::string URL::raw_path_qs() const {
    std::string out(raw_path());
    if (query_.len) {
        out += '?';
        out += part(query_);
    }
    return out;
}

std::string URL::path_qs() const {
    std::string out = path();
    if (query_.len) {
        out += '?';
        out += query_string();
    }
    return out;
}

// ---------------------------------------------------------------------------
// Derived URLs

URL URL::origin() const {
    if (scheme_.len == 0 || host_.len == 0) throw InvalidURL(text_, "URL without scheme and host has no origin");
    Parts p;
    p.scheme = scheme();
    p.has_authority = true;
    p.host = part(host_);
    p.port = port_;
    return assemble(p);
}

namespace {

void require_absolute(bool absolute, const std::string& url, const char* what) {
    if (!absolute) throw InvalidURL(url, std::string(what) + " replacement is not allowed for relative URLs");
}

}  // namespace

URL URL::join(const URL& reference) const { return join(std::string_view(reference.str())); }

URL URL::join(std::string_view reference_text) const {
    Parts b = parts();
    Parts r = parse(reference_text);
    // As urljoin: "http:g" against an http base is the relative "g".
    if (!r.scheme.empty() && r.scheme == b.scheme && !r.has_authority) r.scheme.clear();
    Parts t;
    if (!r.scheme.empty()) {
        t = r;
        t.path = remove_dot_segments(r.path);
    } else {
        if (r.has_authority) {
            t = r;
            t.path = remove_dot_segments(r.path);
        } else {
            t.has_authority = b.has_authority;
            t.has_user = b.has_user;
            t.has_password = b.has_password;
            t.user = b.user;
            t.password = b.password;
            t.host = b.host;
            t.port = b.port;
            if (r.path.empty()) {
                t.path = b.path;
                t.query = r.query.empty() ? b.query : r.query;
            } else {
                if (r.path[0] == '/') {
                    t.path = remove_dot_segments(r.path);
                } else {
                    std::string merged;
                    if (b.has_authority && b.path.empty()) {
                        merged = "/" + r.path;
                    } else {
                        std::size_t slash = b.path.rfind('/');
                        merged = (slash == std::string::npos ? std::string{} : b.path.substr(0, slash + 1)) + r.path;
                    }
                    t.path = remove_dot_segments(merged);
                }
                t.query = r.query;
            }
        }
        t.scheme = b.scheme;
    }
    t.fragment = r.fragment;
    return assemble(t);
}

URL URL::with_query(const MultiDict& params) const {
    Parts p = parts();
    p.query = encode_query(params);
    return assemble(p);
}

URL URL::with_query(std::string_view query) const {
    Parts p = parts();
    if (std::any_of(query.begin(), query.end(), [](char ch) {
            auto c = static_cast<unsigned char>(ch);
            return c <= 0x20 || c == 0x7f || c == '#';
        }))
        throw InvalidURL(text_, "new query contains a space, a control character or '#'");
    p.query = requote(query, Part::query);
    return assemble(p);
}

URL URL::update_query(const MultiDict& params) const {
    MultiDict q = query();
    q.update(params);
    return with_query(q);
}

URL URL::extend_query(const MultiDict& params) const {
    if (params.empty()) return *this;
    Parts p = parts();
    std::string extra = encode_query(params);
    p.query = p.query.empty() ? extra : p.query + "&" + extra;
    return assemble(p);
}

URL URL::with_path(std::string_view path, bool encoded) const {
    Parts p = parts();
    p.path = encoded ? requote(path, Part::path) : encode(path, Part::path);
    if (p.has_authority && !p.path.empty() && p.path[0] != '/') p.path.insert(0, "/");
    if (p.has_authority) p.path = remove_dot_segments(p.path);
    p.query.clear();
    p.fragment.clear();
    return assemble(p);
}

URL URL::with_fragment(std::string_view fragment) const {
    Parts p = parts();
    p.fragment = encode(fragment, Part::fragment);
    return assemble(p);
}

URL URL::with_scheme(std::string_view scheme) const {
    require_absolute(has_authority_, text_, "scheme");
    if (!valid_scheme(scheme)) throw InvalidURL(std::string(scheme), "invalid scheme");
    Parts p = parts();
    p.scheme = lower(scheme);
    return assemble(p);
}

URL URL::with_host(std::string_view host) const {
    require_absolute(has_authority_, text_, "host");
    Parts p = parts();
    std::string bracketed = host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]" : "";
    if (!bracketed.empty()) {
        // A zone in a decoded IPv6 host is written "%25" in the URL.
        std::size_t pct = bracketed.find('%');
        if (pct != std::string::npos) bracketed.replace(pct, 1, "%25");
    }
    p.host = parse_host(bracketed.empty() ? host : std::string_view(bracketed), host);
    return assemble(p);
}

URL URL::with_port(std::optional<std::uint16_t> port) const {
    require_absolute(has_authority_, text_, "port");
    Parts p = parts();
    p.port = port;
    return assemble(p);
}

URL URL::with_user(std::optional<std::string_view> user) const {
    require_absolute(has_authority_, text_, "user");
    Parts p = parts();
    if (!user) {
        p.has_user = p.has_password = false;
        p.user.clear();
        p.password.clear();
    } else {
        p.has_user = true;
        p.user = encode(*user, Part::user);
    }
    return assemble(p);
}

URL URL::with_password(std::optional<std::string_view> password) const {
    require_absolute(has_authority_, text_, "password");
    Parts p = parts();
    if (!password) {
        p.has_password = false;
        p.password.clear();
    } else {
        p.has_user = true;
        p.has_password = true;
        p.password = encode(*password, Part::password);
    }
    return assemble(p);
}

}  // namespace aio::http
