// Fuzzes aio::http::URL and the urlencoded helpers.
//
// Input: "<url>\n<reference>" (a newline is never valid in a URL, so it is a
// safe separator). Checks, besides "no crash": parsing throws nothing but
// InvalidURL; a parsed URL's str() parses back to the same URL and holds no
// spaces or control characters; the accessors and derived URLs work; the
// query survives with_query(query()); join() either throws InvalidURL or
// gives a stable URL (and, for a reference that parses alone, the same URL
// from both overloads; the reference itself when it is absolute); quote/unquote and urlencode/parse_qsl round-trip the raw bytes.
#include <aio/http/url.hpp>
#include <aio/http/urlencoded.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

using namespace aio::http;

namespace {

void check(bool ok, const char* what, std::string_view input) {
    if (ok) return;
    std::fprintf(stderr, "check failed: %s\ninput: %.*s\n", what, static_cast<int>(input.size()), input.data());
    std::abort();
}

void check_stable(const URL& u, std::string_view input) {
    const std::string& s = u.str();
    check(s.size() <= URL::kMaxLength, "str() within kMaxLength", input);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        check(c > 0x20 && c < 0x7f, "str() is printable ASCII without spaces", input);
    }
    URL again(s);
    check(again == u, "URL(str()) == URL", input);
    check(again.str() == s, "str() is stable", input);
}

/// join() with a reference that parses alone: the URL and text overloads
/// agree; an absolute reference (scheme and host) gives the reference itself,
/// normalised (RFC 3986 §5.2.2: T = R with its dot segments removed, which
/// parsing a URL with a host already does); an empty reference gives the base
/// without its fragment; a fragment-only reference keeps the rest of the base.
void check_join(const URL& base, std::string_view ref, std::string_view all) {
    URL r;
    try {
        r = URL(ref);
    } catch (const InvalidURL&) {
        return;
    }
    std::optional<URL> by_url, by_text;
    try {
        by_url = base.join(r);
    } catch (const InvalidURL&) {
    }
    try {
        by_text = base.join(ref);
    } catch (const InvalidURL&) {
    }
    check(by_url.has_value() == by_text.has_value(), "join(URL) and join(text) agree on validity", all);
    if (by_url) check(*by_url == *by_text, "join(URL) == join(text)", all);
    if (!r.scheme().empty() && r.is_absolute()) {
        check(by_url.has_value(), "joining an absolute reference succeeds", all);
        check(*by_url == r, "joining an absolute reference gives the reference", all);
    }
    if (ref.empty() && by_url) check(*by_url == base.with_fragment(""), "join(\"\") is the base without fragment", all);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view all(reinterpret_cast<const char*>(data), size);
    std::size_t nl = all.find('\n');
    std::string_view text = all.substr(0, nl);
    std::string_view ref = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);

    // The helpers round-trip any bytes.
    check(unquote(quote(all, "")) == all, "unquote(quote(x)) == x", all);
    check(unquote_plus(quote_plus(all)) == all, "unquote_plus(quote_plus(x)) == x", all);
    MultiDict form{{text, ref}};
    check(parse_qsl(urlencode(form), true) == form, "parse_qsl(urlencode(x)) == x", all);

    URL u;
    try {
        u = URL(text);
    } catch (const InvalidURL&) {
        return 0;
    }
    check_stable(u, text);

    // Accessors must not throw.
    (void)u.user();
    (void)u.password();
    (void)u.host();
    (void)u.port();
    (void)u.is_default_port();
    (void)u.host_port();
    (void)u.path();
    (void)u.query_string();
    (void)u.fragment();
    (void)u.raw_path_qs();
    (void)u.path_qs();
    if (!u.scheme().empty() && !u.raw_host().empty()) check_stable(u.origin(), text);

    MultiDict q = u.query();
    try {
        URL w = u.with_query(q);
        check(w.query() == q, "with_query(query()).query() == query()", text);
        check_stable(w, text);
        check_stable(u.extend_query(MultiDict{{ref, ref}}), text);
    } catch (const InvalidURL&) {
        // The re-encoded query may push the URL over kMaxLength.
    }

    try {
        URL j = u.join(ref);
        check_stable(j, all);
    } catch (const InvalidURL&) {
    }
    check_join(u, ref, all);
    try {
        check_stable(u.with_path(ref), all);
    } catch (const InvalidURL&) {
    }
    try {
        check_stable(u.with_fragment(ref), all);
    } catch (const InvalidURL&) {
    }
    return 0;
}
