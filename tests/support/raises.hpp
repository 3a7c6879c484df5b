// aio::test::raises — awaits a task expected to throw, without co_await in an EXPECT_* macro.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <aio/task.hpp>

namespace aio::test {

namespace detail {
template <class E, class T>
aio::Task<std::optional<std::string>> raises_owned(aio::Task<T> t) {
    std::optional<std::string> message;
    try {
        co_await std::move(t);
    } catch (const E& e) {
        message = e.what();
    }
    co_return message;
}
}  // namespace detail

/// The message of the E that `t` throws, or nullopt if it finishes normally
/// (other exceptions propagate). Keeps co_await out of EXPECT_* macros:
///     auto raised = co_await aio::test::raises<aio::ValueError>(r.readline());
///     EXPECT_TRUE(raised.has_value());
/// A task passed by rvalue (a call's lazy task) is taken over.
template <class E, class T>
aio::Task<std::optional<std::string>> raises(aio::Task<T>&& t) {
    return detail::raises_owned<E>(std::move(t));
}

/// The same for a scheduled task the caller keeps (awaited by reference:
/// its result or state can still be looked at afterwards). `t` must
/// outlive the await of the returned task.
template <class E, class T>
aio::Task<std::optional<std::string>> raises(aio::Task<T>& t) {
    std::optional<std::string> message;
    try {
        co_await t;
    } catch (const E& e) {
        message = e.what();
    }
    co_return message;
}

}  // namespace aio::test
