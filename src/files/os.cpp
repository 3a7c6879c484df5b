// aiofiles.os: stat, rename, remove, mkdir, listdir, scandir and the other path operations.
#include "aio/files/os.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "aio/files/file.hpp"
#include "files/run.hpp"
#include "files/tree.hpp"

namespace aio::files {

namespace impl {

std::string join(const std::string& dir, const std::string& name) {
    if (dir.empty()) return name;
    if (dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

StatResult from_statx(const struct statx& x) {
    StatResult r;
    r.st_mode = x.stx_mode;
    r.st_ino = x.stx_ino;
    r.st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
    r.st_nlink = x.stx_nlink;
    r.st_uid = x.stx_uid;
    r.st_gid = x.stx_gid;
    r.st_size = static_cast<std::int64_t>(x.stx_size);
    r.st_blksize = x.stx_blksize;
    r.st_blocks = static_cast<std::int64_t>(x.stx_blocks);
    r.st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
    auto ns = [](const statx_timestamp& t) { return t.tv_sec * 1'000'000'000LL + t.tv_nsec; };
    auto sec = [](const statx_timestamp& t) { return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9; };
    r.st_atime_ns = ns(x.stx_atime);
    r.st_mtime_ns = ns(x.stx_mtime);
    r.st_ctime_ns = ns(x.stx_ctime);
    r.st_atime = sec(x.stx_atime);
    r.st_mtime = sec(x.stx_mtime);
    r.st_ctime = sec(x.stx_ctime);
    return r;
}

void list_dir(const std::string& path, std::vector<DirInfo>& out) {
    DIR* d = ::opendir(path.c_str());
    if (!d) throw_os_error(errno, path);
    std::unique_ptr<DIR, int (*)(DIR*)> closer(d, &::closedir);
    int dfd = ::dirfd(d);
    for (;;) {
        errno = 0;
        dirent* e = ::readdir(d);
        if (!e) {
            if (errno != 0) throw_os_error(errno, path);
            break;
        }
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        DirInfo info;
        info.name = name;
        info.inode = e->d_ino;
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st {};
            if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) type = IFTODT(st.st_mode);
        }
        info.symlink = type == DT_LNK;
        info.dir_nofollow = type == DT_DIR;
        info.file_nofollow = type == DT_REG;
        info.dir = info.dir_nofollow;
        info.file = info.file_nofollow;
        if (info.symlink) {
            struct stat st {};
            if (::fstatat(dfd, e->d_name, &st, 0) == 0) {  // where the link leads (nothing, if dangling)
                info.dir = S_ISDIR(st.st_mode);
                info.file = S_ISREG(st.st_mode);
            }
        }
        out.push_back(std::move(info));
    }
}

namespace {

IoOp path_op(IoOp::Kind kind, const char* path) {
    IoOp op;
    op.kind = kind;
    op.fd = AT_FDCWD;
    op.path = path;
    return op;
}

/// statx of a path: 0 or -errno.
Task<int> statx_path(const std::string& path, int flags, struct statx* out) {
    // No file has a NUL in its path: exists/isfile/isdir/islink answer false
    // (os.path's), and stat() refused the path before (path_string).
    if (aio::detail::has_nul(path)) co_return -ENOENT;
    IoOp op = path_op(IoOp::Kind::Statx, path.c_str());
    op.flags = flags;
    op.mode = STATX_BASIC_STATS;
    op.buf = out;
    int r = co_await run_op(op);
    co_return r;
}

Task<> simple_path_op(IoOp op, std::string error_path) {
    int r = co_await run_op(op);
    if (r < 0) throw_os_error(-r, error_path);
}

Task<> two_path_op(IoOp::Kind kind, std::string a, std::string b, const std::string& error_path) {
    IoOp op = path_op(kind, a.c_str());
    op.fd2 = AT_FDCWD;
    op.path2 = b.c_str();
    int r = co_await run_op(op);
    if (r < 0) throw_os_error(-r, error_path);
}

}  // namespace

}  // namespace impl

namespace os {

using impl::IoOp;

Task<StatResult> stat(Path path, bool follow_symlinks) {
    std::string p = impl::path_string(path);
    struct statx sx {};
    const int flags = follow_symlinks ? 0 : AT_SYMLINK_NOFOLLOW;
    int r = co_await impl::statx_path(p, flags, &sx);
    if (r < 0) throw_os_error(-r, p);
    co_return impl::from_statx(sx);
}

Task<StatResult> lstat(Path path) { return os::stat(std::move(path), false); }

Task<> rename(Path src, Path dst) {
    std::string s = impl::path_string(src);
    std::string d = impl::path_string(dst);
    co_await impl::two_path_op(IoOp::Kind::Renameat, s, d, s);
}

Task<> replace(Path src, Path dst) { return os::rename(std::move(src), std::move(dst)); }

Task<> remove(Path path) {
    std::string p = impl::path_string(path);
    IoOp op = impl::path_op(IoOp::Kind::Unlinkat, p.c_str());
    co_await impl::simple_path_op(op, p);
}

Task<> unlink(Path path) { return os::remove(std::move(path)); }

Task<> mkdir(Path path, unsigned mode) {
    std::string p = impl::path_string(path);
    IoOp op = impl::path_op(IoOp::Kind::Mkdirat, p.c_str());
    op.mode = mode;
    co_await impl::simple_path_op(op, p);
}

Task<> makedirs(Path path, bool exist_ok, unsigned mode) {
    // Python's algorithm: make the missing parents first, then this one.
    Path head = path.parent_path();
    Path tail = path.filename();
    if (tail.empty()) {  // "a/b/": split once more
        tail = head.filename();
        head = head.parent_path();
    }
    if (!head.empty() && !tail.empty()) {
        bool head_exists = co_await os::exists(head);
        if (!head_exists) {
            try {
                co_await os::makedirs(head, exist_ok, mode);
            } catch (const FileExistsError&) {
                // Another process made it meanwhile: fine, as in Python.
            }
        }
    }
    std::exception_ptr error;
    try {
        co_await os::mkdir(path, mode);
    } catch (const OSError&) {
        error = std::current_exception();
    }
    if (!error) co_return;
    bool is_dir = co_await os::isdir(path);
    if (!exist_ok || !is_dir) std::rethrow_exception(error);
}

Task<> rmdir(Path path) {
    std::string p = impl::path_string(path);
    IoOp op = impl::path_op(IoOp::Kind::Unlinkat, p.c_str());
    op.flags = AT_REMOVEDIR;
    co_await impl::simple_path_op(op, p);
}

Task<> removedirs(Path path) {
    co_await os::rmdir(path);
    Path head = path.parent_path();
    Path tail = path.filename();
    if (tail.empty()) {
        tail = head.filename();
        head = head.parent_path();
    }
    while (!head.empty() && !tail.empty()) {
        bool failed = false;
        try {
            co_await os::rmdir(head);
        } catch (const OSError&) {
            failed = true;
        }
        if (failed) break;
        tail = head.filename();
        head = head.parent_path();
    }
}

Task<std::vector<std::string>> listdir(Path path) {
    std::string p = impl::path_string(path);
    std::function<std::vector<std::string>()> f = [&p] {
        std::vector<impl::DirInfo> infos;
        impl::list_dir(p, infos);
        std::vector<std::string> names;
        names.reserve(infos.size());
        for (auto& i : infos) names.push_back(std::move(i.name));
        return names;
    };
    co_return co_await impl::in_pool(std::move(f));
}

Task<std::vector<DirEntry>> scandir(Path path) {
    std::string p = impl::path_string(path);
    std::function<std::vector<impl::DirInfo>()> f = [&p] {
        std::vector<impl::DirInfo> infos;
        impl::list_dir(p, infos);
        return infos;
    };
    std::vector<impl::DirInfo> infos = co_await impl::in_pool(std::move(f));
    std::vector<DirEntry> entries;
    entries.reserve(infos.size());
    for (auto& i : infos) {
        std::string full = impl::join(p, i.name);
        entries.emplace_back(std::move(i.name), std::move(full), i.inode, i.dir, i.file, i.symlink, i.dir_nofollow,
                             i.file_nofollow);
    }
    co_return entries;
}

Task<StatResult> DirEntry::stat(bool follow_symlinks) const { return os::stat(path_, follow_symlinks); }

Task<bool> exists(Path path) {
    std::string p = path.string();
    struct statx sx {};
    int r = co_await impl::statx_path(p, 0, &sx);
    co_return r == 0;
}

Task<bool> isfile(Path path) {
    std::string p = path.string();
    struct statx sx {};
    int r = co_await impl::statx_path(p, 0, &sx);
    co_return r == 0 && S_ISREG(sx.stx_mode);
}

Task<bool> isdir(Path path) {
    std::string p = path.string();
    struct statx sx {};
    int r = co_await impl::statx_path(p, 0, &sx);
    co_return r == 0 && S_ISDIR(sx.stx_mode);
}

Task<bool> islink(Path path) {
    std::string p = path.string();
    struct statx sx {};
    int r = co_await impl::statx_path(p, AT_SYMLINK_NOFOLLOW, &sx);
    co_return r == 0 && S_ISLNK(sx.stx_mode);
}

Task<std::int64_t> getsize(Path path) {
    StatResult st = co_await os::stat(std::move(path));
    co_return st.st_size;
}

Task<double> getmtime(Path path) {
    StatResult st = co_await os::stat(std::move(path));
    co_return st.st_mtime;
}

Task<double> getatime(Path path) {
    StatResult st = co_await os::stat(std::move(path));
    co_return st.st_atime;
}

Task<double> getctime(Path path) {
    StatResult st = co_await os::stat(std::move(path));
    co_return st.st_ctime;
}

Task<std::string> readlink(Path path) {
    std::string p = impl::path_string(path);
    std::function<std::string()> f = [&p] {
        std::string buf(256, '\0');
        for (;;) {
            ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size());
            if (n < 0) throw_os_error(errno, p);
            if (static_cast<std::size_t>(n) < buf.size()) {
                buf.resize(static_cast<std::size_t>(n));
                return buf;
            }
            buf.resize(buf.size() * 2);  // maybe cut: ask again with more room
        }
    };
    co_return co_await impl::in_pool(std::move(f));
}

Task<> symlink(Path src, Path dst) {
    std::string d = impl::path_string(dst);
    std::string s = impl::path_string(src);
    co_await impl::two_path_op(IoOp::Kind::Symlinkat, s, d, d);
}

Task<> link(Path src, Path dst) {
    std::string d = impl::path_string(dst);
    std::string s = impl::path_string(src);
    co_await impl::two_path_op(IoOp::Kind::Linkat, s, d, d);
}

Task<std::size_t> sendfile(int out_fd, int in_fd, std::optional<std::int64_t> offset, std::size_t count) {
    std::function<std::size_t()> f = [=] {
        off_t off = offset ? *offset : 0;
        ssize_t n;
        do {
            n = ::sendfile(out_fd, in_fd, offset ? &off : nullptr, count);
        } while (n < 0 && errno == EINTR);
        if (n < 0) throw_os_error(errno);
        return static_cast<std::size_t>(n);
    };
    co_return co_await impl::in_pool(std::move(f));
}

Task<> fsync(File& file) { return file.fsync(); }
Task<> fdatasync(File& file) { return file.fdatasync(); }

namespace {
Task<> fsync_fd(int fd, int flags) {
    IoOp op;
    op.kind = IoOp::Kind::Fsync;
    op.fd = fd;
    op.flags = flags;
    int r = co_await impl::run_op(op);
    if (r < 0) throw_os_error(-r);
}
}  // namespace

Task<> fsync(int fd) { return fsync_fd(fd, 0); }
Task<> fdatasync(int fd) { return fsync_fd(fd, IoOp::kFsyncDatasync); }

AsyncGenerator<WalkEntry> walk(Path top, bool topdown, bool followlinks) {
    std::string dir = impl::path_string(top);
    std::function<std::vector<impl::DirInfo>()> f = [&dir] {
        std::vector<impl::DirInfo> infos;
        impl::list_dir(dir, infos);
        return infos;
    };
    std::vector<impl::DirInfo> infos;
    bool listed = true;
    try {
        infos = co_await impl::in_pool(std::move(f));
    } catch (const OSError&) {
        listed = false;  // os.walk's default: a directory that cannot be read is skipped
    }
    if (!listed) co_return;
    WalkEntry entry;
    entry.dirpath = dir;
    std::vector<std::string> enter;
    for (auto& i : infos) {
        if (i.dir) {
            if (!i.symlink || followlinks) enter.push_back(i.name);
            entry.dirnames.push_back(std::move(i.name));
        } else {
            entry.filenames.push_back(std::move(i.name));
        }
    }
    if (topdown) co_yield entry;
    for (const auto& name : enter) {
        std::string child = impl::join(dir, name);
        auto sub = os::walk(child, topdown, followlinks);
        for (;;) {
            std::optional<WalkEntry> e = co_await sub.next();
            if (!e) break;
            co_yield std::move(*e);
        }
    }
    if (!topdown) co_yield std::move(entry);
}

}  // namespace os
}  // namespace aio::files
