// The exception tree's messages and describe_exception (asyncio's and OSError's errno mapping).
#include "aio/exceptions.hpp"

#include <cerrno>
#include <cstring>
#include <typeinfo>

#include <cxxabi.h>

namespace aio {

namespace {

std::string errno_text(int code) {
    char buf[256];
    // GNU strerror_r returns the message pointer (possibly not buf).
    const char* s = ::strerror_r(code, buf, sizeof buf);
    return s;
}

std::string python_os_message(int code, const std::string& filename) {
    std::string msg = "[Errno " + std::to_string(code) + "] " + errno_text(code);
    if (!filename.empty()) msg += ": '" + filename + "'";
    return msg;
}

std::string demangled_name(const std::type_info& ti) {
    int status = 0;
    char* name = abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status);
    std::string out = (status == 0 && name) ? name : ti.name();
    std::free(name);
    return out;
}

}  // namespace

OSError::OSError(int errno_code, std::string filename)
    : Exception(python_os_message(errno_code, filename)), errno_(errno_code), filename_(std::move(filename)) {}

OSError::OSError(int errno_code, std::string message, std::string filename)
    : Exception(errno_code != 0 ? message + ": [Errno " + std::to_string(errno_code) + "] " + errno_text(errno_code) +
                                      (filename.empty() ? "" : ": '" + filename + "'")
                                : message),
      errno_(errno_code), filename_(std::move(filename)) {}

std::string OSError::strerror() const { return errno_text(errno_); }

TimeoutError::TimeoutError(std::string message) : OSError(0, std::move(message), {}) {}

std::string ExceptionGroup::describe(const std::string& message, const std::vector<std::exception_ptr>& excs) {
    std::string out = message + " (" + std::to_string(excs.size()) + " sub-exception" + (excs.size() == 1 ? "" : "s") + ")";
    for (const auto& e : excs) out += "\n  - " + describe_exception(e);
    return out;
}

namespace {
template <class E>
std::exception_ptr make(int code, const std::string& message, const std::string& filename) {
    if (message.empty()) return std::make_exception_ptr(E(code, filename));
    return std::make_exception_ptr(E(code, message, filename));
}
}  // namespace

std::exception_ptr make_os_error(int code, const std::string& message, const std::string& filename) {
    switch (code) {
        case ENOENT: return make<FileNotFoundError>(code, message, filename);
        case EEXIST: return make<FileExistsError>(code, message, filename);
        case EACCES:
        case EPERM: return make<PermissionError>(code, message, filename);
        case EISDIR: return make<IsADirectoryError>(code, message, filename);
        case ENOTDIR: return make<NotADirectoryError>(code, message, filename);
        case EINTR: return make<InterruptedError>(code, message, filename);
        case EAGAIN: return make<BlockingIOError>(code, message, filename);
        case ECHILD: return make<ChildProcessError>(code, message, filename);
        case ESRCH: return make<ProcessLookupError>(code, message, filename);
        case EPIPE:
        case ESHUTDOWN: return make<BrokenPipeError>(code, message, filename);
        case ECONNABORTED: return make<ConnectionAbortedError>(code, message, filename);
        case ECONNREFUSED: return make<ConnectionRefusedError>(code, message, filename);
        case ECONNRESET: return make<ConnectionResetError>(code, message, filename);
        case ETIMEDOUT:
            return std::make_exception_ptr(TimeoutError(message.empty() ? python_os_message(code, filename) : message));
        default: return make<OSError>(code, message, filename);
    }
}

void throw_os_error(int code, const std::string& filename) { std::rethrow_exception(make_os_error(code, {}, filename)); }

void throw_os_error(int code, const std::string& message, const std::string& filename) {
    std::rethrow_exception(make_os_error(code, message, filename));
}

std::string describe_exception(const std::exception_ptr& e) {
    if (!e) return "(no exception)";
    try {
        std::rethrow_exception(e);
    } catch (const BaseException& ex) {
        return demangled_name(typeid(ex)) + ": " + ex.what();
    } catch (const std::exception& ex) {
        return demangled_name(typeid(ex)) + ": " + ex.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace aio

#include <cstdio>
#include <cstdlib>

#include "aio/detail/assert.hpp"

namespace aio::detail {
void assertion_failed(const char* what, const char* file, int line) noexcept {
    std::fprintf(stderr, "aio: invariant broken: %s (%s:%d)\n", what, file, line);
    std::abort();
}
}  // namespace aio::detail
