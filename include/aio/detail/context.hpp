// aio/detail/context.hpp — the storage behind aio::ContextVar (see aio/contextvars.hpp).
//
// A context is an immutable map from variables to values: a sorted vector of
// (variable id, value) shared by reference count. Copying a context is one
// atomic increment; the empty context is a null pointer, so a task created
// where no variable was ever set copies a null pointer and nothing else.
// ContextVar::set() builds a new map (copy on write) and swaps it into the
// *current slot*: the context a task runs in (TaskCore::context), the one a
// callback runs in, the one Context::run() entered, or the thread's own.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace aio::detail {

struct ContextEntry {
    std::uint64_t var;                   // ContextVar id (never reused)
    std::shared_ptr<const void> value;   // a `const T`, never null
};

/// One immutable map. Shared between threads (a to_thread call carries it):
/// the count is atomic, the entries never change after construction.
struct ContextData {
    std::atomic<std::uint32_t> refs{1};
    std::vector<ContextEntry> entries;  // sorted by var; small (a few variables)
};

inline ContextData* context_retain(ContextData* d) noexcept {
    if (d) d->refs.fetch_add(1, std::memory_order_relaxed);
    return d;
}
inline void context_release(ContextData* d) noexcept {
    if (d && d->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete d;
}

/// Where ContextVar::get/set look on this thread: the slot entered last
/// (a task's, a callback's, a Context's), or null for the thread's own.
inline constinit thread_local ContextData** t_context_slot = nullptr;

/// The thread's own slot (outside every task, callback and Context::run).
ContextData** thread_context_slot() noexcept;

inline ContextData** current_context_slot() noexcept {
    return t_context_slot ? t_context_slot : thread_context_slot();
}

/// A counted reference to the current context (null when it is empty).
inline ContextData* capture_context() noexcept {
    ContextData** slot = t_context_slot;
    return context_retain(slot ? *slot : *thread_context_slot());
}

/// Makes `slot` the current context until the end of the scope.
class ContextScope {
public:
    explicit ContextScope(ContextData** slot) noexcept : saved_(t_context_slot) { t_context_slot = slot; }
    ~ContextScope() { t_context_slot = saved_; }
    ContextScope(const ContextScope&) = delete;
    ContextScope& operator=(const ContextScope&) = delete;

private:
    ContextData** saved_;
};

/// An owning, copyable reference to a context map (null: the empty context).
class ContextRef {
public:
    ContextRef() noexcept = default;
    /// The context current on this thread now.
    static ContextRef capture() noexcept { return ContextRef(capture_context()); }
    /// Takes over one reference already counted.
    explicit ContextRef(ContextData* adopted) noexcept : d_(adopted) {}
    ContextRef(const ContextRef& o) noexcept : d_(context_retain(o.d_)) {}
    ContextRef(ContextRef&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
    ContextRef& operator=(ContextRef o) noexcept {
        std::swap(d_, o.d_);
        return *this;
    }
    ~ContextRef() { context_release(d_); }
    ContextData* get() const noexcept { return d_; }
    /// The slot to enter with ContextScope: sets made there replace this map.
    ContextData** slot() noexcept { return &d_; }

private:
    ContextData* d_ = nullptr;
};

}  // namespace aio::detail
