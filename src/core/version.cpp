// aio::version(): the project version, given by the build (src/CMakeLists.txt).
#include "aio/version.hpp"

#ifndef AIO_VERSION_STRING
#error "AIO_VERSION_STRING is set by src/CMakeLists.txt"
#endif

namespace aio {

std::string_view version() noexcept { return AIO_VERSION_STRING; }

}  // namespace aio
