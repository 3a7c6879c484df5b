// aio-test-labels: sync
// aio::http::URL (yarl.URL) and the form-urlencoding helpers.
#include <aio/http/url.hpp>
#include <aio/http/urlencoded.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace aio::http;

namespace {

InvalidURL invalid(std::string_view text) {
    try {
        URL u(text);
        ADD_FAILURE() << "accepted " << testing::PrintToString(std::string(text)) << " as " << u.str();
    } catch (const InvalidURL& e) {
        return e;
    }
    throw std::logic_error("unreachable");
}

}  // namespace

TEST(URL, SplitsAnAbsoluteUrlIntoItsParts) {
    URL u("https://user:pa%20ss@Example.COM:8443/a/b%20c/?q=1&r=x+y#frag%21");
    EXPECT_EQ(u.scheme(), "https");
    EXPECT_EQ(u.user(), "user");
    EXPECT_EQ(u.password(), "pa ss");
    EXPECT_EQ(u.raw_password(), "pa%20ss");
    EXPECT_EQ(u.host(), "example.com");
    EXPECT_EQ(u.port(), 8443);
    EXPECT_EQ(u.explicit_port(), 8443);
    EXPECT_FALSE(u.is_default_port());
    EXPECT_EQ(u.path(), "/a/b c/");
    EXPECT_EQ(u.raw_path(), "/a/b%20c/");
    EXPECT_EQ(u.raw_query_string(), "q=1&r=x+y");
    EXPECT_EQ(u.query_string(), "q=1&r=x y");
    EXPECT_EQ(u.fragment(), "frag!");
    EXPECT_EQ(u.raw_path_qs(), "/a/b%20c/?q=1&r=x+y");
    EXPECT_EQ(u.path_qs(), "/a/b c/?q=1&r=x y");
    EXPECT_TRUE(u.is_absolute());
    // %21 is '!', a sub-delimiter: only escapes of unreserved characters are decoded.
    EXPECT_EQ(u.str(), "https://user:pa%20ss@example.com:8443/a/b%20c/?q=1&r=x+y#frag%21");
}

TEST(URL, DefaultPortsComeFromTheScheme) {
    EXPECT_EQ(URL("http://h/").port(), 80);
    EXPECT_EQ(URL("https://h/").port(), 443);
    EXPECT_EQ(URL("ws://h/").port(), 80);
    EXPECT_EQ(URL("wss://h/").port(), 443);
    EXPECT_EQ(URL("ftp://h/").port(), std::nullopt);
    EXPECT_EQ(URL("http://h/").explicit_port(), std::nullopt);
    EXPECT_TRUE(URL("http://h:80/").is_default_port());
    EXPECT_TRUE(URL("http://h/").is_default_port());
    EXPECT_FALSE(URL("https://h:80/").is_default_port());
    EXPECT_EQ(URL("http://h:/").explicit_port(), std::nullopt);
    EXPECT_EQ(URL("http://h:0/").port(), 0);
    EXPECT_EQ(URL("http://h:00080/").port(), 80);
}

TEST(URL, HostPortIsTheHostHeader) {
    EXPECT_EQ(URL("http://Example.com/").host_port(), "example.com");
    EXPECT_EQ(URL("http://example.com:80/").host_port(), "example.com");
    EXPECT_EQ(URL("http://example.com:8080/").host_port(), "example.com:8080");
    EXPECT_EQ(URL("https://[::1]:8443/").host_port(), "[::1]:8443");
    EXPECT_EQ(URL("https://[::1]/").host_port(), "[::1]");
}

TEST(URL, Ipv6Literals) {
    URL u("http://[2001:DB8::1]:8080/x");
    EXPECT_EQ(u.host(), "2001:db8::1");
    EXPECT_EQ(u.raw_host(), "[2001:db8::1]");
    EXPECT_EQ(u.port(), 8080);
    URL z("http://[fe80::1%25eth0]/");
    EXPECT_EQ(z.host(), "fe80::1%eth0");
    EXPECT_EQ(URL("http://[::ffff:1.2.3.4]/").host(), "::ffff:1.2.3.4");
    invalid("http://[::g]/");
    invalid("http://[::1/");
    invalid("http://[::1]x/");
    invalid("http://[1.2.3.4]/");
    invalid("http://[v1.abc]/");
    invalid("http://[fe80::1%eth0]/");
    invalid("http://[fe80::1%25]/");
    invalid("http://[]/");
}

TEST(URL, SchemeAndHostAreLowercasedButNotThePath) {
    URL u("HTTP://WWW.Example.COM/Some/PATH?Q=A");
    EXPECT_EQ(u.str(), "http://www.example.com/Some/PATH?Q=A");
}

TEST(URL, PercentEncodingIsNormalised) {
    EXPECT_EQ(URL("http://h/%7efoo%2d%41").raw_path(), "/~foo-A");
    EXPECT_EQ(URL("http://h/a%2fb%3a").raw_path(), "/a%2Fb%3A");
    EXPECT_EQ(URL("http://h/100%").raw_path(), "/100%25");
    EXPECT_EQ(URL("http://h/%zz").raw_path(), "/%25zz");
    EXPECT_EQ(URL("http://h/caf\xc3\xa9").raw_path(), "/caf%C3%A9");
    EXPECT_EQ(URL("http://h/caf\xc3\xa9").path(), "/caf\xc3\xa9");
    EXPECT_EQ(URL("http://h/a\"b<c>{d}|e\\f^g`").raw_path(), "/a%22b%3Cc%3E%7Bd%7D%7Ce%5Cf%5Eg%60");
    EXPECT_EQ(URL("http://h/p?q=caf\xc3\xa9#fr\xc3\xa9").str(), "http://h/p?q=caf%C3%A9#fr%C3%A9");
    EXPECT_EQ(URL("http://h/p#a#b").raw_fragment(), "a%23b");
    EXPECT_EQ(URL("http://h/p?a=1?b=/:@").raw_query_string(), "a=1?b=/:@");
}

TEST(URL, DecodedPathKeepsEncodedSlashes) {
    URL u("http://h/a%2Fb/c%20d");
    EXPECT_EQ(u.path(), "/a%2Fb/c d");
}

TEST(URL, DotSegmentsAreResolvedInAbsoluteUrls) {
    EXPECT_EQ(URL("http://h/a/b/../c/./d").raw_path(), "/a/c/d");
    EXPECT_EQ(URL("http://h/../../x").raw_path(), "/x");
    EXPECT_EQ(URL("http://h/a/%2e%2e/b").raw_path(), "/b");
    EXPECT_EQ(URL("http://h/a/.").raw_path(), "/a/");
    EXPECT_EQ(URL("http://h").raw_path(), "/");
    EXPECT_EQ(URL("http://h").path(), "/");
    EXPECT_EQ(URL("http://h").str(), "http://h");
    EXPECT_EQ(URL("http://h?x=1").raw_path_qs(), "/?x=1");
    // Relative references keep them, for join().
    EXPECT_EQ(URL("../a/./b").raw_path(), "../a/./b");
}

TEST(URL, QueryIsADecodedMultiDict) {
    URL u("http://h/?a=1&b=x+y%26z&a=2&empty=&flag&&=v");
    MultiDict q = u.query();
    EXPECT_EQ(q.get_all("a"), (std::vector<std::string_view>{"1", "2"}));
    EXPECT_EQ(q.get("b"), "x y&z");
    EXPECT_EQ(q.get("empty"), "");
    EXPECT_EQ(q.get("flag"), "");
    EXPECT_EQ(q.get(""), "v");
    EXPECT_EQ(q.size(), 6u);
}

TEST(URL, EmptyQueryAndFragmentAreDropped) {
    EXPECT_EQ(URL("http://h/p?").str(), "http://h/p");
    EXPECT_EQ(URL("http://h/p#").str(), "http://h/p");
}

TEST(URL, UserInfo) {
    URL u("http://us%65r:p:w@ss@h/");
    EXPECT_EQ(u.user(), "user");
    EXPECT_EQ(u.password(), "p:w@ss");
    EXPECT_EQ(u.str(), "http://user:p:w%40ss@h/");
    URL n("http://h/");
    EXPECT_EQ(n.user(), std::nullopt);
    EXPECT_EQ(n.password(), std::nullopt);
    URL e("http://@h/");
    EXPECT_EQ(e.user(), "");
    EXPECT_EQ(e.password(), std::nullopt);
}

TEST(URL, RelativeReferences) {
    URL r("/path/x?y=1#f");
    EXPECT_FALSE(r.is_absolute());
    EXPECT_EQ(r.scheme(), "");
    EXPECT_EQ(r.host(), "");
    EXPECT_EQ(r.path(), "/path/x");
    EXPECT_EQ(r.query().get("y"), "1");
    URL n("//host:81/p");
    EXPECT_TRUE(n.is_absolute());
    EXPECT_EQ(n.host(), "host");
    EXPECT_EQ(n.port(), 81);
    EXPECT_EQ(URL("").str(), "");
    EXPECT_EQ(URL().str(), "");
}

TEST(URL, OtherSchemes) {
    URL m("mailto:someone@example.com");
    EXPECT_EQ(m.scheme(), "mailto");
    EXPECT_EQ(m.path(), "someone@example.com");
    URL f("file:///etc/hosts");
    EXPECT_EQ(f.host(), "");
    EXPECT_EQ(f.path(), "/etc/hosts");
    EXPECT_EQ(f.str(), "file:///etc/hosts");
}

TEST(URL, RejectsSpacesAndControlCharacters) {
    EXPECT_NE(invalid("http://h/a b").description().find("space"), std::string::npos);
    for (std::string s : std::vector<std::string>{"http://h/\t", "http://h/\n", "http://h/\r", std::string("http://h/\0", 10), "http://h/\x7f",
                          " http://h/", "http://h/ "}) {
        SCOPED_TRACE(testing::PrintToString(s));
        invalid(s);
    }
}

TEST(URL, RejectsBadPorts) {
    EXPECT_NE(invalid("http://h:abc/").description().find("port"), std::string::npos);
    invalid("http://h:65536/");
    invalid("http://h:99999999999999999999/");
    invalid("http://h:-1/");
    invalid("http://h:1:2/");
    invalid("http://h: 80/");
    EXPECT_EQ(URL("http://h:65535/").port(), 65535);
}

TEST(URL, RejectsHttpWithoutHost) {
    invalid("http://");
    invalid("http:///path");
    invalid("http:/path");
    invalid("https:path");
    invalid("ws://:80/");
    invalid("http://user@/");
}

TEST(URL, RejectsBadHosts) {
    EXPECT_NE(invalid("http://b\xc3\xbc\x63her.example/").description().find("IDNA"), std::string::npos);
    invalid("http://a!b/");
    invalid("http://a%20b/");
    invalid("http://a*b/");
    invalid("http://a,b/");
    EXPECT_EQ(URL("http://xn--bcher-kva.example/").host(), "xn--bcher-kva.example");
    EXPECT_EQ(URL("http://under_score.example/").host(), "under_score.example");
}

TEST(URL, RejectsOverlongInput) {
    std::string ok = "http://h/" + std::string(URL::kMaxLength - 9, 'a');
    EXPECT_EQ(URL(ok).str().size(), URL::kMaxLength);
    InvalidURL e = invalid(ok + "a");
    EXPECT_EQ(e.url().size(), URL::kMaxLength + 1);  // the whole input is kept...
    EXPECT_LT(std::string(e.what()).size(), 400u);   // ...but the message quotes only its start
}

TEST(URL, InvalidUrlIsAValueErrorCarryingTheUrl) {
    try {
        URL u("http://h:x/");
        FAIL();
    } catch (const aio::ValueError& e) {
        auto* inv = dynamic_cast<const InvalidURL*>(&e);
        ASSERT_NE(inv, nullptr);
        EXPECT_EQ(inv->url(), "http://h:x/");
        EXPECT_NE(std::string(e.what()).find("http://h:x/"), std::string::npos);
    }
}

TEST(URL, StrIsStableUnderReparsing) {
    for (std::string s : {"HTTP://U:P@H:80/a/../b/%7e?q=%7e+x#f%7e", "http://h", "//h/x", "../a?b#c",
                          "http://[::1]:1/", "http://h/%2e%2E/x", "g:h", "http://h/a%", "x:/.//y"}) {
        URL u(s);
        EXPECT_EQ(URL(u.str()).str(), u.str()) << s;
        EXPECT_EQ(URL(u.str()), u);
    }
}

TEST(URL, PathsThatWouldReadBackAsHostOrSchemeAreEscaped) {
    // Without a host, a path may not start with "//"; without a scheme, its
    // first segment may not hold ':'. "/." and "./" keep the meaning.
    URL j = URL("a:b/c").join("..//x");
    EXPECT_EQ(j.str(), "a:/.//x");
    EXPECT_EQ(URL(j.str()), j);
    URL p = URL("x").with_path("a:b");
    EXPECT_EQ(p.str(), "./a:b");
    EXPECT_EQ(URL(p.str()).scheme(), "");
}

TEST(URL, Origin) {
    EXPECT_EQ(URL("https://u:p@Example.com:8443/a?b#c").origin().str(), "https://example.com:8443");
    EXPECT_EQ(URL("http://h/x").origin().str(), "http://h");
    EXPECT_THROW(URL("/relative").origin(), InvalidURL);
}

// RFC 3986 §5.4: every example, against its base.
TEST(URLJoin, Rfc3986NormalExamples) {
    URL base("http://a/b/c/d;p?q");
    std::vector<std::pair<std::string, std::string>> cases = {
        {"g:h", "g:h"},
        {"g", "http://a/b/c/g"},
        {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"},
        {"//g", "http://g"},
        {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},
        {"#s", "http://a/b/c/d;p?q#s"},
        {"g#s", "http://a/b/c/g#s"},
        {"g?y#s", "http://a/b/c/g?y#s"},
        {";x", "http://a/b/c/;x"},
        {"g;x", "http://a/b/c/g;x"},
        {"g;x?y#s", "http://a/b/c/g;x?y#s"},
        {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},
        {"./", "http://a/b/c/"},
        {"..", "http://a/b/"},
        {"../", "http://a/b/"},
        {"../g", "http://a/b/g"},
        {"../..", "http://a/"},
        {"../../", "http://a/"},
        {"../../g", "http://a/g"},
    };
    for (auto& [ref, want] : cases) {
        EXPECT_EQ(base.join(ref).str(), want) << ref;
        EXPECT_EQ(base.join(URL(ref)).str(), want) << ref;
    }
}

TEST(URLJoin, Rfc3986AbnormalExamples) {
    URL base("http://a/b/c/d;p?q");
    std::vector<std::pair<std::string, std::string>> cases = {
        {"../../../g", "http://a/g"},
        {"../../../../g", "http://a/g"},
        {"/./g", "http://a/g"},
        {"/../g", "http://a/g"},
        {"g.", "http://a/b/c/g."},
        {".g", "http://a/b/c/.g"},
        {"g..", "http://a/b/c/g.."},
        {"..g", "http://a/b/c/..g"},
        {"./../g", "http://a/b/g"},
        {"./g/.", "http://a/b/c/g/"},
        {"g/./h", "http://a/b/c/g/h"},
        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
        {"g;x=1/../y", "http://a/b/c/y"},
        {"g?y/./x", "http://a/b/c/g?y/./x"},
        {"g?y/../x", "http://a/b/c/g?y/../x"},
        {"g#s/./x", "http://a/b/c/g#s/./x"},
        {"g#s/../x", "http://a/b/c/g#s/../x"},
        // RFC 3986 strict parsers give "http:g"; like urljoin, aio treats it as relative.
        {"http:g", "http://a/b/c/g"},
    };
    for (auto& [ref, want] : cases) EXPECT_EQ(base.join(ref).str(), want) << ref;
}

TEST(URLJoin, RedirectsAndBaseUrls) {
    URL base("http://api.example.com/v1/");
    EXPECT_EQ(base.join("users?id=3").str(), "http://api.example.com/v1/users?id=3");
    EXPECT_EQ(base.join("/health").str(), "http://api.example.com/health");
    EXPECT_EQ(base.join("https://other.example/x").str(), "https://other.example/x");
    EXPECT_EQ(URL("http://h").join("x").str(), "http://h/x");
    EXPECT_EQ(URL("https://h/a").join("//cdn.example/lib.js").str(), "https://cdn.example/lib.js");
    EXPECT_THROW(URL("http://h/").join("https:x"), InvalidURL);
    EXPECT_THROW(URL("http://h/").join("http://h:bad/"), InvalidURL);
}

TEST(URL, WithQueryEncodesLikeYarl) {
    URL u("http://h/p?old=1#f");
    URL q = u.with_query(MultiDict{{"q", "a b&c=d/e+f"}, {"k", "caf\xc3\xa9"}, {"k", "!$'()*,?:@;#%"}});
    EXPECT_EQ(q.raw_query_string(), "q=a+b%26c%3Dd/e%2Bf&k=caf%C3%A9&k=!$'()*,?:@%3B%23%25");
    EXPECT_EQ(q.raw_fragment(), "f");
    EXPECT_EQ(q.query().get("q"), "a b&c=d/e+f");
    EXPECT_EQ(q.query().get_all("k").back(), "!$'()*,?:@;#%");
    EXPECT_THROW(u.with_query("a=b c"), InvalidURL);
}

TEST(URL, WithQueryStringReplacesOrRemoves) {
    URL u("http://h/p?old=1");
    EXPECT_EQ(u.with_query(std::string_view("x=%7e&y")).str(), "http://h/p?x=~&y");
    EXPECT_EQ(u.with_query(std::string_view("")).str(), "http://h/p");
    EXPECT_THROW(u.with_query(std::string_view("a#b")), InvalidURL);
}

TEST(URL, UpdateQueryReplacesKeysAndExtendQueryAppends) {
    URL u("http://h/p?a=1&b=2&a=3");
    EXPECT_EQ(u.update_query(MultiDict{{"a", "x"}, {"c", "y z"}}).raw_query_string(), "a=x&b=2&c=y+z");
    EXPECT_EQ(u.extend_query(MultiDict{{"a", "4"}}).raw_query_string(), "a=1&b=2&a=3&a=4");
    EXPECT_EQ(URL("http://h/").extend_query(MultiDict{{"k", "v"}}).str(), "http://h/?k=v");
    EXPECT_EQ(u.extend_query(MultiDict{}).str(), u.str());
}

TEST(URL, WithComponents) {
    URL u("http://user:pw@h:81/a/b?q#f");
    EXPECT_EQ(u.with_path("/x y/100%").str(), "http://user:pw@h:81/x%20y/100%25");
    EXPECT_EQ(u.with_path("/x%20y", true).str(), "http://user:pw@h:81/x%20y");
    EXPECT_EQ(u.with_path("rel").raw_path(), "/rel");
    EXPECT_EQ(u.with_fragment("a b").str(), "http://user:pw@h:81/a/b?q#a%20b");
    EXPECT_EQ(u.with_fragment("").str(), "http://user:pw@h:81/a/b?q");
    EXPECT_EQ(u.with_scheme("HTTPS").str(), "https://user:pw@h:81/a/b?q#f");
    EXPECT_EQ(u.with_host("Example.org").host(), "example.org");
    EXPECT_EQ(u.with_host("::1").raw_host(), "[::1]");
    EXPECT_THROW(u.with_host("bad host"), InvalidURL);
    EXPECT_EQ(u.with_port(std::nullopt).str(), "http://user:pw@h/a/b?q#f");
    EXPECT_EQ(u.with_port(8080).port(), 8080);
    EXPECT_EQ(u.with_user(std::nullopt).str(), "http://h:81/a/b?q#f");
    EXPECT_EQ(u.with_user("a@b").str(), "http://a%40b:pw@h:81/a/b?q#f");
    EXPECT_EQ(u.with_password(std::nullopt).str(), "http://user@h:81/a/b?q#f");
    EXPECT_EQ(URL("http://h/").with_password("s:cret").str(), "http://:s:cret@h/");
    EXPECT_THROW(URL("/rel").with_host("h"), InvalidURL);
    EXPECT_THROW(URL("/rel").with_scheme("http"), InvalidURL);
    EXPECT_THROW(u.with_scheme("1http"), InvalidURL);
}

// ---------------------------------------------------------------------------
// urlencoded.hpp

TEST(Urlencoded, QuoteAndUnquote) {
    EXPECT_EQ(quote("a b/c?d=e~"), "a%20b/c%3Fd%3De~");
    EXPECT_EQ(quote("a b/c", ""), "a%20b%2Fc");
    EXPECT_EQ(quote_plus("a b/c+d"), "a+b%2Fc%2Bd");
    EXPECT_EQ(quote("caf\xc3\xa9"), "caf%C3%A9");
    EXPECT_EQ(unquote("a%20b%2fc%zz%"), "a b/c%zz%");
    EXPECT_EQ(unquote("a+b"), "a+b");
    EXPECT_EQ(unquote_plus("a+b%2B"), "a b+");
    EXPECT_EQ(unquote("%00%ff"), std::string("\0\xff", 2));
}

TEST(Urlencoded, UrlencodeEncodesFormFields) {
    EXPECT_EQ(urlencode(MultiDict{{"name", "Zo\xc3\xab"}, {"q", "a b&c"}, {"q", "/~._-*"}}),
              "name=Zo%C3%AB&q=a+b%26c&q=%2F~._-%2A");
    EXPECT_EQ(urlencode(MultiDict{}), "");
    EXPECT_EQ(urlencode(MultiDict{{"", ""}}), "=");
}

TEST(Urlencoded, ParseQslDecodesFormBodies) {
    MultiDict d = parse_qsl("a=1&b=x+y%21&a=2&&c&d=&=e", true);
    std::vector<std::pair<std::string, std::string>> items;
    for (auto [k, v] : d) items.emplace_back(k, v);
    EXPECT_EQ(items, (std::vector<std::pair<std::string, std::string>>{
                         {"a", "1"}, {"b", "x y!"}, {"a", "2"}, {"c", ""}, {"d", ""}, {"", "e"}}));
    MultiDict strict = parse_qsl("a=1&c&d=", false);
    EXPECT_EQ(strict.size(), 1u);
    EXPECT_EQ(parse_qsl("k=a=b").get("k"), "a=b");
    EXPECT_EQ(parse_qsl("").size(), 0u);
}

TEST(Urlencoded, RoundTrips) {
    MultiDict fields{{"x y", "1+1=2"}, {"\xff\x01", "&&"}, {"k", ""}};
    EXPECT_EQ(parse_qsl(urlencode(fields), true), fields);
}
