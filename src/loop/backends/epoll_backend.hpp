// The epoll backend: readiness turned into completions.
//
// Each fd is registered once, edge-triggered, for both directions; the backend
// remembers whether each side is ready and performs queued operations itself
// when it becomes so. A wake-up eventfd is registered alongside.
#pragma once

#include <vector>

#include "loop/io_backend.hpp"

namespace aio::detail {

class EpollBackend final : public IoBackend {
public:
    EpollBackend();
    ~EpollBackend() override;
    const char* name() const noexcept override { return "epoll"; }
    /// The socket kinds (and PollIn/PollOut); not Read/Write (a regular file
    /// would be read on the loop's thread) and not the file kinds, which
    /// submit() performs synchronously.
    bool supports(IoOp::Kind kind) const noexcept override;
    bool submit(IoOp& op) override;
    void cancel(IoOp& op) noexcept override;
    void abandon(IoOp& op) noexcept override;
    void clear_ready(int fd, bool read_side) noexcept override;
    void forget_fd(int fd) noexcept override;
    void wait(std::int64_t timeout_ns) override;
    bool can_spin() const noexcept override { return true; }
    /// poll(2) of the epoll descriptor: readiness is seen, not taken.
    bool arrived() noexcept override;
    void wake() noexcept override;

private:
    struct Queue {
        std::size_t count = 0;
        IoOp* head = nullptr;
        IoOp* tail = nullptr;
        void push(IoOp* op) noexcept;
        bool remove(IoOp* op) noexcept;
        IoOp* pop() noexcept;
    };
    struct FdState {
        bool registered = false;
        bool readable = false;
        bool writable = false;
        Queue readers;
        Queue writers;
    };

    FdState& state(int fd);
    void ensure_registered(int fd, FdState& st);
    void run_queue(Queue& q, bool& ready_flag);
    void finish(IoOp* op) noexcept;  // deliver later, in wait()
    void deliver_done() noexcept;

    int epfd_ = -1;
    int wakefd_ = -1;
    std::vector<FdState> fds_;
};

/// Performs op's system call once, non-blocking: returns true when it finished
/// (op.result set) and false on EAGAIN. Shared by the backends' fallbacks.
/// Connect here means "the connect issued earlier has finished": it reads SO_ERROR.
bool try_io(IoOp& op) noexcept;

}  // namespace aio::detail
