// aio::files copy and move of whole files and trees (shutil), without blocking the loop.
#include "aio/files/shutil.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aio/exceptions.hpp"
#include "aio/gather.hpp"
#include "files/file_state.hpp"
#include "files/run.hpp"
#include "files/tree.hpp"

namespace aio::files {

namespace impl {

namespace {

/// Bytes per copy_file_range / sendfile call: large, so a big file takes few calls.
constexpr std::size_t kCopyChunk = std::size_t(1) << 30;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

/// Copies in_fd to out_fd from their offsets: the kernel copies
/// (copy_file_range), or sendfile where it refuses, or plain reads and
/// writes where neither works. `copied` counts the bytes written, also when
/// it throws.
void kernel_copy(int in, int out, const std::string& src, const std::string& dst, std::int64_t& copied) {
    bool first = true;
    for (;;) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, kCopyChunk, 0);
        if (n > 0) {
            first = false;
            copied += n;
            continue;
        }
        if (n == 0) return;
        if (errno == EINTR) continue;
        if (first && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) break;
        throw_os_error(errno, errno == ENOSPC || errno == EDQUOT ? dst : src);
    }
    // Files copy_file_range refuses (special files, some file systems): sendfile, then plain reads.
    for (;;) {
        ssize_t n = ::sendfile(out, in, nullptr, kCopyChunk);
        if (n > 0) {
            copied += n;
            continue;
        }
        if (n == 0) return;
        if (errno == EINTR) continue;
        if (errno == EINVAL || errno == ENOSYS) break;
        throw_os_error(errno, dst);
    }
    std::unique_ptr<char[]> buf(new char[1 << 20]);
    for (;;) {
        ssize_t n = ::read(in, buf.get(), 1 << 20);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_os_error(errno, src);
        if (n == 0) return;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::write(out, buf.get() + off, static_cast<std::size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) throw_os_error(errno, dst);
            off += w;
            copied += w;
        }
    }
}

void copy_stat(int from_fd, int to_fd, const std::string& dst) {
    struct stat st {};
    if (::fstat(from_fd, &st) < 0) throw_os_error(errno, dst);
    if (::fchmod(to_fd, st.st_mode & 07777) < 0) throw_os_error(errno, dst);
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(to_fd, times) < 0) throw_os_error(errno, dst);
}

void copyfile_sync(const std::string& src, const std::string& dst, bool metadata) {
    Fd in{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) throw_os_error(errno, src);
    struct stat sst {};
    if (::fstat(in.fd, &sst) < 0) throw_os_error(errno, src);
    if (S_ISDIR(sst.st_mode)) throw_os_error(EISDIR, src);
    struct stat dst_st {};
    if (::stat(dst.c_str(), &dst_st) == 0 && dst_st.st_dev == sst.st_dev && dst_st.st_ino == sst.st_ino)
        throw OSError(0, "'" + src + "' and '" + dst + "' are the same file", src);
    // A regular dst is overwritten in place and cut to the copy's length at
    // the end, not truncated first: the same file once the copy is done, but
    // its pages are rewritten instead of freed and made again, and ext4
    // writes back a file truncated to zero and rewritten when it is closed
    // (auto_da_alloc). R11's 1 GiB over an existing copy, the same calls
    // from a Python script: 2.0 GiB/s with O_TRUNC (0.16 s truncating, 0.13 s
    // in close), 7.1-7.5 in place; copyfile itself, against Go's read/write
    // loop in one run of bench/r11_peers.sh each: 0.24x before, 1.07x after.
    // A copy that fails part-way leaves what it copied, as a truncating
    // copy would.
    Fd out{::open(dst.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666)};
    if (out.fd < 0) throw_os_error(errno, dst);
    struct stat ost {};
    if (::fstat(out.fd, &ost) < 0) throw_os_error(errno, dst);
    const bool regular = S_ISREG(ost.st_mode);  // O_TRUNC does nothing to a device or a pipe either
    std::int64_t copied = 0;
    try {
        kernel_copy(in.fd, out.fd, src, dst, copied);
    } catch (...) {
        if (regular) (void)::ftruncate(out.fd, copied);
        throw;
    }
    if (regular && ::ftruncate(out.fd, copied) < 0) throw_os_error(errno, dst);
    if (metadata) copy_stat(in.fd, out.fd, dst);
    int fd = out.fd;
    out.fd = -1;
    if (::close(fd) < 0) throw_os_error(errno, dst);
}

void copytree_sync(const std::string& src, const std::string& dst, bool dirs_exist_ok) {
    struct stat st {};
    if (::stat(src.c_str(), &st) < 0) throw_os_error(errno, src);
    if (!S_ISDIR(st.st_mode)) throw_os_error(ENOTDIR, src);
    if (::mkdir(dst.c_str(), 0777) < 0) {
        struct stat dst_st {};
        if (!(errno == EEXIST && dirs_exist_ok && ::stat(dst.c_str(), &dst_st) == 0 && S_ISDIR(dst_st.st_mode)))
            throw_os_error(errno, dst);
    }
    std::vector<DirInfo> entries;
    list_dir(src, entries);
    for (const auto& e : entries) {
        std::string s = join(src, e.name), d = join(dst, e.name);
        if (e.dir)
            copytree_sync(s, d, dirs_exist_ok);
        else
            copyfile_sync(s, d, true);  // a dangling link fails here, as in Python
    }
    if (::chmod(dst.c_str(), st.st_mode & 07777) < 0) throw_os_error(errno, dst);
    timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(AT_FDCWD, dst.c_str(), times, 0);
}

/// One directory being emptied by remove_contents: open, its entries read.
struct Emptying {
    std::unique_ptr<DIR, int (*)(DIR*)> dir;
    std::string name;                                  // in its parent ("" for the top)
    std::vector<std::pair<std::string, bool>> entries;  // name, is a directory
    std::size_t next = 0;
};

/// The path of `name` inside the directory at the top of `stack` (for errors only).
std::string path_in(const std::string& top, const std::vector<Emptying>& stack, const std::string& name) {
    std::string p = top;
    for (std::size_t i = 1; i < stack.size(); ++i) p = join(p, stack[i].name);
    return name.empty() ? p : join(p, name);
}

/// Opens `dfd`, the directory `name` inside the top of `stack` (the top
/// directory, named `top_path`, when the stack is empty), as a directory
/// stream, reads its entries (all first: removing while reading skips some)
/// and pushes it. Closes dfd and returns false when it fails.
bool open_emptying(int dfd, std::string name, std::vector<Emptying>& stack, const std::string& top_path,
                   bool ignore_errors) {
    DIR* d = ::fdopendir(dfd);
    if (!d) {
        int e = errno;
        ::close(dfd);
        if (!ignore_errors) throw_os_error(e, path_in(top_path, stack, name));
        return false;
    }
    Emptying level{std::unique_ptr<DIR, int (*)(DIR*)>(d, &::closedir), std::move(name), {}, 0};
    for (;;) {
        errno = 0;
        dirent* e = ::readdir(d);
        if (!e) {
            if (errno != 0 && !ignore_errors) throw_os_error(errno, path_in(top_path, stack, level.name));
            break;
        }
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st {};
            is_dir = ::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        level.entries.emplace_back(std::string(n), is_dir);
    }
    stack.push_back(std::move(level));
    return true;
}

/// Empties the directory open as `dfd` (named `path` for errors); closes dfd.
///
/// Depth first with a stack of its own, not by recursion: a tree nested tens
/// of thousands deep (as deep as the descriptor limit allows, each level
/// holding its directory open) must not overflow the worker's stack, and a
/// level's path is built only for an error message, not held at every level
/// (that was memory quadratic in the depth).
void remove_contents(int dfd, const std::string& path, bool ignore_errors) {
    std::vector<Emptying> stack;
    if (!open_emptying(dfd, std::string(), stack, path, ignore_errors)) return;
    while (!stack.empty()) {
        Emptying& top = stack.back();
        if (top.next == top.entries.size()) {
            std::string name = std::move(top.name);
            stack.pop_back();  // closes it
            if (stack.empty()) break;
            if (::unlinkat(::dirfd(stack.back().dir.get()), name.c_str(), AT_REMOVEDIR) < 0 && !ignore_errors)
                throw_os_error(errno, path_in(path, stack, name));
            continue;
        }
        auto [name, is_dir] = std::move(top.entries[top.next++]);  // a copy: `top` moves when the stack grows
        int fd = ::dirfd(top.dir.get());
        if (is_dir) {
            int child = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                if (!ignore_errors) throw_os_error(errno, path_in(path, stack, name));
                continue;
            }
            open_emptying(child, std::move(name), stack, path, ignore_errors);
        } else if (::unlinkat(fd, name.c_str(), 0) < 0 && !ignore_errors) {
            throw_os_error(errno, path_in(path, stack, name));
        }
    }
}

}  // namespace

void rmtree_sync(const std::string& path, bool ignore_errors) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) {
        if (ignore_errors) return;
        throw_os_error(errno, path);
    }
    if (S_ISLNK(st.st_mode)) {
        if (ignore_errors) return;
        throw OSError(0, "Cannot call rmtree on a symbolic link", path);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (ignore_errors) return;
        throw_os_error(errno, path);
    }
    remove_contents(fd, path, ignore_errors);
    if (::rmdir(path.c_str()) < 0 && !ignore_errors) throw_os_error(errno, path);
}

}  // namespace impl

namespace shutil {

Task<Path> copyfile(Path src, Path dst) {
    std::string s = impl::path_string(src), d = impl::path_string(dst);
    std::function<void()> f = [&s, &d] { impl::copyfile_sync(s, d, false); };
    co_await impl::in_pool_void(std::move(f));
    co_return dst;
}

namespace {

/// A copy between two regular files split over lanes. Each lane is one
/// pool call for the whole copy: it takes the next span of chunks in file
/// order, reads each chunk (pread) and writes it (pwrite) from a buffer of
/// its own, and takes the next span, until none is left; one lane reads
/// while the other's write holds the destination (a file's buffered writes
/// take its inode lock one at a time), and a chunk never leaves its
/// thread's cache. R11's 1 GiB copy in place, on 2 cores, against Go's
/// read/write loop in the same run of bench/r11_peers.sh: 1.71x (10.1
/// GiB/s); with a pool call per span of 8 chunks it was 1.31x, and 7.0-7.5
/// GiB/s against 8.0-9.1 for one call per lane in interleaved runs (each
/// span's hand-off through the loop, a wake-up on each side, cost about a
/// fifth). The io_uring read/write pairs before lanes (the read on the
/// loop's thread, the write on an io-wq worker, the chunk crossing cores)
/// ran at 0.72x Go's loop.
///
/// What the lanes share is atomic (they run on pool threads). A failure
/// lowers `end` to where it happened; a cancellation sets `stop`. Lanes
/// read both between chunks.
struct Lanes {
    int in = -1, out = -1;
    std::int64_t src0 = 0, dst0 = 0;  // where the copy starts in each file
    std::size_t chunk = 0;
    std::int64_t span = 0;             // bytes a lane takes at a time
    const std::string* src_name = nullptr;
    const std::string* dst_name = nullptr;
    std::atomic<std::int64_t> next{0};  // offset (from the start) of the next span to take
    std::atomic<std::int64_t> end{0};   // where the copy ends: lowered by a short read or a failure
    std::atomic<bool> stop{false};      // the copy was cancelled
};

/// Lowers `a` to `v` if `v` is smaller.
void lower(std::atomic<std::int64_t>& a, std::int64_t v) noexcept {
    std::int64_t cur = a.load(std::memory_order_relaxed);
    while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
}

/// One lane (a pool call, blocking): spans until none is left below `end`,
/// or `stop`. `unfinished` is where the span it stopped in ends being copied
/// whole (INT64_MAX when it stopped between spans), also when it throws.
void run_lane(Lanes& l, std::int64_t& unfinished) {
    std::unique_ptr<char[]> buf(new char[l.chunk]);
    while (!l.stop.load(std::memory_order_relaxed)) {
        const std::int64_t off = l.next.fetch_add(l.span, std::memory_order_relaxed);
        if (off >= l.end.load(std::memory_order_relaxed)) return;
        std::int64_t done = 0;
        unfinished = off;
        for (;;) {
            if (l.stop.load(std::memory_order_relaxed)) return;  // cancelled: unfinished is off + done
            // `end` may have come down meanwhile (a short read, or a failure in the other lane).
            const std::int64_t at = off + done;
            const std::int64_t until = std::min(off + l.span, l.end.load(std::memory_order_relaxed));
            if (at >= until) break;
            const auto want = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(l.chunk), until - at));
            std::size_t got = 0;
            while (got < want) {
                ssize_t r = ::pread(l.in, buf.get() + got, want - got, l.src0 + at + static_cast<std::int64_t>(got));
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) throw_os_error(errno, *l.src_name);
                if (r == 0) break;
                got += static_cast<std::size_t>(r);
            }
            for (std::size_t put = 0; put < got;) {
                ssize_t w = ::pwrite(l.out, buf.get() + put, got - put, l.dst0 + at + static_cast<std::int64_t>(put));
                if (w < 0 && errno == EINTR) continue;
                if (w < 0) throw_os_error(errno, *l.dst_name);
                put += static_cast<std::size_t>(w);
            }
            done += static_cast<std::int64_t>(got);
            unfinished = off + done;
            if (got < want) {  // the end of the file
                lower(l.end, off + done);
                break;
            }
        }
        unfinished = INT64_MAX;
    }
}

/// Runs one lane on the pool; a cancellation stops every lane at its next chunk.
Task<> copy_lane(Lanes& l, std::int64_t& unfinished) {
    std::function<void()> call = [&l, &unfinished] {
        try {
            run_lane(l, unfinished);
        } catch (...) {
            // The copy ends where this lane failed: the other lane copies
            // what lies before that and no more, as a sequential copy would.
            lower(l.end, unfinished);
            throw;
        }
    };
    co_await impl::in_pool_void(std::move(call), &l.stop);
}

/// The sizes of the source and the destination (fstat, on the pool).
Task<std::pair<std::int64_t, std::int64_t>> sizes_of(const impl::FileState& src, const impl::FileState& dst) {
    std::function<std::pair<std::int64_t, std::int64_t>()> call = [&src, &dst] {
        struct stat a {}, b {};
        if (::fstat(src.fd, &a) < 0) throw_os_error(errno, src.name);
        if (::fstat(dst.fd, &b) < 0) throw_os_error(errno, dst.name);
        return std::pair<std::int64_t, std::int64_t>(a.st_size, b.st_size);
    };
    co_return co_await impl::in_pool<std::pair<std::int64_t, std::int64_t>>(std::move(call));
}

/// After a copy by lanes stopped early: the other lane's span may have been
/// written past the stopping point. What it wrote beyond the destination's
/// old end is cut off, so that a destination that was shorter ends where the
/// copy stopped, as after a sequential copy. (Bytes it overwrote inside the
/// old end stay overwritten: they are the source's bytes for those places.)
Task<> cut_after_stop(int fd, std::int64_t length) {
    std::function<void()> call = [fd, length] {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_size > length) (void)::ftruncate(fd, length);
    };
    try {
        co_await impl::in_pool_void(std::move(call));
    } catch (...) {
        // Best effort, on the way out of a failure that is what gets reported.
    }
}

/// Lanes are worth their pool calls from this size on.
constexpr std::int64_t kLanesMin = std::int64_t(8) << 20;

/// Whether copyfileobj may copy `fsrc` to `fdst` by lanes: binary regular
/// files, nothing buffered or read ahead in fsrc, fdst not in append mode
/// (pwrite would append), and, for an fsrc opened read-only, kLanesMin or
/// more left by its size at open (a small copy then costs no fstat; one this
/// file's own writes may have grown is asked; the size is asked again before
/// lanes start). What fdst buffers is flushed first.
bool lanes_fit(const impl::FileState& src, const impl::FileState& dst) {
    return !src.closed && !dst.closed && !src.text && !dst.text && src.regular && dst.regular && src.seekable &&
           dst.seekable && !dst.append && src.rpos == src.rend && !src.prefetch && !src.busy && !dst.busy &&
           &src != &dst && (src.writable || src.size_at_open - src.pos >= kLanesMin);
}

constexpr int kLaneCount = 2;
/// The chunks a lane takes at a time: neighbouring spans go to different
/// lanes, and what the lanes read stays close together in the file.
constexpr std::int64_t kChunksPerSpan = 8;

}  // namespace

Task<std::int64_t> copyfileobj(File& fsrc, File& fdst, std::int64_t length) {
    if (!fsrc.readable()) throw UnsupportedOperation("copyfileobj: the source is not readable");
    if (!fdst.writable()) throw UnsupportedOperation("copyfileobj: the destination is not writable");
    if (length < 0) {
        std::string all = co_await fsrc.read();
        co_return static_cast<std::int64_t>(co_await fdst.write(all));
    }
    const std::size_t n = length == 0 ? kCopyBufferSize : static_cast<std::size_t>(length);
    std::int64_t total = 0;
    if (fsrc.state() && fdst.state() && lanes_fit(*fsrc.state(), *fdst.state())) {
        impl::FileState& src = *fsrc.state();
        impl::FileState& dst = *fdst.state();
        if (!dst.wbuf.empty()) co_await fdst.flush();  // what fdst holds goes first, at its position
        if (lanes_fit(src, dst) && dst.wbuf.empty()) {
            impl::Busy busy_src(src), busy_dst(dst);  // the copy has both descriptors
            Lanes l;
            l.in = src.fd;
            l.out = dst.fd;
            l.src0 = src.pos;
            l.dst0 = dst.pos;
            l.chunk = std::max(n, kCopyBufferSize);
            l.span = static_cast<std::int64_t>(l.chunk) * kChunksPerSpan;
            l.src_name = &src.name;
            l.dst_name = &dst.name;
            auto [src_size, dst_size] = co_await sizes_of(src, dst);
            l.end = std::max<std::int64_t>(0, src_size - src.pos);
            if (l.end >= kLanesMin) {
                std::exception_ptr error;
                std::int64_t unfinished[kLaneCount];
                std::fill(std::begin(unfinished), std::end(unfinished), INT64_MAX);
                try {
                    std::vector<Task<>> lanes;
                    for (int i = 0; i < kLaneCount; ++i) lanes.push_back(copy_lane(l, unfinished[i]));
                    auto done = co_await aio::gather(aio::return_exceptions, std::move(lanes));
                    // Two failures: the one nearer the start, which a sequential copy meets first.
                    std::int64_t first = INT64_MAX;
                    for (int i = 0; i < kLaneCount; ++i) {
                        if (!done[i].ok() && (!error || unfinished[i] < first)) {
                            error = done[i].error();
                            first = unfinished[i];
                        }
                    }
                } catch (...) {
                    error = std::current_exception();  // cancelled: gather waited for both lanes
                }
                // Lanes stopped with no error of their own: the copy was cancelled.
                if (!error && l.stop.load()) error = std::make_exception_ptr(CancelledError());
                // Every span taken was copied whole up to where its lane
                // stopped: the files stand there, as if read and written one
                // after another up to there.
                const std::int64_t taken = l.next.load();
                std::int64_t copied = std::min(l.end.load(), taken);
                for (std::int64_t u : unfinished) copied = std::min(copied, u);
                src.pos += copied;
                dst.pos += copied;
                total = copied;
                if (error) {
                    if (taken > copied) co_await cut_after_stop(dst.fd, std::max(dst_size, dst.pos));
                    std::rethrow_exception(error);
                }
            }
        }
    }
    // The rest (what lanes leave, a file that grew meanwhile, or all of a
    // copy that lanes do not fit) one chunk at a time.
    // Each round writes one chunk and reads the next at once. gather starts
    // the write first, so its request reaches the kernel ahead of the read's:
    // a write to the page cache goes to a kernel worker (io_uring) or a pool
    // thread, and the read runs meanwhile. With return_exceptions gather always
    // waits for both, so neither outlives the buffers below.
    if (fsrc.encoding().empty()) {
        // Not zeroed (a vector would write 2 MiB first): readinto fills what it returns.
        std::unique_ptr<char[]> mem(new char[2 * n]);
        std::span<char> bufs[2] = {std::span<char>(mem.get(), n), std::span<char>(mem.get() + n, n)};
        int cur = 0;
        std::size_t got = co_await fsrc.readinto(bufs[cur]);
        while (got > 0) {
            auto write = fdst.write(std::string_view(bufs[cur].data(), got));
            auto read = fsrc.readinto(bufs[1 - cur]);
            auto both = aio::gather(aio::return_exceptions, std::move(write), std::move(read));
            auto [written, next] = co_await std::move(both);
            written.value();  // the write's error first: its chunk is the older one
            total += static_cast<std::int64_t>(got);
            got = std::move(next).value();
            cur = 1 - cur;
        }
    } else {
        std::string chunk = co_await fsrc.read(static_cast<std::int64_t>(n));
        while (!chunk.empty()) {
            auto write = fdst.write(chunk);
            auto read = fsrc.read(static_cast<std::int64_t>(n));
            auto both = aio::gather(aio::return_exceptions, std::move(write), std::move(read));
            auto [written, next] = co_await std::move(both);
            total += static_cast<std::int64_t>(written.value());
            chunk = std::move(next).value();
        }
    }
    co_return total;
}

Task<Path> copy2(Path src, Path dst) {
    std::string s = impl::path_string(src), d = impl::path_string(dst);
    std::function<void()> f = [&s, &d] { impl::copyfile_sync(s, d, true); };
    co_await impl::in_pool_void(std::move(f));
    co_return dst;
}

Task<Path> copytree(Path src, Path dst, bool dirs_exist_ok) {
    std::string s = impl::path_string(src), d = impl::path_string(dst);
    std::function<void()> f = [&s, &d, dirs_exist_ok] { impl::copytree_sync(s, d, dirs_exist_ok); };
    co_await impl::in_pool_void(std::move(f));
    co_return dst;
}

Task<> rmtree(Path path, bool ignore_errors) {
    std::string p = impl::path_string(path);
    std::function<void()> f = [&p, ignore_errors] { impl::rmtree_sync(p, ignore_errors); };
    co_await impl::in_pool_void(std::move(f));
}

}  // namespace shutil
}  // namespace aio::files
