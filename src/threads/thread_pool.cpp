// ThreadPoolExecutor: worker threads started on demand as Python's, a queue of work items.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <memory>

#include "aio/threads.hpp"
#include "loop/loop_impl.hpp"

namespace aio {

namespace {

/// A plain function queued with post() (submit(), and work that has no awaiter).
class FunctionItem final : public detail::WorkItem {
public:
    explicit FunctionItem(std::function<void()> f) : fn_(std::move(f)) {}
    void execute() noexcept override {
        try {
            fn_();
        } catch (...) {
            // submit() wraps calls in packaged_task: errors travel in the future.
        }
        fn_ = nullptr;
    }

private:
    std::function<void()> fn_;
};

/// How many times a worker that found the queue empty yields its core and
/// looks again before it blocks on the condition variable. The loop's thread
/// usually queues the next call within microseconds of taking a result; a
/// worker still looking takes it without a futex wake-up, and on a single
/// core each yield lets the loop run on until it has queued a whole batch
/// (instead of being preempted by the worker it woke after every call).
/// 32 yields are some 10-20 µs when the core has nothing else to run.
constexpr int kSearchYields = 32;

std::size_t default_workers() {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return std::min<std::size_t>(32, cores + 4);
}

}  // namespace

ThreadPoolExecutor::ThreadPoolExecutor(std::size_t max_workers)
    : max_workers_(max_workers == 0 ? default_workers() : max_workers) {}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true); }

void ThreadPoolExecutor::spawn_if_needed() {
    // Called with mu_ held, once per queued item. Python's rule
    // (ThreadPoolExecutor._adjust_thread_count): the item claims one idle
    // worker (the idle semaphore, acquired without blocking); a new thread is
    // started only when none is left for it. So a burst of N items wakes the
    // idle workers and starts threads for the rest, up to max_workers.
    if (idle_permits_ > 0) {
        --idle_permits_;
        return;
    }
    if (threads_.size() >= max_workers_) return;
    // Workers block every signal: signals belong to the loop's thread (signalfd).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    try {
        threads_.emplace_back([this] { worker_main(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

bool ThreadPoolExecutor::should_notify() const noexcept {
    // Called with mu_ held and work queued. A searching worker will take it;
    // a notified one that has not run yet will too (notifying it again would
    // also make glibc's condition variable wait for it to leave its group).
    return searching_ == 0 && sleeping_ > notified_;
}

void ThreadPoolExecutor::enqueue(detail::WorkItem* item) {
    // Once the item is queued a worker may run and free it (a FunctionItem) at
    // any moment, so everything read from it is read before it is published.
    // The loop's count of executor calls belongs to the loop's thread, which
    // is the one calling here.
    bool notify = false;
    {
        std::lock_guard lock(mu_);
        if (shutdown_) throw RuntimeError("cannot schedule new calls after the executor was shut down");
        if (item->loop) item->loop->executor_call_taken(*item);
        queue_.push_back(item);
        try {
            spawn_if_needed();
        } catch (...) {
            queue_.pop_back();
            if (item->loop) item->loop->executor_call_ended();
            throw;
        }
        queued_.store(queue_.size(), std::memory_order_relaxed);
        if (should_notify()) {
            ++notified_;
            notify = true;
        }
    }
    if (notify) cv_.notify_one();
}

void ThreadPoolExecutor::post(std::function<void()> f) {
    auto item = std::make_unique<FunctionItem>(std::move(f));
    enqueue(item.get());  // throws after shutdown: the item is freed here
    (void)item.release();  // the queue holds it now
}

bool ThreadPoolExecutor::try_remove(detail::WorkItem* item) noexcept {
    {
        std::lock_guard lock(mu_);
        auto it = std::find(queue_.begin(), queue_.end(), item);
        if (it == queue_.end()) return false;
        queue_.erase(it);
        queued_.store(queue_.size(), std::memory_order_relaxed);
    }
    if (item->loop) item->loop->executor_call_ended();
    item->release();
    return true;
}

void ThreadPoolExecutor::worker_main() {
    std::unique_lock lock(mu_);
    bool idle = false;  // this worker's idle permit is out (Python: once per empty queue found)
    while (true) {
        if (queue_.empty()) {
            if (shutdown_) return;
            if (!idle) {
                // Released when the queue is found empty, claimed by enqueue. A
                // worker woken for an item another one took finds it empty
                // again: it is still the same idle worker, not a second one.
                ++idle_permits_;
                idle = true;
            }
            if (searching_ == 0) {
                // One worker at a time looks again before blocking (more would
                // only take turns on the same cores).
                ++searching_;
                lock.unlock();
                for (int i = 0; i < kSearchYields && queued_.load(std::memory_order_relaxed) == 0; ++i)
                    std::this_thread::yield();
                lock.lock();
                --searching_;
                if (!queue_.empty() || shutdown_) continue;
            }
            ++sleeping_;
            cv_.wait(lock);
            --sleeping_;
            if (notified_ > 0) --notified_;  // (a spurious wake-up may take another's: one notify too many later)
            continue;
        }
        idle = false;
        detail::WorkItem* item = queue_.front();
        queue_.pop_front();
        queued_.store(queue_.size(), std::memory_order_relaxed);
        // Work is left and nobody will look for it: wake a sleeper, which does
        // the same. So a burst fans out one wake-up at a time, each sent by a
        // worker rather than all by the loop's thread.
        bool notify = false;
        if (!queue_.empty() && should_notify()) {
            ++notified_;
            notify = true;
        }
        lock.unlock();
        if (notify) cv_.notify_one();
        item->execute();
        if (item->link)
            detail::post_completion(item);  // delivers and releases (or drops, the loop being closed)
        else
            item->release();
        lock.lock();
    }
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
    std::vector<std::thread> threads;
    std::deque<detail::WorkItem*> dropped;
    {
        std::lock_guard lock(mu_);
        shutdown_ = true;
        if (cancel_futures) dropped.swap(queue_);
        if (wait) threads.swap(threads_);
    }
    cv_.notify_all();
    for (detail::WorkItem* item : dropped) {
        // An awaiter whose call was dropped is woken; it sees no result and
        // reports CancelledError (the call never ran).
        if (item->link)
            detail::post_completion(item);
        else
            item->release();
    }
    for (auto& t : threads) t.join();
}

}  // namespace aio
