// Signal handlers on the loop (asyncio: add_signal_handler), read from a signalfd.
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "aio/exceptions.hpp"
#include "loop/loop_impl.hpp"

namespace aio::detail {

void LoopImpl::arm_signal_read() {
    if (signal_read_armed_ || signal_fd_ < 0) return;
    if (!signal_buf_) signal_buf_.reset(new unsigned char[sizeof(signalfd_siginfo) * 8]);
    signal_op_ = IoOp{};
    signal_op_.kind = IoOp::Kind::Read;
    signal_op_.fd = signal_fd_;
    signal_op_.buf = signal_buf_.get();
    signal_op_.len = sizeof(signalfd_siginfo) * 8;
    signal_op_.complete = &LoopImpl::on_signal_read;
    signal_read_armed_ = true;
    while (backend->submit(signal_op_)) {
        // Signals were already waiting: dispatch them and read again.
        signal_read_armed_ = false;
        on_signal_read(&signal_op_);
        if (signal_fd_ < 0) return;
        signal_read_armed_ = true;
    }
}

void LoopImpl::on_signal_read(IoOp* op) noexcept {
    LoopImpl* self = running_impl();
    if (!self) return;
    self->signal_read_armed_ = false;
    if (op->result == -ECANCELED) return;
    if (op->result > 0) {
        auto* infos = reinterpret_cast<signalfd_siginfo*>(self->signal_buf_.get());
        std::size_t n = static_cast<std::size_t>(op->result) / sizeof(signalfd_siginfo);
        for (std::size_t i = 0; i < n; ++i) {
            auto it = self->signal_handlers_.find(static_cast<int>(infos[i].ssi_signo));
            if (it == self->signal_handlers_.end()) continue;
            try {
                self->owner.call_soon(it->second);
            } catch (...) {
            }
        }
    }
    if (op == &self->signal_op_ && self->signal_fd_ >= 0) {
        try {
            self->arm_signal_read();
        } catch (...) {
        }
    }
}

void LoopImpl::add_signal_handler(int sig, std::function<void()> f) {
    check_open("add_signal_handler");
    if (sig <= 0 || sig >= NSIG) throw ValueError(fmt::format("invalid signal number {}", sig));
    if (sig == SIGKILL || sig == SIGSTOP) throw ValueError(fmt::format("signal {} cannot be caught", sig));
    if (signal_handlers_.empty()) pthread_sigmask(SIG_SETMASK, nullptr, &saved_thread_mask_);
    sigaddset(&signal_mask_, sig);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    int fd = ::signalfd(signal_fd_, &signal_mask_, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) throw_os_error(errno, "signalfd", "");
    signal_fd_ = fd;
    signal_handlers_[sig] = std::move(f);
    if (running) arm_signal_read();
}

bool LoopImpl::remove_signal_handler(int sig) {
    auto it = signal_handlers_.find(sig);
    if (it == signal_handlers_.end()) return false;
    signal_handlers_.erase(it);
    sigdelset(&signal_mask_, sig);
    if (!sigismember(&saved_thread_mask_, sig)) {
        sigset_t unblock;
        sigemptyset(&unblock);
        sigaddset(&unblock, sig);
        pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
    }
    if (signal_handlers_.empty()) {
        backend->forget_fd(signal_fd_);
        ::close(signal_fd_);
        signal_fd_ = -1;
    } else {
        ::signalfd(signal_fd_, &signal_mask_, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    return true;
}


}  // namespace aio::detail
