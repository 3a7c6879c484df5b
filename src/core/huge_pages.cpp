// Transparent huge pages under large buffers (see aio/detail/huge_pages.hpp).
#include "aio/detail/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace aio::detail {

void advise_huge_pages_at(void* p, std::size_t bytes) noexcept {
    constexpr std::uintptr_t kHuge = std::uintptr_t(2) << 20;
    const auto begin = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
    const std::uintptr_t last = (begin + bytes) & ~(kHuge - 1);
    if (bytes < kHuge || last <= first) return;
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace aio::detail
