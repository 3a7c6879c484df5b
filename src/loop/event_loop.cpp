// aio::EventLoop, the public face of the loop: each call checks its arguments and hands over to LoopImpl.
#include <cstdio>

#include "aio/task.hpp"
#include "aio/threads.hpp"
#include "loop/loop_impl.hpp"
#include "loop/thread_state.hpp"

namespace aio {

EventLoop::EventLoop(LoopOptions options) : impl_(std::make_unique<detail::LoopImpl>(*this, options)) {}

EventLoop::~EventLoop() {
    try {
        if (!impl_->closed && !impl_->running) close();
    } catch (...) {
    }
}

Clock::duration EventLoop::scaled(Clock::duration d) const noexcept {
    if (impl_->time_scale == 1.0) return d;
    return detail::to_clock_duration(std::chrono::duration<double, Clock::period>(static_cast<double>(d.count()) *
                                                                                  impl_->time_scale));
}

void EventLoop::run_forever() { impl_->run_forever(); }

void EventLoop::stop() { impl_->stopping = true; }

bool EventLoop::is_running() const { return impl_->running; }

bool EventLoop::is_closed() const { return impl_->closed; }

void EventLoop::close() {
    if (impl_->running) throw RuntimeError("cannot close a running event loop");
    if (impl_->closed) return;
    impl_->closed = true;
    // Calls still running in an executor that outlives the loop drop their
    // completion from now on instead of posting it here.
    impl_->detach_executors();
    // Pending tasks and call_later handles are given up (asyncio drops them
    // too): the default executor is still there for their awaiters' cleanup.
    impl_->close_pending();
    if (impl_->default_executor) impl_->default_executor->shutdown(true);
    impl_->default_executor.reset();
    impl_->discard_pending();
}

void EventLoop::add_signal_handler(int sig, Callback f) { impl_->add_signal_handler(sig, std::move(f)); }

bool EventLoop::remove_signal_handler(int sig) { return impl_->remove_signal_handler(sig); }

void EventLoop::set_exception_handler(ExceptionHandler handler) { impl_->exception_handler = std::move(handler); }

void EventLoop::call_exception_handler(const ExceptionContext& context) {
    if (impl_->exception_handler) {
        try {
            impl_->exception_handler(*this, context);
            return;
        } catch (...) {
            // A failing handler falls back to the default one, as asyncio does.
        }
    }
    default_exception_handler(context);
}

void EventLoop::default_exception_handler(const ExceptionContext& context) {
    std::string msg = "aio: " + context.message;
    if (!context.task_name.empty()) msg += " (task " + context.task_name + ")";
    if (context.exception) msg += "\n  " + describe_exception(context.exception);
    std::fprintf(stderr, "%s\n", msg.c_str());
}

bool EventLoop::get_debug() const { return impl_->debug; }

void EventLoop::set_debug(bool enabled) { impl_->debug = enabled; }

ThreadPoolExecutor& EventLoop::default_executor() {
    impl_->check_open("default_executor");
    if (!impl_->default_executor) impl_->default_executor = std::make_unique<ThreadPoolExecutor>();
    return *impl_->default_executor;
}

EventLoop& get_running_loop() {
    if (!detail::t_running_loop) throw RuntimeError("no running event loop");
    return *detail::t_running_loop;
}

EventLoop* running_loop_or_null() noexcept { return detail::t_running_loop; }

TaskInfo current_task() { return TaskInfo(detail::t_current_task); }

std::vector<TaskInfo> all_tasks() {
    std::vector<TaskInfo> out;
    EventLoop* l = detail::t_running_loop;
    if (!l) throw RuntimeError("no running event loop");
    for (detail::TaskCore* t : detail::LoopAccess::impl(*l).pending_tasks()) out.emplace_back(t);
    return out;
}

}  // namespace aio

namespace aio::detail {

void run_loop_until_done(EventLoop& loop, TaskCore* core) { LoopAccess::impl(loop).run_until_done(core); }

void add_timer(TaskCore* task, TimerNode* node) { LoopAccess::impl(*task->loop()).add_timer(node); }

void remove_timer(TaskCore* task, TimerNode* node) noexcept { LoopAccess::impl(*task->loop()).remove_timer(node); }

Clock::duration scaled_delay(TaskCore* task, Clock::duration d) noexcept { return task->loop()->scaled(d); }

}  // namespace aio::detail
