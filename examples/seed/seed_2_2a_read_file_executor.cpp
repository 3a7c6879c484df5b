// Seed §2.2, first example: read example.txt on the thread pool with
// run_in_executor, so the blocking read does not stall the loop. (The Python
// as written cannot run — `async with` on a plain file, an undefined `loop` —
// this is what it means: open the file, read it in the executor, print it.)
#include <aio/aio.hpp>
#include <fmt/core.h>

#include <fstream>
#include <iterator>
#include <string>

aio::Task<> read_file() {
    auto& loop = aio::get_running_loop();
    std::ifstream f("example.txt");
    auto read_all = [&f] { return std::string(std::istreambuf_iterator<char>(f), {}); };
    auto reading = loop.run_in_executor(nullptr, read_all);
    std::string content = co_await reading;
    fmt::print("{}\n", content);
}

int main() { aio::run(read_file()); }
