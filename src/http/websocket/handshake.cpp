// The opening handshake's keys (RFC 6455 section 4): Sec-WebSocket-Key and -Accept.
#include "http/websocket/codec.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace aio::http::ws {

namespace {

std::string ws_base64(const unsigned char* p, std::size_t n) {
    std::string s(4 * ((n + 2) / 3), '\0');
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(s.data()), p, static_cast<int>(n));
    return s;
}

bool ws_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

std::string new_key() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw aio::RuntimeError("new_key: the CSPRNG (RAND_bytes) failed");
    return ws_base64(bytes, sizeof bytes);
}

std::string accept_key(std::string_view key) {
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string in;
    in.reserve(key.size() + guid.size());
    in += key;
    in += guid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
    return ws_base64(digest, sizeof digest);
}

bool valid_key(std::string_view key) noexcept {
    // 16 bytes are 22 base64 digits and "==". Like Python's b64decode, the
    // unused low bits of the last digit are not checked.
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    for (std::size_t i = 0; i < 22; ++i)
        if (!ws_base64_char(key[i])) return false;
    return true;
}

}  // namespace aio::http::ws
