// The loop's machinery behind aio::EventLoop: ready queue, timers, backend, thread-safe inbox, signals.
#pragma once

#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "aio/detail/context.hpp"
#include "aio/events.hpp"
#include "aio/threads.hpp"
#include "loop/io_backend.hpp"
#include "loop/task_table.hpp"
#include "loop/timer_heap.hpp"

namespace aio::detail {

struct CallbackNode;
struct CallbackTimer : TimerNode {
    CallbackNode* owner = nullptr;
};

/// A callback scheduled with call_soon / call_later / call_at.
struct CallbackNode : Runnable {
    std::function<void()> fn;
    CallbackTimer timer;
    LoopImpl* loop = nullptr;
    ContextRef context = ContextRef::capture();  // asyncio's Handle runs in the scheduler's context
    std::atomic<bool> cancelled{false};  // Handle::cancel() may come from another thread
    bool timed = false;
    std::shared_ptr<CallbackNode> self;  // the loop's reference while scheduled
};

/// How other threads reach a loop: executor calls, call_soon_threadsafe and
/// run_coroutine_threadsafe hold a counted link. close() clears it (under
/// mu), so a pool or a thread that outlives the loop is refused instead of
/// posting into a freed loop.
struct LoopLink {
    std::mutex mu;
    LoopImpl* loop = nullptr;
    /// Posts `r` to the loop if it is still open; false once it has closed.
    bool try_post(Runnable* r) noexcept;
    /// Posts a callback (run in the context current here) if the loop is still open.
    bool try_post(std::function<void()>& f);
};

/// A callback node of `loop` for `fn`, holding its own reference (`self`)
/// until the loop has run or dropped it.
std::shared_ptr<CallbackNode> make_callback(LoopImpl* loop, std::function<void()> fn);

class LoopImpl {
public:
    LoopImpl(EventLoop& owner, LoopOptions options);
    ~LoopImpl();

    // Ready queue.
    void enqueue(Runnable* r) noexcept { ready_.push(r); }
    void enqueue(TaskCore* t) noexcept { ready_.push(t); }
    bool has_ready() const noexcept { return !ready_.empty(); }
    ReadyQueue& ready_queue() noexcept { return ready_; }

    // Timers.
    void add_timer(TimerNode* n) { timers_.push(n); }
    void remove_timer(TimerNode* n) noexcept { timers_.remove(n); }
    std::size_t timer_count() const noexcept { return timers_.size(); }

    // Thread-safe posting (worker threads, signal of completion).
    void post_threadsafe(Runnable* r);
    /// How other threads learn whether the loop is still open (see LoopLink):
    /// post through it, under its lock.
    const std::shared_ptr<LoopLink>& link() const noexcept { return link_; }

    // Tasks.
    /// Adds `t` to the pending tasks; throws std::bad_alloc (adding nothing).
    void link_task(TaskCore* t) { t->loop_index = tasks_.add(t); }
    void unlink_task(TaskCore* t) noexcept { tasks_.remove(t, t->loop_index); }
    /// The pending tasks, in no particular order (asyncio's all_tasks is a set).
    std::vector<TaskCore*> pending_tasks() const;
    std::uint64_t next_task_number() noexcept { return ++task_counter_; }

    // Running.
    void run_forever();
    void run_once();
    /// Runs iterations while keep_going() (checked before each) and not stopped.
    void run_while(const std::function<bool()>& keep_going);
    template <class Cond>
    void run_loop(Cond keep_going);
    void check_open(const char* what) const;
    /// Frees what is still queued once the loop will run no more.
    void discard_pending() noexcept;
    /// At close: gives up pending tasks (abandon) and drops call_later handles.
    void close_pending() noexcept;

    // Executor calls, counted from the moment a pool takes one until its
    // result is delivered here (a loop that waits for them can still progress).
    /// A pool took `item`: counts it and gives it the link its result comes back through.
    void executor_call_taken(WorkItem& item) {
        if (!item.link) item.link = link_;
        ++executor_calls_;
    }
    /// A counted call was delivered, or given back by its pool before it ran.
    void executor_call_ended() noexcept { --executor_calls_; }
    /// Clears the link: executor calls finishing later are dropped.
    void detach_executors() noexcept;

    EventLoop& owner;
    LoopOptions options;
    bool debug = false;
    double time_scale = 1.0;
    bool running = false;
    bool stopping = false;
    bool closed = false;
    std::unique_ptr<IoBackend> backend;
    EventLoop::ExceptionHandler exception_handler;
    std::unique_ptr<ThreadPoolExecutor> default_executor;

    /// Whether anything could still wake a task (used to stop waiting for
    /// tasks that can never finish when a loop shuts down).
    bool can_progress() const noexcept;
    /// Runs the loop until `core` is done or stop() is called.
    void run_until_done(TaskCore* core);

    // Signals.
    void add_signal_handler(int sig, std::function<void()> f);
    bool remove_signal_handler(int sig);

    /// The watches before sleeping so far (LoopOptions::idle_spin; tests).
    struct SpinStats {
        std::int64_t limit_ns = 0;  // the watch's length; 0: the loop never watches
        std::uint64_t found = 0;    // watches that saw something arrive
        std::uint64_t missed = 0;   // watches that ended with nothing
    };
    SpinStats spin_stats() const noexcept { return {spin_ns_, spins_found_, spins_missed_}; }

private:
    unsigned run_ready_batch();  // returns how many entries ran
    void drain_threadsafe();
    void run_expired_timers();
    std::int64_t compute_timeout_ns() const;
    /// Whether an I/O operation other than the loop's own signalfd read
    /// (always pending once armed) waits for the kernel.
    bool io_in_flight() const noexcept { return backend->pending_ops() > (signal_read_armed_ ? 1u : 0u); }
    /// About to sleep for I/O: watches for it first (LoopOptions::idle_spin).
    /// True when something arrived: the loop then polls instead of sleeping.
    bool spin_before_sleep() noexcept;
    /// The watch itself: true when something arrived within `limit_ns`.
    bool watch(std::int64_t limit_ns) noexcept;

    void arm_signal_read();
    static void on_signal_read(IoOp* op) noexcept;

    ReadyQueue ready_;
    TimerHeap timers_;

    std::mutex ts_mutex_;
    std::uintptr_t ts_head_ = 0;  // Runnables linked as on the ready queue
    std::uintptr_t* ts_tail_ = &ts_head_;
    std::atomic<bool> ts_pending_{false};
    std::atomic<bool> sleeping_{false};
    /// Set by the first post that wakes a sleeping loop, cleared before the
    /// next sleep: the posts after it (a worker finishing a run of calls)
    /// write no eventfd.
    std::atomic<bool> wake_sent_{false};

    std::size_t executor_calls_ = 0;
    std::shared_ptr<LoopLink> link_;  // shared with executor calls (see LoopLink)

    // Pending tasks: a table outside the frames, 8 bytes a task against 16
    // for links in every frame (see task_table.hpp).
    TaskTable tasks_;
    std::uint64_t task_counter_ = 0;
    unsigned ticks_since_poll_ = 0;
    // LoopOptions::idle_spin: the watch's length (0: never), and its backoff:
    // fruitless watches in a row, and the sleeps left before the next watch.
    std::int64_t spin_ns_ = 0;
    unsigned spin_misses_ = 0;
    unsigned spin_skip_ = 0;
    std::uint64_t spins_found_ = 0;
    std::uint64_t spins_missed_ = 0;

    int signal_fd_ = -1;
    sigset_t signal_mask_{};
    sigset_t saved_thread_mask_{};
    std::map<int, std::function<void()>> signal_handlers_;
    IoOp signal_op_{};
    struct SignalInfoBuffer;
    std::unique_ptr<unsigned char[]> signal_buf_;
    bool signal_read_armed_ = false;
};

/// The loop of this thread's running EventLoop (nullptr if none).
LoopImpl* running_impl() noexcept;

/// What the ready queue runs for a call_soon / call_later callback (handles.cpp).
void run_callback(Runnable* r) noexcept;
/// A call_later timer fired: queues its callback (handles.cpp).
void fire_callback_timer(TimerNode* t) noexcept;

}  // namespace aio::detail
