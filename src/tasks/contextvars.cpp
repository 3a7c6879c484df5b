// contextvars: the immutable, counted maps behind Context, and the context current on this thread.
#include "aio/contextvars.hpp"

#include <algorithm>

namespace aio {

namespace detail {

namespace {

std::atomic<std::uint64_t> g_next_context_var_id{1};

/// The thread's own context, released when the thread ends.
struct ThreadContext {
    ContextData* data = nullptr;
    ~ThreadContext() { context_release(data); }
};
thread_local ThreadContext t_thread_context;

const ContextEntry* find_entry(const ContextData* d, std::uint64_t var) noexcept {
    if (!d) return nullptr;
    auto it = std::lower_bound(d->entries.begin(), d->entries.end(), var,
                               [](const ContextEntry& e, std::uint64_t v) { return e.var < v; });
    return it != d->entries.end() && it->var == var ? &*it : nullptr;
}

/// A new map: `d` with `var` set to `value` (null `value`: without `var`).
/// Null when the result is empty.
ContextData* context_with(const ContextData* d, std::uint64_t var, std::shared_ptr<const void> value) {
    auto out = std::make_unique<ContextData>();
    std::size_t n = d ? d->entries.size() : 0;
    out->entries.reserve(n + 1);
    bool placed = false;
    for (std::size_t i = 0; i < n; ++i) {
        const ContextEntry& e = d->entries[i];
        if (!placed && e.var >= var) {
            placed = true;
            if (value) out->entries.push_back({var, value});
            if (e.var == var) continue;
        }
        out->entries.push_back(e);
    }
    if (!placed && value) out->entries.push_back({var, std::move(value)});
    if (out->entries.empty()) return nullptr;
    return out.release();
}

}  // namespace

ContextData** thread_context_slot() noexcept { return &t_thread_context.data; }

std::shared_ptr<const void> context_lookup(const ContextData* d, std::uint64_t var) noexcept {
    const ContextEntry* e = find_entry(d, var);
    return e ? e->value : nullptr;
}

ContextVarBase::ContextVarBase(std::string name, std::shared_ptr<const void> default_value)
    : default_(std::move(default_value)),
      name_(std::move(name)),
      id_(g_next_context_var_id.fetch_add(1, std::memory_order_relaxed)) {}

std::shared_ptr<const void> ContextVarBase::lookup() const noexcept {
    return context_lookup(*current_context_slot(), id_);
}

std::shared_ptr<const void> ContextVarBase::lookup_or_default() const {
    auto v = lookup();
    if (v) return v;
    if (default_) return default_;
    throw LookupError("context variable '" + name_ + "' has no value in the current context and no default");
}

std::shared_ptr<const void> ContextVarBase::store(std::shared_ptr<const void> value) const {
    ContextData** slot = current_context_slot();
    auto old = context_lookup(*slot, id_);
    ContextData* next = context_with(*slot, id_, std::move(value));
    context_release(std::exchange(*slot, next));
    return old;
}

void reset_with(std::uint64_t var, TokenState& token, const std::string& var_name) {
    if (token.var != var) throw ValueError("the token was created by a different ContextVar than '" + var_name + "'");
    if (token.used) throw RuntimeError("the token of context variable '" + var_name + "' has already been used once");
    ContextData** slot = current_context_slot();
    if (token.slot != slot) throw ValueError("the token of context variable '" + var_name + "' was created in a different Context");
    ContextData* next = context_with(*slot, var, token.old);
    context_release(std::exchange(*slot, next));
    token.used = true;
}

}  // namespace detail

Context& Context::operator=(const Context& o) {
    if (entered_) throw RuntimeError("cannot assign to a Context while it is entered (inside its run())");
    data_ = o.data_;
    return *this;
}

namespace {
detail::ContextData** enter_context(bool& entered, detail::ContextRef& data) {
    if (entered) throw RuntimeError("cannot enter the context: it is already entered");
    entered = true;
    return data.slot();
}
}  // namespace

Context::Enter::Enter(Context& c) : c_(c), scope_(enter_context(c.entered_, c.data_)) {}

Context::Enter::~Enter() { c_.entered_ = false; }

}  // namespace aio
