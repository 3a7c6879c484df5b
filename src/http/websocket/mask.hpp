// RFC 6455 section 5.3 masking: XOR with a 4-byte key, 8 bytes at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace aio::http::ws::detail {

/// Writes `src[i] ^ key[(pos + i) % 4]` to `dst[i]` for i < n (`dst` may be
/// `src`); returns the key position after the last byte, for the next piece.
inline std::uint32_t mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, const std::uint8_t key[4],
                               std::uint32_t pos) noexcept {
    std::uint8_t k[8];
    for (std::uint32_t i = 0; i < 8; ++i) k[i] = key[(pos + i) & 3];
    std::uint64_t k64;
    std::memcpy(&k64, k, 8);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, src + i, 8);
        w ^= k64;
        std::memcpy(dst + i, &w, 8);
    }
    for (; i < n; ++i) dst[i] = src[i] ^ k[i & 7];
    return static_cast<std::uint32_t>((pos + n) & 3);
}

}  // namespace aio::http::ws::detail
