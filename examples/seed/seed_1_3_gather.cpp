// Seed §1.3: running tasks concurrently with gather.
#include <aio/aio.hpp>
#include <fmt/core.h>

using namespace std::chrono_literals;

aio::Task<std::string> task1() {
    fmt::print("Task 1 started\n");
    co_await aio::sleep(2s);
    fmt::print("Task 1 finished\n");
    co_return "Task1";
}

aio::Task<std::string> task2() {
    fmt::print("Task 2 started\n");
    co_await aio::sleep(1s);
    fmt::print("Task 2 finished\n");
    co_return "Task2";
}

aio::Task<> run_multi_async_tasks() {
    // Create the tasks
    auto t1 = aio::create_task(task1());
    auto t2 = aio::create_task(task2());
    // Wait for both to finish
    co_await aio::gather(t1, t2);
}

aio::Task<> amain() { co_await aio::gather(task1(), task2()); }

int main() { aio::run(amain()); }
