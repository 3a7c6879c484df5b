// Seed §1.4: an async context manager, the RAII way. `async with X() as r:`
// becomes `auto r = co_await X::open();` — the async part of entering runs in
// open(), and leaving the scope (normally or by an exception) runs __aexit__
// in the guard's destructor. Cleanup that must itself await goes in an
// explicit `co_await r.close()` before the scope ends.
#include <aio/aio.hpp>
#include <fmt/core.h>

class AsyncResource {
public:
    bool opened = false;

    // __aenter__
    static aio::Task<std::unique_ptr<AsyncResource, void (*)(AsyncResource*)>> open() {
        auto resource = std::unique_ptr<AsyncResource, void (*)(AsyncResource*)>(new AsyncResource, &exit);
        fmt::print("Resource opened\n");
        resource->opened = true;
        co_return resource;
    }

private:
    // __aexit__
    static void exit(AsyncResource* r) {
        fmt::print("Resource closed\n");
        r->opened = false;
        delete r;
    }
};

aio::Task<> main2() {
    auto resource = co_await AsyncResource::open();
    fmt::print("Resource is opened: {}\n", resource->opened ? "True" : "False");
}

int main() { aio::run(main2()); }
