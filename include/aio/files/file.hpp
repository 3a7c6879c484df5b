// aio/files/file.hpp — aio::files::open and the file object (aiofiles.open,
// Python's built-in open() and its io.BufferedReader/Writer/TextIOWrapper).
//
//     auto f = co_await aio::files::open("data.txt");            // "r": text, UTF-8
//     while (auto line = co_await lines.next()) ...              // see lines()
//     std::string all = co_await f.read();
//     co_await f.close();
//
// Text and bytes are both std::string: binary modes give the bytes as they
// are; text modes give UTF-8 (decoded from the file's encoding, with "\r\n"
// and "\r" read as "\n", Python's newline=None) and write "\n" as it is.
//
// Reads and writes never block the loop: they run on the loop's io_uring
// where the kernel allows it, else on the loop's default thread pool
// (AIO_IO_BACKEND picks; see events.hpp). The file keeps Python's buffering:
// data moves to and from the kernel a buffer at a time, so reading lines costs
// one kernel round trip per buffer, not per line.
//
// One operation at a time per file: a second call while one is in progress
// (from another task) throws RuntimeError, as asyncio's StreamReader does.
// Arguments of the coroutines (the data given to write()) must stay alive until
// the co_await completes; `co_await f.write(x)` in one expression is always safe.
// Cancellation: see docs/cancellation.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aio/async_generator.hpp"
#include "aio/exceptions.hpp"
#include "aio/task.hpp"

namespace aio::files {

namespace impl {
struct FileState;
}

/// An operation the file does not support in its mode: reading a file opened
/// for writing, writing one opened for reading, a non-zero relative seek in
/// text mode (Python's io.UnsupportedOperation, which is also an OSError in
/// Python; here a ValueError).
class UnsupportedOperation : public ValueError {
public:
    using ValueError::ValueError;
};

/// The options of open(), as Python's open() names them.
struct OpenOptions {
    /// -1: the default buffer, the file's st_blksize but at least
    ///     kDefaultBufferSize. 0: unbuffered (binary modes only; ValueError in
    ///     text mode). 1: line-buffered (text modes: a write containing a line
    ///     end is flushed; binary modes use the default buffer, as Python).
    ///     > 1: a buffer of that many bytes.
    int buffering = -1;
    /// Text modes: "utf-8" (the default), "utf-8-sig" (a BOM is skipped when
    /// reading from the start and written when writing at the start) or
    /// "latin-1" (Python's aliases are accepted). Binary modes: must be empty.
    std::string encoding{};
    /// Text modes: "strict" (the default: undecodable bytes throw
    /// UnicodeDecodeError) or "replace" (they read as U+FFFD; text that cannot
    /// be encoded is written as '?'). Binary modes: must be empty.
    std::string errors{};
};

/// Default buffer size: Python takes st_blksize (often 4 KiB); aio takes at
/// least 128 KiB, because each buffer costs one kernel round trip (a ring
/// submission or a thread-pool hop) and 4 KiB round trips would cap reading
/// lines far below memory speed. 128 KiB is io.DEFAULT_BUFFER_SIZE of Python 3.14.
inline constexpr std::size_t kDefaultBufferSize = 128 * 1024;

/// An open file (aiofiles' file objects). Made by open(); move-only; the
/// moved-from object is empty (every call throws ValueError as a closed file).
///
/// Destroying a file that was not closed flushes its buffer and closes the
/// descriptor synchronously, on the destroying thread (a destructor cannot
/// await); errors there are lost. Close files with `co_await f.close()`.
class File {
public:
    /// An empty file object, like a moved-from one: closed() is true and every
    /// I/O call throws ValueError.
    File() noexcept;
    /// Takes over the other object's open file; that object is left empty
    /// (it acts as a closed file).
    File(File&&) noexcept;
    /// Takes over the other object's open file, leaving that object empty. A
    /// file this object held is destroyed as by ~File() (flushed and closed
    /// synchronously, errors lost): close it with `co_await f.close()` first.
    File& operator=(File&&) noexcept;
    ~File();

    // --- reading ---
    // A read that throws (an OSError, UnicodeDecodeError or a cancellation
    // that arrives after some of its operations) takes nothing: the bytes it
    // had taken are read again by the next read, and tell() is where it began.

    /// Reads n bytes (binary) or n characters (text); n < 0: to the end of the
    /// file. Fewer only at the end of the file; "" at the end. Unbuffered
    /// binary files make one system call, as Python's FileIO.read. Throws
    /// UnsupportedOperation if not readable, UnicodeDecodeError (text, strict),
    /// OSError on a failed read.
    ///
    /// Read-ahead: a read-only binary file ("rb", buffered, a regular file)
    /// read in pieces of at least its buffer size and at most 8 MiB, each
    /// read(n) starting where the last ended, has the next n bytes read in
    /// the background from the second such read on: what the caller does with
    /// one piece (writing it elsewhere) overlaps the kernel's read of the next.
    /// A read(n) of the same n at that position takes them (no copy); any
    /// other read, readinto, readline or seek forgets them. Like the buffer
    /// of Python's BufferedReader, those bytes are the file's as they were
    /// when read ahead: a change by another writer to that one piece meanwhile
    /// may not be seen (the piece after it is read after the next read). A
    /// piece read ahead short (the end of the file) or that failed is not
    /// used: the read reads for itself, so a file that grew is seen and an
    /// error is reported by the read it belongs to. close() waits for a
    /// read-ahead in flight; ~File leaves the descriptor to it, closed as soon
    /// as its read is over.
    Task<std::string> read(std::int64_t n = -1);
    /// Binary files: reads up to buffer.size() bytes into `buffer` (fewer only
    /// at the end of the file) and returns the count (Python's readinto). Large
    /// reads go straight from the kernel into `buffer`, which must stay alive
    /// until the co_await completes; readinto does not read ahead (a piece
    /// read ahead would have to be copied into `buffer`, which measured
    /// slower). UnsupportedOperation in text mode.
    Task<std::size_t> readinto(std::span<char> buffer);
    /// One line with its "\n" (text: any line end, read as "\n"); at most
    /// `size` bytes/characters when size >= 0; "" at the end of the file.
    Task<std::string> readline(std::int64_t size = -1);
    /// The remaining lines. hint > 0: stop once the lines total that many
    /// bytes/characters (Python's readlines(hint)).
    Task<std::vector<std::string>> readlines(std::int64_t hint = -1);
    /// The remaining lines, one at a time (Python's `async for line in f`).
    /// The generator refers to this file: it must not outlive it.
    AsyncGenerator<std::string> lines();

    // --- writing ---
    /// Writes `data` (text: UTF-8, encoded to the file's encoding). Returns the
    /// number of bytes (binary) or characters (text) taken: always all of them.
    /// Buffered data reaches the kernel when the buffer fills, on flush(),
    /// seek(), close(); a write the kernel accepts only in part is continued
    /// until complete or until it fails, and then the error (an OSError such as
    /// ENOSPC) says how many bytes had been written. Throws UnsupportedOperation
    /// if not writable; ValueError for text that cannot be encoded (strict).
    Task<std::size_t> write(std::string_view data);
    /// Writes each string in turn (no separators added), as Python's writelines.
    Task<> writelines(std::vector<std::string> lines);
    /// Hands buffered writes to the kernel (not to the disk: see fsync()).
    Task<> flush();

    // --- position ---
    /// Moves to `offset` from the start (SEEK_SET), the current position
    /// (SEEK_CUR) or the end (SEEK_END); returns the new position. Text mode
    /// allows only seek(tell() value) and seek(0, SEEK_CUR / SEEK_END), as
    /// Python (UnsupportedOperation otherwise). ValueError for a negative
    /// position or a bad whence; OSError (ESPIPE) on a pipe.
    Task<std::int64_t> seek(std::int64_t offset, int whence = SEEK_SET);
    /// The position (text: the byte offset, which is what seek() takes).
    Task<std::int64_t> tell();
    /// Cuts (or extends) the file to `size` bytes (default: the current
    /// position) after flushing; the position does not move. Returns the size.
    Task<std::int64_t> truncate(std::optional<std::int64_t> size = std::nullopt);

    // --- durability and closing ---
    /// flush(), then fsync(2): the data and metadata are on the disk when it
    /// returns (os.fsync(f.fileno()) after f.flush()).
    Task<> fsync();
    /// flush(), then fdatasync(2) (os.fdatasync).
    Task<> fdatasync();
    /// Flushes and closes. Idempotent. The descriptor is closed even when the
    /// flush fails; the flush's error is then thrown. A NamedTemporaryFile is
    /// removed here.
    Task<> close();

    // --- information (no I/O) ---
    /// True once close() was called, or for an empty (default-constructed or moved-from) object (Python's
    /// `f.closed`).
    bool closed() const noexcept;
    /// The descriptor. Throws ValueError when closed. aio reads and writes at
    /// explicit offsets: the descriptor's own offset is not kept in step.
    int fileno() const;
    /// The path as given to open().
    const std::string& name() const;
    /// The mode as given to open().
    const std::string& mode() const;
    /// True when the mode allows reading ("r" or "+"). Throws ValueError when closed.
    bool readable() const;
    /// True when the mode allows writing ("w", "a", "x" or "+"). Throws ValueError when closed.
    bool writable() const;
    /// True when the descriptor supports seeking (lseek(2) succeeded at open:
    /// a regular file, not a pipe or a socket). Throws ValueError when closed.
    bool seekable() const;
    /// Text modes: the encoding's Python name ("utf-8", ...); binary: "".
    std::string encoding() const;

    // --- for the library ---
    /// Wraps the state open() made (used by open() and tempfile; not for users).
    explicit File(std::unique_ptr<impl::FileState> state) noexcept;
    /// The state of the open file, or nullptr when empty (for the library's own functions; not for users).
    impl::FileState* state() const noexcept { return s_.get(); }

private:
    std::unique_ptr<impl::FileState> s_;
};

/// Opens a file (aiofiles.open / Python's open()). `mode` is Python's: one of
/// r (read), w (truncate or create), a (append or create), x (create; the
/// file must not exist), optionally + (read and write), optionally b (binary)
/// or t (text, the default). New files get 0666 less the umask; every
/// descriptor is close-on-exec.
///
/// Throws ValueError for a bad mode ("invalid mode: 'rw'"), a bad option
/// combination, an unknown encoding or a path holding a NUL byte ("embedded
/// null byte"); FileNotFoundError, PermissionError,
/// IsADirectoryError (also for reading a directory), FileExistsError ('x'),
/// NotADirectoryError, or another OSError, each with the path.
Task<File> open(std::filesystem::path path, std::string mode = "r");
/// open() with options. With g++ 12, pass `options` as a named variable, not
/// as a braced temporary inside the co_await expression (GCC PR 100611: such
/// a temporary is copied wrongly into the coroutine):
///
///     aio::files::OpenOptions opts{.encoding = "latin-1"};
///     auto f = co_await aio::files::open(path, "r", opts);
Task<File> open(std::filesystem::path path, std::string mode, OpenOptions options);

/// Which path file operations of the running loop take: "io_uring" or
/// "thread pool" (AIO_IO_BACKEND=threads, or a kernel without io_uring).
/// Throws RuntimeError without a running loop.
const char* backend_name();

}  // namespace aio::files
