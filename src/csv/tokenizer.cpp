// The CSV tokenizer's state machine: bytes to field offsets, quotes, escapes, comments, line endings.
#include "csv/tokenizer.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#if defined(__SSE2__) && !defined(__clang__)
#include <emmintrin.h>
#endif

namespace aio::csv::detail {

namespace {

struct Masks {
    std::uint64_t quote, sep, nl, cr;
};

/// Bitmasks of the quote, separator, LF and CR bytes of p[0, 64).
/// Inlined into each version of the bitmask engine, and compiled for that
/// version's instruction set: under clang, 64-byte vector compares turned
/// into a bitmask, which become four SSE2 compares and movemasks per mask on
/// the baseline, two with AVX2, and one compare into a mask register with
/// AVX-512BW.
[[gnu::always_inline]] inline Masks masks64(const char* p, char sep, int quote) noexcept {
    Masks m{};
#if defined(__clang__)
    using Bytes64 = char __attribute__((ext_vector_type(64)));
    using Bits64 = bool __attribute__((ext_vector_type(64)));
    Bytes64 x;
    std::memcpy(&x, p, 64);
    auto bits = [&](char c) { return __builtin_bit_cast(std::uint64_t, __builtin_convertvector(x == c, Bits64)); };
    m.sep = bits(sep);
    m.quote = quote < 0 ? 0 : bits(static_cast<char>(quote));
    m.nl = bits('\n');
    m.cr = bits('\r');
#elif defined(__SSE2__)
    const __m128i vs = _mm_set1_epi8(sep);
    const __m128i vq = _mm_set1_epi8(static_cast<char>(quote));
    const __m128i vn = _mm_set1_epi8('\n');
    const __m128i vr = _mm_set1_epi8('\r');
    for (int k = 0; k < 4; ++k) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        auto bits = [&](__m128i v) {
            return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, v))))
                   << (16 * k);
        };
        m.sep |= bits(vs);
        m.quote |= bits(vq);
        m.nl |= bits(vn);
        m.cr |= bits(vr);
    }
    if (quote < 0) m.quote = 0;
#else
    for (int i = 0; i < 64; ++i) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        const char c = p[i];
        if (c == sep) m.sep |= bit;
        if (quote >= 0 && c == static_cast<char>(quote)) m.quote |= bit;
        if (c == '\n') m.nl |= bit;
        if (c == '\r') m.cr |= bit;
    }
#endif
    return m;
}

/// Bit i of the result is the XOR of bits 0..i of x: 1 inside quotes.
[[gnu::always_inline]] inline std::uint64_t prefix_xor(std::uint64_t x) noexcept {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

inline bool is_blank_char(char c) noexcept { return c == ' ' || c == '\t'; }

/// Field length bit: the quoted field still holds doubled quotes.
constexpr std::uint32_t kNeedsUnescape = 0x80000000u;

}  // namespace

std::size_t Tokenizer::tokenize(char* text, std::size_t begin, std::size_t end, bool final, RowBlock& out,
                                TokenizerHooks& hooks, std::size_t lines, std::size_t arena,
                                std::size_t max_rows) {
    out.reserve_rows(lines + 1);
    std::size_t pos = begin;
    if (d_.simple()) {
        bool bailed = false;
        pos = tokenize_fast(text, begin, end, out, hooks, bailed);
        if (!bailed && !final) {
            out.seal();
            return pos;
        }
    }
    pos = tokenize_general(text, pos, end, final, out, hooks, arena == 0 ? end + kPadding : arena, max_rows);
    out.seal();
    return pos;
}

namespace {

/// The bitmask engine (Tokenizer::tokenize_fast), inlined into one function
/// per instruction set.
[[gnu::always_inline]] inline std::size_t tokenize_fast_body(const Dialect& d, std::size_t max_fields, char* s,
                                                             std::size_t begin, std::size_t end, RowBlock& out,
                                                             TokenizerHooks& hooks, bool& bailed) {
    const std::size_t ncols = out.ncols;
    const char sep = d.sep;
    const int quote = d.quote;
    const char qc = static_cast<char>(quote);
    const bool skip_blank = d.skip_blank_lines;

    std::uint64_t quote_carry = 0;  // all ones when the previous chunk ended inside quotes
    std::uint64_t prev_struct = 1;  // bit 0: the next chunk starts a field
    std::uint64_t prev_close = 0;   // the previous chunk ended on a closing quote
    std::uint64_t prev_cr = 0;      // the previous chunk ended on a CR outside quotes
    std::size_t row_start = begin;
    std::size_t field_start = begin;
    std::size_t col = 0;
    bool row_unescape = false;
    // Doubled quotes ("" inside a quoted field) are found in the masks, not
    // by scanning each field again: a closing quote right before an opening
    // one. `dq` marks this chunk's (at the first quote of the pair);
    // `dq_end` is one past the last one of the chunks before.
    std::uint64_t dq = 0;
    std::size_t dq_end = 0;
    Field* row = out.begin_row(row_start);

    for (std::size_t base = begin; base < end; base += 64) {
        const std::size_t len = end - base < 64 ? end - base : 64;
        const std::uint64_t valid = len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
        Masks m = masks64(s + base, sep, quote);
        m.quote &= valid;
        m.sep &= valid;
        m.nl &= valid;
        m.cr &= valid;
        const std::uint64_t inside = prefix_xor(m.quote) ^ quote_carry;
        quote_carry = static_cast<std::uint64_t>(static_cast<std::int64_t>(inside) >> 63);
        const std::uint64_t outside = ~inside;
        std::uint64_t structural = (m.sep | m.nl) & outside;
        // Line feeds right after a CR (the CR ends the field, not in it). A
        // CR right before a line feed outside quotes is outside quotes too.
        const std::uint64_t crlf = ((m.cr << 1) | prev_cr) & m.nl;

        if ((m.quote | m.cr | prev_close | prev_cr) != 0) {
            // Quotes must open at a field start (or right after a closing quote:
            // a doubled quote) and close before a separator, a line break or
            // another quote; a CR must precede an LF.
            const std::uint64_t open = m.quote & inside;
            const std::uint64_t close = m.quote & outside;
            const std::uint64_t starts = (structural << 1) | prev_struct;
            const std::uint64_t follow = m.sep | m.nl | m.cr | m.quote;
            // Positions whose next byte lies in this chunk's data.
            const std::uint64_t has_next = valid >> 1;
            const std::uint64_t cr = m.cr & outside;
            std::uint64_t bad = open & ~(starts | (close << 1) | prev_close);
            bad |= close & ~(follow >> 1) & has_next;
            bad |= cr & ~(m.nl >> 1) & has_next;
            if (prev_close && !(follow & 1)) bad |= 1;
            if (prev_cr && !(m.nl & 1)) bad |= 1;
            // A pair split by the chunk boundary is marked at this chunk's bit 0.
            dq = (close & (open >> 1)) | (prev_close & open & 1);
            prev_close = len == 64 ? close >> 63 : 0;
            prev_cr = len == 64 ? cr >> 63 : 0;
            if (bad != 0) {
                structural &= (bad & (0 - bad)) - 1;  // the rows before the first bad byte
                bailed = true;
            }
        } else {
            prev_close = prev_cr = 0;
            dq = 0;
        }
        prev_struct = structural >> 63;

        while (structural != 0) {
            const unsigned bit = static_cast<unsigned>(__builtin_ctzll(structural));
            structural &= structural - 1;
            const std::size_t pos = base + bit;
            std::size_t fs = field_start;
            std::size_t fe = pos - ((crlf >> bit) & 1);
            field_start = pos + 1;
            std::uint32_t flag = 0;
            if (fe > fs && s[fs] == qc && quote >= 0) {
                // Any doubled quote in [fs, pos)? This chunk's marks before
                // `bit` and from fs on, or an earlier chunk's past fs.
                const std::uint64_t before = (std::uint64_t{1} << bit) - 1;
                const std::uint64_t from = fs > base ? ~((std::uint64_t{1} << (fs - base)) - 1) : ~std::uint64_t{0};
                if ((dq & before & from) != 0 || dq_end > fs) {
                    flag = kNeedsUnescape;
                    row_unescape = true;
                }
                ++fs;
                --fe;
            }
            if (col < ncols) row[col] = Field{static_cast<std::uint32_t>(fs), static_cast<std::uint32_t>(fe - fs) | flag};
            ++col;
            if (!((m.nl >> bit) & 1)) continue;

            // End of a row.
            if (col == 1 && skip_blank) {
                bool blank = true;
                for (std::size_t i = row_start; i < fe; ++i)
                    if (!is_blank_char(s[i])) {
                        blank = false;
                        break;
                    }
                if (blank) {
                    col = 0;
                    row_start = field_start;
                    row = out.begin_row(row_start);
                    continue;
                }
            }
            if (col > ncols) {
                if (col > max_fields) hooks.too_many_fields(row_start, col);  // throws
                hooks.bad_row(row_start, col);  // throws, or drops the row
            } else {
                for (std::size_t c = col; c < ncols; ++c) row[c] = Field{0, kAbsent};
                if (row_unescape) {
                    // Doubled quotes, now that the row is complete: fields are
                    // never changed before, so that a row cut off at the end of
                    // the data is tokenized again from intact text.
                    for (std::size_t c = 0; c < ncols && c < col; ++c) {
                        if (row[c].length == kAbsent || !(row[c].length & kNeedsUnescape)) continue;
                        const std::size_t a = row[c].offset;
                        const std::size_t b = a + (row[c].length & ~kNeedsUnescape);
                        // The fast path let quotes inside a quoted field
                        // through only as doubled pairs: each pair becomes one
                        // quote, and the runs between pairs move whole. The
                        // next quote is found 8 bytes at a time (the text's
                        // padding covers the read past b).
                        const std::uint64_t qq = 0x0101010101010101u * static_cast<unsigned char>(qc);
                        auto next_quote = [&](std::size_t r) noexcept {
                            for (; r < b; r += 8) {
                                std::uint64_t v;
                                std::memcpy(&v, s + r, 8);
                                const std::uint64_t x = v ^ qq;  // a quote byte becomes 0
                                const std::uint64_t z = (x - 0x0101010101010101u) & ~x & 0x8080808080808080u;
                                if (z != 0) return std::min(b, r + static_cast<std::size_t>(__builtin_ctzll(z)) / 8);
                            }
                            return b;
                        };
                        std::size_t w = next_quote(a);
                        std::size_t r = w;
                        while (r < b) {
                            s[w++] = qc;  // the pair at r (a lone quote, which the
                            r += r + 1 < b && s[r + 1] == qc ? 2 : 1;  // fast path refuses, is kept)
                            const std::size_t q = next_quote(r);
                            std::memmove(s + w, s + r, q - r);
                            w += q - r;
                            r = q;
                        }
                        row[c].length = static_cast<std::uint32_t>(w - a);
                        // The freed bytes must not look like line breaks to
                        // the line counting that follows.
                        std::memset(s + w, qc, b - w);
                    }
                }
                out.commit_row();
            }
            row_unescape = false;
            col = 0;
            row_start = field_start;
            row = out.begin_row(row_start);
        }
        if (bailed) return row_start;
        if (dq != 0) dq_end = base + 64 - static_cast<std::size_t>(__builtin_clzll(dq));
    }
    return row_start;
}

std::size_t tokenize_fast_baseline(const Dialect& d, std::size_t max_fields, char* s, std::size_t begin,
                                   std::size_t end, RowBlock& out, TokenizerHooks& hooks, bool& bailed) {
    return tokenize_fast_body(d, max_fields, s, begin, end, out, hooks, bailed);
}

#if AIO_CSV_ISA_VERSIONS
// The same engine compiled for AVX2 and for AVX-512BW: the masks take two
// and one compares per byte class instead of four (R8 on one core, with the
// signed digit conversion of parse_double_fast, against the build before
// both: 0.1827 -> 0.1794 s; the conversion alone was within the noise).
// Only what is inlined here uses the wider instructions; functions called
// from here are the baseline's own.
[[gnu::target("avx2,bmi,bmi2,lzcnt,popcnt")]] std::size_t tokenize_fast_avx2(
    const Dialect& d, std::size_t max_fields, char* s, std::size_t begin, std::size_t end, RowBlock& out,
    TokenizerHooks& hooks, bool& bailed) {
    return tokenize_fast_body(d, max_fields, s, begin, end, out, hooks, bailed);
}

[[gnu::target("avx512f,avx512bw,avx512vl,avx2,bmi,bmi2,lzcnt,popcnt")]] std::size_t tokenize_fast_avx512(
    const Dialect& d, std::size_t max_fields, char* s, std::size_t begin, std::size_t end, RowBlock& out,
    TokenizerHooks& hooks, bool& bailed) {
    return tokenize_fast_body(d, max_fields, s, begin, end, out, hooks, bailed);
}
#endif

TokenizerIsa detect_isa() noexcept {
#if AIO_CSV_ISA_VERSIONS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("bmi2"))
        return TokenizerIsa::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2")) return TokenizerIsa::avx2;
#endif
    return TokenizerIsa::baseline;
}

const TokenizerIsa g_supported_isa = detect_isa();
std::atomic<TokenizerIsa> g_isa{g_supported_isa};

}  // namespace

TokenizerIsa tokenizer_isa_supported() noexcept { return g_supported_isa; }

TokenizerIsa tokenizer_isa() noexcept { return g_isa.load(std::memory_order_relaxed); }

void set_tokenizer_isa(TokenizerIsa isa) noexcept {
    g_isa.store(std::min(isa, g_supported_isa), std::memory_order_relaxed);
}

std::size_t Tokenizer::tokenize_fast(char* s, std::size_t begin, std::size_t end, RowBlock& out,
                                     TokenizerHooks& hooks, bool& bailed) const {
    switch (g_isa.load(std::memory_order_relaxed)) {
#if AIO_CSV_ISA_VERSIONS
        case TokenizerIsa::avx512: return tokenize_fast_avx512(d_, max_fields_, s, begin, end, out, hooks, bailed);
        case TokenizerIsa::avx2: return tokenize_fast_avx2(d_, max_fields_, s, begin, end, out, hooks, bailed);
#endif
        default: return tokenize_fast_baseline(d_, max_fields_, s, begin, end, out, hooks, bailed);
    }
}

std::size_t Tokenizer::tokenize_general(char* text, std::size_t begin, std::size_t end, bool final, RowBlock& out,
                                        TokenizerHooks& hooks, std::size_t arena, std::size_t max_rows) const {
    const std::size_t ncols = out.ncols;
    std::vector<Field>& fields = const_cast<std::vector<Field>&>(scratch_);
    std::size_t pos = begin;
    while (pos < end && out.rows < max_rows) {
        bool blank = false;
        const std::size_t next = record(text, pos, end, final, fields, blank, arena, hooks);
        if (next == kIncomplete) break;
        if (!blank) {
            if (fields.size() > ncols) {
                hooks.bad_row(pos, fields.size());
            } else {
                Field* row = out.begin_row(pos);
                std::size_t c = 0;
                for (; c < fields.size(); ++c) row[c] = fields[c];
                for (; c < ncols; ++c) row[c] = Field{0, kAbsent};
                out.commit_row();
            }
        }
        pos = next;
    }
    return pos;
}

std::size_t Tokenizer::record(char* s, std::size_t p, std::size_t end, bool final, std::vector<Field>& fields,
                              bool& blank, std::size_t& arena, TokenizerHooks& hooks) const {
    fields.clear();
    blank = false;
    const std::size_t record_start = p;
    const bool ws_sep = d_.whitespace_sep;
    const bool multi_sep = !d_.sep_text.empty();
    const std::size_t sep_len = multi_sep ? d_.sep_text.size() : 1;
    const int quote = d_.quote;
    const int escape = d_.escape;
    const int comment = d_.comment;

    // Offset past the line break at q (CR, LF or CR LF), kIncomplete if unknown yet.
    auto after_break = [&](std::size_t q) -> std::size_t {
        if (s[q] == '\r') {
            if (q + 1 >= end) return final ? end : kIncomplete;
            return s[q + 1] == '\n' ? q + 2 : q + 1;
        }
        return q + 1;
    };
    // Offset past the end of the line at q, ignoring quotes (comments).
    auto skip_line = [&](std::size_t q) -> std::size_t {
        while (q < end && s[q] != '\n' && s[q] != '\r') ++q;
        if (q >= end) return final ? end : kIncomplete;
        return after_break(q);
    };

    {
        // A blank line: only spaces and tabs (that are not the separator), or
        // a comment line.
        std::size_t q = p;
        while (q < end && is_blank_char(s[q]) && (ws_sep || multi_sep || s[q] != d_.sep)) ++q;
        if (d_.skip_blank_lines || ws_sep) {
            if (q >= end) {
                if (!final) return kIncomplete;
                if (d_.skip_blank_lines || q == p) {
                    blank = true;
                    return end;
                }
            } else if (s[q] == '\n' || s[q] == '\r') {
                if (d_.skip_blank_lines) {
                    blank = true;
                    return after_break(q);
                }
            } else if (comment >= 0 && s[q] == static_cast<char>(comment) && d_.skip_blank_lines) {
                blank = true;
                return skip_line(q);
            }
            if (ws_sep) p = q;
        }
    }

    for (;;) {
        // One field. Its bytes are a slice of the text until a character must
        // be dropped; from then on they are copied to the arena.
        const std::size_t fstart = p;
        std::size_t out_begin = p;  // where the field's bytes are
        std::size_t out_len = 0;
        bool copied = false;
        auto keep = [&](std::size_t at) {  // the byte at `at` is the next byte of the field
            if (!copied) {
                if (out_len == 0) out_begin = at;
                if (out_begin + out_len == at) {
                    ++out_len;
                    return;
                }
                std::memmove(s + arena, s + out_begin, out_len);
                out_begin = arena;
                copied = true;
            }
            s[out_begin + out_len++] = s[at];
        };
        auto push = [&] {
            if (fields.size() >= max_fields_) hooks.too_many_fields(record_start, fields.size() + 1);  // throws
            if (copied) arena += out_len;
            fields.push_back(Field{static_cast<std::uint32_t>(out_len == 0 ? fstart : out_begin),
                                   static_cast<std::uint32_t>(out_len)});
        };
        if (d_.skipinitialspace)
            while (p < end && s[p] == ' ') ++p;
        if (p < end && quote >= 0 && s[p] == static_cast<char>(quote)) {
            const std::size_t qpos = p;
            ++p;
            // A quoted field whose bytes start after the quote.
            out_begin = p;
            for (;;) {
                if (p >= end) {
                    if (!final) return kIncomplete;
                    hooks.open_quote(qpos, fields.size());
                    fields.clear();
                    blank = true;
                    return end;
                }
                const char c = s[p];
                if (escape >= 0 && c == static_cast<char>(escape)) {
                    if (p + 1 >= end) {
                        if (!final) return kIncomplete;
                        hooks.open_quote(qpos, fields.size());
                        fields.clear();
                        blank = true;
                        return end;
                    }
                    // Dropping the escape: from here on the field is copied.
                    if (!copied) {
                        std::memmove(s + arena, s + out_begin, out_len);
                        out_begin = arena;
                        copied = true;
                    }
                    keep(p + 1);
                    p += 2;
                    continue;
                }
                if (c == static_cast<char>(quote)) {
                    if (d_.doublequote) {
                        if (p + 1 >= end && !final) return kIncomplete;
                        if (p + 1 < end && s[p + 1] == static_cast<char>(quote)) {
                            keep(p);
                            if (!copied) {
                                std::memmove(s + arena, s + out_begin, out_len);
                                out_begin = arena;
                                copied = true;
                            }
                            p += 2;
                            continue;
                        }
                    }
                    ++p;
                    break;
                }
                keep(p);
                ++p;
            }
            // Bytes after the closing quote belong to the field (pandas keeps
            // them); the quote itself is dropped.
            if (p < end && !copied) {
                const char c = s[p];
                const bool ends = c == '\n' || c == '\r' || (!ws_sep && c == d_.sep) ||
                                  (ws_sep && is_blank_char(c));
                if (!ends) {
                    std::memmove(s + arena, s + out_begin, out_len);
                    out_begin = arena;
                    copied = true;
                }
            }
        }
        // The unquoted part.
        for (;;) {
            if (p >= end) {
                if (!final) return kIncomplete;
                push();
                return end;
            }
            const char c = s[p];
            if (ws_sep) {
                if (is_blank_char(c)) {
                    push();
                    while (p < end && is_blank_char(s[p])) ++p;
                    if (p >= end) {
                        if (!final) return kIncomplete;
                        return end;
                    }
                    if (s[p] == '\n' || s[p] == '\r') return after_break(p);
                    if (comment >= 0 && s[p] == static_cast<char>(comment)) return skip_line(p);
                    break;  // next field
                }
            } else if (c == d_.sep) {
                if (!multi_sep) {
                    push();
                    ++p;
                    break;
                }
                if (p + sep_len <= end) {
                    if (std::memcmp(s + p, d_.sep_text.data(), sep_len) == 0) {
                        push();
                        p += sep_len;
                        break;
                    }
                } else if (!final && std::memcmp(s + p, d_.sep_text.data(), end - p) == 0) {
                    return kIncomplete;
                }
            }
            if (c == '\n' || c == '\r') {
                push();
                return after_break(p);
            }
            if (escape >= 0 && c == static_cast<char>(escape)) {
                if (p + 1 >= end) {
                    if (!final) return kIncomplete;
                    ++p;
                    continue;
                }
                if (!copied) {
                    if (out_len == 0) out_begin = p;
                    std::memmove(s + arena, s + out_begin, out_len);
                    out_begin = arena;
                    copied = true;
                }
                keep(p + 1);
                p += 2;
                continue;
            }
            if (comment >= 0 && c == static_cast<char>(comment)) {
                push();
                return skip_line(p);
            }
            keep(p);
            ++p;
        }
    }
}

}  // namespace aio::csv::detail
