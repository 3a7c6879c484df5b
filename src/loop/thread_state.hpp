// The loop room's per-thread state: the running loop, the running task and the transfer budget.
#pragma once

#include "aio/detail/task_core.hpp"
#include "aio/events.hpp"

namespace aio::detail {

// constinit on the declarations lets every file read them directly, without
// the call through a TLS wrapper that a possibly dynamic initialiser needs.

/// The loop running on this thread, set by LoopImpl::run_loop for its duration.
extern constinit thread_local EventLoop* t_running_loop;
/// The task whose step is running on this thread (null between steps).
extern constinit thread_local TaskCore* t_current_task;
/// Synchronous completions left before control goes back through the loop (kTransferBudget).
extern constinit thread_local int t_transfer_budget;

}  // namespace aio::detail
