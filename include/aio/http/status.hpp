// aio/http/status.hpp — reason phrases of HTTP status codes.
#pragma once

#include <string_view>

namespace aio::http {

/// The standard reason phrase of `status` ("Not Found" for 404), as Python's
/// `http.HTTPStatus(status).phrase` gives it, which aiohttp uses when a
/// response has no reason of its own; "" for a code without one.
std::string_view reason_phrase(int status) noexcept;

}  // namespace aio::http
