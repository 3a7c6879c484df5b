// CookieJar: RFC 6265 domain, path, expiry and secure rules, and date parsing.
#include <gtest/gtest.h>

#include <aio/http/client/cookie_jar.hpp>

#include <chrono>

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
