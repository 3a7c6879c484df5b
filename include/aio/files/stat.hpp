// aio/files/stat.hpp — aio::files::StatResult (Python's os.stat_result).
#pragma once

#include <sys/stat.h>  // first: glibc's st_atime/st_mtime/st_ctime macros must be defined before StatResult

#include <cstdint>

namespace aio::files {

/// What os::stat() finds out about a file, with Python's field names.
/// Times are seconds since the epoch (a double, as Python's st_mtime) and
/// nanoseconds (an integer, as st_mtime_ns). Mode bits test with the usual
/// S_ISDIR(st_mode), S_ISREG(st_mode), ...
struct StatResult {
    /// File type and permission bits (test the type with S_ISDIR(st_mode), S_ISREG(st_mode), ...).
    std::uint32_t st_mode = 0;
    /// Inode number.
    std::uint64_t st_ino = 0;
    /// Device the file is on (major and minor combined, as makedev() does).
    std::uint64_t st_dev = 0;
    /// Number of hard links.
    std::uint64_t st_nlink = 0;
    /// User id of the owner.
    std::uint32_t st_uid = 0;
    /// Group id of the owner.
    std::uint32_t st_gid = 0;
    /// Size in bytes (of a regular file; for a symbolic link, of the path it holds).
    std::int64_t st_size = 0;
    /// Last access, in nanoseconds since the epoch.
    std::int64_t st_atime_ns = 0;
    /// Last modification of the content, in nanoseconds since the epoch.
    std::int64_t st_mtime_ns = 0;
    /// Last status change (of the inode: permissions, links, ...; not the
    /// creation time), in nanoseconds since the epoch.
    std::int64_t st_ctime_ns = 0;
    /// Preferred block size for I/O, in bytes.
    std::int64_t st_blksize = 0;
    /// Number of 512-byte blocks allocated.
    std::int64_t st_blocks = 0;
    /// Device the file represents, for a character or block device; 0 otherwise.
    std::uint64_t st_rdev = 0;
#ifdef st_mtime
    // glibc defines st_atime, st_mtime and st_ctime as macros that name
    // st_atim.tv_sec, ... (struct stat's timespec members). These members make
    // `r.st_mtime` mean what Python's does, seconds as a double, either way.
    /// A time in seconds as a double; `r.st_atime` (the macro for
    /// r.st_atim.tv_sec) reads it.
    struct Seconds {
        double tv_sec = 0;
    };
    /// Last access, modification and status change, in seconds since the
    /// epoch, read as r.st_atime, r.st_mtime and r.st_ctime.
    Seconds st_atim, st_mtim, st_ctim;
#else
    /// Last access, in seconds since the epoch (st_atime_ns / 1e9).
    double st_atime = 0;
    /// Last modification of the content, in seconds since the epoch.
    double st_mtime = 0;
    /// Last status change, in seconds since the epoch.
    double st_ctime = 0;
#endif
};

}  // namespace aio::files
