// aio/files/os.hpp — aio::files::os, the file system calls of aiofiles.os
// (Python's os and os.path, awaited).
//
//     auto st = co_await aio::files::os::stat("data.csv");      // st.st_size, st.st_mtime
//     co_await aio::files::os::makedirs("out/2024", true);
//     for (const auto& e : co_await aio::files::os::scandir("out")) if (e.is_file()) ...
//
// Every call runs off the loop's thread: on io_uring for the kernel's
// operations (statx, renameat, unlinkat, mkdirat, symlinkat, linkat, fsync)
// when the kernel has them, on the loop's default thread pool otherwise and
// for the calls io_uring does not have (directory listing, readlink,
// sendfile). Paths are std::filesystem::path (a std::string or a C string
// converts). Failures are Python's OSError subclasses carrying the path:
// FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError,
// NotADirectoryError, or OSError with errno_code(). A path holding a NUL byte
// is ValueError "embedded null byte" (the kernel would take the path cut
// there), except for exists/isfile/isdir/islink, which answer false, as
// Python's os.path does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "aio/async_generator.hpp"
#include "aio/files/stat.hpp"
#include "aio/task.hpp"

namespace aio::files {

class File;

namespace os {

using Path = std::filesystem::path;

/// Facts about a file (os.stat). follow_symlinks=false: of the link itself (os.lstat).
Task<StatResult> stat(Path path, bool follow_symlinks = true);
/// os.lstat: stat() of a symbolic link itself.
Task<StatResult> lstat(Path path);

/// Renames src to dst (os.rename); an existing dst file is replaced.
Task<> rename(Path src, Path dst);
/// os.replace: rename() that replaces dst (the same call on Linux).
Task<> replace(Path src, Path dst);
/// Removes a file (os.remove); IsADirectoryError for a directory.
Task<> remove(Path path);
/// os.unlink: the same as remove().
Task<> unlink(Path path);
/// Makes a directory (os.mkdir) with `mode` less the umask; FileExistsError if it exists.
Task<> mkdir(Path path, unsigned mode = 0777);
/// Makes a directory and its missing parents (os.makedirs). exist_ok: no
/// error when the directory already exists (FileExistsError otherwise).
Task<> makedirs(Path path, bool exist_ok = false, unsigned mode = 0777);
/// Removes an empty directory (os.rmdir).
Task<> rmdir(Path path);
/// Removes the directory, then each parent that becomes empty (os.removedirs).
Task<> removedirs(Path path);

/// The names in a directory, without "." and "..", in no particular order (os.listdir).
Task<std::vector<std::string>> listdir(Path path = ".");

/// One entry of scandir() (os.DirEntry). The type was found out while
/// scanning, so the is_* calls do no I/O.
class DirEntry {
public:
    /// The entry's name.
    const std::string& name() const noexcept { return name_; }
    /// The scanned directory joined with the name (os.path.join(scandir_path, name)).
    const std::string& path() const noexcept { return path_; }
    /// A directory (or, following symlinks, a link to one).
    bool is_dir(bool follow_symlinks = true) const noexcept { return follow_symlinks ? dir_ : dir_nofollow_; }
    /// A regular file (or, following symlinks, a link to one).
    bool is_file(bool follow_symlinks = true) const noexcept { return follow_symlinks ? file_ : file_nofollow_; }
    /// The entry itself is a symbolic link (os.DirEntry.is_symlink; never follows it).
    bool is_symlink() const noexcept { return symlink_; }
    /// The entry's inode number, as the directory listing gave it (os.DirEntry.inode()).
    std::uint64_t inode() const noexcept { return inode_; }
    /// os.DirEntry.stat(): a stat() of the entry (awaited: it asks the kernel).
    Task<StatResult> stat(bool follow_symlinks = true) const;

    // --- for the library ---
    /// Made by scandir() from what the listing found (not for users): the name, the joined path, the inode,
    /// and the type with and without following a symbolic link.
    DirEntry(std::string name, std::string path, std::uint64_t inode, bool dir, bool file, bool symlink,
             bool dir_nofollow, bool file_nofollow)
        : name_(std::move(name)), path_(std::move(path)), inode_(inode), dir_(dir), file_(file), symlink_(symlink),
          dir_nofollow_(dir_nofollow), file_nofollow_(file_nofollow) {}

private:
    std::string name_;
    std::string path_;
    std::uint64_t inode_ = 0;
    bool dir_ = false, file_ = false, symlink_ = false, dir_nofollow_ = false, file_nofollow_ = false;
};

/// The entries of a directory, without "." and "..", in no particular order
/// (os.scandir, read in one go).
Task<std::vector<DirEntry>> scandir(Path path = ".");

// --- os.path ---
/// False for a path that does not exist or cannot be looked at (os.path.exists).
Task<bool> exists(Path path);
Task<bool> isfile(Path path);
Task<bool> isdir(Path path);
/// A symbolic link (os.path.islink; never follows it).
Task<bool> islink(Path path);
/// Size in bytes (os.path.getsize); OSError if it does not exist.
Task<std::int64_t> getsize(Path path);
/// Modification / access / status-change time in seconds (os.path.getmtime, ...).
Task<double> getmtime(Path path);
Task<double> getatime(Path path);
Task<double> getctime(Path path);

// --- links ---
/// Where a symbolic link points (os.readlink); OSError (EINVAL) if it is not a link.
Task<std::string> readlink(Path path);
/// Makes `dst` a symbolic link to `src` (os.symlink; src is stored as given).
Task<> symlink(Path src, Path dst);
/// Makes `dst` a hard link to `src` (os.link).
Task<> link(Path src, Path dst);

// --- descriptors ---
/// Copies up to `count` bytes from in_fd to out_fd in the kernel (os.sendfile):
/// from `offset` (in_fd's position is not used nor moved) or, without one,
/// from in_fd's position. Returns the bytes copied (0 at the end), one call.
Task<std::size_t> sendfile(int out_fd, int in_fd, std::optional<std::int64_t> offset, std::size_t count);
/// The file's data and metadata to the disk (os.fsync). For a File, its
/// buffer is flushed first (File::fsync), which is what os.fsync(f) after f.flush() does.
Task<> fsync(File& file);
Task<> fsync(int fd);
/// Data only (os.fdatasync).
Task<> fdatasync(File& file);
Task<> fdatasync(int fd);

// --- walking ---
/// One directory of walk(): (dirpath, dirnames, filenames), as Python's tuple.
struct WalkEntry {
    /// The directory: `top` as given, joined with the names of the directories entered to reach it.
    std::string dirpath;
    /// The names of its subdirectories (symbolic links to directories included). Unlike Python's, changing
    /// this list does not prune the walk: the subdirectories to enter are chosen before the entry is yielded.
    std::vector<std::string> dirnames;
    /// The names of its other entries (files, and links that are not to a directory).
    std::vector<std::string> filenames;
};
/// The tree under `top` (os.walk): each directory with its subdirectories and
/// other entries, parents before children (topdown) or after them. Symbolic
/// links to directories are listed in dirnames but entered only with
/// followlinks. Directories that cannot be listed are skipped, as Python's
/// default onerror=None does. One pool call per directory.
AsyncGenerator<WalkEntry> walk(Path top, bool topdown = true, bool followlinks = false);

}  // namespace os
}  // namespace aio::files
