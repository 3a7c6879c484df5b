// aio/detail/huge_pages.hpp — huge pages under a large buffer that is about to be filled.
//
// A buffer of megabytes that is filled once (a whole file read from a pipe,
// a large message read or sent whole) costs one page fault per 4 KiB page when first written;
// on a virtual machine a fault can cost more than the work that fills the
// page. Asked for transparent huge pages, the same buffer faults once per
// 2 MiB. Only a hint: where the kernel has none to give (THP off, memory
// fragmented), 4 KiB pages are used as before.
#pragma once

#include <cstddef>

namespace aio::detail {

/// Buffers from this size on are worth the call (one huge page: a buffer
/// that holds no whole aligned one is left alone by the call itself).
inline constexpr std::size_t kHugePageAdviceMin = std::size_t(2) << 20;

/// advise_huge_pages for a range of kHugePageAdviceMin bytes or more.
void advise_huge_pages_at(void* p, std::size_t bytes) noexcept;

/// Asks for transparent huge pages (madvise MADV_HUGEPAGE) under the part of
/// [p, p + bytes) made of whole, aligned 2 MiB pages; does nothing (not even
/// a call) for a smaller range, so callers need no check of their own. The
/// memory stays the caller's (heap or mapping) and is used as before;
/// nothing is thrown, and a refusal is ignored.
inline void advise_huge_pages(void* p, std::size_t bytes) noexcept {
    if (bytes >= kHugePageAdviceMin) advise_huge_pages_at(p, bytes);
}

}  // namespace aio::detail
