// make_backend(): which I/O backend a new loop gets (AIO_IO_BACKEND).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "aio/exceptions.hpp"
#include "loop/backends/epoll_backend.hpp"
#include "loop/backends/uring_backend.hpp"

namespace aio::detail {

namespace {

/// io_uring if the kernel lets us set up a ring and has the core opcodes;
/// nullptr otherwise (ENOSYS, seccomp, kernel.io_uring_disabled, old kernel).
std::unique_ptr<IoBackend> try_uring() noexcept {
    try {
        auto b = std::make_unique<UringBackend>();
        if (!b->has_core_ops()) return nullptr;
        return b;
    } catch (...) {
        return nullptr;
    }
}

}  // namespace

std::unique_ptr<IoBackend> make_backend() {
    const char* env = std::getenv("AIO_IO_BACKEND");
    std::string_view choice = env ? env : "";
    if (choice == "uring" || choice == "io_uring") {
        try {
            return std::make_unique<UringBackend>();
        } catch (const OSError& e) {
            throw_os_error(e.errno_code(), "AIO_IO_BACKEND=uring: io_uring is not available", "");
        }
    }
    if (choice == "epoll" || choice == "threads") return std::make_unique<EpollBackend>();
    if (!choice.empty())
        std::fprintf(stderr, "aio: AIO_IO_BACKEND=%s is not one of uring, epoll, threads; choosing by default\n",
                     env);
    if (auto b = try_uring()) return b;
    return std::make_unique<EpollBackend>();
}

}  // namespace aio::detail
