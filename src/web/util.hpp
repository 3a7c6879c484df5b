// Helpers of the server: path decoding, content negotiation, conditional and
// range requests, the access log line.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aio/http/compression.hpp"
#include "aio/http/message.hpp"
#include "aio/web/response.hpp"

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
    FileDescriptor& operator=(FileDescriptor&& o) noexcept {
        if (this != &o) {
            if (fd >= 0) ::close(fd);
            fd = o.fd;
            o.fd = -1;
        }
        return *this;
    }
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

/// A file opened and fstat'ed together, off the loop (both may wait for the
/// disk): by a static route while it looks the path up, else by the
/// connection when it sends a FileResponse.
struct OpenedFile {
    FileDescriptor file{-1};
    struct stat st {};
    int err = 0;  // errno of open or fstat; 0 when both succeeded
    /// Set when `file` is the precompressed sibling of the path asked for
    /// (name.br, name.gz) in this coding: sent as it is, with Content-Encoding.
    std::optional<http::Coding> coding;

    static OpenedFile open(const std::filesystem::path& path) {
        OpenedFile o;
        o.file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not hang the thread
        if (o.file.fd < 0 || ::fstat(o.file.fd, &o.st) != 0) o.err = errno;
        return o;
    }
    /// Hands `f` to `resp` (a FileResponse for the same path), which then
    /// sends it without opening the path again.
    static void attach(StreamResponse& resp, std::shared_ptr<OpenedFile> f) { resp.opened_ = std::move(f); }

    /// aiohttp's precompressed files: when this is a regular file and the
    /// client accepts br (then gzip), `open_sibling(".br")` (then ".gz")
    /// opens the file of that name beside it, and a regular file opened so
    /// takes this one's place, with `coding` set. `open_sibling` returns a
    /// descriptor or -1 and must not follow a symlink. On the thread pool.
    template <class OpenSibling>
    void prefer_precompressed(std::string_view accept_encoding, OpenSibling open_sibling) {
        if (err != 0 || !S_ISREG(st.st_mode) || accept_encoding.empty()) return;
        static constexpr std::pair<http::Coding, const char*> kSiblings[] = {{http::Coding::br, ".br"},
                                                                             {http::Coding::gzip, ".gz"}};
        for (const auto& [c, suffix] : kSiblings) {
            if (choose_coding(accept_encoding, c) != c) continue;
            FileDescriptor fd(open_sibling(suffix));
            struct stat sst {};
            if (fd.fd < 0 || ::fstat(fd.fd, &sst) != 0 || !S_ISREG(sst.st_mode)) continue;
            file = std::move(fd);
            st = sst;
            coding = c;
            return;
        }
    }
    /// prefer_precompressed for the file named `path`: the sibling opened by
    /// name, and passed over if it is a symlink.
    void prefer_precompressed_beside(std::string_view accept_encoding, const std::string& path) {
        prefer_precompressed(accept_encoding, [&](const char* suffix) {
            return ::open((path + suffix).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
        });
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
