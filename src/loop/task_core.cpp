// The task core: a task's life from start_in() to its final suspend, cancel(), and how a step runs.
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "aio/detail/context.hpp"
#include "aio/detail/wait_list.hpp"
#include "aio/task.hpp"
#include "loop/loop_impl.hpp"
#include "loop/thread_state.hpp"

namespace aio::detail {

constinit thread_local TaskCore* t_current_task = nullptr;
constinit thread_local int t_transfer_budget = kTransferBudget;

namespace {

bool is_cancelled_error(const std::exception_ptr& e) {
    if (!e) return false;
    try {
        std::rethrow_exception(e);
    } catch (const CancelledError&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace

void resume_task(TaskCore* task) noexcept {
    if (!task->has(TaskCore::kStarted)) {
        task->flags |= TaskCore::kStarted;
        if (task->has(TaskCore::kCancelPending)) {
            // Cancelled before its first step: the body never runs (asyncio semantics).
            task->exception = std::make_exception_ptr(CancelledError());
            task->on_final_suspend(task->resume_point);  // still the root frame: it never ran
            return;
        }
    }
    // Every wait ends by waking the task (which forgets what it waited on);
    // an awaiter that resumed its task another way would leave a Suspension
    // behind that a later cancel() would call into after the awaiter is gone.
    AIO_ASSERT(task->waiting_on() == nullptr, "a task was resumed with a wait still registered");
    task->clear_wait();
    t_current_task = task;
    t_transfer_budget = kTransferBudget;
    t_coop_budget = kCoopBudget;
    ContextData** outer_context = t_context_slot;
    t_context_slot = &task->context;
    task->resume_point.resume();  // `task` may be gone after this
    t_context_slot = outer_context;
    t_current_task = nullptr;
}

/// An eager task's first step, run inside its creator (asyncio's eager_start):
/// the creator's current task and context are set aside meanwhile. Nested
/// eager starts share the creator's transfer budget, which bounds the stack:
/// with the budget spent the task goes on the ready queue instead. Outside
/// a task (a callback) the stack is shallow: the whole budget is available.
void start_eagerly(TaskCore* task) noexcept {
    int outer_budget = t_transfer_budget;
    int budget = t_current_task ? outer_budget : kTransferBudget;
    if (budget <= 1) {
        task->ready()->push(task);
        return;
    }
    task->flags |= TaskCore::kStarted;
    TaskCore* outer_task = t_current_task;
    ContextData** outer_context = t_context_slot;
    t_current_task = task;
    t_context_slot = &task->context;
    t_transfer_budget = budget - 1;
    task->resume_point.resume();  // `task` may be gone after this
    t_transfer_budget = outer_budget;
    t_context_slot = outer_context;
    t_current_task = outer_task;
}

TaskCore* current_core() noexcept { return t_current_task; }

std::coroutine_handle<> transfer_to(TaskCore* task, std::coroutine_handle<> h) noexcept {
    if (--t_transfer_budget > 0) return h;
    task->resume_point = h;
    task->wake();
    return std::noop_coroutine();
}

// ---------------------------------------------------------------- TaskCore

namespace {
// Every task's TaskExtras, by task. Only tasks with a name or done callbacks
// have an entry; a frame may end on another thread than its loop's, hence
// the lock.
std::mutex extras_mu;
std::unordered_map<const TaskCore*, TaskExtras>& extras_table() {
    static auto* table = new std::unordered_map<const TaskCore*, TaskExtras>;  // outlives every thread
    return *table;
}
}  // namespace

TaskExtras& TaskCore::extras() {
    std::lock_guard lock(extras_mu);
    TaskExtras& x = extras_table()[this];
    flags |= kHasExtras;
    return x;
}

TaskExtras* TaskCore::extras_if_any() noexcept {
    if (!has(kHasExtras)) return nullptr;
    std::lock_guard lock(extras_mu);
    return &extras_table().find(this)->second;
}

TaskCore::~TaskCore() {
    if (has(kHasExtras)) {
        std::unordered_map<const TaskCore*, TaskExtras>::node_type gone;
        {
            std::lock_guard lock(extras_mu);
            gone = extras_table().extract(this);
        }
        // `gone` (done callbacks may hold other tasks) is destroyed unlocked.
    }
    context_release(context);
}

void TaskCore::deliver_pending_cancel() noexcept {
    if (!has(kCancelPending)) return;
    flags &= ~kCancelPending;
    Suspension* s = waiting_on();
    if (!s || !s->request_cancel()) flags |= kCancelPending;
}

bool TaskCore::cancel() noexcept {
    if (done()) return false;
    ++cancel_requests;
    if (Suspension* s = waiting_on(); s && s->request_cancel()) return true;
    flags |= kCancelPending;
    return true;
}

int TaskCore::uncancel() noexcept {
    if (cancel_requests > 0) --cancel_requests;
    if (cancel_requests == 0) flags &= ~kCancelPending;
    return cancel_requests;
}

void TaskCore::remove_waiter(CompletionWaiter* w) noexcept {
    for (CompletionWaiter** p = &waiters; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            w->next = nullptr;
            return;
        }
    }
}

void TaskCore::add_done_callback(std::function<void()> f) {
    if (done()) {
        loop()->call_soon(std::move(f));
        return;
    }
    extras().done_callbacks.push_back(std::move(f));
}

const std::string& TaskCore::name() {
    TaskExtras& x = extras();
    if (x.name.empty()) x.name = fmt::format("Task-{}", number);
    return x.name;
}

void TaskCore::set_name(std::string n) {
    extras().name = std::move(n);
}

void TaskCore::rethrow_if_failed() {
    if (!done()) throw InvalidStateError("the task is not done");
    flags |= kRetrieved;
    if (exception) std::rethrow_exception(exception);
}

void TaskCore::start_in(EventLoop& l, std::coroutine_handle<> self, Start how) {
    LoopImpl& impl = LoopAccess::impl(l);
    AIO_ASSERT(self.address() == frame().address(), "the promise is not where TaskCore::frame() looks for it");
    impl.link_task(this);  // first: the one step that may throw (bad_alloc)
    ready_ = &impl.ready_queue();
    resume_point = self;
    flags |= kRoot;
    refs = 2;  // the handle, and the task itself while it runs
    number = static_cast<std::uint32_t>(impl.next_task_number());
    context = capture_context();
    if ((how == Start::kEager || impl.options.eager_tasks) && impl.running)
        start_eagerly(this);  // asyncio: eager tasks start only on a running loop
    else
        impl.enqueue(this);
}

std::coroutine_handle<> TaskCore::on_final_suspend(std::coroutine_handle<> self) noexcept {
    if (!has(kRoot)) return transfer_to(owner_, resume_point);
    (void)self;
    finish_task();
    return std::noop_coroutine();
}

void TaskCore::finish_task() noexcept {
    if (exception) {
        if (is_cancelled_error(exception)) flags |= kCancelled;
    } else if (has(kCancelPending)) {
        // cancel() arrived after the last await: the task ends cancelled (asyncio semantics).
        exception = std::make_exception_ptr(CancelledError());
        flags |= kCancelled;
    }
    flags = static_cast<std::uint16_t>((flags | kDone) & ~kCancelPending);
    clear_wait();
    LoopAccess::impl(*loop()).unlink_task(this);
    while (CompletionWaiter* w = waiters) {
        waiters = w->next;
        w->next = nullptr;
        w->notify(w, *this);
    }
    if (TaskExtras* x = extras_if_any(); x && !x->done_callbacks.empty()) {
        auto callbacks = std::move(x->done_callbacks);
        for (auto& cb : callbacks) {
            try {
                loop()->call_soon(std::move(cb));
            } catch (...) {
                // A closed loop runs no callbacks.
            }
        }
    }
    release();  // the running reference; may destroy this frame
}

void TaskCore::abandon() noexcept {
    if (done()) return;
    flags |= kDone | kCancelled | kQuiet;
    if (!exception) {
        try {
            exception = std::make_exception_ptr(CancelledError("the task was abandoned: its event loop closed"));
        } catch (...) {
        }
    }
    clear_wait();
    LoopAccess::impl(*loop()).unlink_task(this);
    release();
}

void TaskCore::release() noexcept {
    if (--refs != 0) return;
    if (exception && !has(kRetrieved) && !has(kQuiet) && !has(kCancelled)) report_unretrieved(*this);
    frame().destroy();
}

void check_open(EventLoop& loop, const char* what) { LoopAccess::impl(loop).check_open(what); }

void report_unretrieved(TaskCore& core) noexcept {
    try {
        ExceptionContext ctx{"Task exception was never retrieved", core.exception, core.name()};
        if (EventLoop* l = t_running_loop)
            l->call_exception_handler(ctx);
        else
            std::fprintf(stderr, "aio: %s (task %s)\n%s\n", ctx.message.c_str(), ctx.task_name.c_str(),
                         describe_exception(ctx.exception).c_str());
    } catch (...) {
    }
}

void warn_lazy_task_dropped(TaskCore&) noexcept {
    EventLoop* l = t_running_loop;
    if (!l || !l->get_debug()) return;
    try {
        l->call_exception_handler({"a Task was destroyed without ever being awaited (coroutine was never awaited)", nullptr, {}});
    } catch (...) {
    }
}

}  // namespace aio::detail
