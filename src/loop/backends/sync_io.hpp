// Performing an IoOp with plain system calls, on the calling thread.
//
// The thread-pool path of file operations (a worker runs the call and may
// block), and the epoll backend for the file kinds it cannot make
// asynchronous, both come here, so one switch knows what each kind means.
#pragma once

#include "../io_backend.hpp"

namespace aio::detail {

/// Performs `op` once with the system call its kind names and sets
/// op.result (>= 0, or -errno). Blocks as that call blocks; EINTR is retried.
/// A non-blocking descriptor that is not ready gives -EAGAIN.
void perform_sync(IoOp& op) noexcept;

}  // namespace aio::detail
