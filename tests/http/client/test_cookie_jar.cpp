// aio-test-labels: sync
// CookieJar: RFC 6265 domain, path, expiry and secure rules, and date parsing.
#include <gtest/gtest.h>

#include <aio/exceptions.hpp>
#include <aio/http/client/cookie_jar.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace http = aio::http;

TEST(CookieJar, HostOnlyAndDomainCookies) {
    http::CookieJar jar;
    jar.update_cookies({"a=1", "b=2; Domain=example.com", "c=3; Domain=other.org"},
                       http::URL("http://www.example.com/"));
    EXPECT_EQ(jar.size(), 2u);  // c: a Domain the host does not match is refused
    EXPECT_EQ(jar.filter_cookies(http::URL("http://www.example.com/")), "a=1; b=2");
    EXPECT_EQ(jar.filter_cookies(http::URL("http://example.com/")), "b=2");
    EXPECT_EQ(jar.filter_cookies(http::URL("http://sub.www.example.com/")), "b=2");
    EXPECT_EQ(jar.filter_cookies(http::URL("http://badexample.com/")), "");
}

TEST(CookieJar, PathsMatchAtSlashBoundariesLongestFirst) {
    http::CookieJar jar;
    jar.update_cookies({"root=1; Path=/", "docs=2; Path=/docs", "dflt=3"}, http::URL("http://h.test/docs/a/page"));
    EXPECT_EQ(jar.filter_cookies(http::URL("http://h.test/docs/a/x")), "dflt=3; docs=2; root=1");
    EXPECT_EQ(jar.filter_cookies(http::URL("http://h.test/docsx")), "root=1");
    EXPECT_EQ(jar.filter_cookies(http::URL("http://h.test/docs")), "docs=2; root=1");
}

TEST(CookieJar, ExpiryMaxAgeWinsAndPastDatesDelete) {
    http::CookieJar jar;
    jar.update_cookies({"old=1; Expires=Wed, 09 Jun 2001 10:18:14 GMT", "future=2; Expires=Wed, 09 Jun 2100 10:18:14 GMT",
                        "both=3; Expires=Wed, 09 Jun 2001 10:18:14 GMT; Max-Age=100", "zero=4; Max-Age=0"},
                       http::URL("http://h.test/"));
    EXPECT_EQ(jar.filter_cookies(http::URL("http://h.test/")), "future=2; both=3");
    jar.update_cookies({"future=x; Max-Age=-1"}, http::URL("http://h.test/"));
    EXPECT_EQ(jar.filter_cookies(http::URL("http://h.test/")), "both=3");
}

TEST(CookieJar, SecureCookiesOnlyOverHttpsAndIpHostsNeedUnsafe) {
    http::CookieJar jar;
    jar.update_cookies({"s=1; Secure", "p=2"}, http::URL("https://h.test/"));
    EXPECT_EQ(jar.filter_cookies(http::URL("http://h.test/")), "p=2");
    EXPECT_EQ(jar.filter_cookies(http::URL("https://h.test/")), "s=1; p=2");
    jar.update_cookies({"ip=1"}, http::URL("http://127.0.0.1/"));
    EXPECT_EQ(jar.filter_cookies(http::URL("http://127.0.0.1/")), "");
    http::CookieJar unsafe(true);
    unsafe.update_cookies({"ip=1"}, http::URL("http://127.0.0.1/"));
    EXPECT_EQ(unsafe.filter_cookies(http::URL("http://127.0.0.1/")), "ip=1");
}

TEST(CookieJar, DatesInTheFormsRfc6265Accepts) {
    using namespace std::chrono;
    auto expect = sys_days{year{2021} / 6 / 9} + hours(10) + minutes(18) + seconds(14);
    for (const char* text : {"Wed, 09 Jun 2021 10:18:14 GMT", "Wednesday, 09-Jun-21 10:18:14 GMT",
                             "Wed Jun  9 10:18:14 2021", "9 jun 2021 10:18:14"}) {
        auto t = http::CookieJar::parse_date(text);
        ASSERT_TRUE(t.has_value()) << text;
        EXPECT_EQ(*t, expect) << text;
    }
    EXPECT_FALSE(http::CookieJar::parse_date("not a date").has_value());
    EXPECT_FALSE(http::CookieJar::parse_date("Wed, 32 Jun 2021 10:18:14 GMT").has_value());
}

TEST(CookieJar, MaxAgeWithLeadingZerosOrAPlusSignIsItsNumber) {
    using namespace std::chrono;
    http::CookieJar jar;
    http::URL site("http://h.test/");
    jar.update_cookies({"zero=1", "five=1", "plus=1"}, site);
    // Thirteen zeros are 0 (delete), not "too many digits, so huge".
    jar.update_cookies({"zero=1; Max-Age=0000000000000", "five=1; Max-Age=0000000000000005", "plus=1; Max-Age=+5"},
                       site);
    EXPECT_EQ(jar.filter_cookies(site), "five=1; plus=1");
    const auto soon = system_clock::now() + seconds(6);
    for (const http::Cookie& c : jar.cookies()) {
        ASSERT_TRUE(c.expires.has_value()) << c.name;
        EXPECT_LT(*c.expires, soon) << c.name;
    }
    // Many digits are still saturated, not wrapped.
    jar.update_cookies({"long=1; Max-Age=99999999999999999999", "gone=1; Max-Age=-99999999999999999999"}, site);
    EXPECT_EQ(jar.filter_cookies(site), "five=1; plus=1; long=1");
}

TEST(CookieJar, ADateThatDoesNotExistIsNoDate) {
    using namespace std::chrono;
    for (const char* text : {"Sat, 31 Feb 2030 10:00:00 GMT", "29 Feb 2031 10:00:00", "31 Apr 2031 10:00:00"})
        EXPECT_FALSE(http::CookieJar::parse_date(text).has_value()) << text;
    auto leap = http::CookieJar::parse_date("29 Feb 2028 10:00:00");
    ASSERT_TRUE(leap.has_value());
    EXPECT_EQ(*leap, sys_days{year{2028} / 2 / 29} + hours(10));
    // The Expires attribute is then ignored: a session cookie.
    http::CookieJar jar;
    jar.update_cookies({"a=1; Expires=Sat, 31 Feb 2030 10:00:00 GMT"}, http::URL("http://h.test/"));
    ASSERT_EQ(jar.cookies().size(), 1u);
    EXPECT_FALSE(jar.cookies()[0].expires.has_value());
}

TEST(CookieJar, NameValuePairsThatWouldBreakTheCookieHeaderAreAValueError) {
    http::CookieJar jar;
    http::URL site("http://h.test/");
    const std::pair<std::string, std::string> bad[] = {
        {"n", "v\r\nX-Injected: 1"}, {"bad\r\nname", "v"}, {"", "v"}, {"semi;colon", "v"},
        {"n", "a; admin=1"},          {"sp ace", "v"},       {"n", std::string("v\0v", 3)}, {"n", "v\x7f"},
    };
    for (const auto& [name, value] : bad) {
        aio::http::MultiDict pairs;
        pairs.add("fine", "1");
        pairs.add(name, value);
        EXPECT_THROW(jar.update_cookies(pairs, site), aio::ValueError) << name << "=" << value;
    }
    EXPECT_EQ(jar.size(), 0u);  // a refused call stores none of its pairs
    aio::http::MultiDict good;
    good.add("ok:name", "a b,\"c\"");
    jar.update_cookies(good, site);
    EXPECT_EQ(jar.filter_cookies(site), "ok:name=a b,\"c\"");
}

TEST(CookieJar, APublicSuffixDomainIsRefusedUnlessItIsTheHostItself) {
    http::CookieJar jar;
    jar.update_cookies({"tld=1; Domain=com", "cc=2; Domain=.co.uk", "gh=3; Domain=github.io", "ok=4; Domain=example.co.uk"},
                       http::URL("https://www.example.co.uk/"));
    jar.update_cookies({"gh=3; Domain=github.io", "mine=5; Domain=user.github.io"},
                       http::URL("https://user.github.io/"));
    jar.update_cookies({"tld=1; Domain=com"}, http::URL("https://shop.example.com/"));
    // Neither example.com nor another github.io site sees them.
    EXPECT_EQ(jar.filter_cookies(http::URL("https://other.com/")), "");
    EXPECT_EQ(jar.filter_cookies(http::URL("https://evil.co.uk/")), "");
    EXPECT_EQ(jar.filter_cookies(http::URL("https://evil.github.io/")), "");
    EXPECT_EQ(jar.filter_cookies(http::URL("https://a.example.co.uk/")), "ok=4");
    EXPECT_EQ(jar.filter_cookies(http::URL("https://user.github.io/")), "mine=5");
    EXPECT_EQ(jar.size(), 2u);
    // A host that is itself a public suffix gets a host-only cookie (RFC 6265 §5.3 step 5).
    http::CookieJar self;
    self.update_cookies({"s=1; Domain=github.io"}, http::URL("https://github.io/"));
    EXPECT_EQ(self.filter_cookies(http::URL("https://github.io/")), "s=1");
    EXPECT_EQ(self.filter_cookies(http::URL("https://x.github.io/")), "");
    ASSERT_EQ(self.cookies().size(), 1u);
    EXPECT_TRUE(self.cookies()[0].host_only);
}

TEST(CookieJar, SecureCookiesComeOnlyFromHttpsAndHttpCannotTouchThem) {
    http::CookieJar jar;
    jar.update_cookies({"s=from-http; Secure"}, http::URL("http://h.example/"));
    EXPECT_EQ(jar.size(), 0u);
    jar.update_cookies({"sid=secret; Secure; Domain=h.example"}, http::URL("https://h.example/"));
    // http may not overwrite, delete or shadow it (same name, overlapping domain, covering path).
    jar.update_cookies({"sid=forged"}, http::URL("http://h.example/"));
    jar.update_cookies({"sid=gone; Max-Age=0; Domain=h.example"}, http::URL("http://h.example/"));
    jar.update_cookies({"sid=shadow; Path=/account"}, http::URL("http://www.h.example/"));
    EXPECT_EQ(jar.filter_cookies(http::URL("https://www.h.example/account")), "sid=secret");
    EXPECT_EQ(jar.filter_cookies(http::URL("http://www.h.example/account")), "");
    // Other names, and https itself, are fine.
    jar.update_cookies({"other=1"}, http::URL("http://h.example/"));
    jar.update_cookies({"sid=rotated; Secure; Domain=h.example"}, http::URL("https://h.example/"));
    EXPECT_EQ(jar.filter_cookies(http::URL("https://h.example/")), "sid=rotated; other=1");
}

TEST(CookieJar, SizeIsCappedPerDomainAndInAllEvictingTheLeastRecentlyUsed) {
    http::CookieJar jar;
    const std::size_t per = http::CookieJar::kMaxCookiesPerDomain;
    http::URL site("http://www.example.com/");
    jar.update_cookies({"first=1"}, site);
    http::URL other("http://other.example.com/");
    jar.update_cookies({"second=2"}, other);
    for (std::size_t i = 0; i + 2 < per; ++i)
        jar.update_cookies({"c" + std::to_string(i) + "=v"}, http::URL("http://h" + std::to_string(i % 3) + ".example.com/"));
    EXPECT_EQ(jar.size(), per);
    // Sending "first" makes "second" the least recently used of example.com.
    EXPECT_NE(jar.filter_cookies(site).find("first=1"), std::string::npos);
    jar.update_cookies({"one_more=1"}, site);
    EXPECT_EQ(jar.size(), per);
    std::string sent = jar.filter_cookies(site);
    EXPECT_NE(sent.find("first=1"), std::string::npos) << sent;
    EXPECT_NE(sent.find("one_more=1"), std::string::npos) << sent;
    EXPECT_EQ(jar.filter_cookies(other), "");  // "second" was evicted
    // Another registrable domain is counted apart.
    jar.update_cookies({"x=1"}, http::URL("http://example.org/"));
    EXPECT_EQ(jar.size(), per + 1);

    // The jar's cap: 3000 cookies over many domains, the oldest go.
    http::CookieJar all;
    const std::size_t cap = http::CookieJar::kMaxCookies;
    for (std::size_t i = 0; i < cap + 10; ++i)
        all.update_cookies({"k=" + std::to_string(i)}, http::URL("http://d" + std::to_string(i) + ".example/"));
    EXPECT_EQ(all.size(), cap);
    EXPECT_EQ(all.filter_cookies(http::URL("http://d0.example/")), "");
    EXPECT_EQ(all.filter_cookies(http::URL("http://d9.example/")), "");
    EXPECT_EQ(all.filter_cookies(http::URL("http://d10.example/")), "k=10");

    // An oversized cookie is ignored.
    http::CookieJar sized;
    sized.update_cookies({"big=" + std::string(http::CookieJar::kMaxCookieBytes, 'x'), "fits=" + std::string(100, 'y')},
                         http::URL("http://h.example/"));
    EXPECT_EQ(sized.size(), 1u);
}
