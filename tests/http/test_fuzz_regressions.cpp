// aio-test-labels: sync
// Behaviours pinned by inputs the fuzz targets found (fuzz/compression_fuzz.cpp,
// fuzz/cookie_jar_fuzz.cpp).
#include <aio/http/client/cookie_jar.hpp>
#include <aio/http/compression.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace aio::http;

namespace {

/// `data` as raw deflate (no zlib header), as some servers send "deflate".
std::string raw_deflate(std::string_view data) {
    std::string zlib = compress(data, Coding::deflate);
    return zlib.substr(2, zlib.size() - 6);  // drop the 2-byte header and the Adler-32
}

}  // namespace

// A decoder that passes its limit throws before handing out more than the
// limit (it used to append a whole 64 KiB step first).
TEST(FuzzRegressions, DecoderOutputNeverPassesTheLimit) {
    for (Coding c : {Coding::gzip, Coding::deflate, Coding::br}) {
        std::string bomb = compress(std::string(200000, 'a'), c);
        Decoder d(c, 1000);
        std::string out;
        EXPECT_THROW(d.feed(bomb, out), ContentEncodingError) << coding_name(c);
        EXPECT_LE(out.size(), 1000u) << coding_name(c);
    }
}

// Raw deflate fed in pieces decodes as when fed whole: the retry as raw
// deflate starts from the first byte, not from the piece where zlib failed.
TEST(FuzzRegressions, RawDeflateInPiecesDecodesLikeWhole) {
    const std::string text = "The quick brown fox jumps over the lazy dog. The quick brown fox.";
    const std::string raw = raw_deflate(text);
    EXPECT_EQ(decompress(raw, Coding::deflate), text);
    for (std::size_t cut = 1; cut < raw.size(); ++cut) {
        Decoder d(Coding::deflate);
        std::string out;
        d.feed(std::string_view(raw).substr(0, cut), out);
        d.feed(std::string_view(raw).substr(cut), out);
        d.finish(out);
        EXPECT_EQ(out, text) << "cut at " << cut;
    }
}

// Dates past 2262 (and before 1678) do not fit system_clock's nanoseconds:
// they are clamped instead of overflowing (undefined behaviour, and a
// cookie "expiring" in year 9999 was dropped as expired).
TEST(FuzzRegressions, CookieDatesFarInTheFutureKeepTheCookie) {
    auto t = CookieJar::parse_date("Fri, 31 Dec 9999 23:59:59 GMT");
    ASSERT_TRUE(t.has_value());
    EXPECT_GT(*t, std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 200));
    auto early = CookieJar::parse_date("Mon, 01 Jan 1601 00:00:00 GMT");
    ASSERT_TRUE(early.has_value());
    EXPECT_LT(*early, std::chrono::system_clock::now());

    CookieJar jar;
    URL url("http://example.com/");
    std::vector<std::string_view> set{"a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
                                      "b=2; Max-Age=99999999999999"};
    jar.update_cookies(set, url);
    EXPECT_EQ(jar.size(), 2u);
    EXPECT_EQ(jar.filter_cookies(url), "a=1; b=2");
}

// A Set-Cookie value with a control character is ignored whole (RFC 6265bis
// §5.6): it would otherwise go out in a Cookie header.
TEST(FuzzRegressions, SetCookieWithControlCharactersIsIgnored) {
    CookieJar jar;
    URL url("http://example.com/");
    std::vector<std::string_view> set{"a=x\r\nInjected: 1", std::string_view("b=y\0z", 5), "c=x\x01", "d=tab\tok"};
    jar.update_cookies(set, url);
    EXPECT_EQ(jar.filter_cookies(url), "d=tab\tok");
}
