// The per-thread free lists that coroutine frames are allocated from.
#include "aio/detail/frame_allocator.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <new>
#include <unordered_set>

namespace aio::detail {

namespace {

// Size classes are 16 bytes apart: the alignment operator new guarantees, so
// a class never wastes more than 15 bytes of a frame.
constexpr std::size_t kGranule = 16;
constexpr std::size_t kClasses = kMaxRecycledFrame / kGranule;
// A thread keeps at most this many idle frames per size class: enough to absorb
// the churn of a million short tasks, bounded so one burst cannot pin memory
// forever; frames over 2 KiB (protocol coroutines, fewer at once) keep 16,384
// (at most 128 MiB a class).
constexpr std::size_t kMaxIdlePerClass = 1 << 20;
constexpr std::size_t kMaxIdlePerLargeClass = 1 << 14;
constexpr std::size_t kFirstLargeClass = 2048 / kGranule;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycle = false;  // let ASan see every use-after-free
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRecycle = false;
#else
constexpr bool kRecycle = true;
#endif
#else
constexpr bool kRecycle = true;
#endif

struct FreeFrame {
    FreeFrame* next;
};

// Fresh frames are carved from 2 MiB chunks backed by transparent huge pages
// where the kernel allows (madvise mode): a million new frames then cost a few
// hundred page faults instead of tens of thousands. Chunks stay with the
// process (frames are recycled through the free lists); past kMaxSlabBytes a
// thread falls back to the heap.
constexpr std::size_t kChunk = std::size_t(2) << 20;  // one x86-64 huge page
constexpr std::size_t kMaxSlabBytes = std::size_t(1) << 30;  // 1 GiB: millions of frames, and a bound on a leak

// Every chunk's base, to tell slab frames from heap frames on the rare paths
// where a frame cannot go back to a free list.
std::mutex chunks_mu;
std::unordered_set<std::uintptr_t>& chunk_bases() {
    static auto* bases = new std::unordered_set<std::uintptr_t>;  // outlives every thread
    return *bases;
}
bool in_slab(void* p) {
    std::lock_guard lock(chunks_mu);
    return chunk_bases().count(reinterpret_cast<std::uintptr_t>(p) & ~(kChunk - 1)) != 0;
}

struct Slab {
    char* next = nullptr;
    char* end = nullptr;
    std::size_t total = 0;

    void* carve(std::size_t bytes) {
        if (static_cast<std::size_t>(end - next) < bytes) {
            if (total + kChunk > kMaxSlabBytes || !refill()) return nullptr;
        }
        void* p = next;
        next += bytes;
        return p;
    }

    bool refill() {
        void* raw = ::mmap(nullptr, kChunk * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) return false;
        auto base = reinterpret_cast<std::uintptr_t>(raw);
        std::uintptr_t aligned = (base + kChunk - 1) & ~(kChunk - 1);
        if (aligned > base) ::munmap(raw, aligned - base);
        std::uintptr_t tail = aligned + kChunk;
        ::munmap(reinterpret_cast<void*>(tail), base + kChunk * 2 - tail);
        ::madvise(reinterpret_cast<void*>(aligned), kChunk, MADV_HUGEPAGE);
        {
            std::lock_guard lock(chunks_mu);
            chunk_bases().insert(aligned);
        }
        next = reinterpret_cast<char*>(aligned);
        end = next + kChunk;
        total += kChunk;
        return true;
    }
};

// Set once the thread's cache is destroyed (thread exit), so later frees go to the heap.
thread_local bool cache_gone = false;

struct FrameCache {
    FreeFrame* heads[kClasses] = {};
    std::size_t counts[kClasses] = {};
    Slab slab;

    // Frames in the free lists may come from slabs or the heap; both stay
    // valid after the thread ends (slab memory is never unmapped), so nothing
    // is released here: late frees go straight to the heap path below, which
    // only sees heap frames (frame_free tells them apart).
    ~FrameCache() { cache_gone = true; }
};

thread_local FrameCache cache;

inline std::size_t size_class(std::size_t size) { return (size + kGranule - 1) / kGranule - 1; }

}  // namespace

void* frame_alloc(std::size_t size) {
    if (!kRecycle || size > kMaxRecycledFrame || size == 0 || cache_gone) return ::operator new(size);
    std::size_t c = size_class(size);
    if (FreeFrame* f = cache.heads[c]) {
        cache.heads[c] = f->next;
        --cache.counts[c];
        return f;
    }
    if (void* p = cache.slab.carve((c + 1) * kGranule)) return p;
    return ::operator new((c + 1) * kGranule);
}

bool frames_recycled() noexcept { return kRecycle; }

void frame_free(void* p, std::size_t size) noexcept {
    if (!kRecycle || size > kMaxRecycledFrame || size == 0) {
        ::operator delete(p);
        return;
    }
    std::size_t c = size_class(size);
    if (cache_gone || cache.counts[c] >= (c < kFirstLargeClass ? kMaxIdlePerClass : kMaxIdlePerLargeClass)) {
        if (!in_slab(p)) ::operator delete(p);  // a slab frame simply stays in its chunk
        return;
    }
    auto* f = static_cast<FreeFrame*>(p);
    f->next = cache.heads[c];
    cache.heads[c] = f;
    ++cache.counts[c];
}

}  // namespace aio::detail
