// Whole-string UTF-8 validation, for close reasons and callers outside the reader.
#include "http/websocket/codec.hpp"
#include "http/websocket/utf8.hpp"

namespace aio::http::ws {

bool valid_utf8(std::string_view s) noexcept {
    detail::Utf8Validator v;
    return v.feed(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) && v.complete();
}

}  // namespace aio::http::ws
