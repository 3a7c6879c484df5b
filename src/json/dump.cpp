// aio::json::dumps: CPython's json.encoder, output byte for byte.
#include "aio/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "json/utf8.hpp"

namespace aio::json {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t unit) {
    char buf[6] = {'\\', 'u', kHex[(unit >> 12) & 0xF], kHex[(unit >> 8) & 0xF], kHex[(unit >> 4) & 0xF],
                   kHex[unit & 0xF]};
    out.append(buf, 6);
}

/// Bytes that ensure_ascii=True writes as they are: printable ASCII but '"' and '\\'.
bool plain_ascii(unsigned char c) noexcept { return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\'; }

void append_string(std::string& out, std::string_view s, bool ensure_ascii) {
    out.push_back('"');
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t run = i;
        if (ensure_ascii) {
            while (run < s.size() && plain_ascii(static_cast<unsigned char>(s[run]))) ++run;
        } else {
            while (run < s.size() && (static_cast<unsigned char>(s[run]) >= 0x80 ||
                                      plain_ascii(static_cast<unsigned char>(s[run])) || s[run] == 0x7F)) {
                if (static_cast<unsigned char>(s[run]) >= 0x80) {
                    std::size_t len = 0;
                    if (detail::decode_utf8(s, run, len) < 0) throw aio::UnicodeDecodeError("utf-8", run, "invalid UTF-8");
                    run += len;
                } else {
                    ++run;
                }
            }
        }
        out.append(s.data() + i, run - i);
        i = run;
        if (i >= s.size()) break;
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"': out.append("\\\""); ++i; continue;
            case '\\': out.append("\\\\"); ++i; continue;
            case '\n': out.append("\\n"); ++i; continue;
            case '\r': out.append("\\r"); ++i; continue;
            case '\t': out.append("\\t"); ++i; continue;
            case '\b': out.append("\\b"); ++i; continue;
            case '\f': out.append("\\f"); ++i; continue;
            default: break;
        }
        if (c < 0x80) {
            append_u_escape(out, c);
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::int32_t cp = detail::decode_utf8(s, i, len);
        if (cp < 0) throw aio::UnicodeDecodeError("utf-8", i, "invalid UTF-8");
        if (cp >= 0x10000) {
            std::uint32_t v = static_cast<std::uint32_t>(cp) - 0x10000;
            append_u_escape(out, 0xD800 + (v >> 10));
            append_u_escape(out, 0xDC00 + (v & 0x3FF));
        } else {
            append_u_escape(out, static_cast<std::uint32_t>(cp));
        }
        i += len;
    }
    out.push_back('"');
}

void append_float_repr(std::string& out, double d) {
    if (std::isnan(d)) {
        out.append("nan");
        return;
    }
    if (std::isinf(d)) {
        out.append(d < 0 ? "-inf" : "inf");
        return;
    }
    // The shortest digits that read back as d, from the scientific form "d.ddde±x".
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
    bool negative = sci.front() == '-';
    if (negative) sci.remove_prefix(1);
    std::size_t e_at = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_at))
        if (c != '.') digits.push_back(c);
    int exp = 0;
    std::string_view exp_text = sci.substr(e_at + 1);
    if (exp_text.front() == '+') exp_text.remove_prefix(1);
    std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
    // CPython's float_repr_style 'short': fixed notation when -4 < decpt <= 16.
    int decpt = exp + 1;
    int n = static_cast<int>(digits.size());
    if (negative) out.push_back('-');
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out.append("0.");
            out.append(static_cast<std::size_t>(-decpt), '0');
            out.append(digits);
        } else if (decpt >= n) {
            out.append(digits);
            out.append(static_cast<std::size_t>(decpt - n), '0');
            out.append(".0");
        } else {
            out.append(digits, 0, static_cast<std::size_t>(decpt));
            out.push_back('.');
            out.append(digits, static_cast<std::size_t>(decpt));
        }
        return;
    }
    out.push_back(digits[0]);
    if (n > 1) {
        out.push_back('.');
        out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out.push_back('0');
    out.append(std::to_string(a));
}

/// The deepest nesting dumps writes: loads' limit (src/json/parse.cpp).
constexpr int kMaxDumpDepth = 1024;

struct Writer {
    const DumpOptions& opts;
    std::string& out;
    std::string_view item_sep;
    std::string_view key_sep;

    void newline(int level) {
        out.push_back('\n');
        // A negative indent is 0, as Python's ' ' * indent is empty for it.
        if (*opts.indent > 0) out.append(static_cast<std::size_t>(*opts.indent) * static_cast<std::size_t>(level), ' ');
    }

    void write(const Value& v, int level) {
        // One call per level: refuse what loads refuses before the stack runs out
        // (Python: RecursionError, "maximum recursion depth exceeded").
        if (level >= kMaxDumpDepth && (v.is_array() || v.is_object()))
            throw aio::RecursionError(fmt::format("nesting deeper than {} levels: cannot dump it", kMaxDumpDepth));
        switch (v.type()) {
            case Type::null: out.append("null"); return;
            case Type::boolean: out.append(v.as_bool() ? "true" : "false"); return;
            case Type::integer: {
                char buf[24];
                auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
                out.append(buf, static_cast<std::size_t>(r.ptr - buf));
                return;
            }
            case Type::number: {
                double d = v.as_double();
                if (std::isfinite(d)) {
                    append_float_repr(out, d);
                    return;
                }
                if (!opts.allow_nan) throw aio::ValueError("Out of range float values are not JSON compliant");
                out.append(std::isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                return;
            }
            case Type::string: append_string(out, v.as_string(), opts.ensure_ascii); return;
            case Type::array: {
                const Array& a = v.as_array();
                if (a.empty()) {
                    out.append("[]");
                    return;
                }
                out.push_back('[');
                bool first = true;
                for (const Value& x : a) {
                    if (!first) out.append(item_sep);
                    first = false;
                    if (opts.indent) newline(level + 1);
                    write(x, level + 1);
                }
                if (opts.indent) newline(level);
                out.push_back(']');
                return;
            }
            case Type::object: {
                const Object& o = v.as_object();
                if (o.empty()) {
                    out.append("{}");
                    return;
                }
                std::vector<const Object::Member*> members;
                members.reserve(o.size());
                for (const auto& m : o) members.push_back(&m);
                if (opts.sort_keys)
                    std::sort(members.begin(), members.end(),
                                     [](const Object::Member* a, const Object::Member* b) { return a->key < b->key; });
                out.push_back('{');
                bool first = true;
                for (const Object::Member* m : members) {
                    if (!first) out.append(item_sep);
                    first = false;
                    if (opts.indent) newline(level + 1);
                    append_string(out, m->key, opts.ensure_ascii);
                    out.append(key_sep);
                    write(m->value, level + 1);
                }
                if (opts.indent) newline(level);
                out.push_back('}');
                return;
            }
        }
    }
};

}  // namespace

void dump_to(std::string& out, const Value& v, const DumpOptions& opts) {
    std::string_view item = opts.item_separator;
    if (item.empty()) item = opts.indent ? "," : ", ";
    std::string_view key = opts.key_separator.empty() ? std::string_view(": ") : opts.key_separator;
    std::size_t mark = out.size();
    try {
        Writer{opts, out, item, key}.write(v, 0);
    } catch (...) {
        out.resize(mark);
        throw;
    }
}

std::string dumps(const Value& v, const DumpOptions& opts) {
    std::string out;
    dump_to(out, v, opts);
    return out;
}

std::string dumps_string(std::string_view s, bool ensure_ascii) {
    std::string out;
    append_string(out, s, ensure_ascii);
    return out;
}

std::string float_repr(double d) {
    std::string out;
    append_float_repr(out, d);
    return out;
}

}  // namespace aio::json
