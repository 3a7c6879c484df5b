// Text mode for aio files: encodings, errors and newline translation (as io.TextIOWrapper).
#include "files/codec.hpp"

#include <cstring>

#include <fmt/format.h>

#include "aio/exceptions.hpp"

namespace aio::files::impl {

namespace {

/// Length of the maximal valid prefix of the UTF-8 sequence at data[i]
/// (Unicode's "maximal subpart"): its full length when valid; 1..n-1 when it
/// is cut by an invalid byte; `truncated` when the data ends inside it.
std::size_t utf8_seq(const unsigned char* p, std::size_t avail, bool& valid, bool& truncated) noexcept {
    unsigned char b = p[0];
    valid = true;
    truncated = false;
    if (b < 0x80) return 1;
    std::size_t need;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        need = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 3;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 4;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else {
        valid = false;
        return 1;
    }
    for (std::size_t k = 1; k < need; ++k) {
        if (k >= avail) {
            truncated = true;
            valid = false;
            return k;
        }
        unsigned char c = p[k];
        bool ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
        if (!ok) {
            valid = false;
            return k;
        }
    }
    return need;
}

std::string lower_name(std::string_view name) {
    std::string s;
    for (char c : name) {
        if (c == '_' || c == ' ') c = '-';
        s += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return s;
}

void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

Encoding parse_encoding(std::string_view name) {
    std::string n = lower_name(name);
    if (n.empty() || n == "utf-8" || n == "utf8" || n == "u8" || n == "utf") return Encoding::utf8;
    if (n == "utf-8-sig" || n == "utf8-sig") return Encoding::utf8_sig;
    if (n == "latin-1" || n == "latin1" || n == "iso-8859-1" || n == "iso8859-1" || n == "8859" || n == "l1" ||
        n == "latin" || n == "cp819")
        return Encoding::latin1;
    throw ValueError(fmt::format("unknown encoding: {}", name));
}

const char* encoding_name(Encoding e) noexcept {
    switch (e) {
        case Encoding::utf8: return "utf-8";
        case Encoding::utf8_sig: return "utf-8-sig";
        case Encoding::latin1: return "latin-1";
    }
    return "utf-8";
}

std::size_t utf8_valid_prefix(std::string_view data) noexcept {
    auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size(), i = 0;
    while (i < n) {
        // ASCII fast path: 8 bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        bool valid, truncated;
        std::size_t len = utf8_seq(p + i, n - i, valid, truncated);
        if (!valid) return i;
        i += len;
    }
    return n;
}

Scan scan(std::string_view data, Encoding enc, std::int64_t max_chars, bool stop_at_newline, bool at_eof) noexcept {
    Scan s;
    auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size(), i = 0;
    while (i < n) {
        if (max_chars >= 0 && s.chars >= static_cast<std::size_t>(max_chars)) break;
        unsigned char b = p[i];
        std::size_t len = 1;
        if (b == '\r') {
            if (i + 1 >= n && !at_eof) {
                s.need_more = true;  // "\r" then maybe "\n" in the next block
                break;
            }
            if (i + 1 < n && p[i + 1] == '\n') len = 2;
        } else if (b >= 0x80 && enc != Encoding::latin1) {
            bool valid, truncated;
            len = utf8_seq(p + i, n - i, valid, truncated);
            if (truncated && !at_eof) {
                s.need_more = true;
                break;
            }
        }
        i += len;
        ++s.chars;
        if (b == '\n' || b == '\r') {
            if (stop_at_newline) {
                s.newline = true;
                break;
            }
        }
    }
    s.bytes = i;
    return s;
}

void decode(std::string& out, std::string_view data, Encoding enc, bool replace, std::int64_t base_offset) {
    auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size(), i = 0;
    out.reserve(out.size() + n);
    while (i < n) {
        // Runs of plain ASCII without '\r' are copied as they are.
        std::size_t start = i;
        while (i < n && p[i] < 0x80 && p[i] != '\r') ++i;
        if (i > start) out.append(data.data() + start, i - start);
        if (i >= n) break;
        unsigned char b = p[i];
        if (b == '\r') {
            out += '\n';
            i += (i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        if (enc == Encoding::latin1) {
            append_utf8(out, b);
            ++i;
            continue;
        }
        bool valid, truncated;
        std::size_t len = utf8_seq(p + i, n - i, valid, truncated);
        if (valid) {
            out.append(data.data() + i, len);
        } else if (replace) {
            out += kReplacement;
        } else {
            const char* reason = truncated ? "unexpected end of data"
                                 : len == 1 && (b < 0xC2 || b > 0xF4) ? "invalid start byte"
                                                                      : "invalid continuation byte";
            throw UnicodeDecodeError(encoding_name(enc), static_cast<std::size_t>(base_offset) + i,
                                     fmt::format("0x{:02x}: {}", b, reason));
        }
        i += len;
    }
}

std::size_t encode(std::string& out, std::string_view text, Encoding enc, bool replace) {
    auto* p = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t n = text.size(), i = 0, chars = 0;
    if (enc != Encoding::latin1) {
        std::size_t ok = utf8_valid_prefix(text);
        if (ok == n) {
            out.append(text);
            // Characters = bytes that do not continue a sequence.
            for (std::size_t k = 0; k < n; ++k) chars += (p[k] & 0xC0) != 0x80;
            return chars;
        }
    }
    out.reserve(out.size() + n);
    while (i < n) {
        unsigned char b = p[i];
        bool valid = true, truncated = false;
        std::size_t len = b < 0x80 ? 1 : utf8_seq(p + i, n - i, valid, truncated);
        ++chars;
        if (!valid) {
            if (!replace)
                throw ValueError(fmt::format("'{}' codec can't encode the text: invalid UTF-8 at byte {}",
                                             encoding_name(enc), i));
            out += '?';
        } else if (enc == Encoding::latin1 && len > 1) {
            unsigned cp = len == 2 ? ((b & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu) : 0x100;
            if (cp <= 0xFF) {
                out += static_cast<char>(cp);
            } else if (replace) {
                out += '?';
            } else {
                throw ValueError(fmt::format("'latin-1' codec can't encode character '{}' in position {}: ordinal "
                                             "not in range(256)",
                                             text.substr(i, len), chars - 1));
            }
        } else {
            out.append(text.data() + i, len);
        }
        i += len;
    }
    return chars;
}

}  // namespace aio::files::impl
