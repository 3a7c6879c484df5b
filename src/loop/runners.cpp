// aio::run's shutdown of a loop: pending tasks cancelled and awaited, then the loop closed.
#include "aio/runners.hpp"

#include "loop/loop_impl.hpp"

namespace aio::detail {

void check_no_running_loop() {
    if (running_loop_or_null()) throw RuntimeError("aio::run() cannot be called from a running event loop");
}

void shutdown_loop(EventLoop& loop) noexcept {
    LoopImpl& impl = LoopAccess::impl(loop);
    try {
        if (!impl.closed && !impl.running) {
            std::vector<TaskCore*> pending;
            for (TaskCore* t : impl.pending_tasks()) {
                t->add_ref();
                pending.push_back(t);
            }
            for (TaskCore* t : pending) t->cancel();
            auto unfinished = [&] {
                for (TaskCore* t : pending)
                    if (!t->done()) return true;
                return false;
            };
            if (unfinished()) impl.run_while([&] { return unfinished() && impl.can_progress(); });
            for (TaskCore* t : pending) {
                if (!t->done()) {
                    if (impl.debug)
                        loop.call_exception_handler({"Task was destroyed but it is pending!", nullptr, t->name()});
                    t->abandon();
                }
                t->release();
            }
        }
    } catch (...) {
    }
    try {
        loop.close();
    } catch (...) {
    }
}

}  // namespace aio::detail

namespace aio {

Runner::Runner(LoopOptions options) : options_(options) {}

Runner::~Runner() {
    try {
        close();
    } catch (...) {
    }
}

void Runner::check_can_run() {
    if (running_loop_or_null()) throw RuntimeError("Runner::run() cannot be called from a running event loop");
    if (closed_) throw RuntimeError("Runner::run(): the Runner is closed");
}

EventLoop& Runner::get_loop() {
    if (closed_) throw RuntimeError("Runner::get_loop(): the Runner is closed");
    if (!loop_) loop_ = std::make_unique<EventLoop>(options_);
    return *loop_;
}

void Runner::close() {
    if (closed_) return;
    if (loop_ && loop_->is_running()) throw RuntimeError("Runner::close() while its event loop is running");
    closed_ = true;
    if (loop_) {
        detail::shutdown_loop(*loop_);
        loop_.reset();
    }
}

void Runner::keep_context_of(const TaskInfo& task) noexcept {
    if (detail::TaskCore* core = detail::TaskAccess::core(task))
        context_ = Context(detail::ContextRef(detail::context_retain(core->context)));
}

}  // namespace aio
