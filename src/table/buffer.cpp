// Aligned, growable buffers that table columns and the CSV engine store values in.
#include "table/buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace aio::table_detail {

Buffer::Buffer(const Buffer& other) {
    if (other.size_ != 0) {
        reserve(other.size_);
        std::memcpy(data_, other.data_, other.size_);
        size_ = other.size_;
    }
}

Buffer& Buffer::operator=(const Buffer& other) {
    if (this != &other) {
        Buffer copy(other);
        *this = std::move(copy);
    }
    return *this;
}

void Buffer::reserve(std::size_t bytes) {
    if (bytes > capacity_) grow(bytes);
}

namespace {

/// An anonymous mapping of `bytes` (a multiple of Buffer::kHugePage) aligned to Buffer::kHugePage.
std::byte* map_aligned(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes + Buffer::kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    auto addr = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = (addr + Buffer::kHugePage - 1) & ~(Buffer::kHugePage - 1);
    if (aligned != addr) ::munmap(p, aligned - addr);
    const std::uintptr_t end = addr + bytes + Buffer::kHugePage;
    if (end != aligned + bytes) ::munmap(reinterpret_cast<void*>(aligned + bytes), end - (aligned + bytes));
    ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
    return reinterpret_cast<std::byte*>(aligned);
}

}  // namespace

void Buffer::grow(std::size_t min_capacity) {
    // Doubling: amortised O(1) appends. A mapping's untouched pages cost no
    // memory, so the slack of a large buffer is address space, not RSS.
    std::size_t cap = std::max({min_capacity, capacity_ * 2, std::size_t{64}});
    if (cap >= kMapThreshold) {
        cap = (cap + Buffer::kHugePage - 1) & ~(Buffer::kHugePage - 1);
        std::byte* p = map_aligned(cap);
        if (mapped_) {
            // Move the pages (no copy) into the new, larger aligned mapping.
            void* moved = ::mremap(data_, capacity_, capacity_, MREMAP_MAYMOVE | MREMAP_FIXED, p);
            if (moved == MAP_FAILED) {
                // A buffer put together by append_moving spans several
                // mappings, which one mremap cannot move on every kernel
                // (this machine's 6.18 can): copy it.
                std::memcpy(p, data_, size_);
                ::munmap(data_, capacity_);
            }
        } else {
            if (size_ != 0) std::memcpy(p, data_, size_);
            std::free(data_);
            mapped_ = true;
        }
        data_ = p;
    } else {
        void* p = std::realloc(data_, cap);
        if (p == nullptr) throw std::bad_alloc();
        data_ = static_cast<std::byte*>(p);
    }
    capacity_ = cap;
}

void Buffer::append_moving(Buffer&& tail, std::size_t skip) {
    static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t n = tail.size_ > skip ? tail.size_ - skip : 0;
    if (!mapped_ || !tail.mapped_ || n < kMapThreshold) {
        if (n != 0) append(tail.data_ + skip, n);
        tail.reset();
        return;
    }
    // This buffer's last page starts at `cut` and holds `g` of its bytes.
    const std::size_t cut = size_ & ~(page - 1);
    const std::size_t g = size_ - cut;
    // In tail: its bytes to [g, g + n), this buffer's last g bytes before them.
    if (g > skip) tail.reserve(g + n);
    std::memmove(tail.data_ + g, tail.data_ + skip, n);
    std::memcpy(tail.data_, data_ + cut, g);
    const std::size_t moved = (g + n + page - 1) & ~(page - 1);
    reserve(cut + moved);
    // MREMAP_FIXED replaces this buffer's (untouched) pages from `cut` on.
    void* to = ::mremap(tail.data_, moved, moved, MREMAP_MAYMOVE | MREMAP_FIXED, data_ + cut);
    if (to == MAP_FAILED) {
        // Nothing moved: copy instead (tail's bytes are at g now).
        append(tail.data_ + g, n);
        tail.reset();
        return;
    }
    size_ += n;
    if (tail.capacity_ > moved) ::munmap(tail.data_ + moved, tail.capacity_ - moved);
    tail.data_ = nullptr;
    tail.size_ = tail.capacity_ = 0;
    tail.mapped_ = false;
}

void Buffer::release() noexcept {
    if (data_ == nullptr) return;
    if (mapped_)
        ::munmap(data_, capacity_);
    else
        std::free(data_);
}

}  // namespace aio::table_detail
