// Work handed between loops on different threads (Google Benchmark):
// - a task on loop A awaits a coroutine run on loop B (wrap_future of
//   run_coroutine_threadsafe): the round trip, both loops otherwise idle;
// - the same from a plain thread blocking in ConcurrentFuture::result();
// - aio::ThreadSafeQueue throughput loop -> loop, one and several producer
//   loops (one thread each) feeding one consumer task.
// bench/crossloop.sh runs these beside tokio's peers (oneshot JoinHandle
// across runtimes, mpsc between current_thread runtimes).
#include <benchmark/benchmark.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <aio/aio.hpp>

namespace {

/// An event loop running forever on a thread of its own.
class LoopThread {
public:
    LoopThread() {
        std::promise<aio::EventLoop*> ready;
        auto f = ready.get_future();
        thread_ = std::thread([ready = std::move(ready)]() mutable {
            aio::Runner runner;
            aio::EventLoop& loop = runner.get_loop();
            ready.set_value(&loop);
            loop.run_forever();
        });
        loop_ = f.get();
    }
    ~LoopThread() {
        aio::EventLoop* l = loop_;
        l->call_soon_threadsafe([l] { l->stop(); });
        thread_.join();
    }
    aio::EventLoop& loop() { return *loop_; }

private:
    std::thread thread_;
    aio::EventLoop* loop_ = nullptr;
};

aio::Task<int> times_seven(int x) { co_return x * 7; }

aio::Task<> round_trips(benchmark::State* state, aio::EventLoop* b) {
    int i = 0;
    long check = 0;
    for (auto _ : *state) {
        int v = co_await aio::wrap_future(aio::run_coroutine_threadsafe(times_seven(i++), *b));
        check += v;
    }
    benchmark::DoNotOptimize(check);
}

void BM_WrapFutureRoundTrip(benchmark::State& state) {
    LoopThread b;
    aio::run(round_trips(&state, &b.loop()));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WrapFutureRoundTrip)->UseRealTime();

void BM_BlockingResultRoundTrip(benchmark::State& state) {
    LoopThread b;
    int i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(aio::run_coroutine_threadsafe(times_seven(i++), b.loop()).result());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BlockingResultRoundTrip)->UseRealTime();

/// Items each round moves through the queue (per round, spread over the producers).
constexpr int kItems = 200'000;
/// Room for this many items: producers park when the consumer falls behind.
constexpr long kQueueSize = 1024;

aio::Task<> produce(aio::ThreadSafeQueue<long>* q, int n) {
    for (long i = 0; i < n; ++i) co_await q->put(i);
}

aio::Task<long> consume(aio::ThreadSafeQueue<long>* q, int n) {
    long sum = 0;
    for (int i = 0; i < n; ++i) {
        long v = co_await q->get();
        sum += v;
    }
    co_return sum;
}

void BM_QueueLoopToLoop(benchmark::State& state) {
    const int producers = static_cast<int>(state.range(0));
    std::vector<std::unique_ptr<LoopThread>> loops;
    for (int p = 0; p < producers; ++p) loops.push_back(std::make_unique<LoopThread>());
    aio::ThreadSafeQueue<long> q(kQueueSize);
    const int per = kItems / producers;
    for (auto _ : state) {
        std::vector<aio::ConcurrentFuture<>> fs;
        for (auto& l : loops) fs.push_back(aio::run_coroutine_threadsafe(produce(&q, per), l->loop()));
        long sum = aio::run(consume(&q, per * producers));
        benchmark::DoNotOptimize(sum);
        for (auto& f : fs) f.result();
    }
    state.SetItemsProcessed(state.iterations() * per * producers);
}
BENCHMARK(BM_QueueLoopToLoop)->Arg(1)->Arg(3)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_QueueThreadToLoop(benchmark::State& state) {
    aio::ThreadSafeQueue<long> q(kQueueSize);
    for (auto _ : state) {
        std::thread producer([&q] {
            for (long i = 0; i < kItems; ++i) q.put_blocking(i);
        });
        long sum = aio::run(consume(&q, kItems));
        benchmark::DoNotOptimize(sum);
        producer.join();
    }
    state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_QueueThreadToLoop)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
