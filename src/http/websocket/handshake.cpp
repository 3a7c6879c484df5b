// The opening handshake's keys (RFC 6455 section 4): Sec-WebSocket-Key and -Accept.
#include "http/websocket/codec.hpp"

#include "http/client/util.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

namespace aio::http::ws {


std::string new_key() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw aio::RuntimeError("new_key: the CSPRNG (RAND_bytes) failed");
    return http::detail::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string accept_key(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string in;
    in.reserve(key.size() + guid.size());
    in += key;
    in += guid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
    return http::detail::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

bool valid_key(std::string_view key) noexcept {
    // 16 bytes are 22 base64 digits and "==". Like Python's b64decode, the
    // unused low bits of the last digit are not checked.
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    std::string bytes;
    try {
        return http::detail::base64_decode(key, bytes) && bytes.size() == 16;
    } catch (...) {
        return false;  // no memory for 16 bytes
    }
}

}  // namespace aio::http::ws
