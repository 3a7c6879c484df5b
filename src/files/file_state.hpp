// The state behind an aio::files::File (and what tempfile needs of it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "aio/exceptions.hpp"
#include "aio/files/file.hpp"
#include "files/codec.hpp"

namespace aio::files::impl {

/// A read of the next piece started in the background (src/files/file.cpp).
struct Prefetch;

struct FileState {
    FileState() = default;
    FileState(const FileState&) = delete;
    FileState& operator=(const FileState&) = delete;
    /// An unclosed file: flushes and closes synchronously (see File).
    ~FileState();

    int fd = -1;
    std::string name;
    std::string mode;
    bool closed = false;
    bool readable = false;
    bool writable = false;
    bool append = false;
    bool text = false;
    bool seekable = false;
    bool regular = false;         // a regular file: a short read means the end of the file
    bool unbuffered = false;      // buffering=0 (binary)
    bool line_buffering = false;  // buffering=1 (text)
    bool delete_on_close = false; // NamedTemporaryFile(delete=true)
    bool busy = false;            // an operation is in progress
    bool bom_written = false;     // utf-8-sig on a file that cannot seek: the BOM went out
    Encoding encoding = Encoding::utf8;
    bool replace_errors = false;
    std::size_t buffer_size = kDefaultBufferSize;
    std::int64_t size_at_open = 0;

    // Read-ahead: rbuf[0, rend) are the file's bytes [pos - rend, pos); the
    // reader is at rpos. Write-behind: wbuf goes to the file at pos. Never both.
    std::unique_ptr<char[]> rbuf;
    std::size_t rcap = 0;
    std::size_t rpos = 0;
    std::size_t rend = 0;
    std::int64_t pos = 0;  // where the next read or write reaches the kernel (seekable files)
    std::string wbuf;

    // Read-ahead of large sequential reads (binary, read-only, regular files):
    // after two large reads in a row, the next piece is read by a task of its
    // own while the caller uses this one. At most one is in flight; one that
    // no read will take stays here (stale) until it has finished, so that
    // close() and ~FileState know the descriptor is still in use.
    bool may_prefetch = false;
    std::shared_ptr<Prefetch> prefetch;
    std::int64_t seq_end = -1;  // where the last large read straight from the kernel ended
    std::size_t seq_len = 0;    // its size

    /// The position the user sees.
    std::int64_t logical() const noexcept {
        return pos - static_cast<std::int64_t>(rend - rpos) + static_cast<std::int64_t>(wbuf.size());
    }
};

/// One operation at a time per file: marks it busy for the guard's life
/// (RuntimeError if another operation has it).
struct Busy {
    FileState& s;
    explicit Busy(FileState& st) : s(st) {
        if (s.busy) throw RuntimeError("another operation on this file is in progress (one at a time per file)");
        s.busy = true;
    }
    Busy(const Busy&) = delete;
    ~Busy() { s.busy = false; }
};

/// Opens `st->name` with open(2) `flags` and permission bits `perm` and fills
/// in fd, regular, seekable, pos, size_at_open and the buffer size (from
/// `buffering`). Throws OSError.
Task<> open_state(FileState* st, int flags, int buffering, unsigned perm);

/// What open_file opens: open()'s arguments, the open(2) flags forced (0:
/// from the mode) and the permission bits of a new file (tempfile:
/// O_RDWR|O_CREAT|O_EXCL, 0600).
struct OpenRequest {
    std::filesystem::path path;
    std::string mode;
    OpenOptions options;
    int forced_flags = 0;
    unsigned perm = 0666;
};

/// open() of a request that lives in the awaiting frame. (A pointer, not
/// by-value parameters: g++ 12 copied an aggregate coroutine parameter
/// bitwise here, leaving its strings pointing into another frame.)
Task<File> open_file(const OpenRequest* req);

}  // namespace aio::files::impl
