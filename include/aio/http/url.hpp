// aio/http/url.hpp — aio::http::URL: parsed, normalised, immutable URLs (yarl.URL).
//
//     aio::http::URL u("https://user@Example.COM/a/./b/../c%7e?q=a+b&q=2#top");
//     u.scheme();        // "https"
//     u.host();          // "example.com"
//     u.port();          // 443 (the scheme's default)
//     u.path();          // "/a/c~"
//     u.query().get_all("q");   // {"a b", "2"}
//     u.raw_path_qs();   // "/a/c~?q=a+b&q=2": the request-target
//     u.join(URL("../x")).str();  // "https://user@example.com/x"
//
// A URL is a value: copies are independent, every `with_*` returns a new URL.
// It holds one normalised string and the positions of its parts, so copying
// costs one string copy.
//
// Normalisation, done once when parsing (RFC 3986 §6.2.2, as yarl does):
//   - scheme and host are lowercased;
//   - percent-encodings get uppercase hex; those of unreserved characters
//     (A-Z a-z 0-9 - . _ ~) are decoded ("%7e" becomes "~");
//   - bytes not allowed in their part (non-ASCII, `"<>\^`{|}`, a '%' not
//     followed by two hex digits) are percent-encoded as UTF-8 bytes are;
//   - in a URL with a host, "." and ".." path segments are resolved;
//   - an empty query ("?") or fragment ("#") is dropped.
//
// Refused with aio::http::InvalidURL (which carries the input): spaces and
// control characters anywhere (encode them as %20 ...), more than kMaxLength
// bytes, a port that is not a number in 0..65535, a host with characters other
// than letters, digits, '-', '.', '_', '~' (non-ASCII hosts need IDNA, which
// aio does not do: pass the "xn--" form), a bad IPv6 literal, and an http,
// https, ws or wss URL without a host. Relative references ("/path", "../x",
// "?q=1") are valid URLs with no scheme and no host, ready for join().
// Every function returning a URL throws InvalidURL when the result would be
// one of the above (say, join() giving an http URL without a host).
#pragma once

#include <aio/http/errors.hpp>
#include <aio/http/multidict.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aio::http {

/// A parsed URL (yarl.URL).
class URL {
public:
    /// The longest URL accepted, in bytes. Far above what servers take in a
    /// request line (8 KiB by default) or browsers send; a bound on the work
    /// and memory an untrusted URL (a redirect's Location) can cost.
    static constexpr std::size_t kMaxLength = 65536;

    /// The empty relative URL "".
    URL() = default;
    /// Parses and normalises `text`, absolute or relative. Throws InvalidURL.
    explicit URL(std::string_view text);

    /// The whole URL, normalised and encoded (`str(url)`).
    const std::string& str() const noexcept { return text_; }
    /// True when the URL has a host ("http://h/..", "//h/.."): yarl's is_absolute().
    bool is_absolute() const noexcept { return has_authority_; }

    /// The scheme, lowercase ("https"), or "" for a relative URL.
    std::string_view scheme() const noexcept { return part(scheme_); }
    /// The user name, decoded, if the URL has one.
    std::optional<std::string> user() const;
    /// The user name as written (percent-encoded).
    std::optional<std::string_view> raw_user() const;
    /// The password, decoded, if the URL has one.
    std::optional<std::string> password() const;
    /// The password as written.
    std::optional<std::string_view> raw_password() const;
    /// The host, lowercase; an IPv6 literal without brackets ("::1", with a zone
    /// as "fe80::1%eth0"); "" when there is none.
    std::string host() const;
    /// The host as in the URL: IPv6 literals keep their brackets ("[::1]").
    std::string_view raw_host() const noexcept { return part(host_); }
    /// The port given in the URL, if any (yarl's explicit_port).
    std::optional<std::uint16_t> explicit_port() const noexcept { return port_; }
    /// The port given, else the scheme's default (80 for http and ws, 443 for
    /// https and wss); nullopt for other schemes without a port.
    std::optional<std::uint16_t> port() const noexcept;
    /// True when no port is given or it is the scheme's default (yarl's is_default_port()).
    bool is_default_port() const noexcept;
    /// The host and, unless it is the default, the port: the value of the Host
    /// header ("example.com", "example.com:8080", "[::1]:8443"). yarl's
    /// host_port_subcomponent.
    std::string host_port() const;

    /// The path, percent-decoded, except "%2F", which stays encoded so that the
    /// decoded path still splits into the segments that were sent. "/" for a
    /// URL with a host and an empty path.
    std::string path() const;
    /// The path as encoded in the URL ("/a%20b"); "/" for a URL with a host and an empty path.
    std::string_view raw_path() const noexcept;
    /// The query string as encoded, without '?' ("a=1&b=x+y").
    std::string_view raw_query_string() const noexcept { return part(query_); }
    /// The query string decoded ('+' is a space).
    std::string query_string() const;
    /// The query parameters, decoded ('+' is a space), in order; a parameter
    /// without '=' has an empty value (yarl's query, a MultiDict).
    MultiDict query() const;
    /// The fragment as encoded, without '#'.
    std::string_view raw_fragment() const noexcept { return part(fragment_); }
    /// The fragment decoded.
    std::string fragment() const;
    /// raw_path and, if any, '?' and the raw query: the request-target of an
    /// HTTP request (yarl's raw_path_qs).
    std::string raw_path_qs() const;
    /// The decoded path and query (yarl's path_qs).
    std::string path_qs() const;

    /// scheme://host[:port] with nothing else (yarl's origin()). Throws
    /// InvalidURL for a URL without scheme or host.
    URL origin() const;
    /// Resolves `reference` against this URL as a base (RFC 3986 §5.2; yarl's
    /// join, urllib's urljoin): "../x", "?q", "//other/p", "https://x/".
    /// As urljoin does, a reference with this URL's scheme and no host ("http:g")
    /// counts as relative. Throws InvalidURL when the result is invalid.
    URL join(const URL& reference) const;
    /// join() with a reference given as text. The reference itself may be one
    /// that is not a valid URL alone ("http:g"); only the result must be.
    URL join(std::string_view reference) const;

    /// This URL with its query replaced by `params`, encoded as yarl encodes
    /// them: space as '+', and '&', '=', '+', ';', '#', '%' percent-encoded.
    URL with_query(const MultiDict& params) const;
    /// This URL with its query replaced by `query` (encoded text, normalised
    /// like the rest of a URL; "" removes the query).
    URL with_query(std::string_view query) const;
    /// This URL with the keys of `params` set to their values there, replacing
    /// the values of those keys and keeping the other parameters (yarl's update_query).
    URL update_query(const MultiDict& params) const;
    /// This URL with `params` appended to its query (yarl's extend_query):
    /// what aiohttp does with a request's `params`.
    URL extend_query(const MultiDict& params) const;
    /// This URL with another path, given decoded ('%' is a literal percent)
    /// unless `encoded`; query and fragment are dropped, as yarl does.
    URL with_path(std::string_view path, bool encoded = false) const;
    /// This URL with another fragment, given decoded ("" removes it).
    URL with_fragment(std::string_view fragment) const;
    /// This URL with another scheme (yarl's with_scheme).
    URL with_scheme(std::string_view scheme) const;
    /// This URL with another host (ASCII; an IPv6 address without brackets).
    URL with_host(std::string_view host) const;
    /// This URL with another port, or none.
    URL with_port(std::optional<std::uint16_t> port) const;
    /// This URL with another user name (given decoded), or none: removing the
    /// user removes the password too.
    URL with_user(std::optional<std::string_view> user) const;
    /// This URL with another password (given decoded), or none.
    URL with_password(std::optional<std::string_view> password) const;

    /// Equal when their normalised forms are equal.
    friend bool operator==(const URL& a, const URL& b) noexcept { return a.text_ == b.text_; }

private:
    struct Range {
        std::uint32_t pos = 0;
        std::uint32_t len = 0;
    };
    struct Parts;
    static Parts parse(std::string_view text);
    static URL assemble(const Parts& parts);
    Parts parts() const;
    std::string_view part(Range r) const noexcept { return std::string_view(text_).substr(r.pos, r.len); }

    std::string text_;
    Range scheme_, user_, password_, host_, path_, query_, fragment_;
    std::optional<std::uint16_t> port_;
    bool has_authority_ = false;
    bool has_user_ = false;
    bool has_password_ = false;
};

}  // namespace aio::http
