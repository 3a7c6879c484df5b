// aio/contextvars.hpp — context variables (Python's contextvars module).
//
//     inline aio::ContextVar<std::string> request_id("request_id", "-");
//
//     aio::Task<> handle(std::string id) {
//         request_id.set(id);                       // this task's context only
//         co_await aio::sleep(10ms);
//         log(request_id.get());                    // still `id`, whatever other tasks set
//         co_await aio::to_thread([] { log(request_id.get()); });   // the worker sees `id` too
//     }
//
// A *context* maps variables to values. Every thread has a current context,
// and so does every task (asyncio semantics):
// - a task runs in a copy of the context that was current when it was
//   created (create_task, gather of lazy tasks, TaskGroup::create_task,
//   run_until_complete, aio::run ...): what it sets is its own, what its
//   creator sets afterwards it does not see. A lazy task awaited inline runs
//   in the context of the task awaiting it (as `await coro()` does);
// - a loop callback (call_soon, call_later, call_at, call_soon_threadsafe,
//   a task's done callback) runs in a copy of the context current when it was
//   scheduled, as asyncio's Handle does;
// - to_thread and run_in_executor run the function in a copy of the caller's
//   context on the worker thread, for the duration of the call.
//
// Cost: a context is an immutable map shared by reference count (a sorted
// vector; contexts hold few variables). copy_context() and creating a task
// are one atomic increment; where no variable was ever set, nothing at all.
// set() copies the map (O(number of variables)).
//
// Values are stored as `const T` shared between the contexts (and threads)
// that copied them: T must be copy-constructible and safe to read from
// several threads at once. The last context holding a value destroys it, on
// whichever thread drops that context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "aio/detail/context.hpp"
#include "aio/exceptions.hpp"

namespace aio {

class Context;
class Runner;
Context copy_context() noexcept;

namespace detail {

/// The untyped part of a ContextVar: its identity, name and default.
class ContextVarBase {
public:
    ContextVarBase(const ContextVarBase&) = delete;
    ContextVarBase& operator=(const ContextVarBase&) = delete;

    /// The name given at construction (ContextVar.name).
    const std::string& name() const noexcept { return name_; }
    std::uint64_t id() const noexcept { return id_; }

protected:
    ContextVarBase(std::string name, std::shared_ptr<const void> default_value);
    ~ContextVarBase() = default;

    /// The value in the current context, or null.
    std::shared_ptr<const void> lookup() const noexcept;
    /// The value in the current context, else the default, else LookupError.
    std::shared_ptr<const void> lookup_or_default() const;
    /// Stores `value` (null: removes the variable) in the current context;
    /// returns the value it replaces (null if there was none).
    std::shared_ptr<const void> store(std::shared_ptr<const void> value) const;

    std::shared_ptr<const void> default_;

private:
    std::string name_;
    std::uint64_t id_;
};

/// The value of variable `var` in context map `d` (null when not set).
std::shared_ptr<const void> context_lookup(const ContextData* d, std::uint64_t var) noexcept;

/// What a Token remembers (shared by its copies: a token is used once).
struct TokenState {
    std::uint64_t var = 0;
    ContextData** slot = nullptr;      // the context it was made in
    std::shared_ptr<const void> old;   // null: the variable was not set (Token.MISSING)
    bool used = false;
};

/// reset(): checks the token (ValueError, RuntimeError) and restores the old value.
void reset_with(std::uint64_t var, TokenState& token, const std::string& var_name);

}  // namespace detail

/// What ContextVar::set() returns, to undo that set() with reset()
/// (contextvars.Token). Copies share one state: a token is used once.
template <class T>
class Token {
public:
    /// The value the variable had before the set(), or nullopt if it had none
    /// (Token.old_value / Token.MISSING).
    std::optional<T> old_value() const {
        if (!state_->old) return std::nullopt;
        return *static_cast<const T*>(state_->old.get());
    }

private:
    template <class>
    friend class ContextVar;
    explicit Token(std::shared_ptr<detail::TokenState> s) noexcept : state_(std::move(s)) {}
    std::shared_ptr<detail::TokenState> state_;
};

/// A context variable (contextvars.ContextVar). Declare it once, as a global
/// or static (it is neither copyable nor movable); each context holds its
/// own value for it. A variable destroyed while contexts still hold a value
/// for it leaves the value there until those contexts go.
template <class T>
class ContextVar : public detail::ContextVarBase {
    static_assert(std::is_copy_constructible_v<T>, "a ContextVar's value type must be copyable");

public:
    /// A variable without a default: get() throws LookupError until set.
    explicit ContextVar(std::string name) : ContextVarBase(std::move(name), nullptr) {}
    /// A variable whose get() returns `default_value` until set.
    ContextVar(std::string name, T default_value)
        : ContextVarBase(std::move(name), std::make_shared<const T>(std::move(default_value))) {}

    /// The value in the current context (ContextVar.get()); else the
    /// variable's default; else throws aio::LookupError.
    T get() const { return *static_cast<const T*>(lookup_or_default().get()); }
    /// ContextVar.get(default): the value in the current context, else
    /// `default_value` (even when the variable has a default of its own).
    T get(T default_value) const {
        auto v = lookup();
        if (!v) return default_value;
        return *static_cast<const T*>(v.get());
    }
    /// Sets the value in the current context (ContextVar.set). Returns a
    /// token that reset() takes to restore the previous value.
    Token<T> set(T value) const {
        auto state = std::make_shared<detail::TokenState>();
        state->var = id();
        state->slot = detail::current_context_slot();
        state->old = store(std::make_shared<const T>(std::move(value)));
        return Token<T>(std::move(state));
    }
    /// Restores the value the variable had before the set() that made
    /// `token` (unset again if it had none) (ContextVar.reset). Throws
    /// ValueError if the token was made by another variable or in another
    /// context, RuntimeError if it was already used.
    void reset(const Token<T>& token) const { detail::reset_with(id(), *token.state_, name()); }
};

/// A context (contextvars.Context): a snapshot of variable values that code
/// can run in. Copying a Context is O(1) and gives an independent context
/// (what one sets, the other does not see), like Context.copy().
/// A Context belongs to one thread at a time: run() it on one thread only.
class Context {
public:
    /// An empty context (contextvars.Context()).
    Context() noexcept = default;
    /// An independent copy of o's variable values (O(1); like Context.copy()).
    Context(const Context& o) noexcept : data_(o.data_) {}
    /// Throws RuntimeError while this context is entered (inside its run()).
    Context& operator=(const Context& o);
    ~Context() = default;

    /// An independent copy (Context.copy()).
    Context copy() const noexcept { return *this; }

    /// Calls f(args...) with this context as the current one and returns
    /// its result (Context.run). What f sets stays in this context; tasks f
    /// creates copy it. Throws RuntimeError if the context is already
    /// entered (run() inside its own run()).
    template <class F, class... Args>
    decltype(auto) run(F&& f, Args&&... args) {
        Enter enter(*this);
        return std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
    }

    /// Whether `var` has a value here (`var in ctx`).
    bool contains(const detail::ContextVarBase& var) const noexcept {
        return static_cast<bool>(detail::context_lookup(data_.get(), var.id()));
    }
    /// The value of `var` here, or nullopt (Context.get(var)); the
    /// variable's default is not consulted, as in Python.
    template <class T>
    std::optional<T> get(const ContextVar<T>& var) const {
        auto v = detail::context_lookup(data_.get(), var.id());
        if (!v) return std::nullopt;
        return *static_cast<const T*>(v.get());
    }
    /// How many variables have a value here (len(ctx)).
    std::size_t size() const noexcept { return data_.get() ? data_.get()->entries.size() : 0; }

private:
    friend Context copy_context() noexcept;
    friend class Runner;
    explicit Context(detail::ContextRef data) noexcept : data_(std::move(data)) {}

    class Enter {
    public:
        explicit Enter(Context& c);
        ~Enter();
        Enter(const Enter&) = delete;
        Enter& operator=(const Enter&) = delete;

    private:
        Context& c_;
        detail::ContextScope scope_;
    };

    detail::ContextRef data_;
    bool entered_ = false;
};

/// A copy of the current context (contextvars.copy_context): in a task, the
/// task's; in a callback, the callback's; else the thread's. O(1).
inline Context copy_context() noexcept { return Context(detail::ContextRef::capture()); }

}  // namespace aio
