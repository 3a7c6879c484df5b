// aio/files.hpp — files that never block the loop (aiofiles):
//   aio::files::open and the file object           <aio/files/file.hpp>
//   aio::files::os (stat, rename, listdir, walk...)  <aio/files/os.hpp>
//   aio::files::shutil (copyfile, copytree, rmtree)  <aio/files/shutil.hpp>
//   read_text / read_bytes / write_text / write_bytes <aio/files/whole_file.hpp>
//   aio::files::tempfile                              <aio/files/tempfile.hpp>
#pragma once

#include "aio/files/file.hpp"
#include "aio/files/os.hpp"
#include "aio/files/shutil.hpp"
#include "aio/files/stat.hpp"
#include "aio/files/tempfile.hpp"
#include "aio/files/whole_file.hpp"
