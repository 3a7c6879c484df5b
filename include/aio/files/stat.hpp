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
    std::uint32_t st_mode = 0;
    std::uint64_t st_ino = 0;
    std::uint64_t st_dev = 0;
    std::uint64_t st_nlink = 0;
    std::uint32_t st_uid = 0;
    std::uint32_t st_gid = 0;
    std::int64_t st_size = 0;
    std::int64_t st_atime_ns = 0;
    std::int64_t st_mtime_ns = 0;
    std::int64_t st_ctime_ns = 0;
    std::int64_t st_blksize = 0;
    std::int64_t st_blocks = 0;  // 512-byte blocks allocated
    std::uint64_t st_rdev = 0;
#ifdef st_mtime
    // glibc defines st_atime, st_mtime and st_ctime as macros that name
    // st_atim.tv_sec, ... (struct stat's timespec members). These members make
    // `r.st_mtime` mean what Python's does, seconds as a double, either way.
    struct Seconds {
        double tv_sec = 0;
    };
    Seconds st_atim, st_mtim, st_ctim;
#else
    double st_atime = 0;
    double st_mtime = 0;
    double st_ctime = 0;
#endif
};

}  // namespace aio::files
