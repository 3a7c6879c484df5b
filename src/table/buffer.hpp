// Internal: a growable byte buffer for column storage.
//
// Small buffers live on the heap; from kMapThreshold up a buffer is an
// anonymous mapping that grows with mremap, so growing a large column never
// copies it and never holds the old and the new copy at once: that is what
// keeps the peak memory of read_csv near the size of the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace aio::table_detail {

class Buffer {
public:
    /// Buffers this large or larger are mappings grown in place (1 MiB: below
    /// that a copy on growth costs less than the mapping's system calls).
    static constexpr std::size_t kMapThreshold = std::size_t{1} << 20;
    /// A mapping's size is a whole number of these (x86-64's transparent
    /// huge page), and its start is aligned to one: one fault per 2 MiB.
    static constexpr std::size_t kHugePage = std::size_t{2} << 20;

    Buffer() noexcept = default;
    Buffer(const Buffer& other);
    Buffer& operator=(const Buffer& other);
    Buffer(Buffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0)),
          mapped_(std::exchange(other.mapped_, false)) {}
    Buffer& operator=(Buffer&& other) noexcept {
        if (this != &other) {
            release();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            capacity_ = std::exchange(other.capacity_, 0);
            mapped_ = std::exchange(other.mapped_, false);
        }
        return *this;
    }
    ~Buffer() { release(); }

    std::byte* data() noexcept { return data_; }
    const std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    bool empty() const noexcept { return size_ == 0; }

    template <class T>
    T* as() noexcept { return reinterpret_cast<T*>(data_); }
    template <class T>
    const T* as() const noexcept { return reinterpret_cast<const T*>(data_); }

    /// Makes room for `bytes` in total; throws std::bad_alloc.
    void reserve(std::size_t bytes);
    /// New size; bytes past the old size are uninitialised.
    void resize(std::size_t bytes) {
        if (bytes > capacity_) grow(bytes);
        size_ = bytes;
    }
    /// Grows the size by `bytes` and returns a pointer to the new (uninitialised) part.
    std::byte* extend(std::size_t bytes) {
        if (size_ + bytes > capacity_) grow(size_ + bytes);
        std::byte* p = data_ + size_;
        size_ += bytes;
        return p;
    }
    void append(const void* src, std::size_t bytes) {
        if (bytes == 0) return;
        std::memcpy(extend(bytes), src, bytes);
    }
    /// Appends `tail`'s bytes from `skip` on and leaves `tail` empty. When
    /// both are mappings, `tail`'s pages are moved behind this buffer's with
    /// mremap instead of copied: its bytes are first shifted inside its own
    /// pages (memory already touched) to line up with this buffer's last
    /// page, so the appended half of a table is never written to fresh pages
    /// a second time. Throws std::bad_alloc.
    void append_moving(Buffer&& tail, std::size_t skip = 0);
    void clear() noexcept { size_ = 0; }
    /// Frees the memory.
    void reset() noexcept {
        release();
        data_ = nullptr;
        size_ = capacity_ = 0;
        mapped_ = false;
    }

private:
    void grow(std::size_t min_capacity);
    void release() noexcept;
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
    bool mapped_ = false;
};

}  // namespace aio::table_detail
