#include "aio/detail/frame_allocator.hpp"

#include <new>

namespace aio::detail {

namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kClasses = kMaxRecycledFrame / kGranule;
// A thread keeps at most this many idle frames per size class: enough to absorb
// the churn of a million short tasks, bounded so one burst cannot pin memory forever.
constexpr std::size_t kMaxIdlePerClass = 1 << 20;

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

// Set once the thread's cache is destroyed (thread exit), so later frees go to the heap.
thread_local bool cache_gone = false;

struct FrameCache {
    FreeFrame* heads[kClasses] = {};
    std::size_t counts[kClasses] = {};

    ~FrameCache() {
        cache_gone = true;
        for (auto& head : heads) {
            while (head) {
                FreeFrame* next = head->next;
                ::operator delete(head);
                head = next;
            }
        }
    }
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
    return ::operator new((c + 1) * kGranule);
}

void frame_free(void* p, std::size_t size) noexcept {
    if (!kRecycle || size > kMaxRecycledFrame || size == 0 || cache_gone) {
        ::operator delete(p);
        return;
    }
    std::size_t c = size_class(size);
    if (cache.counts[c] >= kMaxIdlePerClass) {
        ::operator delete(p);
        return;
    }
    auto* f = static_cast<FreeFrame*>(p);
    f->next = cache.heads[c];
    cache.heads[c] = f;
    ++cache.counts[c];
}

}  // namespace aio::detail
