// Growing a std::string without zero-filling the new bytes, for buffers the
// kernel is about to fill (a file read of 1 MiB would otherwise write each
// byte twice: zeros, then the data).
#pragma once

#include <cstddef>
#include <string>

namespace aio::detail {

/// Makes `s` `n` bytes long. Bytes past the old size are left unwritten
/// (indeterminate) when the standard library has C++23's
/// resize_and_overwrite, zero otherwise: the caller must overwrite them
/// before anything reads them, and cut `s` to what it wrote.
void resize_uninitialized(std::string& s, std::size_t n);

}  // namespace aio::detail
