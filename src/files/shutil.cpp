// aio::files copy and move of whole files and trees (shutil), without blocking the loop.
#include "aio/files/shutil.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aio/exceptions.hpp"
#include "aio/gather.hpp"
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

/// The kernel copies in_fd to out_fd from their starts; false if neither
/// copy_file_range nor sendfile works for these files (then the caller reads and writes).
void kernel_copy(int in, int out, const std::string& src, const std::string& dst) {
    bool first = true;
    for (;;) {
        ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, kCopyChunk, 0);
        if (n > 0) {
            first = false;
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
        if (n > 0) continue;
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
    Fd out{::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)};
    if (out.fd < 0) throw_os_error(errno, dst);
    kernel_copy(in.fd, out.fd, src, dst);
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

Task<std::int64_t> copyfileobj(File& fsrc, File& fdst, std::int64_t length) {
    if (!fsrc.readable()) throw UnsupportedOperation("copyfileobj: the source is not readable");
    if (!fdst.writable()) throw UnsupportedOperation("copyfileobj: the destination is not writable");
    if (length < 0) {
        std::string all = co_await fsrc.read();
        co_return static_cast<std::int64_t>(co_await fdst.write(all));
    }
    const std::size_t n = length == 0 ? kCopyBufferSize : static_cast<std::size_t>(length);
    std::int64_t total = 0;
    // Each round writes one chunk and reads the next at once. gather starts
    // the write first, so its request reaches the kernel ahead of the read's:
    // a write to the page cache goes to a kernel worker (io_uring) or a pool
    // thread, and the read runs meanwhile. With return_exceptions gather always
    // waits for both, so neither outlives the buffers below.
    if (fsrc.encoding().empty()) {
        std::vector<char> bufs[2] = {std::vector<char>(n), std::vector<char>(n)};
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
