// CSV test inputs shared by the CSV suites. samples.cpp is compiled into
// the test support library at the preset's optimisation (the suites may be
// built at -O0): some of these are tens of MB.
#pragma once

#include <aio/table.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace aio::test {

/// `data` as a gzip stream (header and trailer included).
std::string gzip(std::string_view data);

/// A CSV of `rows` rows shaped like R8's (ints, floats with gaps, quoted text
/// with commas, doubled quotes and line breaks).
std::string r8_like(std::size_t rows, unsigned seed = 1);

/// A CSV "a,b,c" of `rows` rows (i, 7i - 3, "s<i>" and padding), every line
/// ended by `eol` ("mixed": CR, LF and CR LF in turn). The row whose line
/// break would cross a multiple of `block` is padded with 'x' so that its
/// break starts on the block's last byte (a CR ending a block, a CR LF cut in
/// two); pandas reads a and b as int64, c as text.
std::string eol_text(std::size_t rows, std::string_view eol, std::size_t block = std::size_t{1} << 20);

/// "" when `t` holds rows [first, first + t.num_rows()) of eol_text() (int64
/// a and b with every value present, c as text), else what is wrong first.
std::string eol_rows_mismatch(const aio::Table& t, std::size_t first);

}  // namespace aio::test
