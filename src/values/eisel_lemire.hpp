// Internal: w × 10^q as the correctly rounded double, for a 64-bit w and a
// small q, with one 64×64→128-bit multiply (Eisel and Lemire's method, as in
// "Number Parsing at a Gigabyte per Second", Lemire 2021). It takes what
// Clinger's exact path cannot: mantissas of 17 to 19 digits (above 2^53),
// which are a third of the values Python's repr writes for random floats.
// Where one multiply cannot decide the rounding (ties among those) it says
// so, and the caller falls back to std::from_chars.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace aio::values {

namespace eisel_lemire_detail {

/// The exponents q the table covers: CSV decimals rarely go further, and
/// the rest is std::from_chars' (the table is built on first use, in well
/// under a millisecond).
inline constexpr int kMinQ = -64;
inline constexpr int kMaxQ = 64;

/// A small unsigned big integer (little-endian 32-bit limbs), just enough to
/// build the table: 5^64 has 149 bits, 2^(2z + 128) at most 427.
struct Big {
    static constexpr int kLimbs = 16;
    std::array<std::uint32_t, kLimbs> limb{};

    int bits() const noexcept {
        for (int i = kLimbs - 1; i >= 0; --i)
            if (limb[static_cast<std::size_t>(i)] != 0) return 32 * i + 32 - __builtin_clz(limb[static_cast<std::size_t>(i)]);
        return 0;
    }
    bool bit(int i) const noexcept { return (limb[static_cast<std::size_t>(i / 32)] >> (i % 32)) & 1; }
    void set_bit(int i) noexcept { limb[static_cast<std::size_t>(i / 32)] |= std::uint32_t{1} << (i % 32); }
    void mul_small(std::uint32_t f) noexcept {
        std::uint64_t carry = 0;
        for (auto& l : limb) {
            const std::uint64_t v = std::uint64_t{l} * f + carry;
            l = static_cast<std::uint32_t>(v);
            carry = v >> 32;
        }
    }
    void shl1() noexcept {
        std::uint32_t carry = 0;
        for (auto& l : limb) {
            const std::uint32_t next = l >> 31;
            l = (l << 1) | carry;
            carry = next;
        }
    }
    bool less(const Big& o) const noexcept {
        for (int i = kLimbs - 1; i >= 0; --i) {
            const auto a = limb[static_cast<std::size_t>(i)], b = o.limb[static_cast<std::size_t>(i)];
            if (a != b) return a < b;
        }
        return false;
    }
    void sub(const Big& o) noexcept {
        std::int64_t borrow = 0;
        for (std::size_t i = 0; i < limb.size(); ++i) {
            std::int64_t v = std::int64_t{limb[i]} - o.limb[i] - borrow;
            borrow = v < 0;
            limb[i] = static_cast<std::uint32_t>(v + (borrow << 32));
        }
    }
    /// The 64 bits from bit `top` - 1 down (bits below 0 read as zero).
    std::uint64_t top64(int top) const noexcept {
        std::uint64_t v = 0;
        for (int i = top - 1; i >= top - 64; --i) v = (v << 1) | (i >= 0 && bit(i) ? 1 : 0);
        return v;
    }
};

/// For each q, the high 64 bits of 5^q scaled into [2^127, 2^128): for
/// q >= 0 truncated, for q < 0 the quotient 2^b / 5^-q plus one (an upper
/// bound), with b large enough for 128 significant bits.
struct Table {
    std::array<std::uint64_t, kMaxQ - kMinQ + 1> hi{};
    Table() noexcept {
        for (int q = kMinQ; q <= kMaxQ; ++q) {
            Big p5;
            p5.limb[0] = 1;
            for (int i = 0; i < (q < 0 ? -q : q); ++i) p5.mul_small(5);
            std::uint64_t h;
            if (q >= 0) {
                h = p5.top64(p5.bits());
            } else {
                // 2^b / 5^-q by long division, one bit at a time.
                const int z = p5.bits();  // 2^(z-1) < 5^-q < 2^z
                const int b = q >= -27 ? z + 127 : 2 * z + 128;
                Big quotient, rem;
                for (int i = b; i >= 0; --i) {
                    rem.shl1();
                    if (i == b) rem.limb[0] |= 1;
                    if (!rem.less(p5)) {
                        rem.sub(p5);
                        quotient.set_bit(i);
                    }
                }
                // Plus one, then the top 128 bits (the high 64 of those).
                std::uint64_t carry = 1;
                for (auto& l : quotient.limb) {
                    const std::uint64_t v = std::uint64_t{l} + carry;
                    l = static_cast<std::uint32_t>(v);
                    carry = v >> 32;
                }
                h = quotient.top64(quotient.bits());
            }
            hi[static_cast<std::size_t>(q - kMinQ)] = h;
        }
    }
};

inline const Table& table() noexcept {
    static const Table t;
    return t;
}

}  // namespace eisel_lemire_detail

/// w × 10^q correctly rounded into `out` (positive; the caller sets the
/// sign), for w != 0 and kMinQ <= q <= kMaxQ. False when one multiply does
/// not decide (about two values in 512) or q is out of range: the caller
/// falls back to an exact method.
[[gnu::noinline]] inline bool eisel_lemire(std::uint64_t w, int q, double& out) noexcept {
    using namespace eisel_lemire_detail;
    if (w == 0 || q < kMinQ || q > kMaxQ) return false;
    const int lz = __builtin_clzll(w);
    w <<= lz;
    const unsigned __int128 product = static_cast<unsigned __int128>(w) * table().hi[static_cast<std::size_t>(q - kMinQ)];
    const auto high = static_cast<std::uint64_t>(product >> 64);
    // The table entry is within one unit of 5^q's top 64 bits, so the true
    // product's high word is high - 1, high or high + 1. When its low 9 bits
    // are neither all zeros nor all ones, that cannot reach bit 9: the 53
    // bits, the rounding bit (bit 9 or 10) and the fact that something
    // nonzero lies below it (no tie) are all exact. Else (2 values in 512,
    // exact ties among them): not decided here.
    const std::uint64_t guard = high & 0x1FF;
    if (guard == 0 || guard == 0x1FF) return false;
    const int upperbit = static_cast<int>(high >> 63);
    std::uint64_t mantissa = high >> (upperbit + 9);  // 53 bits and the rounding bit
    // floor(q × log2(10)) + 63, and the IEEE bias.
    int power2 = ((217706 * q) >> 16) + 63 + upperbit - lz + 1023;
    if (power2 <= 0) return false;  // subnormal: not here (q's range never gets there)
    mantissa += mantissa & 1;  // round half up: never a tie here
    mantissa >>= 1;
    if (mantissa >= (std::uint64_t{2} << 52)) {
        mantissa = std::uint64_t{1} << 52;
        ++power2;
    }
    mantissa &= ~(std::uint64_t{1} << 52);
    if (power2 >= 0x7FF) return false;
    const std::uint64_t bits = mantissa | (static_cast<std::uint64_t>(power2) << 52);
    std::memcpy(&out, &bits, 8);
    return true;
}

}  // namespace aio::values
