// The state behind an aio::files::File (and what tempfile needs of it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "aio/files/file.hpp"
#include "aio/locks.hpp"
#include "files/codec.hpp"

namespace aio::files::impl {

/// Largest write() that goes to the kernel in the background (write-behind):
/// a copy of the data is written while the caller goes on (reads the next
/// chunk of a copy, say), so the two overlap. Larger writes are awaited as
/// they are: the copy would cost more than the overlap gains, and the memory
/// kept per file stays bounded.
inline constexpr std::size_t kWriteBehindMax = std::size_t(8) << 20;

/// The write-behind of a file: one write at a time in flight, on a buffer of
/// its own that is reused. Shared by the file and the task that performs the
/// write (that task keeps running, and this alive, if the file goes first).
struct PendingWrite {
    PendingWrite() = default;
    PendingWrite(const PendingWrite&) = delete;
    PendingWrite& operator=(const PendingWrite&) = delete;
    /// When the file handed its descriptor over (it was destroyed or closed
    /// while the write was in flight): writes what is left, synchronously, and
    /// closes the descriptor.
    ~PendingWrite();

    std::unique_ptr<char[]> buf;
    std::size_t cap = 0;
    int fd = -1;
    std::int64_t offset = 0;  // where buf[0] goes
    std::size_t len = 0;      // bytes of buf to write
    std::size_t written = 0;  // of them, taken by the kernel
    int err = 0;              // the write failed with this errno (written says how far it got)
    bool in_flight = false;   // the task performing it has not ended
    Event finished;           // set when in_flight turns false
    bool owns_fd = false;     // close fd when the last owner lets go
};

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
    /// Write-behind (see kWriteBehindMax): while behind->in_flight its bytes
    /// count as written (pos is past them) until settle_write_behind() says
    /// otherwise.
    std::shared_ptr<PendingWrite> behind;

    /// The position the user sees.
    std::int64_t logical() const noexcept {
        return pos - static_cast<std::int64_t>(rend - rpos) + static_cast<std::int64_t>(wbuf.size());
    }
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
