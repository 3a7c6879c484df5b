// Incremental UTF-8 validation (RFC 3629): the state a text message keeps
// between frames and between feeds, so that a sequence split anywhere is
// judged the same as a whole one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace aio::http::ws::detail {

/// Validates a stream of bytes piece by piece. Rejects overlong forms,
/// surrogates (U+D800..U+DFFF) and code points above U+10FFFF at the first
/// byte that makes the sequence impossible (fail fast), not at its end.
class Utf8Validator {
public:
    /// Checks the next `n` bytes; false at the first invalid byte (the
    /// validator is then in no defined state: the caller fails the message).
    bool feed(const std::uint8_t* p, std::size_t n) noexcept {
        std::size_t i = 0;
        while (i < n) {
            if (need_ == 0) {
                // ASCII fast path, 8 bytes at a time: most text is ASCII.
                while (i + 8 <= n) {
                    std::uint64_t w;
                    std::memcpy(&w, p + i, 8);
                    if (w & 0x8080808080808080ull) break;
                    i += 8;
                }
                if (i == n) break;
                const std::uint8_t c = p[i++];
                if (c < 0x80) continue;
                if (c < 0xC2) return false;  // a continuation byte, or an overlong 2-byte lead
                if (c < 0xE0) {
                    need_ = 1;
                } else if (c < 0xF0) {
                    need_ = 2;
                    if (c == 0xE0) lo_ = 0xA0;  // overlong 3-byte form
                    if (c == 0xED) hi_ = 0x9F;  // surrogates
                } else if (c < 0xF5) {
                    need_ = 3;
                    if (c == 0xF0) lo_ = 0x90;  // overlong 4-byte form
                    if (c == 0xF4) hi_ = 0x8F;  // above U+10FFFF
                } else {
                    return false;
                }
            } else {
                const std::uint8_t c = p[i++];
                if (c < lo_ || c > hi_) return false;
                lo_ = 0x80;
                hi_ = 0xBF;
                --need_;
            }
        }
        return true;
    }
    /// Whether the bytes so far end on a code point boundary.
    bool complete() const noexcept { return need_ == 0; }
    void reset() noexcept {
        need_ = 0;
        lo_ = 0x80;
        hi_ = 0xBF;
    }

private:
    std::uint8_t need_ = 0;  // continuation bytes still expected
    std::uint8_t lo_ = 0x80;  // the range the next continuation byte must fall in
    std::uint8_t hi_ = 0xBF;
};

}  // namespace aio::http::ws::detail
