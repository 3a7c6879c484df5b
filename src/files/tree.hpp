// Blocking directory helpers shared by os, shutil and tempfile (they run on
// the pool, or in a destructor).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "aio/files/stat.hpp"
#include "core/c_string.hpp"

namespace aio::files::impl {

/// One directory entry with its type (symbolic links followed for dir/file).
struct DirInfo {
    std::string name;
    std::uint64_t inode = 0;
    bool dir = false, file = false, symlink = false, dir_nofollow = false, file_nofollow = false;
};

/// Appends the entries of `path` (without "." and ".."). Throws OSError.
void list_dir(const std::string& path, std::vector<DirInfo>& out);
/// os.path.join of two parts.
std::string join(const std::string& dir, const std::string& name);
StatResult from_statx(const struct statx& x);

/// `p` as system calls take it. Throws ValueError "embedded null byte" when
/// it holds a NUL, which would end the path there (Python's check).
inline std::string path_string(const std::filesystem::path& p) {
    aio::detail::check_no_nul(p.native());
    return p.string();
}

/// shutil.rmtree, blocking. Throws OSError unless ignore_errors.
void rmtree_sync(const std::string& path, bool ignore_errors);

}  // namespace aio::files::impl
