// aio::files::File: open, read, write, seek and close, on io_uring or the thread pool (aiofiles).
#include "aio/files/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "aio/detail/huge_pages.hpp"
#include "aio/locks.hpp"

#include "core/c_string.hpp"
#include "core/uninitialized_string.hpp"
#include "files/codec.hpp"
#include "files/file_state.hpp"
#include "files/op.hpp"
#include "loop/thread_state.hpp"

namespace aio::files {

namespace impl {

namespace {

/// Smallest read buffer of a text file: a character cut by the buffer's end
/// (up to 4 bytes), a BOM or a "\r\n" must fit once the buffer is compacted.
constexpr std::size_t kMinTextBuffer = 8;
/// First read of read() to the end when the size is not known.
constexpr std::size_t kReadAllChunk = 64 * 1024;

[[noreturn]] void closed_error() { throw ValueError("I/O operation on closed file."); }

FileState& check_open(FileState* s) {
    if (!s || s->closed) closed_error();
    return *s;
}


FileState& for_reading(FileState* p) {
    FileState& s = check_open(p);
    if (!s.readable) throw UnsupportedOperation("not readable");
    return s;
}

FileState& for_writing(FileState* p) {
    FileState& s = check_open(p);
    if (!s.writable) throw UnsupportedOperation("not writable");
    return s;
}

/// Closes a descriptor on scope exit unless released (open() failing half-way).
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

IoOp rw_op(IoOp::Kind kind, int fd, void* buf, std::size_t len, std::int64_t offset) {
    IoOp op;
    op.kind = kind;
    op.fd = fd;
    op.buf = buf;
    op.len = std::min(len, aio::detail::kMaxIoLen);
    op.offset = offset;
    return op;
}

/// One read at the file's position; returns the byte count (0 at the end).
Task<std::size_t> raw_read(FileState& s, char* dst, std::size_t n) {
    IoOp op = rw_op(IoOp::Kind::Read, s.fd, dst, n, s.seekable ? s.pos : -1);
    OpAwaiter aw(op);
    int r = co_await aw;
    if (r < 0) throw_os_error(-r, s.name);
    if (s.seekable) s.pos += r;
    co_return static_cast<std::size_t>(r);
}

/// Writes all of [p, p + n) at the file's position (the end, in append mode).
/// `written` counts what reached the kernel, also when it throws.
Task<> raw_write_all(FileState& s, const char* p, std::size_t n, std::size_t& written) {
    while (written < n) {
        std::int64_t offset = s.seekable && !s.append ? s.pos : -1;
        IoOp op = rw_op(IoOp::Kind::Write, s.fd, const_cast<char*>(p + written), n - written, offset);
        OpAwaiter aw(op);
        int r = co_await aw;
        if (r <= 0) {
            int err = r == 0 ? EIO : -r;  // a write that takes nothing and says no error: the device gave up
            if (written == 0) throw_os_error(err, s.name);
            throw_os_error(err, fmt::format("write ({} of {} bytes written)", written, n), s.name);
        }
        written += static_cast<std::size_t>(r);
        if (s.seekable && !s.append) s.pos += r;
    }
    if (s.append && s.seekable) {
        // O_APPEND wrote at the end, wherever that was: the kernel's offset is there now.
        off_t end = ::lseek(s.fd, 0, SEEK_CUR);
        if (end >= 0) s.pos = end;
    }
}

/// What raw_read_more read: the count, and whether it reached the end (0, or
/// less than asked of a regular file).
struct ReadMore {
    std::size_t n;
    bool end;
};

/// Reads up to `want` bytes at the position into `out` after its first
/// `filled` bytes and adds the count to `filled`. The room past `filled` is
/// used first; `out` grows by `want` (not zero-filled: the kernel writes it)
/// only when that room is less than both `want` and 64 KiB. It is never
/// shrunk here: the caller trims it to `filled` once, through FilledTrim.
/// Growing and shrinking around each read made a pipe that gives 64 KiB a
/// read cost a memset of the whole result per read (quadratic).
/// On failure `filled` is as it was.
Task<ReadMore> raw_read_more(FileState& s, std::string& out, std::size_t& filled, std::size_t want) {
    std::size_t room = out.size() - filled;
    if (room < want && room < kReadAllChunk) aio::detail::resize_uninitialized(out, filled + want);
    else want = std::min(want, room);
    std::size_t r = co_await raw_read(s, out.data() + filled, want);
    filled += r;
    // A regular file reads short only at its end (want is at most kMaxIoLen).
    co_return ReadMore{r, r == 0 || (s.regular && r < want)};
}

/// Trims a result that raw_read_more filled to what was read when the read
/// that fills it ends, also by an exception, so that what it gives back is
/// exactly the bytes taken. Only shrinks: a result already moved away is left.
struct FilledTrim {
    std::string& out;
    std::size_t& filled;
    ~FilledTrim() {
        if (out.size() > filled) out.resize(filled);
    }
};

/// How many bytes the next read of a result that still wants `remaining`
/// asks for: all of them, unless that is more than the file is known to hold;
/// then what it holds (the size at open, + 1 to see the end at once) or, past
/// that, as much again as was read, at least 64 KiB. So read(n) with n far
/// beyond the data allocates for the data, not for n.
std::size_t next_read_len(const FileState& s, std::size_t filled, std::size_t remaining) {
    std::size_t room = std::max(filled, kReadAllChunk);
    if (s.regular && s.seekable && s.size_at_open > s.pos)
        room = std::max(room, static_cast<std::size_t>(s.size_at_open - s.pos) + 1);
    return std::min(remaining, room);
}

/// Hands the write buffer to the kernel; on failure keeps what was not written.
Task<> flush_writes(FileState& s) {
    if (s.wbuf.empty()) co_return;
    std::size_t written = 0;
    std::exception_ptr error;
    try {
        co_await raw_write_all(s, s.wbuf.data(), s.wbuf.size(), written);
    } catch (...) {
        error = std::current_exception();
    }
    s.wbuf.erase(0, written);
    if (error) std::rethrow_exception(error);
}

/// Forgets read-ahead (before writing or seeking): the position goes back to the reader's.
void drop_read_buffer(FileState& s) noexcept {
    if (s.seekable) s.pos -= static_cast<std::int64_t>(s.rend - s.rpos);
    s.rpos = s.rend = 0;
}

void ensure_rbuf(FileState& s) {
    if (s.rbuf) return;
    s.rcap = s.unbuffered ? 1 : std::max(s.buffer_size, s.text ? kMinTextBuffer : std::size_t(1));
    s.rbuf.reset(new char[s.rcap]);
}

/// Reads more into the read buffer (keeping the unread part); 0 at the end.
Task<std::size_t> fill(FileState& s) {
    ensure_rbuf(s);
    if (s.rpos > 0) {
        std::memmove(s.rbuf.get(), s.rbuf.get() + s.rpos, s.rend - s.rpos);
        s.rend -= s.rpos;
        s.rpos = 0;
    }
    if (s.rend == s.rcap) co_return 0;
    std::size_t n = co_await raw_read(s, s.rbuf.get() + s.rend, s.rcap - s.rend);
    s.rend += n;
    co_return n;
}

/// Before reading: writes go out first.
Task<> start_read(FileState& s) {
    if (!s.wbuf.empty()) co_await flush_writes(s);
}

/// Appends everything up to the end of the file to `out` (the buffer is empty).
///
/// A regular file of known size is read by one read of that size (+ 1, to
/// see the end at once) straight into `out`. Past that (a pipe, a device, a
/// file that grew) the size is unknown: the bytes go to chunks that are not
/// zero-filled, each twice the last, joined into `out` once at the end: each
/// byte is copied once. A string grown as it fills zero-fills its room and
/// copies itself at each doubling (100 MiB from a pipe: 1.1 s that way, 0.79 s
/// in chunks, 0.36 s for Python's readall, whose realloc moves pages instead
/// of copying them). The chunks from 2 MiB on, and `out`, ask for huge pages:
/// most of what was left was one page fault per 4 KiB of fresh memory, twice
/// (100 MiB, `taskset -c 0`, five runs each, interleaved: 1.23 s -> 0.53 s;
/// Python's readall 0.64 s in the same runs).
Task<> read_to_end(FileState& s, std::string& out) {
    if (s.regular && s.seekable && s.size_at_open > s.pos) {
        std::size_t filled = out.size();
        FilledTrim trim{out, filled};
        ReadMore r = co_await raw_read_more(s, out, filled, next_read_len(s, filled, aio::detail::kMaxIoLen));
        if (r.end) co_return;
    }
    struct Chunk {
        std::unique_ptr<char[]> bytes;
        std::size_t size;
    };
    std::vector<Chunk> chunks;
    std::size_t total = 0;
    auto join = [&] {
        const std::size_t before = out.size();
        out.reserve(before + total);
        aio::detail::advise_huge_pages(out.data() + before, total);
        for (const Chunk& c : chunks) out.append(c.bytes.get(), c.size);
    };
    try {
        std::size_t cap = std::max(out.size(), kReadAllChunk);
        for (bool end = false; !end;) {
            cap = std::min(cap, aio::detail::kMaxIoLen);
            chunks.push_back(Chunk{std::unique_ptr<char[]>(new char[cap]), 0});  // not zero-filled
            Chunk& c = chunks.back();
            aio::detail::advise_huge_pages(c.bytes.get(), cap);
            while (c.size < cap) {
                std::size_t want = cap - c.size;
                std::size_t r = co_await raw_read(s, c.bytes.get() + c.size, want);
                c.size += r;
                total += r;
                if (r == 0 || (s.regular && r < want)) {  // a regular file reads short only at its end
                    end = true;
                    break;
                }
            }
            cap *= 2;
        }
    } catch (...) {
        join();  // what was read before the failure is the caller's to give back
        throw;
    }
    join();
}

std::string_view buffered(const FileState& s) noexcept {
    return {s.rbuf.get() + s.rpos, s.rend - s.rpos};
}

/// Puts bytes a read had taken back in front of the read buffer. A read that
/// needs several operations and then fails or is cancelled calls it before
/// rethrowing, so the bytes it took are read again by the next read: nothing
/// is lost and the position is where the read began.
void unread(FileState& s, std::string_view bytes) {
    if (bytes.empty()) return;
    std::size_t held = s.rend - s.rpos;
    if (s.seekable) {
        // Reads name their offset: moving the position back is enough, and
        // copies nothing however large the read was.
        s.pos -= static_cast<std::int64_t>(held + bytes.size());
        s.rpos = s.rend = 0;
        return;
    }
    if (s.rbuf && s.rpos >= bytes.size()) {
        s.rpos -= bytes.size();
        std::memmove(s.rbuf.get() + s.rpos, bytes.data(), bytes.size());  // may be these very bytes
        return;
    }
    // One byte of room beyond: a full buffer makes fill() report the end.
    std::size_t cap = std::max(s.rcap, bytes.size() + held + 1);
    std::unique_ptr<char[]> grown(new char[cap]);
    std::memcpy(grown.get(), bytes.data(), bytes.size());
    if (held) std::memcpy(grown.get() + bytes.size(), s.rbuf.get() + s.rpos, held);
    s.rbuf = std::move(grown);
    s.rcap = cap;
    s.rpos = 0;
    s.rend = bytes.size() + held;
}

/// Text: skips a UTF-8 BOM at the start of the file (utf-8-sig).
Task<> skip_bom(FileState& s) {
    if (s.encoding != Encoding::utf8_sig || !s.seekable || s.logical() != 0) co_return;
    while (s.rend - s.rpos < kBom.size()) {
        std::size_t n = co_await fill(s);
        if (n == 0) break;
    }
    if (buffered(s).substr(0, kBom.size()) == kBom) s.rpos += kBom.size();
}

/// A cancel() that arrived while a read's last operation completed would end
/// the task cancelled with the bytes in its hands. The read gives them back
/// and raises the CancelledError itself, so a cancelled read takes nothing.
void raise_if_cancelled(FileState& s, std::string_view taken) {
    aio::detail::TaskCore* task = aio::detail::t_current_task;
    if (!task || !task->take_pending_cancel()) return;
    unread(s, taken);
    throw CancelledError();
}

/// What a read has taken so far: bytes copied into `raw`, or (text read
/// that decoded straight from the buffer) `direct`, a view of the buffer
/// just behind the reader, valid until the buffer next changes.
struct Taken {
    std::string raw;
    std::string_view direct;
    std::string_view bytes() const noexcept { return raw.empty() ? direct : std::string_view(raw); }
};

// ------------------------------------------------------------------ read-ahead

/// The largest piece read ahead: a larger read(n) does without.
constexpr std::size_t kMaxPrefetch = std::size_t(8) << 20;

}  // namespace

/// One piece of the file read in the background: [offset, offset + want)
/// into buf, by run_prefetch, a task of its own.
///
/// Lifetimes: the task holds a shared_ptr to this state for as long as its
/// operation runs, so buf (the kernel's or a pool worker's destination) lives
/// until the operation is over whatever happens to the File. The descriptor
/// must outlive the operation too: close() waits for `finished`, and
/// ~FileState, which cannot wait, hands the descriptor over (orphan_fd) for
/// the task to close once its operation is over.
struct Prefetch {
    Prefetch() = default;
    Prefetch(const Prefetch&) = delete;
    Prefetch& operator=(const Prefetch&) = delete;
    /// A task destroyed before its end (its loop torn down: the operation
    /// was waited for or abandoned by OpAwaiter) leaves the descriptor here.
    ~Prefetch() {
        if (orphan_fd >= 0) ::close(orphan_fd);
    }

    std::string buf;
    std::int64_t offset = 0;
    std::size_t want = 0;
    int result = 0;      // bytes read or -errno; valid once finished
    bool stale = false;  // no read will take it (a seek, a read elsewhere or of another size)
    aio::Event done;     // set when finished (on its loop)
    const EventLoop* loop = nullptr;  // the loop its task runs on

    /// Whether the operation is over (~FileState may ask from another thread).
    bool is_finished() {
        std::lock_guard<std::mutex> lock(m);
        return finished;
    }
    /// ~FileState: true if the task took `fd` to close when its operation is
    /// over; false if it is already over (the caller closes it).
    bool adopt(int fd) {
        std::lock_guard<std::mutex> lock(m);
        if (finished) return false;
        orphan_fd = fd;
        return true;
    }
    /// The task: marks it finished; returns a descriptor handed over meanwhile (or -1).
    int finish(int r) {
        std::lock_guard<std::mutex> lock(m);
        result = r;
        finished = true;
        return std::exchange(orphan_fd, -1);
    }

private:
    std::mutex m;
    bool finished = false;
    int orphan_fd = -1;
};

namespace {

Task<int> close_fd(int fd, std::string unlink_path);

/// The read-ahead task: never throws (a failure or cancellation is a result
/// the next read ignores: it reads for itself and reports its own error).
Task<> run_prefetch(std::shared_ptr<Prefetch> pf, int fd) {
    int r = -ECANCELED;
    try {
        IoOp op = rw_op(IoOp::Kind::Read, fd, pf->buf.data(), pf->want, pf->offset);
        OpAwaiter aw(op);
        r = co_await aw;
    } catch (...) {
        r = -ECANCELED;
    }
    int orphan = pf->finish(r);
    pf->done.set();
    if (orphan >= 0) {
        // The File was destroyed meanwhile: its descriptor is closed only
        // now, when no operation can read it (a queued io_uring entry looks
        // its number up at submission: closed early, a new file could be read).
        try {
            co_await close_fd(orphan, std::string());
        } catch (...) {
            ::close(orphan);  // the close could not even be started
        }
    }
}

/// Whether the read-ahead's task runs on the running loop: one left on
/// another loop (stopped with it pending) may never finish, and is never waited for.
bool on_this_loop(const Prefetch& pf) { return pf.loop == &get_running_loop(); }

/// Whether a read of `n` bytes now can take the read-ahead.
bool prefetch_matches(const FileState& s, std::size_t n) {
    const Prefetch* pf = s.prefetch.get();
    return pf && !pf->stale && s.rpos == s.rend && pf->offset == s.pos && pf->want == n && on_this_loop(*pf);
}

/// A read or seek that does not take the read-ahead: it will never be used.
/// One still running stays in s.prefetch until it has finished (see Prefetch).
void forget_prefetch(FileState& s) noexcept {
    if (s.prefetch) {
        if (s.prefetch->is_finished())
            s.prefetch.reset();  // its buffer goes now
        else
            s.prefetch->stale = true;
    }
    s.seq_end = -1;
}

/// Starts reading `n` bytes at the position in the background.
void start_prefetch(FileState& s, std::size_t n) {
    std::shared_ptr<Prefetch> old = std::move(s.prefetch);
    if (old && !old->is_finished()) {
        s.prefetch = std::move(old);  // one at a time: a stale one still runs
        s.prefetch->stale = true;
        return;
    }
    auto pf = std::make_shared<Prefetch>();
    aio::detail::resize_uninitialized(pf->buf, n);  // the kernel fills it; a short read is never used
    pf->offset = s.pos;
    pf->want = n;
    pf->loop = &get_running_loop();
    Task<> task = run_prefetch(pf, s.fd);
    // Runs from the loop's next turn, after the caller's next step (its write
    // reaches the kernel first); it runs to its end without this handle.
    Task<> scheduled = aio::create_task(std::move(task));
    s.prefetch = std::move(pf);
}

/// After a read of `n` bytes from `start` that went straight to the kernel
/// (`direct`) and returned `got`: the second such full read in a row, right
/// after the first, starts the read-ahead of the next piece.
void note_read(FileState& s, std::int64_t start, std::size_t n, std::size_t got, bool direct) {
    if (!direct || got != n) {
        s.seq_end = -1;
        return;
    }
    bool sequential = s.seq_end == start && s.seq_len == n;
    s.seq_end = start + static_cast<std::int64_t>(n);
    s.seq_len = n;
    if (!sequential || n > kMaxPrefetch) return;
    try {
        start_prefetch(s, n);
    } catch (...) {
        // No memory, or a loop shutting down: read without.
    }
}

/// Waits for a matching read-ahead; returns it if it read all `n` bytes
/// (then it is taken from s.prefetch), nullptr otherwise (it is forgotten:
/// the caller reads for itself). Cancelled while waiting: CancelledError,
/// and the read-ahead stays for the next read.
Task<std::shared_ptr<Prefetch>> take_prefetch(FileState& s, std::size_t n) {
    std::shared_ptr<Prefetch> pf = s.prefetch;  // alive across the wait
    if (!pf->is_finished()) co_await pf->done.wait();
    // Short (the end, or a file that may have grown since), failed or cancelled: not usable.
    if (pf->result < 0 || static_cast<std::size_t>(pf->result) != n) {
        pf->stale = true;
        co_return nullptr;
    }
    pf->stale = true;  // taken
    co_return pf;
}

// ------------------------------------------------------------------ reading

Task<std::string> read_binary_taking(FileState& s, std::int64_t n, std::string& out) {
    if (n < 0) {
        out.assign(buffered(s));
        s.rpos = s.rend = 0;
        co_await read_to_end(s, out);
        co_return std::move(out);
    }
    auto want = static_cast<std::size_t>(n);
    std::size_t filled = 0;
    FilledTrim trim{out, filled};
    if (s.unbuffered && s.rpos == s.rend) {
        // One operation, as Python's FileIO.read: nothing to give back if it fails.
        co_await raw_read_more(s, out, filled, next_read_len(s, 0, want));
        out.resize(filled);
        co_return std::move(out);
    }
    std::size_t avail = s.rend - s.rpos;
    if (avail >= want) {
        out.assign(s.rbuf.get() + s.rpos, want);
        filled = want;
        s.rpos += want;
        co_return std::move(out);
    }
    out.assign(buffered(s));
    filled = out.size();
    s.rpos = s.rend = 0;
    while (filled < want) {
        std::size_t remaining = want - filled;
        if (remaining >= s.buffer_size) {
            // Large reads go straight into the result.
            ReadMore r = co_await raw_read_more(s, out, filled, next_read_len(s, filled, remaining));
            if (r.end) break;
        } else {
            std::size_t r = co_await fill(s);
            if (r == 0) break;
            std::size_t take = std::min(remaining, s.rend - s.rpos);
            out.resize(filled);  // room a large read left is past `filled`
            out.append(s.rbuf.get() + s.rpos, take);
            filled += take;
            s.rpos += take;
        }
    }
    out.resize(filled);
    co_return std::move(out);
}

/// read(n) of a binary file. `out` holds what was taken so far, so a failure
/// or cancellation after the first operation gives the bytes back.
Task<std::string> read_binary(FileState& s, std::int64_t n) {
    std::string out, got;
    const std::int64_t start = s.pos;
    const bool direct = s.may_prefetch && n > 0 && s.rpos == s.rend && static_cast<std::size_t>(n) >= s.buffer_size;
    if (s.prefetch) {
        auto want = static_cast<std::size_t>(n);
        if (direct && prefetch_matches(s, want)) {
            std::shared_ptr<Prefetch> pf = co_await take_prefetch(s, want);  // CancelledError: nothing taken
            if (pf) {
                got = std::move(pf->buf);
                s.pos += static_cast<std::int64_t>(want);
                note_read(s, start, want, want, true);
                raise_if_cancelled(s, got);
                co_return got;
            }
        } else {
            forget_prefetch(s);
        }
    }
    std::exception_ptr error;
    try {
        got = co_await read_binary_taking(s, n, out);
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        unread(s, out);
        std::rethrow_exception(error);
    }
    if (s.may_prefetch) note_read(s, start, static_cast<std::size_t>(n), got.size(), direct);
    raise_if_cancelled(s, got);
    co_return got;
}

/// readinto(): `got` counts the bytes already in the caller's buffer, which
/// a failure or cancellation gives back.
Task<std::size_t> readinto_binary_taking(FileState& s, char* dst, std::size_t want, std::size_t& got) {
    got = std::min(want, s.rend - s.rpos);
    if (got) std::memcpy(dst, s.rbuf.get() + s.rpos, got);
    s.rpos += got;
    if (s.unbuffered && got == 0 && want > 0) {
        std::size_t r = co_await raw_read(s, dst, want);
        co_return r;
    }
    while (got < want) {
        std::size_t remaining = want - got;
        if (remaining >= s.buffer_size) {
            std::size_t r = co_await raw_read(s, dst + got, remaining);
            if (r == 0) break;
            got += r;
        } else {
            std::size_t r = co_await fill(s);
            if (r == 0) break;
            std::size_t take = std::min(remaining, s.rend - s.rpos);
            std::memcpy(dst + got, s.rbuf.get() + s.rpos, take);
            s.rpos += take;
            got += take;
        }
    }
    co_return got;
}

Task<std::size_t> readinto_binary(FileState& s, char* dst, std::size_t want) {
    std::size_t got = 0, n = 0;
    // readinto does not read ahead: a piece read ahead would have to be
    // copied into the caller's buffer, and in measurements that copy cost
    // more than the overlap won (docs/differences.md). It reads straight
    // into the buffer, and a read-ahead of the read()s before it is forgotten.
    forget_prefetch(s);
    std::exception_ptr error;
    try {
        n = co_await readinto_binary_taking(s, dst, want, got);
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        unread(s, {dst, got});
        std::rethrow_exception(error);
    }
    raise_if_cancelled(s, {dst, n});
    co_return n;
}

/// Up to `max_chars` (> 0) characters of text, stopping after a line end
/// when `line`. Characters that need no further read decode straight from
/// the buffer (unless `keep_raw`); otherwise their bytes collect in `t.raw`
/// and decode at the end, so a failure can give every byte back.
Task<std::string> read_chars(FileState& s, std::int64_t max_chars, bool line, Taken& t, bool keep_raw) {
    std::string out;
    std::int64_t start = s.logical();
    std::int64_t left = max_chars;
    bool eof = false;
    while (left > 0) {
        std::string_view b = buffered(s);
        Scan sc = scan(b, s.encoding, left, line, eof);
        left -= static_cast<std::int64_t>(sc.chars);
        bool done = sc.newline || left == 0 || (eof && !sc.need_more && sc.bytes == b.size());
        if (done && t.raw.empty() && !keep_raw) {
            decode(out, b.substr(0, sc.bytes), s.encoding, s.replace_errors, start);
            s.rpos += sc.bytes;
            t.direct = b.substr(0, sc.bytes);
            co_return out;
        }
        t.raw.append(b.substr(0, sc.bytes));
        s.rpos += sc.bytes;
        if (done) break;
        std::size_t r = co_await fill(s);
        if (r == 0) {
            if (eof) break;
            eof = true;
        }
    }
    decode(out, t.raw, s.encoding, s.replace_errors, start);
    co_return out;
}

/// Text read(n) (n < 0: to the end).
Task<std::string> read_text_taking(FileState& s, std::int64_t n, Taken& t) {
    co_await skip_bom(s);
    if (n < 0) {
        std::string out;
        std::int64_t start = s.logical();
        t.raw.assign(buffered(s));
        s.rpos = s.rend = 0;
        co_await read_to_end(s, t.raw);
        decode(out, t.raw, s.encoding, s.replace_errors, start);
        co_return out;
    }
    if (n == 0) co_return std::string();
    co_return co_await read_chars(s, n, false, t, false);
}

Task<std::string> read_text(FileState& s, std::int64_t n) {
    // The give-back is written out here rather than in a wrapping coroutine:
    // reads are a hot path, and a wrapper is one more frame per call.
    Taken t;
    std::string text;
    std::exception_ptr error;
    try {
        text = co_await read_text_taking(s, n, t);
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        unread(s, t.bytes());
        std::rethrow_exception(error);
    }
    raise_if_cancelled(s, t.bytes());
    co_return text;
}

Task<std::string> readline_binary_taking(FileState& s, std::int64_t size, std::string& out) {
    for (;;) {
        std::string_view b = buffered(s);
        if (size >= 0) b = b.substr(0, static_cast<std::size_t>(size) - out.size());
        const void* nl = b.empty() ? nullptr : std::memchr(b.data(), '\n', b.size());
        std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - b.data()) + 1 : b.size();
        out.append(b.data(), take);
        s.rpos += take;
        if (nl || (size >= 0 && out.size() >= static_cast<std::size_t>(size))) break;
        std::size_t r = co_await fill(s);
        if (r == 0) break;
    }
    co_return std::move(out);
}

/// A text line with any line end, read as "\n"; `size` >= 0 limits
/// characters. The line's bytes collect in `t.raw` when it spans buffers, or
/// always with `keep_raw`.
Task<std::string> readline_text_taking(FileState& s, std::int64_t size, Taken& t, bool keep_raw) {
    co_await skip_bom(s);
    if (size == 0) co_return std::string();
    if (size > 0) co_return co_await read_chars(s, size, true, t, keep_raw);
    std::string out;
    std::int64_t start = s.logical();
    bool eof = false;
    for (;;) {
        std::string_view b = buffered(s);
        const char* nl = b.empty() ? nullptr : static_cast<const char*>(std::memchr(b.data(), '\n', b.size()));
        std::size_t limit = nl ? static_cast<std::size_t>(nl - b.data()) : b.size();
        const char* cr = limit ? static_cast<const char*>(std::memchr(b.data(), '\r', limit)) : nullptr;
        std::size_t take = 0;
        bool done = false;
        if (cr) {
            std::size_t i = static_cast<std::size_t>(cr - b.data());
            if (i + 1 < b.size()) {
                take = i + 1 + (b[i + 1] == '\n' ? 1 : 0);
                done = true;
            } else if (eof) {
                take = i + 1;
                done = true;
            } else {
                take = i;  // keep the '\r' until the next byte tells "\r\n" from "\r"
            }
        } else if (nl) {
            take = limit + 1;
            done = true;
        } else {
            take = b.size();
            done = eof;
        }
        if (done && t.raw.empty() && !keep_raw) {
            decode(out, b.substr(0, take), s.encoding, s.replace_errors, start);
            s.rpos += take;
            t.direct = b.substr(0, take);
            co_return out;
        }
        t.raw.append(b.data(), take);
        s.rpos += take;
        if (done) break;
        std::size_t r = co_await fill(s);
        if (r == 0) eof = true;
    }
    decode(out, t.raw, s.encoding, s.replace_errors, start);
    co_return out;
}

/// One line of either kind. When `taken` is given, the line's raw bytes are
/// appended to it (readlines gives them back if a later line fails).
Task<std::string> readline_any(FileState& s, std::int64_t size, std::string* taken = nullptr) {
    // A binary line is exactly the bytes taken; a text line's bytes are in `t`.
    Taken t;
    std::string line;
    std::exception_ptr error;
    try {
        if (s.text) {
            line = co_await readline_text_taking(s, size, t, taken != nullptr);
        } else {
            line = co_await readline_binary_taking(s, size, t.raw);
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        unread(s, t.bytes());
        std::rethrow_exception(error);
    }
    std::string_view bytes = s.text ? t.bytes() : std::string_view(line);
    raise_if_cancelled(s, bytes);
    if (taken) taken->append(bytes);
    co_return line;
}

// ------------------------------------------------------------------ writing

Task<> write_bytes(FileState& s, std::string_view data) {
    drop_read_buffer(s);
    if (s.append && s.seekable && s.wbuf.empty()) {
        // O_APPEND writes land at the end, wherever a seek() left the position:
        // start the position the buffer counts from there.
        off_t end = ::lseek(s.fd, 0, SEEK_END);  // the inode's size: never waits for the disk
        if (end >= 0) s.pos = end;
    }
    // A write that would end past the largest position (after seek(2**63 - 2)):
    // refused whole, as the kernel refuses a file that large, before a byte of
    // it is buffered and the position overflows.
    if (s.seekable && data.size() > static_cast<std::uint64_t>(INT64_MAX - s.logical())) throw_os_error(EFBIG, s.name);
    if (s.unbuffered) {
        std::size_t written = 0;
        co_await raw_write_all(s, data.data(), data.size(), written);
        co_return;
    }
    if (s.wbuf.size() + data.size() <= s.buffer_size) {
        if (s.wbuf.capacity() < s.buffer_size) s.wbuf.reserve(s.buffer_size);
        s.wbuf.append(data);
        co_return;
    }
    co_await flush_writes(s);
    if (data.size() >= s.buffer_size) {
        std::size_t written = 0;
        co_await raw_write_all(s, data.data(), data.size(), written);
    } else {
        s.wbuf.append(data);
    }
}

// ------------------------------------------------------------------ the operations

Task<std::string> do_read(FileState* p, std::int64_t n) {
    FileState& s = for_reading(p);
    Busy busy(s);
    co_await start_read(s);
    if (s.text) co_return co_await read_text(s, n);
    co_return co_await read_binary(s, n);
}

Task<std::size_t> do_readinto(FileState* p, char* dst, std::size_t n) {
    FileState& s = for_reading(p);
    if (s.text) throw UnsupportedOperation("readinto() needs a binary file");
    Busy busy(s);
    co_await start_read(s);
    co_return co_await readinto_binary(s, dst, n);
}

Task<std::string> do_readline(FileState* p, std::int64_t size) {
    FileState& s = for_reading(p);
    Busy busy(s);
    forget_prefetch(s);
    co_await start_read(s);
    co_return co_await readline_any(s, size);
}

Task<std::vector<std::string>> do_readlines(FileState* p, std::int64_t hint) {
    FileState& s = for_reading(p);
    Busy busy(s);
    forget_prefetch(s);
    co_await start_read(s);
    std::vector<std::string> lines;
    std::size_t total = 0;
    std::string taken;  // the raw bytes of the lines so far: given back if a later line fails
    std::exception_ptr error;
    try {
        for (;;) {
            std::string line = co_await readline_any(s, -1, &taken);
            if (line.empty()) break;
            total += line.size();
            lines.push_back(std::move(line));
            if (hint > 0 && total >= static_cast<std::size_t>(hint)) break;
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        unread(s, taken);
        std::rethrow_exception(error);
    }
    co_return lines;
}

AsyncGenerator<std::string> do_lines(FileState* p) {
    for (;;) {
        std::string line = co_await do_readline(p, -1);
        if (line.empty()) break;
        co_yield std::move(line);
    }
}

Task<std::size_t> do_write(FileState* p, std::string_view data) {
    FileState& s = for_writing(p);
    Busy busy(s);
    if (!s.text) {
        co_await write_bytes(s, data);
        co_return data.size();
    }
    std::string encoded;
    if (s.encoding == Encoding::utf8_sig && s.logical() == 0 && (s.seekable || !s.bom_written)) {
        encoded.append(kBom);  // at the start of the file, as Python's utf-8-sig encoder
        s.bom_written = true;
    }
    std::size_t chars = encode(encoded, data, s.encoding, s.replace_errors);
    co_await write_bytes(s, encoded);
    if (s.line_buffering && data.find_first_of("\n\r") != std::string_view::npos) co_await flush_writes(s);
    co_return chars;
}

Task<> do_writelines(FileState* p, std::vector<std::string> lines) {
    for (const auto& line : lines) co_await do_write(p, line);
}

Task<> do_flush(FileState* p) {
    FileState& s = check_open(p);
    Busy busy(s);
    co_await flush_writes(s);
}

Task<std::int64_t> do_seek(FileState* p, std::int64_t offset, int whence) {
    FileState& s = check_open(p);
    Busy busy(s);
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        throw ValueError(fmt::format("invalid whence ({}, should be 0, 1 or 2)", whence));
    if (!s.seekable) throw_os_error(ESPIPE, s.name);
    if (s.text && whence == SEEK_CUR && offset != 0) throw UnsupportedOperation("can't do nonzero cur-relative seeks");
    if (s.text && whence == SEEK_END && offset != 0) throw UnsupportedOperation("can't do nonzero end-relative seeks");
    if (whence == SEEK_SET && offset < 0) throw ValueError(fmt::format("negative seek position {}", offset));
    forget_prefetch(s);
    co_await flush_writes(s);
    std::int64_t target;
    if (whence == SEEK_SET) {
        target = offset;
    } else if (whence == SEEK_CUR) {
        // lseek(2)'s answer to a position outside [0, INT64_MAX], overflow included
        if (__builtin_add_overflow(s.logical(), offset, &target) || target < 0) throw_os_error(EINVAL, s.name);
    } else {
        off_t r = ::lseek(s.fd, offset, SEEK_END);  // only asks the inode's size: never waits for the disk
        if (r < 0) throw_os_error(errno, s.name);
        target = r;
    }
    std::int64_t buf_start = s.pos - static_cast<std::int64_t>(s.rend);
    if (s.rend > 0 && target >= buf_start && target <= s.pos) {
        s.rpos = static_cast<std::size_t>(target - buf_start);  // inside the read-ahead: keep it
    } else {
        s.rpos = s.rend = 0;
        s.pos = target;
    }
    co_return target;
}

Task<std::int64_t> do_tell(FileState* p) {
    FileState& s = check_open(p);
    Busy busy(s);
    if (!s.seekable) throw_os_error(ESPIPE, s.name);
    if (s.append && !s.wbuf.empty()) co_await flush_writes(s);  // appended data lands at the end, wherever it is
    co_return s.logical();
}

Task<std::int64_t> do_truncate(FileState* p, std::optional<std::int64_t> size) {
    FileState& s = check_open(p);
    if (!s.writable) throw UnsupportedOperation("File not open for writing");
    Busy busy(s);
    co_await flush_writes(s);
    drop_read_buffer(s);
    std::int64_t target = size ? *size : s.pos;
    int fd = s.fd;
    int err = 0;
    std::function<void()> call = [fd, target, &err] {
        if (::ftruncate(fd, target) < 0) err = errno;
    };
    OpAwaiter aw(std::move(call));
    co_await aw;
    if (err) throw_os_error(err, s.name);
    co_return target;
}

Task<> do_fsync(FileState* p, bool data_only) {
    FileState& s = check_open(p);
    Busy busy(s);
    co_await flush_writes(s);
    IoOp op;
    op.kind = IoOp::Kind::Fsync;
    op.fd = s.fd;
    op.flags = data_only ? IoOp::kFsyncDatasync : 0;
    OpAwaiter aw(op);
    int r = co_await aw;
    if (r < 0) throw_os_error(-r, s.name);
}

/// Closes `fd` (and removes `unlink_path` if given) even if the task is
/// being cancelled: a descriptor must not leak. Returns -errno of the close.
Task<int> close_fd(int fd, std::string unlink_path) {
    IoOp op;
    op.kind = IoOp::Kind::Close;
    op.fd = fd;
    OpAwaiter aw(op);
    aw.uncancellable();
    int r = co_await aw;
    if (!unlink_path.empty()) {
        IoOp uop;
        uop.kind = IoOp::Kind::Unlinkat;
        uop.fd = AT_FDCWD;
        uop.path = unlink_path.c_str();
        OpAwaiter uaw(uop);
        uaw.uncancellable();
        co_await uaw;
    }
    co_return r;
}

Task<> do_close(FileState* p) {
    if (!p || p->closed) co_return;
    FileState& s = *p;
    Busy busy(s);
    // The read-ahead may still read the descriptor: it is closed after that.
    // Cancelled while waiting, the read-ahead gets the descriptor to close
    // once its read is over (or, if it is over by then, it is closed here):
    // the file is closed either way. One on another loop is not waited for:
    // it gets the descriptor at once.
    std::exception_ptr cancelled;
    if (s.prefetch && !s.prefetch->is_finished()) {
        std::shared_ptr<Prefetch> pf = s.prefetch;
        bool wait = on_this_loop(*pf);
        if (wait) {
            try {
                co_await pf->done.wait();
            } catch (...) {
                cancelled = std::current_exception();
            }
        }
        if ((cancelled || !wait) && pf->adopt(s.fd)) {
            s.fd = -1;
            s.closed = true;
            s.rbuf.reset();
            s.rpos = s.rend = s.rcap = 0;
            s.prefetch.reset();
            if (cancelled) std::rethrow_exception(cancelled);
            co_return;
        }
    }
    s.prefetch.reset();
    std::exception_ptr error = cancelled;
    try {
        co_await flush_writes(s);
    } catch (...) {
        error = std::current_exception();
    }
    int fd = std::exchange(s.fd, -1);
    s.closed = true;
    s.rbuf.reset();
    s.rpos = s.rend = s.rcap = 0;
    s.wbuf = std::string();
    std::string unlink_path;
    if (s.delete_on_close) unlink_path = s.name;
    int r = co_await close_fd(fd, std::move(unlink_path));
    if (error) std::rethrow_exception(error);
    if (r < 0) throw_os_error(-r, s.name);
}

}  // namespace

FileState::~FileState() {
    if (closed || fd < 0) return;
    // Not closed with close(): flush and close here, synchronously.
    std::size_t done = 0;
    while (done < wbuf.size()) {
        ssize_t r = seekable && !append ? ::pwrite(fd, wbuf.data() + done, wbuf.size() - done, pos)
                                        : ::write(fd, wbuf.data() + done, wbuf.size() - done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        done += static_cast<std::size_t>(r);
        pos += r;
    }
    // A read-ahead still running gets the descriptor, to close once its read is over (see Prefetch).
    if (!prefetch || !prefetch->adopt(fd)) ::close(fd);
    if (delete_on_close) ::unlink(name.c_str());
}

Task<> open_state(FileState* st, int flags, int buffering, unsigned perm) {
    int fd = -1;
    struct statx sx {};
    int err = 0;
    if (native(IoOp::Kind::Openat) && native(IoOp::Kind::Statx)) {
        IoOp op;
        op.kind = IoOp::Kind::Openat;
        op.fd = AT_FDCWD;
        op.path = st->name.c_str();
        op.flags = flags | O_CLOEXEC;
        op.mode = perm;
        OpAwaiter open_aw(op);
        fd = co_await open_aw;
        if (fd < 0) throw_os_error(-fd, st->name);
        FdGuard guard{fd};
        IoOp sop;
        sop.kind = IoOp::Kind::Statx;
        sop.fd = fd;
        sop.path = "";
        sop.flags = AT_EMPTY_PATH;
        sop.mode = STATX_TYPE | STATX_SIZE;
        sop.buf = &sx;
        OpAwaiter stat_aw(sop);
        int r = co_await stat_aw;
        if (r < 0) throw_os_error(-r, st->name);
        guard.fd = -1;
    } else {
        // One hop to the pool for both calls.
        const char* path = st->name.c_str();
        std::function<void()> call = [path, flags, perm, &fd, &sx, &err] {
            fd = ::openat(AT_FDCWD, path, flags | O_CLOEXEC, static_cast<mode_t>(perm));
            if (fd < 0) {
                err = errno;
                return;
            }
            if (::statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &sx) < 0) {
                err = errno;
                ::close(fd);
                fd = -1;
            }
        };
        OpAwaiter aw(std::move(call));
        co_await aw;
        if (fd < 0) throw_os_error(err, st->name);
    }
    FdGuard guard{fd};
    if (S_ISDIR(sx.stx_mode)) throw_os_error(EISDIR, st->name);
    st->regular = S_ISREG(sx.stx_mode);
    st->size_at_open = static_cast<std::int64_t>(sx.stx_size);
    off_t where = ::lseek(fd, 0, (flags & O_APPEND) ? SEEK_END : SEEK_CUR);
    st->seekable = where >= 0;
    st->pos = where >= 0 ? where : 0;
    if (buffering == 0) {
        st->unbuffered = true;
    } else if (buffering > 1) {
        st->buffer_size = static_cast<std::size_t>(buffering);
    } else {
        st->buffer_size = std::max<std::size_t>(kDefaultBufferSize, sx.stx_blksize);
    }
    st->fd = fd;
    guard.fd = -1;
}

}  // namespace impl

// ---------------------------------------------------------------- File

File::File() noexcept = default;
File::File(std::unique_ptr<impl::FileState> state) noexcept : s_(std::move(state)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&& o) noexcept {
    s_ = std::move(o.s_);
    return *this;
}
File::~File() = default;

Task<std::string> File::read(std::int64_t n) { return impl::do_read(s_.get(), n); }
Task<std::size_t> File::readinto(std::span<char> buffer) {
    return impl::do_readinto(s_.get(), buffer.data(), buffer.size());
}
Task<std::string> File::readline(std::int64_t size) { return impl::do_readline(s_.get(), size); }
Task<std::vector<std::string>> File::readlines(std::int64_t hint) { return impl::do_readlines(s_.get(), hint); }
AsyncGenerator<std::string> File::lines() { return impl::do_lines(s_.get()); }
Task<std::size_t> File::write(std::string_view data) { return impl::do_write(s_.get(), data); }
Task<> File::writelines(std::vector<std::string> lines) { return impl::do_writelines(s_.get(), std::move(lines)); }
Task<> File::flush() { return impl::do_flush(s_.get()); }
Task<std::int64_t> File::seek(std::int64_t offset, int whence) { return impl::do_seek(s_.get(), offset, whence); }
Task<std::int64_t> File::tell() { return impl::do_tell(s_.get()); }
Task<std::int64_t> File::truncate(std::optional<std::int64_t> size) { return impl::do_truncate(s_.get(), size); }
Task<> File::fsync() { return impl::do_fsync(s_.get(), false); }
Task<> File::fdatasync() { return impl::do_fsync(s_.get(), true); }
Task<> File::close() { return impl::do_close(s_.get()); }

bool File::closed() const noexcept { return !s_ || s_->closed; }
int File::fileno() const { return impl::check_open(s_.get()).fd; }
const std::string& File::name() const {
    if (!s_) impl::closed_error();
    return s_->name;
}
const std::string& File::mode() const {
    if (!s_) impl::closed_error();
    return s_->mode;
}
bool File::readable() const { return impl::check_open(s_.get()).readable; }
bool File::writable() const { return impl::check_open(s_.get()).writable; }
bool File::seekable() const { return impl::check_open(s_.get()).seekable; }
std::string File::encoding() const {
    if (!s_) impl::closed_error();
    return s_->text ? impl::encoding_name(s_->encoding) : "";
}

// ---------------------------------------------------------------- open

namespace {

struct ParsedMode {
    int flags = 0;
    bool readable = false, writable = false, append = false, text = true;
};

ParsedMode parse_mode(const std::string& mode) {
    std::string seen;
    for (char c : mode) {
        if (std::strchr("axrwb+t", c) == nullptr || c == '\0' || seen.find(c) != std::string::npos)
            throw ValueError(fmt::format("invalid mode: '{}'", mode));
        seen += c;
    }
    auto has = [&](char c) { return seen.find(c) != std::string::npos; };
    if (has('t') && has('b')) throw ValueError(fmt::format("can't have text and binary mode at once: '{}'", mode));
    int kinds = has('x') + has('r') + has('w') + has('a');
    if (kinds != 1)
        throw ValueError(fmt::format("must have exactly one of create/read/write/append mode: '{}'", mode));
    ParsedMode m;
    m.text = !has('b');
    bool plus = has('+');
    if (has('r')) {
        m.readable = true;
        m.writable = plus;
    } else {
        m.writable = true;
        m.readable = plus;
        m.flags = O_CREAT | (has('w') ? O_TRUNC : has('a') ? O_APPEND : O_EXCL);
        m.append = has('a');
    }
    m.flags |= plus ? O_RDWR : m.readable ? O_RDONLY : O_WRONLY;
    return m;
}

}  // namespace

namespace impl {

Task<File> open_file(const OpenRequest* req) {
    // The request lives in the awaiting frame (see file_state.hpp).
    const std::string& mode = req->mode;
    const OpenOptions& options = req->options;
    const std::filesystem::path& path = req->path;
    ParsedMode m = parse_mode(mode);
    if (!m.text && !options.encoding.empty()) throw ValueError("binary mode doesn't take an encoding argument");
    if (!m.text && !options.errors.empty()) throw ValueError("binary mode doesn't take an errors argument");
    if (m.text && options.buffering == 0) throw ValueError("can't have unbuffered text I/O");
    if (options.buffering < -1) throw ValueError(fmt::format("invalid buffering size: {}", options.buffering));
    auto st = std::make_unique<FileState>();
    if (m.text) {
        st->encoding = parse_encoding(options.encoding);
        if (options.errors == "replace")
            st->replace_errors = true;
        else if (!options.errors.empty() && options.errors != "strict")
            throw ValueError(fmt::format("unknown error handler name '{}' (aio knows 'strict' and 'replace')",
                                         options.errors));
        st->line_buffering = options.buffering == 1;
    }
    aio::detail::check_no_nul(path.native());  // ValueError, as Python's open(): a NUL would end the path there
    st->name = path.string();
    st->mode = mode;
    st->readable = m.readable;
    st->writable = m.writable;
    st->append = m.append;
    st->text = m.text;
    st->closed = true;  // until open_state succeeds: the destructor leaves fd alone
    const int flags = req->forced_flags ? req->forced_flags : m.flags;
    co_await open_state(st.get(), flags, options.buffering, req->perm);
    st->closed = false;
    // Read-ahead only where nothing this file does can change the bytes read
    // ahead, and for open()'s files (not tempfile's, removed on close).
    st->may_prefetch = !m.text && !m.writable && options.buffering != 0 && st->regular && st->seekable &&
                       req->forced_flags == 0;
    co_return File(std::move(st));
}

}  // namespace impl

Task<File> open(std::filesystem::path path, std::string mode) {
    impl::OpenRequest req;  // the default options are made here, in the frame (see open_file)
    req.path = std::move(path);
    req.mode = std::move(mode);
    File f = co_await impl::open_file(&req);
    co_return f;
}

Task<File> open(std::filesystem::path path, std::string mode, OpenOptions options) {
    impl::OpenRequest req;
    req.path = std::move(path);
    req.mode = std::move(mode);
    req.options = std::move(options);
    File f = co_await impl::open_file(&req);
    co_return f;
}

const char* backend_name() { return impl::native(impl::IoOp::Kind::Read) ? "io_uring" : "thread pool"; }

}  // namespace aio::files
