// Built as C++23 (src/CMakeLists.txt) for std::string::resize_and_overwrite,
// which libstdc++ 12 offers only there; the library's interface stays C++20.
// std::string's layout is the same in every language mode.
#include "core/uninitialized_string.hpp"

namespace aio::detail {

void resize_uninitialized(std::string& s, std::size_t n) {
#if defined(__cpp_lib_string_resize_and_overwrite)
    s.resize_and_overwrite(n, [](char*, std::size_t size) noexcept { return size; });
#else
    s.resize(n);
#endif
}

}  // namespace aio::detail
