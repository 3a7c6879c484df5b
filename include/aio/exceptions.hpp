// aio/exceptions.hpp — the exception tree, named and shaped as Python's.
//
// Python                       aio
// BaseException                aio::BaseException        (not a std::exception)
//  └ CancelledError            aio::CancelledError
// Exception                    aio::Exception            (a std::runtime_error)
//  ├ RuntimeError              aio::RuntimeError
//  │   └ RecursionError        aio::RecursionError
//  ├ InvalidStateError         aio::InvalidStateError
//  ├ TypeError / ValueError    aio::TypeError / aio::ValueError
//  │   └ UnicodeDecodeError    aio::UnicodeDecodeError
//  ├ LookupError               aio::LookupError
//  │   ├ KeyError              aio::KeyError
//  │   └ IndexError            aio::IndexError
//  ├ StopIteration             aio::StopIteration
//  ├ StopAsyncIteration        aio::StopAsyncIteration
//  ├ ExceptionGroup            aio::ExceptionGroup
//  └ OSError                   aio::OSError (errno_code(), filename())
//     ├ TimeoutError           aio::TimeoutError
//     ├ FileNotFoundError …    (the errno subclasses, see below)
//     └ ConnectionError        aio::ConnectionError
//        ├ ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError
//        └ BrokenPipeError
//
// CancelledError deliberately does not derive from std::exception: as in Python
// (where it is a BaseException since 3.8) a `catch (const std::exception&)` meant
// for errors must not swallow a cancellation. Catch it by name, or with `catch (...)`
// and rethrow.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace aio {

/// Root of the exceptions that are not errors (Python's BaseException).
class BaseException {
public:
    /// An exception whose what() is `message`.
    explicit BaseException(std::string message) : message_(std::move(message)) {}
    virtual ~BaseException() = default;
    /// The message, as std::exception::what() gives it for errors.
    virtual const char* what() const noexcept { return message_.c_str(); }

private:
    std::string message_;
};

/// Delivered at a task's current `co_await` when the task is cancelled
/// (asyncio.CancelledError). A task may catch it to clean up; it should rethrow.
class CancelledError : public BaseException {
public:
    /// A cancellation; `message` is what what() gives (Task.cancel(msg)'s message, or the default).
    explicit CancelledError(std::string message = "the task was cancelled")
        : BaseException(std::move(message)) {}
};

/// Root of aio's errors (Python's Exception).
class Exception : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An operation that makes no sense in the current state of the program
/// (Python's RuntimeError), e.g. aio::run() inside a running loop.
class RuntimeError : public Exception {
public:
    using Exception::Exception;
};

/// Nesting deeper than an operation takes (Python's RecursionError), e.g.
/// json::dumps of a value nested past 1024 levels.
class RecursionError : public RuntimeError {
public:
    using RuntimeError::RuntimeError;
};

/// A future or task in the wrong state for the operation (asyncio.InvalidStateError),
/// e.g. result() of an unfinished task or awaiting a lazy task twice.
class InvalidStateError : public Exception {
public:
    using Exception::Exception;
};

/// Python's TypeError: an argument of the wrong kind (e.g. a value sent to a
/// just-started generator).
class TypeError : public Exception {
public:
    using Exception::Exception;
};

/// Python's ValueError: an argument of the right kind with a bad value.
class ValueError : public Exception {
public:
    using Exception::Exception;
};

/// Bytes that are not valid in the expected encoding (Python's UnicodeDecodeError).
class UnicodeDecodeError : public ValueError {
public:
    /// Bytes at `offset` are not valid `encoding`; `reason` says why. The message reads like Python's:
    /// "'utf-8' codec can't decode byte at position 3: invalid UTF-8".
    UnicodeDecodeError(std::string encoding, std::size_t offset, std::string reason)
        : ValueError("'" + encoding + "' codec can't decode byte at position " + std::to_string(offset) +
                     ": " + reason),
          encoding_(std::move(encoding)), offset_(offset) {}
    /// The name of the encoding that failed ("utf-8", ...).
    const std::string& encoding() const noexcept { return encoding_; }
    /// Byte offset of the first undecodable byte.
    std::size_t offset() const noexcept { return offset_; }

private:
    std::string encoding_;
    std::size_t offset_;
};

/// A key or index that is not there (Python's LookupError).
class LookupError : public Exception {
public:
    using Exception::Exception;
};

/// A name that is not there (Python's KeyError), e.g. a table column.
class KeyError : public LookupError {
public:
    using LookupError::LookupError;
};

/// A position past the end (Python's IndexError).
class IndexError : public LookupError {
public:
    using LookupError::LookupError;
};

/// A generator has nothing more to give (Python's StopIteration).
class StopIteration : public Exception {
public:
    StopIteration() : Exception("the generator is finished") {}
    using Exception::Exception;
};

/// An async generator has nothing more to give (Python's StopAsyncIteration).
class StopAsyncIteration : public Exception {
public:
    StopAsyncIteration() : Exception("the async generator is finished") {}
};

/// Several errors raised together (Python's ExceptionGroup), e.g. by a TaskGroup.
class ExceptionGroup : public Exception {
public:
    /// A group of `exceptions` (in the order they happened) under `message`; what() gives the message,
    /// the count and a line per sub-exception.
    ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
        : Exception(describe(message, exceptions)), exceptions_(std::move(exceptions)) {}
    /// The errors, in the order they happened.
    const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

private:
    static std::string describe(const std::string& message, const std::vector<std::exception_ptr>& excs);
    std::vector<std::exception_ptr> exceptions_;
};

/// An error reported by the operating system (Python's OSError): errno and,
/// where one is involved, the file name.
class OSError : public Exception {
public:
    /// Message in Python's form: "[Errno 2] No such file or directory: 'x.txt'".
    OSError(int errno_code, std::string filename = {});
    /// A message of the caller's, with an errno (0 when there is none).
    OSError(int errno_code, std::string message, std::string filename);
    /// The errno value (OSError.errno); 0 when the error has none (e.g. TimeoutError, gaierror).
    int errno_code() const noexcept { return errno_; }
    /// The file name or other object the error is about (OSError.filename); empty when none.
    const std::string& filename() const noexcept { return filename_; }
    /// strerror() of the errno.
    std::string strerror() const;

private:
    int errno_;
    std::string filename_;
};

/// A deadline passed (Python's TimeoutError; asyncio.TimeoutError is the same class).
class TimeoutError : public OSError {
public:
    /// A timeout described by `message`; errno_code() is 0 and filename() empty.
    explicit TimeoutError(std::string message = "the operation timed out");
};

class FileNotFoundError : public OSError { public: using OSError::OSError; };
class FileExistsError : public OSError { public: using OSError::OSError; };
class PermissionError : public OSError { public: using OSError::OSError; };
class IsADirectoryError : public OSError { public: using OSError::OSError; };
class NotADirectoryError : public OSError { public: using OSError::OSError; };
class InterruptedError : public OSError { public: using OSError::OSError; };
class BlockingIOError : public OSError { public: using OSError::OSError; };
class ChildProcessError : public OSError { public: using OSError::OSError; };
class ProcessLookupError : public OSError { public: using OSError::OSError; };
class ConnectionError : public OSError { public: using OSError::OSError; };
class BrokenPipeError : public ConnectionError { public: using ConnectionError::ConnectionError; };
class ConnectionAbortedError : public ConnectionError { public: using ConnectionError::ConnectionError; };
class ConnectionRefusedError : public ConnectionError { public: using ConnectionError::ConnectionError; };
class ConnectionResetError : public ConnectionError { public: using ConnectionError::ConnectionError; };

/// Throws the OSError subclass Python would raise for `errno_code`
/// (ENOENT → FileNotFoundError, EACCES → PermissionError, ECONNRESET →
/// ConnectionResetError, ...).
[[noreturn]] void throw_os_error(int errno_code, const std::string& filename = {});
/// The same, with a message of the caller's ("connect to 127.0.0.1:80").
[[noreturn]] void throw_os_error(int errno_code, const std::string& message, const std::string& filename);
/// The exception object throw_os_error would throw, as an exception_ptr.
std::exception_ptr make_os_error(int errno_code, const std::string& message = {}, const std::string& filename = {});

/// A readable one-line description of any exception_ptr ("TimeoutError: ...").
std::string describe_exception(const std::exception_ptr& e);

}  // namespace aio
