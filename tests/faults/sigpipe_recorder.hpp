// Records SIGPIPE deliveries while it lives, so that a test can show that a
// write to a dead peer raised a typed error and no signal. It installs its own
// handler (replacing SIG_IGN or SIG_DFL, whatever the loop set), so the proof
// does not depend on the process ignoring SIGPIPE. Make it after the loop
// exists (inside the test's coroutine): a loop made later may ignore SIGPIPE
// again and hide a delivery.
#pragma once

#include <signal.h>

#include <atomic>

namespace aio::test {

class SigpipeRecorder {
public:
    SigpipeRecorder() {
        count_ref() = 0;
        struct sigaction sa {};
        sa.sa_handler = &SigpipeRecorder::on_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGPIPE, &sa, &old_);
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        ::pthread_sigmask(SIG_UNBLOCK, &pipe_only, &old_mask_);
    }
    ~SigpipeRecorder() {
        ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
        ::sigaction(SIGPIPE, &old_, nullptr);
    }
    SigpipeRecorder(const SigpipeRecorder&) = delete;
    SigpipeRecorder& operator=(const SigpipeRecorder&) = delete;

    /// SIGPIPEs delivered to this process since the recorder was made.
    int deliveries() const noexcept { return count_ref().load(); }

private:
    static std::atomic<int>& count_ref() noexcept {
        static std::atomic<int> n{0};
        return n;
    }
    static void on_signal(int) noexcept { count_ref().fetch_add(1); }
    struct sigaction old_ {};
    sigset_t old_mask_{};
};

}  // namespace aio::test
