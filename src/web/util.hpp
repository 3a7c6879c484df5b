// Helpers of the server: path decoding, content negotiation, conditional and
// range requests, the access log line.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aio/http/compression.hpp"
#include "aio/http/message.hpp"

namespace aio::web::detail {

/// Percent-decodes a path into `out`; false when the result is not UTF-8 or holds a NUL.
bool percent_decode_path(std::string_view raw, std::string& out);
/// Whether a Content-Type is worth compressing (text-like).
bool compressible_type(std::string_view content_type) noexcept;
/// The coding to use given an Accept-Encoding value: `forced` if the client
/// accepts it, else br, gzip, deflate by preference; nullopt for none.
std::optional<http::Coding> choose_coding(std::string_view accept_encoding, std::optional<http::Coding> forced);

/// Closes a file descriptor on scope exit. Movable, so that a descriptor
/// opened on the thread pool comes back owned (and is closed even when the
/// awaiter was cancelled and the result is dropped).
struct FileDescriptor {
    int fd;
    explicit FileDescriptor(int f) noexcept : fd(f) {}
    FileDescriptor(FileDescriptor&& o) noexcept : fd(o.fd) { o.fd = -1; }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

struct FileValidators {
    std::string etag;           // "\"<mtime ns hex>-<size hex>\"", aiohttp's
    std::string last_modified;  // IMF-fixdate
    std::time_t mtime;
};
FileValidators file_validators(const struct stat& st);

enum class ConditionResult { proceed, not_modified, precondition_failed };
/// RFC 9110 §13.2.2's order: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.
ConditionResult evaluate_conditions(const http::Headers& request, const FileValidators& v, std::string_view method);

struct RangeResult {
    enum Kind { full, partial, unsatisfiable } kind = full;
    std::uint64_t first = 0, last = 0;
};
/// A single "bytes=" range (honouring If-Range); several ranges or a
/// malformed header serve the whole file, as RFC 9110 allows.
RangeResult parse_range(const http::Headers& request, const FileValidators& v, std::uint64_t size);

/// One access log line in aiohttp's format language.
std::string format_access_log(std::string_view format, const http::RequestHead& head, const std::string& remote,
                              int status, std::uint64_t bytes, std::chrono::steady_clock::duration took);

}  // namespace aio::web::detail
