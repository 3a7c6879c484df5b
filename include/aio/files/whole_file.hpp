// aio/files/whole_file.hpp — a whole file in one call (pathlib's
// Path.read_text / read_bytes / write_text / write_bytes), through
// aio::files::open, so they take io_uring where the kernel has it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "aio/task.hpp"

namespace aio::files {

/// The file's text, decoded (UTF-8 by default; see OpenOptions for the
/// encodings and errors), newlines read as "\n". Throws as open() and read().
Task<std::string> read_text(std::filesystem::path path, std::string encoding = {}, std::string errors = {});
/// The file's bytes.
Task<std::string> read_bytes(std::filesystem::path path);
/// Replaces the file's contents with `text` (encoded); returns the characters written.
/// `text` must stay alive until the co_await completes.
Task<std::size_t> write_text(std::filesystem::path path, std::string_view text, std::string encoding = {},
                             std::string errors = {});
/// Replaces the file's contents with `data`; returns the bytes written.
Task<std::size_t> write_bytes(std::filesystem::path path, std::string_view data);

}  // namespace aio::files
