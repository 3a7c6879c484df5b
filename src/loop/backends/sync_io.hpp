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

/// Issues the non-blocking connect(2) of a Connect op. Returns true when it
/// finished at once (op.result set: 0 or -errno), false while it is in
/// progress (wait for writability, then read SO_ERROR).
bool begin_connect(IoOp& op) noexcept;

}  // namespace aio::detail
