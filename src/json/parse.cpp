// aio::json::loads: simdjson parses; Python's own rules explain the failures.
//
// Valid documents (nearly all of them) go through simdjson's DOM parser and
// are copied into Values. When simdjson refuses a document, a small scanner
// written after CPython's json.decoder reads it again: either the document
// uses what Python accepts and simdjson does not (NaN, Infinity, integers
// beyond 64 bits, floats that overflow to infinity), and the scanner builds
// the Value, or it stops at the first error with Python's message and
// position.
#include "aio/json.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <unordered_map>

#include "json/utf8.hpp"

namespace aio::json {

namespace {

/// Python's recursion limit is about 1000 frames; simdjson's default depth is
/// 1024. Deeper documents are refused rather than risking the stack.
constexpr std::size_t kMaxDepth = 1024;
/// Objects with more members than this get a hash index of their keys while
/// being built, so that duplicate detection stays linear.
constexpr std::size_t kIndexedObject = 16;

std::size_t line_of(std::string_view doc, std::size_t pos) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < pos && i < doc.size(); ++i) line += doc[i] == '\n';
    return line;
}

std::size_t line_start(std::string_view doc, std::size_t pos) {
    std::size_t p = doc.substr(0, pos).rfind('\n');
    return p == std::string_view::npos ? 0 : p + 1;
}

std::string describe_position(std::string_view doc, std::size_t pos) {
    std::size_t line = line_of(doc, pos), col = pos - line_start(doc, pos) + 1;
    return ": line " + std::to_string(line) + " column " + std::to_string(col) + " (char " + std::to_string(pos) + ")";
}

// ---------------------------------------------------------------------------
// The fast path: simdjson DOM into Value.

class ObjectBuilder {
public:
    explicit ObjectBuilder(std::size_t expected) { obj_.reserve(expected); }
    void set(std::string_view key, Value v) {
        if (obj_.size() < kIndexedObject && index_.empty()) {
            obj_.set(key, std::move(v));
            return;
        }
        if (index_.empty()) {
            std::size_t i = 0;
            for (auto& m : obj_) index_.emplace(m.key, i++);
        }
        auto it = index_.find(std::string(key));
        if (it != index_.end()) {
            (obj_.begin() + static_cast<std::ptrdiff_t>(it->second))->value = std::move(v);
            return;
        }
        index_.emplace(std::string(key), obj_.size());
        obj_.append_unique(std::string(key), std::move(v));
    }
    Object take() { return std::move(obj_); }

private:
    Object obj_;
    std::unordered_map<std::string, std::size_t> index_;
};

Value from_dom(simdjson::dom::element e) {
    using simdjson::dom::element_type;
    switch (e.type()) {
        case element_type::NULL_VALUE: return Value();
        case element_type::BOOL: return Value(bool(e.get_bool().value_unsafe()));
        case element_type::INT64: return Value(e.get_int64().value_unsafe());
        case element_type::UINT64: return Value(e.get_uint64().value_unsafe());
        case element_type::DOUBLE: return Value(e.get_double().value_unsafe());
        case element_type::STRING: return Value(std::string(e.get_string().value_unsafe()));
        case element_type::ARRAY: {
            simdjson::dom::array a = e.get_array().value_unsafe();
            Array out;
            out.reserve(a.size());
            for (simdjson::dom::element x : a) out.push_back(from_dom(x));
            return Value(std::move(out));
        }
        case element_type::OBJECT: {
            simdjson::dom::object o = e.get_object().value_unsafe();
            ObjectBuilder b(o.size());
            for (simdjson::dom::key_value_pair kv : o) b.set(kv.key, from_dom(kv.value));
            return Value(b.take());
        }
    }
    return Value();
}

// ---------------------------------------------------------------------------
// The slow path: CPython's json.decoder, byte for byte in its messages.

class Scanner {
public:
    explicit Scanner(std::string_view s) : s_(s) {}

    Value document() {
        std::size_t bad = detail::first_invalid_utf8(s_);
        skip_ws();
        Value v = value(0, bad);
        skip_ws();
        if (i_ != s_.size()) fail("Extra data", i_);
        return v;
    }

private:
    [[noreturn]] void fail(std::string msg, std::size_t pos) { throw JSONDecodeError(std::move(msg), s_, pos); }

    void skip_ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    bool starts(std::string_view lit) const { return s_.substr(i_, lit.size()) == lit; }

    Value value(std::size_t depth, std::size_t bad_utf8) {
        if (depth >= kMaxDepth) fail("Nesting too deep", i_);
        if (i_ >= s_.size()) fail("Expecting value", i_);
        char c = s_[i_];
        switch (c) {
            case '"': return Value(string(bad_utf8));
            case '{': return object(depth, bad_utf8);
            case '[': return array(depth, bad_utf8);
            default: break;
        }
        if (c == 'n' && starts("null")) return i_ += 4, Value();
        if (c == 't' && starts("true")) return i_ += 4, Value(true);
        if (c == 'f' && starts("false")) return i_ += 5, Value(false);
        if (c == 'N' && starts("NaN")) return i_ += 3, Value(std::numeric_limits<double>::quiet_NaN());
        if (c == 'I' && starts("Infinity")) return i_ += 8, Value(std::numeric_limits<double>::infinity());
        if (c == '-' && starts("-Infinity")) return i_ += 9, Value(-std::numeric_limits<double>::infinity());
        return number();
    }

    // (-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?
    Value number() {
        std::size_t start = i_, j = i_;
        auto digit = [&](std::size_t k) { return k < s_.size() && s_[k] >= '0' && s_[k] <= '9'; };
        if (j < s_.size() && s_[j] == '-') ++j;
        if (!digit(j)) fail("Expecting value", start);
        if (s_[j] == '0') {
            ++j;
        } else {
            while (digit(j)) ++j;
        }
        bool is_float = false;
        if (j < s_.size() && s_[j] == '.' && digit(j + 1)) {
            is_float = true;
            j += 1;
            while (digit(j)) ++j;
        }
        if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
            std::size_t k = j + 1;
            if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
            if (digit(k)) {
                is_float = true;
                j = k;
                while (digit(j)) ++j;
            }
        }
        i_ = j;
        std::string_view text = s_.substr(start, j - start);
        if (!is_float) {
            std::int64_t v = 0;
            auto r = std::from_chars(text.data(), text.data() + text.size(), v);
            if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return Value(v);
        }
        // A float, or an integer too big for int64: Python's float(text).
        std::string copy(text);
        return Value(std::strtod(copy.c_str(), nullptr));
    }

    std::string string(std::size_t bad_utf8) {
        std::size_t begin = i_;
        ++i_;
        std::string out;
        for (;;) {
            std::size_t chunk = i_;
            while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\' && static_cast<unsigned char>(s_[i_]) >= 0x20)
                ++i_;
            if (bad_utf8 >= chunk && bad_utf8 < i_) fail("Invalid UTF-8", bad_utf8);
            out.append(s_.substr(chunk, i_ - chunk));
            if (i_ >= s_.size()) fail("Unterminated string starting at", begin);
            char c = s_[i_];
            if (c == '"') {
                ++i_;
                return out;
            }
            if (c != '\\') fail("Invalid control character at", i_);
            ++i_;
            if (i_ >= s_.size()) fail("Unterminated string starting at", begin);
            char e = s_[i_];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4(i_ + 1, i_ - 1);
                    i_ += 5;
                    if (cp >= 0xD800 && cp <= 0xDBFF && starts("\\u")) {
                        std::uint32_t lo = hex4(i_ + 2, i_);
                        if (lo >= 0xDC00 && lo <= 0xDFFF) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            i_ += 6;
                        }
                    }
                    if (cp >= 0xD800 && cp <= 0xDFFF) fail("Unpaired surrogate in \\uXXXX escape", i_ - 6);
                    detail::append_utf8(out, cp);
                    continue;
                }
                default: {
                    std::string shown(1, e);
                    fail("Invalid \\escape: '" + shown + "'", i_ - 1);
                }
            }
            ++i_;
        }
    }

    std::uint32_t hex4(std::size_t at, std::size_t escape_pos) {
        if (at + 4 > s_.size()) fail("Invalid \\uXXXX escape", escape_pos);
        std::uint32_t v = 0;
        for (std::size_t k = at; k < at + 4; ++k) {
            char c = s_[k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) fail("Invalid \\uXXXX escape", escape_pos);
            v = v * 16 + static_cast<std::uint32_t>(d);
        }
        return v;
    }

    Value object(std::size_t depth, std::size_t bad_utf8) {
        ++i_;
        skip_ws();
        ObjectBuilder b(0);
        if (i_ < s_.size() && s_[i_] == '}') {
            ++i_;
            return Value(b.take());
        }
        for (;;) {
            if (i_ >= s_.size() || s_[i_] != '"') fail("Expecting property name enclosed in double quotes", i_);
            std::string key = string(bad_utf8);
            skip_ws();
            if (i_ >= s_.size() || s_[i_] != ':') fail("Expecting ':' delimiter", i_);
            ++i_;
            skip_ws();
            Value v = value(depth + 1, bad_utf8);
            b.set(key, std::move(v));
            skip_ws();
            if (i_ < s_.size() && s_[i_] == '}') {
                ++i_;
                return Value(b.take());
            }
            if (i_ >= s_.size() || s_[i_] != ',') fail("Expecting ',' delimiter", i_);
            ++i_;
            skip_ws();
        }
    }

    Value array(std::size_t depth, std::size_t bad_utf8) {
        ++i_;
        skip_ws();
        Array out;
        if (i_ < s_.size() && s_[i_] == ']') {
            ++i_;
            return Value(std::move(out));
        }
        for (;;) {
            out.push_back(value(depth + 1, bad_utf8));
            skip_ws();
            if (i_ < s_.size() && s_[i_] == ']') {
                ++i_;
                return Value(std::move(out));
            }
            if (i_ >= s_.size() || s_[i_] != ',') fail("Expecting ',' delimiter", i_);
            ++i_;
            skip_ws();
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace

JSONDecodeError::JSONDecodeError(std::string msg, std::string_view doc, std::size_t pos)
    : aio::ValueError(msg + describe_position(doc, pos)), msg_(std::move(msg)), pos_(pos) {
    lineno_ = line_of(doc, pos);
    colno_ = pos - line_start(doc, pos) + 1;
}

Value loads(std::string_view text) {
    // One parser per thread: its buffers grow to the largest document and are reused.
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        throw JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0);
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    auto err = parser.parse(text.data(), text.size(), true).get(root);
    if (!err) return from_dom(root);
    return Scanner(text).document();
}

}  // namespace aio::json
