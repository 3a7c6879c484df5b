// aio/files/shutil.hpp — aio::files::shutil: whole-file and whole-tree copies
// and removal (Python's shutil), off the loop's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "aio/files/file.hpp"
#include "aio/task.hpp"

namespace aio::files::shutil {

using Path = std::filesystem::path;

/// copyfileobj()'s chunk when length is 0. Python takes 64 KiB on Linux
/// (shutil.COPY_BUFSIZE); aio takes 1 MiB, because each chunk costs a kernel
/// round trip for its read and one for its write, and at 1 MiB a chunk's read
/// and the previous chunk's write overlap for most of their time.
inline constexpr std::size_t kCopyBufferSize = std::size_t(1) << 20;

/// Copies what is left of `fsrc` (from its position to its end) to `fdst` at
/// its position (shutil.copyfileobj), `length` bytes at a time (binary) or
/// characters (text; the read text is written as it is): 0 takes
/// kCopyBufferSize, a negative length reads all of fsrc at once. The next
/// chunk is read while the previous one is written, so a copy takes about
/// as long as the slower of its reads and writes rather than their sum.
/// Between two binary regular files (fdst not in append mode) with 8 MiB or
/// more left to copy, fdst's buffer is flushed and the copy runs in two
/// lanes of chunks of at least kCopyBufferSize: each chunk is read and
/// written by one pool thread (positional reads and writes), two chunks at
/// a time; both files end where a sequential copy would leave them.
/// Returns the count copied (Python returns None). Both files must stay open
/// until it completes, and be different objects (RuntimeError otherwise).
/// Throws what the files' read()/readinto() and write() throw
/// (UnsupportedOperation when fsrc is not readable or fdst not writable,
/// OSError on a failed read or write: a failed write is reported after the
/// read that ran beside it, whose chunk is then lost; after a failure in
/// lanes both files stand at the end of the chunks copied whole before it).
/// Cancellation waits for the reads and writes in progress to finish, then
/// raises CancelledError (lanes: both files at the end of the whole chunks).
Task<std::int64_t> copyfileobj(File& fsrc, File& fdst, std::int64_t length = 0);

/// Copies the contents of src to dst (shutil.copyfile): dst is created, or
/// an existing regular file is overwritten in place and then cut to src's
/// length (the same file in the end as Python's truncate-then-write, without
/// freeing its pages first; a copy that fails part-way leaves the part it
/// copied); its mode is not copied. The kernel copies (copy_file_range,
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
