// aio/json.hpp — JSON values, parsing and serialising (Python's json module).
//
//     aio::json::Value v = aio::json::loads(R"({"name": "Zoë", "tags": [1, 2.5, null]})");
//     v["name"].as_string();                  // "Zoë"
//     v["tags"][1].as_double();               // 2.5
//     v["tags"].size();                       // 3
//     aio::json::dumps(v);                    // {"name": "Zo\u00eb", "tags": [1, 2.5, null]}
//
//     aio::json::Value doc = aio::json::Object{{"ok", true}, {"n", 3}};
//     doc["items"] = aio::json::Array{1, "two", nullptr};
//
// `loads` is json.loads (parsing is done by simdjson); `dumps` is json.dumps
// and writes byte for byte what Python writes with the same options, by
// default `", "` and `": "` separators, non-ASCII escaped as \uXXXX, floats
// as Python's repr (the shortest text that reads back as the same double),
// NaN/Infinity spelt as Python spells them. aiohttp's `request.json()`,
// `response.json()` and `web.json_response()` use these two functions.
//
// A Value is null, a bool, an integer (int64), a float (double), a string
// (UTF-8 bytes, as Python's str once encoded), an Array (std::vector<Value>)
// or an Object (string keys, insertion-ordered like a Python dict, a key set
// twice keeps its first place and its last value). Values own everything
// they hold and copy deeply; moves are cheap.
#pragma once

#include <aio/exceptions.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace aio::json {

/// Text that is not valid JSON (json.JSONDecodeError, a ValueError). The
/// message is Python's: "<msg>: line L column C (char P)".
class JSONDecodeError : public aio::ValueError {
public:
    /// `doc` is only read to compute the line and column of `pos`.
    JSONDecodeError(std::string msg, std::string_view doc, std::size_t pos);
    /// What was wrong, without the position ("Expecting value").
    const std::string& msg() const noexcept { return msg_; }
    /// Byte offset of the error in the document.
    std::size_t pos() const noexcept { return pos_; }
    /// 1-based line of `pos` (json.JSONDecodeError.lineno).
    std::size_t lineno() const noexcept { return lineno_; }
    /// 1-based column of `pos` on its line, counted in bytes (json.JSONDecodeError.colno).
    std::size_t colno() const noexcept { return colno_; }

private:
    std::string msg_;
    std::size_t pos_;
    std::size_t lineno_;
    std::size_t colno_;
};

class Value;
/// A JSON array (Python list).
using Array = std::vector<Value>;

/// A JSON object (Python dict with str keys): members in insertion order.
/// Lookups scan linearly, which beats hashing for the few keys JSON objects
/// usually have; `loads` stays linear for big objects by indexing keys while
/// it parses.
class Object {
public:
    /// One key and its value (defined below, once Value is complete).
    struct Member;
    /// Iterates over the members (Member: key and value) in insertion order, as dict.items().
    using iterator = std::vector<Member>::iterator;
    /// Iterates over the members, read-only.
    using const_iterator = std::vector<Member>::const_iterator;

    /// An empty object ({}).
    Object() noexcept;
    /// Copies every member deeply.
    Object(const Object&);
    /// Takes over the members of another object, which is left valid but unspecified (in practice empty).
    Object(Object&&) noexcept;
    /// Replaces the members with deep copies of another object's.
    Object& operator=(const Object&);
    /// Replaces the members with those of another object, taken over.
    Object& operator=(Object&&) noexcept;
    /// Destroys the members.
    ~Object();
    /// `Object{{"a", 1}, {"b", "x"}}`; a repeated key keeps its first place
    /// and its last value, as a Python dict literal.
    Object(std::initializer_list<Member> members);

    /// The value of `key`, or nullptr (dict.get).
    const Value* find(std::string_view key) const noexcept;
    /// The value of `key`, modifiable, or nullptr.
    Value* find(std::string_view key) noexcept;
    /// Whether `key` is present (`key in d`).
    bool contains(std::string_view key) const noexcept;
    /// The value of `key`; throws std::out_of_range when absent (Python's KeyError).
    const Value& at(std::string_view key) const;
    /// The value of `key`, modifiable; throws std::out_of_range when absent.
    Value& at(std::string_view key);
    /// The value of `key`, inserted as null at the end when absent (`d[key]`).
    Value& operator[](std::string_view key);
    /// Sets `key` (kept in place if present, else appended); returns the stored value.
    Value& set(std::string_view key, Value value);
    /// Appends without looking for an existing `key`: for builders that know
    /// their keys are distinct.
    Value& append_unique(std::string key, Value value);
    /// Removes `key`; whether it was there.
    bool erase(std::string_view key);

    /// The number of members (len(d)).
    std::size_t size() const noexcept;
    /// Whether there is no member.
    bool empty() const noexcept;
    /// Makes room for `n` members without reallocating (as std::vector::reserve).
    void reserve(std::size_t n);
    /// The first member; members are iterated in insertion order.
    iterator begin() noexcept;
    /// Past the last member.
    iterator end() noexcept;
    /// The first member, read-only.
    const_iterator begin() const noexcept;
    /// Past the last member, read-only.
    const_iterator end() const noexcept;

    /// Same keys with equal values, in any order (Python's dict ==).
    friend bool operator==(const Object& a, const Object& b);

private:
    std::vector<Member> members_;
};

/// The kind of a Value.
enum class Type { null, boolean, integer, number, string, array, object };

/// One JSON value. The accessors `as_*` throw aio::TypeError when the value is
/// of another kind (`as_double` also takes an integer).
class Value {
public:
    /// null (Python None).
    Value() noexcept = default;
    /// null (Python None): `Value(nullptr)`.
    Value(std::nullptr_t) noexcept {}
    /// true or false.
    Value(bool b) noexcept : v_(b) {}
    /// Any integer type; unsigned values above INT64_MAX are stored as floats.
    template <class I>
        requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
    Value(I i) noexcept {
        if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
            if (i > static_cast<I>(INT64_MAX)) {
                v_ = static_cast<double>(i);
                return;
            }
        }
        v_ = static_cast<std::int64_t>(i);
    }
    /// A float (Python float).
    Value(double d) noexcept : v_(d) {}
    /// A float, widened to double.
    Value(float f) noexcept : v_(static_cast<double>(f)) {}
    /// A string: a copy of the NUL-terminated UTF-8 text `s` (not null).
    Value(const char* s) : v_(std::string(s)) {}
    /// A string holding `s` (UTF-8 bytes; dumps checks them).
    Value(std::string s) noexcept : v_(std::move(s)) {}
    /// A string: a copy of `s`.
    Value(std::string_view s) : v_(std::string(s)) {}
    /// An array holding `a`.
    Value(Array a) noexcept : v_(std::move(a)) {}
    /// An object holding `o`.
    Value(Object o) noexcept : v_(std::move(o)) {}
    /// A deep copy. Copying and comparing (==) recurse once per level of
    /// nesting: a value nested some ten thousand levels deep, which only code
    /// can build (loads refuses past 1024), can overflow the stack there.
    Value(const Value&) = default;
    /// Takes over the other value; it is left holding what a moved-from
    /// std::string, Array or Object holds (empty).
    Value(Value&&) noexcept = default;
    /// A deep copy (see the copy constructor).
    Value& operator=(const Value&) = default;
    /// Takes over the other value (see the move constructor).
    Value& operator=(Value&&) noexcept = default;
    /// Frees nested arrays and objects with a stack of its own rather than
    /// one call per level, so that a value of any depth is freed safely.
    ~Value();

    /// The kind of value held.
    Type type() const noexcept { return static_cast<Type>(v_.index()); }
    /// Whether it is null (`v is None`).
    bool is_null() const noexcept { return type() == Type::null; }
    /// Whether it is true or false.
    bool is_bool() const noexcept { return type() == Type::boolean; }
    /// Whether it is an integer (int64; not a bool).
    bool is_int() const noexcept { return type() == Type::integer; }
    /// A float (is_int() is not a float, though as_double() takes it).
    bool is_double() const noexcept { return type() == Type::number; }
    /// Whether it is an integer or a float.
    bool is_number() const noexcept { return is_int() || is_double(); }
    /// Whether it is a string.
    bool is_string() const noexcept { return type() == Type::string; }
    /// Whether it is an array.
    bool is_array() const noexcept { return type() == Type::array; }
    /// Whether it is an object.
    bool is_object() const noexcept { return type() == Type::object; }

    /// The bool held; aio::TypeError for any other kind (an integer included).
    bool as_bool() const;
    /// The integer held; aio::TypeError for any other kind (a float included).
    std::int64_t as_int() const;
    /// The float held, or the integer held converted to double; aio::TypeError otherwise.
    double as_double() const;
    /// The string held (UTF-8 bytes); aio::TypeError for any other kind.
    const std::string& as_string() const;
    /// The string held, modifiable in place; aio::TypeError for any other kind.
    std::string& as_string();
    /// The array held; aio::TypeError for any other kind.
    const Array& as_array() const;
    /// The array held, modifiable in place; aio::TypeError for any other kind.
    Array& as_array();
    /// The object held; aio::TypeError for any other kind.
    const Object& as_object() const;
    /// The object held, modifiable in place; aio::TypeError for any other kind.
    Object& as_object();

    /// Object member (std::out_of_range when absent; TypeError if not an object).
    const Value& operator[](std::string_view key) const;
    /// Object member, inserted as null when absent; a null Value becomes an
    /// empty object first (TypeError for other kinds).
    Value& operator[](std::string_view key);
    /// As operator[](std::string_view) for a NUL-terminated key (inserts when absent).
    Value& operator[](const char* key) { return (*this)[std::string_view(key)]; }
    /// As operator[](std::string_view) const for a NUL-terminated key (throws when absent).
    const Value& operator[](const char* key) const { return (*this)[std::string_view(key)]; }
    /// Array element; a negative index counts from the end as in Python
    /// (std::out_of_range outside the array; TypeError if not an array).
    /// A template so that `v[0]` does not also match the `const char*` key.
    template <class I>
        requires std::is_integral_v<I>
    const Value& operator[](I i) const {
        return element(index_of(i));
    }
    /// Array element, modifiable; indexes as the const overload (never appends).
    template <class I>
        requires std::is_integral_v<I>
    Value& operator[](I i) {
        return element(index_of(i));
    }
    /// Array element `i`, counted from 0 (std::out_of_range outside the array; TypeError if not an array).
    const Value& element(std::size_t i) const;
    /// Array element `i`, modifiable (std::out_of_range outside the array; TypeError if not an array).
    Value& element(std::size_t i);
    /// Elements of an array, members of an object, bytes of a string (TypeError otherwise).
    std::size_t size() const;
    /// Object member or nullptr (nullptr also when this is not an object).
    const Value* find(std::string_view key) const noexcept;
    /// Whether an object has `key` (false when this is not an object).
    bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
    /// Appends to an array; a null Value becomes an empty array first.
    void push_back(Value v);

    /// Python's ==: 1 == 1.0, objects compare regardless of member order,
    /// true != 1 (unlike Python, where True == 1).
    friend bool operator==(const Value& a, const Value& b);

private:
    template <class I>
    std::size_t index_of(I i) const {
        if constexpr (std::is_signed_v<I>) {
            if (i < 0) return size() - static_cast<std::size_t>(-static_cast<std::int64_t>(i));
        }
        return static_cast<std::size_t>(i);
    }
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> v_{nullptr};
};

/// Parses a JSON document (json.loads). Accepts what RFC 8259 accepts, plus
/// Python's NaN, Infinity and -Infinity; integers that do not fit in int64 are
/// read as floats; nesting deeper than 1024 is refused. Throws JSONDecodeError
/// (with the position of the first error) for anything else, including text
/// that is not UTF-8 and trailing data ("Extra data").
Value loads(std::string_view text);

/// json.dumps's options, named and defaulted as in Python.
struct DumpOptions {
    /// Pretty-print: newline and this many spaces per level (Python's
    /// indent=n; 0 or negative: newlines without spaces, as Python); nullopt
    /// writes everything on one line.
    std::optional<int> indent{};
    /// Between items (Python's separators[0]); empty means Python's default:
    /// ", " (or "," when indenting).
    std::string_view item_separator{};
    /// After a key (Python's separators[1]); empty means Python's default ": ".
    /// The separators' characters must outlive the call to dumps.
    std::string_view key_separator{};
    /// Escape every non-ASCII character as \\uXXXX (UTF-16 surrogate pairs
    /// beyond U+FFFF); false writes the UTF-8 bytes as they are.
    bool ensure_ascii = true;
    /// Object members sorted by key (bytewise, which is code-point order).
    bool sort_keys = false;
    /// Allow NaN and ±Infinity (written NaN, Infinity, -Infinity); false
    /// throws aio::ValueError as Python does.
    bool allow_nan = true;
};

/// Serialises `v` as Python's json.dumps(v, **opts) does. Throws
/// aio::UnicodeDecodeError for a string that is not valid UTF-8 and
/// aio::ValueError for NaN/Infinity when !allow_nan.
std::string dumps(const Value& v, const DumpOptions& opts = {});
/// As dumps, appending to `out` (reuse one buffer to avoid allocations).
void dump_to(std::string& out, const Value& v, const DumpOptions& opts = {});

/// One string as a JSON string literal (quotes included), escaped as dumps does.
std::string dumps_string(std::string_view s, bool ensure_ascii = true);
/// A double as Python's repr() writes it ("1.0", "1e-05", "1.5e+16", "inf", "nan").
std::string float_repr(double d);

// ---------------------------------------------------------------------------
// Object's members that need Value complete.

/// One key and its value: what iterating over an Object yields (a dict.items() pair).
struct Object::Member {
    /// The key (UTF-8 bytes).
    std::string key;
    /// The value.
    Value value;
};

inline Object::Object() noexcept = default;
inline Object::Object(const Object&) = default;
inline Object::Object(Object&&) noexcept = default;
inline Object& Object::operator=(const Object&) = default;
inline Object& Object::operator=(Object&&) noexcept = default;
inline Object::~Object() = default;
inline bool Object::contains(std::string_view key) const noexcept { return find(key) != nullptr; }
inline std::size_t Object::size() const noexcept { return members_.size(); }
inline bool Object::empty() const noexcept { return members_.empty(); }
inline void Object::reserve(std::size_t n) { members_.reserve(n); }
inline Object::iterator Object::begin() noexcept { return members_.begin(); }
inline Object::iterator Object::end() noexcept { return members_.end(); }
inline Object::const_iterator Object::begin() const noexcept { return members_.begin(); }
inline Object::const_iterator Object::end() const noexcept { return members_.end(); }

inline Object::Object(std::initializer_list<Member> members) {
    members_.reserve(members.size());
    for (const auto& m : members) set(m.key, m.value);
}

}  // namespace aio::json
