// aio::json::Value and Object: access, mutation, comparison.
#include "aio/json.hpp"

#include <stdexcept>
#include <vector>
#include <string>

namespace aio::json {

namespace {

std::string_view type_name(Type t) noexcept {
    switch (t) {
        case Type::null: return "null";
        case Type::boolean: return "bool";
        case Type::integer: return "int";
        case Type::number: return "float";
        case Type::string: return "str";
        case Type::array: return "list";
        case Type::object: return "dict";
    }
    return "?";
}

[[noreturn]] void wrong_type(Type have, std::string_view want) {
    throw aio::TypeError("aio::json::Value: expected " + std::string(want) + ", the value is " +
                         std::string(type_name(have)));
}

}  // namespace

// ---------------------------------------------------------------------------
// Object

const Value* Object::find(std::string_view key) const noexcept {
    for (const Member& m : members_)
        if (m.key.size() == key.size() && m.key == key) return &m.value;
    return nullptr;
}

Value* Object::find(std::string_view key) noexcept {
    return const_cast<Value*>(static_cast<const Object*>(this)->find(key));
}

const Value& Object::at(std::string_view key) const {
    const Value* v = find(key);
    if (!v) throw std::out_of_range("aio::json::Object: no key '" + std::string(key) + "'");
    return *v;
}

Value& Object::at(std::string_view key) {
    return const_cast<Value&>(static_cast<const Object*>(this)->at(key));
}

Value& Object::operator[](std::string_view key) {
    if (Value* v = find(key)) return *v;
    return append_unique(std::string(key), Value());
}

Value& Object::set(std::string_view key, Value value) {
    if (Value* v = find(key)) {
        *v = std::move(value);
        return *v;
    }
    return append_unique(std::string(key), std::move(value));
}

Value& Object::append_unique(std::string key, Value value) {
    members_.push_back(Member{std::move(key), std::move(value)});
    return members_.back().value;
}

bool Object::erase(std::string_view key) {
    for (auto it = members_.begin(); it != members_.end(); ++it)
        if (it->key == key) {
            members_.erase(it);
            return true;
        }
    return false;
}

bool operator==(const Object& a, const Object& b) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a) {
        const Value* w = b.find(k);
        if (!w || !(v == *w)) return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Value

namespace {

/// A non-empty array or object: what freeing recurses into.
bool is_nested(const Value& v) noexcept {
    return (v.is_array() && !v.as_array().empty()) || (v.is_object() && !v.as_object().empty());
}

/// Moves the non-empty arrays and objects directly inside `v` to `out`,
/// leaving empty ones in their places.
void take_nested(Value& v, std::vector<Value>& out) {
    if (v.is_array()) {
        for (Value& c : v.as_array())
            if (is_nested(c)) out.push_back(std::move(c));
    } else if (v.is_object()) {
        for (auto& m : v.as_object())
            if (is_nested(m.value)) out.push_back(std::move(m.value));
    }
}

}  // namespace

Value::~Value() {
    if (!is_array() && !is_object()) return;
    // Freeing recurses once per level. The first kFreeDepth levels do so as
    // the members' destructors would (nothing moved, nothing allocated: the
    // common case, and the fast one); past them a value nested a million deep
    // would overflow the stack, so nested containers are taken out to a stack
    // of our own and each is freed holding only flat children.
    constexpr int kFreeDepth = 128;
    thread_local int depth = 0;
    if (depth < kFreeDepth) {
        ++depth;
        v_ = nullptr;  // frees the container here, one level deeper
        --depth;
        return;
    }
    std::vector<Value> pending;
    take_nested(*this, pending);
    while (!pending.empty()) {
        Value v = std::move(pending.back());
        pending.pop_back();
        take_nested(v, pending);
    }
}

bool Value::as_bool() const {
    if (auto* b = std::get_if<bool>(&v_)) return *b;
    wrong_type(type(), "bool");
}

std::int64_t Value::as_int() const {
    if (auto* i = std::get_if<std::int64_t>(&v_)) return *i;
    wrong_type(type(), "int");
}

double Value::as_double() const {
    if (auto* d = std::get_if<double>(&v_)) return *d;
    if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
    wrong_type(type(), "float");
}

const std::string& Value::as_string() const {
    if (auto* s = std::get_if<std::string>(&v_)) return *s;
    wrong_type(type(), "str");
}

std::string& Value::as_string() {
    return const_cast<std::string&>(static_cast<const Value*>(this)->as_string());
}

const Array& Value::as_array() const {
    if (auto* a = std::get_if<Array>(&v_)) return *a;
    wrong_type(type(), "list");
}

Array& Value::as_array() { return const_cast<Array&>(static_cast<const Value*>(this)->as_array()); }

const Object& Value::as_object() const {
    if (auto* o = std::get_if<Object>(&v_)) return *o;
    wrong_type(type(), "dict");
}

Object& Value::as_object() { return const_cast<Object&>(static_cast<const Value*>(this)->as_object()); }

const Value& Value::operator[](std::string_view key) const { return as_object().at(key); }

Value& Value::operator[](std::string_view key) {
    if (is_null()) v_ = Object{};
    return as_object()[key];
}

const Value& Value::element(std::size_t i) const {
    const Array& a = as_array();
    if (i >= a.size()) throw std::out_of_range("aio::json::Value: list index out of range");
    return a[i];
}

Value& Value::element(std::size_t i) { return const_cast<Value&>(static_cast<const Value*>(this)->element(i)); }

std::size_t Value::size() const {
    switch (type()) {
        case Type::array: return std::get<Array>(v_).size();
        case Type::object: return std::get<Object>(v_).size();
        case Type::string: return std::get<std::string>(v_).size();
        default: wrong_type(type(), "list, dict or str");
    }
}

const Value* Value::find(std::string_view key) const noexcept {
    if (auto* o = std::get_if<Object>(&v_)) return o->find(key);
    return nullptr;
}

void Value::push_back(Value v) {
    if (is_null()) v_ = Array{};
    as_array().push_back(std::move(v));
}

bool operator==(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
        return a.as_double() == b.as_double();
    }
    return a.v_ == b.v_;
}

}  // namespace aio::json
