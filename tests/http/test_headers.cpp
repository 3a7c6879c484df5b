// aio-test-labels: sync
// aio::http::Headers (CIMultiDict) and MultiDict: order, case, repeated keys.
#include <aio/http/headers.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace aio::http;

TEST(Headers, GetIsCaseInsensitiveAndReturnsTheFirstValue) {
    Headers h;
    h.add("Content-Type", "text/html");
    h.add("Set-Cookie", "a=1");
    h.add("set-cookie", "b=2");
    EXPECT_EQ(h.get("content-type"), "text/html");
    EXPECT_EQ(h.get("CONTENT-TYPE"), "text/html");
    EXPECT_EQ(h.get("SET-COOKIE"), "a=1");
    EXPECT_EQ(h.get("missing"), std::nullopt);
    EXPECT_EQ(h.get("Content-Typ"), std::nullopt);
    EXPECT_EQ(h.size(), 3u);
}

TEST(Headers, GetAllKeepsInsertionOrder) {
    Headers h{{"Set-Cookie", "a=1"}, {"X", "x"}, {"set-cookie", "b=2"}, {"SET-COOKIE", "c=3"}};
    EXPECT_EQ(h.get_all("set-cookie"), (std::vector<std::string_view>{"a=1", "b=2", "c=3"}));
    EXPECT_TRUE(h.get_all("nope").empty());
    EXPECT_EQ(h.count("Set-Cookie"), 3u);
}

TEST(Headers, IterationYieldsNamesAsSpeltInInsertionOrder) {
    Headers h{{"B", "2"}, {"a", "1"}, {"B", "3"}};
    std::vector<std::pair<std::string, std::string>> items;
    for (auto [name, value] : h) items.emplace_back(name, value);
    EXPECT_EQ(items, (std::vector<std::pair<std::string, std::string>>{{"B", "2"}, {"a", "1"}, {"B", "3"}}));
    EXPECT_EQ(h[1].first, "a");
    EXPECT_EQ(std::distance(h.begin(), h.end()), 3);
    auto it = std::find_if(h.begin(), h.end(), [](auto kv) { return kv.second == "3"; });
    EXPECT_EQ(it - h.begin(), 2);
}

TEST(Headers, SetReplacesTheFirstInPlaceAndRemovesTheRest) {
    Headers h{{"A", "1"}, {"X", "x"}, {"a", "2"}, {"Y", "y"}, {"A", "3"}};
    h.set("a", "new");
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].first, "A");  // the stored spelling stays
    EXPECT_EQ(h[0].second, "new");
    EXPECT_EQ(h[1].first, "X");
    EXPECT_EQ(h[2].first, "Y");
    h.set("Z", "z");
    EXPECT_EQ(h[3].first, "Z");
}

TEST(Headers, SetdefaultKeepsAnExistingValue) {
    Headers h{{"Host", "a"}};
    EXPECT_EQ(h.setdefault("host", "b"), "a");
    EXPECT_EQ(h.setdefault("User-Agent", "aio"), "aio");
    EXPECT_EQ(h.size(), 2u);
}

TEST(Headers, EraseRemovesEveryEntryOfAName) {
    Headers h{{"A", "1"}, {"B", "2"}, {"a", "3"}};
    EXPECT_EQ(h.erase("A"), 2u);
    EXPECT_EQ(h.erase("A"), 0u);
    EXPECT_FALSE(h.contains("a"));
    EXPECT_TRUE(h.contains("b"));
    EXPECT_EQ(h.size(), 1u);
    h.clear();
    EXPECT_TRUE(h.empty());
}

TEST(Headers, CaseFoldingIsAsciiLettersOnly) {
    EXPECT_TRUE(iequals("Content-Length", "cONTENT-lENGTH"));
    EXPECT_FALSE(iequals("@", "`"));  // 0x40 / 0x60: differ by 0x20 but are not letters
    EXPECT_FALSE(iequals("[", "{"));
    EXPECT_FALSE(iequals("a", "ab"));
    EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));  // no Unicode folding
    EXPECT_TRUE(iequals("", ""));
}

TEST(Headers, EqualityComparesKeysCaseInsensitivelyAndOrder) {
    EXPECT_EQ((Headers{{"A", "1"}, {"b", "2"}}), (Headers{{"a", "1"}, {"B", "2"}}));
    EXPECT_NE((Headers{{"A", "1"}, {"b", "2"}}), (Headers{{"b", "2"}, {"A", "1"}}));
    EXPECT_NE((Headers{{"A", "1"}}), (Headers{{"A", "x"}}));
}

TEST(Headers, CopiesAreIndependent) {
    Headers a{{"A", "1"}};
    Headers b = a;
    b.set("A", "2");
    EXPECT_EQ(a.get("A"), "1");
    EXPECT_EQ(b.get("A"), "2");
    Headers c = std::move(b);
    EXPECT_EQ(c.get("a"), "2");
}

TEST(Headers, AddingItsOwnViewsIsSafe) {
    Headers h;
    h.add("Name", std::string(100, 'v'));
    for (int i = 0; i < 50; ++i) {
        auto [name, value] = h[0];
        h.add(name, value);  // both views point into the buffer that grows
    }
    EXPECT_EQ(h.count("name"), 51u);
    EXPECT_EQ(h.get_all("name").back(), std::string(100, 'v'));
    auto first = h.get("name").value();
    h.set("NAME", first);
    EXPECT_EQ(h.size(), 1u);
    EXPECT_EQ(h.get("name"), std::string(100, 'v'));
}

TEST(Headers, RepeatedSetStaysCorrectAndCompacts) {
    Headers h{{"Keep", "k"}};
    for (int i = 0; i < 10000; ++i) h.set("Counter", std::to_string(i));
    EXPECT_EQ(h.get("counter"), "9999");
    EXPECT_EQ(h.get("keep"), "k");
    EXPECT_EQ(h.size(), 2u);
    for (int i = 0; i < 1000; ++i) {
        h.add("X", "1234567890");
        h.erase("x");
    }
    EXPECT_EQ(h.size(), 2u);
    EXPECT_EQ(h.get("keep"), "k");
}

TEST(Headers, ExtendAppendsAndUpdateReplacesPerKey) {
    Headers h{{"A", "1"}, {"B", "2"}, {"A", "3"}};
    h.extend(Headers{{"C", "4"}});
    EXPECT_EQ(h.size(), 4u);
    h.update(Headers{{"a", "x"}, {"A", "y"}, {"D", "5"}});
    std::vector<std::pair<std::string, std::string>> items;
    for (auto [k, v] : h) items.emplace_back(k, v);
    EXPECT_EQ(items, (std::vector<std::pair<std::string, std::string>>{
                         {"A", "x"}, {"B", "2"}, {"C", "4"}, {"a", "y"}, {"D", "5"}}));
    h.extend(h);
    EXPECT_EQ(h.size(), 10u);
    h.update(h);
    EXPECT_EQ(h.size(), 10u);
}

TEST(MultiDict, KeysAreCaseSensitive) {
    MultiDict q{{"a", "1"}, {"A", "2"}};
    EXPECT_EQ(q.get("a"), "1");
    EXPECT_EQ(q.get("A"), "2");
    EXPECT_EQ(q.count("a"), 1u);
    EXPECT_NE((MultiDict{{"a", "1"}}), (MultiDict{{"A", "1"}}));
}

TEST(MultiDict, HoldsEmptyKeysAndValuesAndBinaryBytes) {
    MultiDict q;
    q.add("", "");
    q.add(std::string("k\0y", 3), std::string("v\0\xff", 3));
    EXPECT_EQ(q.get(""), "");
    EXPECT_EQ(q.get(std::string("k\0y", 3)), std::string("v\0\xff", 3));
}

TEST(Headers, WellKnownNames) {
    Headers h{{hdrs::CONTENT_LENGTH, "3"}};
    EXPECT_EQ(h.get("content-length"), "3");
    EXPECT_EQ(hdrs::TRANSFER_ENCODING, "Transfer-Encoding");
}
