// TaskGroup (asyncio.TaskGroup): children adopted, the first failure cancels the rest.
#include "aio/taskgroups.hpp"

namespace aio {

/// The suspension of wait(): woken when the last task finishes; a cancel
/// aborts the group and keeps waiting.
class TaskGroup::WaitAll final : public detail::Suspension {
public:
    explicit WaitAll(TaskGroup& g) : g_(g) {}
    bool await_ready() const noexcept { return g_.pending_ == 0; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        g_.waiter_ = h.promise().owner();
        g_.waiting_ = this;
        suspended_ = true;
        g_.waiter_->suspend_on(this, h);
        g_.waiter_->deliver_pending_cancel();
    }
    void await_resume() noexcept {
        // wait() has no result: a cancel() that arrived after the last task
        // finished, before this task ran, is raised too (asyncio's __aexit__).
        if (suspended_ && !cancelled && g_.waiter_->take_pending_cancel()) cancelled = true;
        g_.waiter_ = nullptr;
        g_.waiting_ = nullptr;
    }
    bool request_cancel() noexcept override {
        cancelled = true;
        g_.abort();
        if (g_.pending_ == 0) {
            g_.waiter_->wake();
        }
        return true;
    }
    bool cancelled = false;

private:
    TaskGroup& g_;
    bool suspended_ = false;
};

TaskGroup::~TaskGroup() {
    deferred_abort_.cancel();
    abort();
    for (auto& m : members_) {
        if (m->task) {
            m->task->remove_waiter(m.get());
            m->task->flags |= detail::TaskCore::kQuiet;
            m->task->release();
            m->task = nullptr;
        }
    }
}

void TaskGroup::check_accepting() const {
    if (finished_) throw RuntimeError("this TaskGroup is finished");
    if (aborting_) throw RuntimeError("this TaskGroup is shutting down");
}

void TaskGroup::adopt(detail::TaskCore* core) {
    auto m = std::make_unique<Member>();
    m->group = this;
    m->notify = &TaskGroup::on_done;
    m->task = core;
    core->add_ref();
    ++pending_;
    Member* member = m.get();
    members_.push_back(std::move(m));
    if (core->done()) {
        // An eager task that finished while it was being created (asyncio's
        // TaskGroup calls _on_task_done at once for it).
        on_done(member, *core);
        return;
    }
    core->add_waiter(member);
}

void TaskGroup::abort() noexcept {
    if (aborting_) return;
    aborting_ = true;
    for (auto& m : members_)
        if (m->task) m->task->cancel();
}

void TaskGroup::on_done(detail::CompletionWaiter* w, detail::TaskCore& t) noexcept {
    auto* m = static_cast<Member*>(w);
    TaskGroup* g = m->group;
    t.flags |= detail::TaskCore::kRetrieved;  // the group answers for its tasks' errors
    if (t.exception && !t.has(detail::TaskCore::kCancelled)) {
        g->errors_.push_back(t.exception);
        // As asyncio (whose done callbacks go through call_soon), the siblings
        // are cancelled after the tasks already ready this iteration have run.
        if (!g->aborting_ && !g->abort_scheduled_) {
            g->abort_scheduled_ = true;
            try {
                g->deferred_abort_ = t.loop()->call_soon([g] { g->abort(); });
            } catch (...) {
                g->abort();
            }
        }
    }
    m->task = nullptr;
    --g->pending_;
    if (g->pending_ == 0 && g->waiter_ && g->waiter_->waiting_on() == g->waiting_) {
        g->waiter_->wake();
    }
    t.release();  // may destroy the task's frame: last thing here
}

Task<> TaskGroup::wait() {
    if (finished_) throw RuntimeError("TaskGroup::wait() was already called");
    bool cancelled = false;
    {
        WaitAll all(*this);
        co_await all;
        cancelled = all.cancelled;
    }
    finished_ = true;
    if (!errors_.empty()) throw ExceptionGroup("unhandled errors in a TaskGroup", errors_);
    if (cancelled) throw CancelledError();
}

}  // namespace aio
