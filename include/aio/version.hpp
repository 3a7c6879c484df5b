// aio/version.hpp — which aio this is.
//
//     fmt::print("aio {}\n", aio::version());    // "aio 0.1.0"
#pragma once

#include <string_view>

namespace aio {

/// The version of the aio library linked in ("MAJOR.MINOR.PATCH", the
/// project version of its CMakeLists.txt). The same string `aio --version` prints.
std::string_view version() noexcept;

}  // namespace aio
