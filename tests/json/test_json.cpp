// aio-test-labels: sync
// aio::json: loads/dumps against Python's json module.
#include <aio/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <utility>

#include "support/support.hpp"

using aio::json::Array;
using aio::json::JSONDecodeError;
using aio::json::Object;
using aio::json::Value;
using aio::json::dumps;
using aio::json::loads;

TEST(Json, LoadsScalarsAndContainers) {
    Value v = loads(R"( {"a": 1, "b": [true, false, null], "c": -2.5e3, "d": "x\u00e9\ud83d\ude00", "e": {}} )");
    ASSERT_TRUE(v.is_object());
    EXPECT_EQ(v["a"].as_int(), 1);
    EXPECT_TRUE(v["b"][0].as_bool());
    EXPECT_FALSE(v["b"][1].as_bool());
    EXPECT_TRUE(v["b"][2].is_null());
    EXPECT_TRUE(v["b"][-1].is_null());
    EXPECT_DOUBLE_EQ(v["c"].as_double(), -2500.0);
    EXPECT_TRUE(v["c"].is_double());
    EXPECT_EQ(v["d"].as_string(), "x\xC3\xA9\xF0\x9F\x98\x80");
    EXPECT_TRUE(v["e"].is_object());
    EXPECT_EQ(v.size(), 5u);
}

TEST(Json, ObjectsKeepInsertionOrderAndTheLastDuplicate) {
    Value v = loads(R"({"z": 1, "a": 2, "z": 3})");
    const Object& o = v.as_object();
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o.begin()->key, "z");
    EXPECT_EQ(o.begin()->value.as_int(), 3);
    EXPECT_EQ(dumps(v), R"({"z": 3, "a": 2})");
}

TEST(Json, BigObjectsDeduplicateInLinearTime) {
    std::string doc = "{";
    for (int i = 0; i < 20000; ++i) doc += "\"k" + std::to_string(i % 10000) + "\": " + std::to_string(i) + ",";
    doc.back() = '}';
    Value v = loads(doc);
    EXPECT_EQ(v.size(), 10000u);
    EXPECT_EQ(v["k5"].as_int(), 10005);
}

TEST(Json, IntegersBeyond64BitsBecomeFloats) {
    EXPECT_TRUE(loads("9223372036854775807").is_int());
    Value big = loads("18446744073709551615");
    EXPECT_TRUE(big.is_double());
    Value huge = loads("123456789012345678901234567890");
    EXPECT_DOUBLE_EQ(huge.as_double(), 1.2345678901234568e29);
    EXPECT_TRUE(std::isinf(loads("1e400").as_double()));
}

TEST(Json, PythonsNonStandardConstantsAreAccepted) {
    Value v = loads("[NaN, Infinity, -Infinity]");
    EXPECT_TRUE(std::isnan(v[0].as_double()));
    EXPECT_EQ(v[1].as_double(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(v[2].as_double(), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(dumps(v), "[NaN, Infinity, -Infinity]");
    EXPECT_THROW(dumps(v, {.allow_nan = false}), aio::ValueError);
}

struct BadDoc {
    const char* doc;
    const char* message;
};

TEST(Json, ErrorsCarryPythonsMessageAndPosition) {
    const BadDoc cases[] = {
        {"", "Expecting value: line 1 column 1 (char 0)"},
        {"[1, 2", "Expecting ',' delimiter: line 1 column 6 (char 5)"},
        {"{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"},
        {"{1: 2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
        {"[1]\n x", "Extra data: line 2 column 2 (char 5)"},
        {"\"abc", "Unterminated string starting at: line 1 column 1 (char 0)"},
        {"\"a\tb\"", "Invalid control character at: line 1 column 3 (char 2)"},
        {"\"\\x\"", "Invalid \\escape: 'x': line 1 column 2 (char 1)"},
        {"\"\\u12g4\"", "Invalid \\uXXXX escape: line 1 column 2 (char 1)"},
        {"01", "Extra data: line 1 column 2 (char 1)"},
        {"[-]", "Expecting value: line 1 column 2 (char 1)"},
        {"tru", "Expecting value: line 1 column 1 (char 0)"},
        {"\xEF\xBB\xBF{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"},
    };
    for (const BadDoc& c : cases) {
        try {
            loads(c.doc);
            ADD_FAILURE() << "accepted " << c.doc;
        } catch (const JSONDecodeError& e) {
            EXPECT_EQ(std::string(e.what()), c.message) << c.doc;
        }
    }
    try {
        loads("{\n  \"a\": [1,,2]}");
        ADD_FAILURE();
    } catch (const JSONDecodeError& e) {
        EXPECT_EQ(e.msg(), "Expecting value");
        EXPECT_EQ(e.pos(), 12u);
        EXPECT_EQ(e.lineno(), 2u);
        EXPECT_EQ(e.colno(), 11u);
    }
}

TEST(Json, ErrorsAreValueErrors) {
    EXPECT_THROW(loads("nope"), aio::ValueError);
    EXPECT_THROW(loads("\"\xff\""), JSONDecodeError);
    EXPECT_THROW(loads("\"\\ud800\""), JSONDecodeError);
    EXPECT_THROW(loads(std::string(2000, '[') + std::string(2000, ']')), JSONDecodeError);
}

// A value nested far deeper than loads accepts can only be built in code.
// dumps refuses it as loads does (RecursionError, as Python's dumps), and
// freeing it is safe: both recursed once per level and overflowed the stack
// (ASan: stack-overflow in Writer::write, then in the destructors).
TEST(Json, ValuesNestedAMillionDeepAreRefusedByDumpsAndFreedSafely) {
    for (bool objects : {false, true}) {
        Value deep = Array{};
        for (int i = 0; i < 1'000'000; ++i) {
            Value outer = objects ? Value(Object{}) : Value(Array{});
            if (objects) {
                outer.as_object().set("k", std::move(deep));
            } else {
                outer.as_array().push_back(std::move(deep));
            }
            deep = std::move(outer);
        }
        try {
            dumps(deep);
            ADD_FAILURE() << "dumps wrote a million levels";
        } catch (const aio::RecursionError& e) {
            EXPECT_STREQ(e.what(), "nesting deeper than 1024 levels: cannot dump it");
        }
    }
    // The limit is loads': what loads accepts, dumps writes back.
    std::string edge = std::string(1024, '[') + std::string(1024, ']');
    EXPECT_EQ(dumps(loads(edge)), edge);
    Value deeper = Array{};
    deeper.as_array().push_back(loads(edge));
    EXPECT_THROW(dumps(deeper), aio::RecursionError);
}

TEST(Json, DumpsMatchesPythonDefaults) {
    Value v = Object{{"name", "Zo\xC3\xAB"}, {"n", 3}, {"f", 0.1}, {"list", Array{1, "two", nullptr, true}},
                     {"empty", Array{}}, {"obj", Object{}}, {"ctl", "a\"b\\c\n\x01\x7f"}, {"emoji", "\xF0\x9F\x98\x80"}};
    EXPECT_EQ(dumps(v),
              R"({"name": "Zo\u00eb", "n": 3, "f": 0.1, "list": [1, "two", null, true], "empty": [], "obj": {}, )"
              R"("ctl": "a\"b\\c\n\u0001\u007f", "emoji": "\ud83d\ude00"})");
    EXPECT_EQ(dumps(Value("\xC3\xAB\x7f"), {.ensure_ascii = false}), "\"\xC3\xAB\x7f\"");
    EXPECT_EQ(dumps(Value(Object{{"b", 1}, {"a", Array{1, 2}}}), {.indent = 2, .sort_keys = true}),
              "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": 1\n}");
    EXPECT_EQ(dumps(Value(Array{1, 2}), {.item_separator = ",", .key_separator = ":"}), "[1,2]");
    EXPECT_THROW(dumps(Value("\xff")), aio::UnicodeDecodeError);
}

// indent=0 and a negative indent are newlines without spaces (Python's
// ' ' * indent is empty for both), not a std::length_error.
TEST(Json, AZeroOrNegativeIndentIsNewlinesOnly) {
    const Value v = loads(R"({"a":[1,{"b":[2]}],"c":"x"})");
    const std::string lines = "{\n\"a\": [\n1,\n{\n\"b\": [\n2\n]\n}\n],\n\"c\": \"x\"\n}";  // Python's
    EXPECT_EQ(dumps(v, {.indent = 0}), lines);
    EXPECT_EQ(dumps(v, {.indent = -1}), lines);
    EXPECT_EQ(dumps(v, {.indent = std::numeric_limits<int>::min()}), lines);
}

TEST(Json, FloatReprIsPythons) {
    EXPECT_EQ(aio::json::float_repr(1.0), "1.0");
    EXPECT_EQ(aio::json::float_repr(-0.0), "-0.0");
    EXPECT_EQ(aio::json::float_repr(1e16), "1e+16");
    EXPECT_EQ(aio::json::float_repr(1e15), "1000000000000000.0");
    EXPECT_EQ(aio::json::float_repr(0.0001), "0.0001");
    EXPECT_EQ(aio::json::float_repr(0.00001), "1e-05");
    EXPECT_EQ(aio::json::float_repr(1.5e300), "1.5e+300");
    EXPECT_EQ(aio::json::float_repr(123.456), "123.456");
    EXPECT_EQ(aio::json::float_repr(5e-324), "5e-324");
}

TEST(Json, RoundTripsThroughPython) {
    // Random doubles and strings, written by aio and by Python: the same bytes.
    std::mt19937_64 rng(42);
    Array values;
    for (int i = 0; i < 300; ++i) {
        std::uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) continue;
        values.push_back(d);
        values.push_back(static_cast<double>(rng() % 100000) / 1000.0);
        values.push_back(static_cast<std::int64_t>(rng()));
    }
    values.push_back("ascii \"quoted\" \\ / \t tab \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \x1f");
    Value doc = Object{{"values", values}, {"nested", Object{{"x", Array{Object{}, Array{}}}}}};
    std::string ours = dumps(doc);
    std::string path = "/tmp/aio_json_" + std::to_string(::getpid()) + ".json";
    {
        std::ofstream f(path, std::ios::binary);
        f << ours;
    }
    auto r = aio::test::run_command("/usr/bin/python3 -c 'import json,sys; "
                                    "sys.stdout.write(json.dumps(json.load(open(\"" + path + "\"))))'");
    std::remove(path.c_str());
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.output, ours);
    EXPECT_EQ(loads(ours), doc);
}

TEST(Json, ValueAccessorsThrowTypedErrors) {
    Value v = loads(R"({"a": [1]})");
    EXPECT_THROW(v["a"].as_string(), aio::TypeError);
    EXPECT_THROW(std::as_const(v)["missing"], std::out_of_range);
    EXPECT_THROW(v["a"][5], std::out_of_range);
    EXPECT_EQ(v.find("missing"), nullptr);
    Value built;
    built["k"].push_back(1);
    built["k"].push_back(2.5);
    EXPECT_EQ(dumps(built), R"({"k": [1, 2.5]})");
    EXPECT_EQ(Value(1), Value(1.0));
    EXPECT_NE(Value(true), Value(1));
    EXPECT_EQ(loads(R"({"a": 1, "b": 2})"), loads(R"({"b": 2, "a": 1})"));
}
