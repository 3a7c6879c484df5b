// aio/files/shutil.hpp — aio::files::shutil: whole-file and whole-tree copies
// and removal (Python's shutil), off the loop's thread.
#pragma once

#include <filesystem>

#include "aio/task.hpp"

namespace aio::files::shutil {

using Path = std::filesystem::path;

/// Copies the contents of src to dst (shutil.copyfile): dst is created or
/// truncated, its mode is not copied. The kernel copies (copy_file_range,
/// which shares extents where the file system can), one pool call. Returns
/// dst. ValueError when src and dst are the same file (Python's
/// SameFileError); IsADirectoryError when src is a directory; OSError otherwise.
Task<Path> copyfile(Path src, Path dst);
/// copyfile() plus permission bits and access/modification times (shutil.copy2).
Task<Path> copy2(Path src, Path dst);
/// Copies the tree under src to dst (shutil.copytree with copy2). dst must not
/// exist unless dirs_exist_ok. Symbolic links are followed (Python's default
/// symlinks=False). Returns dst. The first failure is thrown.
Task<Path> copytree(Path src, Path dst, bool dirs_exist_ok = false);
/// Removes the tree under path (shutil.rmtree), never following symbolic
/// links out of it (descriptor-relative removal, as Python on Linux). A path
/// that is itself a symbolic link: OSError. ignore_errors: failures are skipped.
Task<> rmtree(Path path, bool ignore_errors = false);

}  // namespace aio::files::shutil
