// Input bytes to UTF-8 for the CSV reader: BOM, encodings and encoding_errors.
#include "csv/decoder.hpp"

#include <aio/csv/errors.hpp>
#include <aio/exceptions.hpp>

#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aio::csv::detail {

namespace {

std::string lower(std::string_view s) {
    std::string r(s);
    for (char& c : r)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    std::replace(r.begin(), r.end(), '_', '-');
    return r;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Bytes of output inflated per call (256 KiB: a few calls per input block).
constexpr std::size_t kInflateChunk = 256 * 1024;
/// Text one decode() call inflates at most (1 MiB, one parser block): a few
/// KiB of gzip can inflate to GiBs, so the parser takes the text a block at
/// a time, parsing (and checking its limits) in between.
constexpr std::size_t kMaxInflate = std::size_t{1} << 20;

}  // namespace

struct Decoder::Inflater {
    z_stream zs{};
    bool ended = false;     // the current member reached its end
    bool any = false;       // some member was started
    Inflater() {
        if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::bad_alloc();
    }
    ~Inflater() { inflateEnd(&zs); }
    /// Inflates a prefix of `in` into `out`, stopping once about `max_out`
    /// bytes came out; returns the bytes of `in` consumed.
    std::size_t run(std::string_view in, aio::table_detail::Buffer& out, std::size_t max_out) {
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs.avail_in = static_cast<uInt>(in.size());
        const std::size_t start = out.size();
        bool full = false;  // the last call filled its output: zlib may hold more
        // With input left, up to max_out; without, only what zlib still holds.
        while (zs.avail_in > 0 ? out.size() - start < max_out : full) {
            full = false;
            if (ended) {
                if (zs.avail_in == 0) break;
                // Another gzip member follows (concatenated .gz files).
                inflateReset(&zs);
                ended = false;
            }
            any = true;
            const std::size_t old = out.size();
            std::byte* dst = out.extend(kInflateChunk);
            zs.next_out = reinterpret_cast<Bytef*>(dst);
            zs.avail_out = static_cast<uInt>(kInflateChunk);
            const int rc = inflate(&zs, Z_NO_FLUSH);
            out.resize(old + (kInflateChunk - zs.avail_out));
            if (rc == Z_STREAM_END) {
                ended = true;
                continue;
            }
            if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
            if (rc != Z_OK && rc != Z_BUF_ERROR)
                throw ParserError(std::string("invalid gzip data: ") + (zs.msg ? zs.msg : "corrupt stream"), 0);
            full = zs.avail_out == 0;
        }
        return in.size() - zs.avail_in;
    }
};

Decoder::Decoder(const ReadOptions& o, std::string_view path_hint) {
    const std::string enc = lower(o.encoding);
    if (enc == "utf-8" || enc == "utf8" || enc == "u8") {
        encoding_name_ = "utf-8";
    } else if (enc == "utf-8-sig" || enc == "utf8-sig") {
        encoding_name_ = "utf-8";
    } else if (enc == "latin-1" || enc == "latin1" || enc == "iso-8859-1" || enc == "iso8859-1" || enc == "l1") {
        encoding_name_ = "latin-1";
        latin1_ = true;
        strip_bom_ = false;
    } else {
        throw ValueError("unknown encoding: " + o.encoding);
    }
    const std::string comp = lower(o.compression);
    if (comp == "infer") {
        compression_ = ends_with(lower(path_hint), ".gz") ? Compression::gzip : Compression::infer;
    } else if (comp == "gzip") {
        compression_ = Compression::gzip;
    } else if (comp.empty() || comp == "none") {
        compression_ = Compression::none;
    } else {
        throw ValueError("Unrecognized compression type: " + o.compression);
    }
    if (compression_ == Compression::gzip) inflater_ = std::make_unique<Inflater>();
}

Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

bool Decoder::passthrough() const noexcept {
    return compression_ == Compression::none && !latin1_ && bom_checked_ && pending_.empty();
}

std::size_t Decoder::decode(std::string_view in, aio::table_detail::Buffer& out) {
    if (compression_ == Compression::infer) {
        // Hold the first byte until the second tells whether this is gzip.
        if (pending_.size() + in.size() < 2) {
            pending_.append(in);
            raw_in_ += in.size();
            return in.size();
        }
        const char second = pending_.empty() ? in[1] : in[0];
        const char first = pending_.empty() ? in[0] : pending_[0];
        const bool gz = static_cast<unsigned char>(first) == 0x1f && static_cast<unsigned char>(second) == 0x8b;
        compression_ = gz ? Compression::gzip : Compression::none;
        if (gz) inflater_ = std::make_unique<Inflater>();
        std::string held = std::move(pending_);
        pending_.clear();
        if (!held.empty()) {
            raw_in_ -= held.size();
            decode(held, out);  // one byte: consumed whole
        }
        return decode(in, out);
    }
    if (compression_ == Compression::gzip) {
        plain_.clear();
        const std::size_t used = inflater_->run(in, plain_, kMaxInflate);
        raw_in_ += used;
        emit(std::string_view(reinterpret_cast<const char*>(plain_.data()), plain_.size()), out);
        return used;
    }
    raw_in_ += in.size();
    emit(in, out);
    return in.size();
}

void Decoder::emit(std::string_view text, aio::table_detail::Buffer& out) {
    if (!bom_checked_) {
        pending_.append(text);
        if (pending_.size() < 3 && pending_ == std::string_view("\xEF\xBB\xBF").substr(0, pending_.size())) return;
        bom_checked_ = true;
        std::string held = std::move(pending_);
        pending_.clear();
        std::string_view h = held;
        if (strip_bom_ && h.substr(0, 3) == "\xEF\xBB\xBF") h.remove_prefix(3);
        emit(h, out);
        return;
    }
    if (!latin1_) {
        out.append(text.data(), text.size());
        return;
    }
    // Latin-1: bytes ≥ 0x80 become two UTF-8 bytes.
    std::byte* dst = out.extend(text.size() * 2);
    char* w = reinterpret_cast<char*>(dst);
    for (unsigned char c : text) {
        if (c < 0x80) {
            *w++ = static_cast<char>(c);
        } else {
            *w++ = static_cast<char>(0xC0 | (c >> 6));
            *w++ = static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    out.resize(static_cast<std::size_t>(reinterpret_cast<std::byte*>(w) - out.data()));
}

void Decoder::finish(aio::table_detail::Buffer& out) {
    if (compression_ == Compression::infer) {
        compression_ = Compression::none;
        std::string held = std::move(pending_);
        pending_.clear();
        emit(held, out);
    }
    if (compression_ == Compression::gzip && inflater_) {
        // Output zlib still holds (the last call filled its buffer).
        plain_.clear();
        inflater_->run(std::string_view(), plain_, kMaxInflate);
        emit(std::string_view(reinterpret_cast<const char*>(plain_.data()), plain_.size()), out);
    }
    if (compression_ == Compression::gzip && inflater_ && (!inflater_->ended || !inflater_->any))
        throw ParserError("compressed file ended before the end-of-stream marker was reached", 0);
    if (!bom_checked_) {
        bom_checked_ = true;
        std::string held = std::move(pending_);
        pending_.clear();
        std::string_view h = held;
        if (strip_bom_ && h.substr(0, 3) == "\xEF\xBB\xBF") h.remove_prefix(3);
        if (!latin1_) {
            out.append(h.data(), h.size());
        } else {
            bom_checked_ = true;
            emit(h, out);
        }
    }
}

namespace {

/// The scalar walk: the offset of the first byte that is not valid UTF-8
/// (with `reason`), of a character cut off at the end when `partial`, or n.
std::size_t walk_utf8(const char* s, std::size_t n, bool partial, const char*& reason) noexcept {
    reason = nullptr;
    std::size_t i = 0;
    const auto* u = reinterpret_cast<const unsigned char*>(s);
    while (i < n) {
#if defined(__SSE2__)
        while (i + 16 <= n) {
            __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(u + i));
            int m = _mm_movemask_epi8(x);
            if (m != 0) {
                i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(m)));
                break;
            }
            i += 16;
        }
#endif
        if (i >= n) break;
        const unsigned char c = u[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;  // no surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            reason = "invalid start byte";
            return i;
        }
        for (std::size_t k = 1; k < len; ++k) {
            if (i + k >= n) {
                if (partial) return i;
                reason = "unexpected end of data";
                return i;
            }
            const unsigned char d = u[i + k];
            const unsigned char l = k == 1 ? lo : 0x80;
            const unsigned char h = k == 1 ? hi : 0xBF;
            if (d < l || d > h) {
                reason = "invalid continuation byte";
                return i;
            }
        }
        i += len;
    }
    return n;
}

}  // namespace

std::size_t validate_utf8(const char* s, std::size_t n, bool partial, const char*& reason) noexcept {
    // Nearly all text is valid: simdjson's validator (SIMD, at the widest the
    // CPU has) says so for everything before a last character that may be
    // cut off, about four times as fast as the walk above (R8's text has a
    // non-ASCII letter every few hundred bytes, each of which stopped the
    // walk's 16-byte steps). Only text it refuses, and that last character,
    // go through the walk, which names the first bad byte.
    const auto* u = reinterpret_cast<const unsigned char*>(s);
    std::size_t whole = n;
    if (partial) {
        for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
            const unsigned char c = u[n - back];
            if (c < 0x80) break;  // nothing cut off
            if (c >= 0xC0) {      // a lead byte: its character is cut off when it needs more
                const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
                if (len > back) whole = n - back;
                break;
            }
        }
    }
    if (!simdjson::validate_utf8(s, whole)) return walk_utf8(s, n, partial, reason);
    if (whole == n) {
        reason = nullptr;
        return n;
    }
    return whole + walk_utf8(s + whole, n - whole, partial, reason);
}

}  // namespace aio::csv::detail
