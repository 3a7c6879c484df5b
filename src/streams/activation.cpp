// listen_fds: the sockets of systemd socket activation (sd_listen_fds semantics).
#include "aio/activation.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "aio/exceptions.hpp"

namespace aio {

namespace {

/// A whole decimal number, or nothing.
bool parse_number(std::string_view s, long& out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

void unset_activation_environment() {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
}

}  // namespace

std::vector<Socket> listen_fds(bool unset_environment) {
    const char* pid_text = std::getenv("LISTEN_PID");
    const char* count_text = std::getenv("LISTEN_FDS");
    if (pid_text == nullptr || count_text == nullptr) return {};
    std::string pid_copy = pid_text;
    std::string count_copy = count_text;
    if (unset_environment) unset_activation_environment();
    long pid = 0;
    if (!parse_number(pid_copy, pid) || pid <= 0)
        throw ValueError("LISTEN_PID='" + pid_copy + "' is not a process id");
    if (pid != static_cast<long>(::getpid())) return {};  // meant for another process
    long count = 0;
    // 4096: far beyond any real socket unit, far below a descriptor table.
    if (!parse_number(count_copy, count) || count < 0 || count > 4096)
        throw ValueError("LISTEN_FDS='" + count_copy + "' is not a count of descriptors (0 to 4096)");
    // Check every descriptor before adopting any, so that an error leaves
    // the caller's descriptor table as it was.
    for (long i = 0; i < count; ++i) {
        int fd = kListenFdsStart + static_cast<int>(i);
        if (::fcntl(fd, F_GETFD) < 0)
            throw OSError(errno, "LISTEN_FDS promised descriptor " + std::to_string(fd) + ", which is not open", {});
    }
    std::vector<Socket> out;
    out.reserve(static_cast<std::size_t>(count));
    for (long i = 0; i < count; ++i) out.push_back(Socket::adopt(kListenFdsStart + static_cast<int>(i)));
    return out;
}

}  // namespace aio
