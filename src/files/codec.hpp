// Text mode's codecs: bytes on disk <-> UTF-8 text in std::string, with
// Python's universal newlines on read (newline=None: "\r\n" and "\r" read as "\n").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aio::files::impl {

enum class Encoding : std::uint8_t { utf8, utf8_sig, latin1 };

/// Python's codec name for an encoding argument ("utf-8", "utf-8-sig", "latin-1"),
/// accepting Python's aliases (case and '-'/'_' do not matter; "utf8",
/// "iso-8859-1", "l1", ...). Empty means UTF-8. Throws ValueError("unknown encoding: x").
Encoding parse_encoding(std::string_view name);
const char* encoding_name(Encoding e) noexcept;

inline constexpr std::string_view kBom = "\xEF\xBB\xBF";

/// Result of scanning raw bytes for a text read.
struct Scan {
    std::size_t bytes = 0;       // bytes that make whole characters (and whole newlines)
    std::size_t chars = 0;       // characters they decode to ("\r\n" counts once)
    bool newline = false;        // stopped after a line end
    bool need_more = false;      // stopped at a character or "\r\n" cut by the end of the data
};

/// Walks `data` character by character: stops after `max_chars` characters
/// (-1: no limit), after the first line end when `stop_at_newline`, or where
/// the data ends in the middle of a character or of a possible "\r\n" (then
/// need_more, unless `at_eof`: the tail is then taken as it is).
Scan scan(std::string_view data, Encoding enc, std::int64_t max_chars, bool stop_at_newline, bool at_eof) noexcept;

/// Appends the text of `data` (whole characters) to `out` as UTF-8 with
/// newlines translated. Invalid bytes: UnicodeDecodeError at byte offset
/// `base_offset` + index (strict), or U+FFFD per maximal invalid subpart (replace).
void decode(std::string& out, std::string_view data, Encoding enc, bool replace, std::int64_t base_offset);

/// Encodes UTF-8 text for the file. Returns the number of characters.
/// Text that is not valid UTF-8, or (latin-1) a character above U+00FF:
/// ValueError naming the position (strict), or '?' in its place (replace).
std::size_t encode(std::string& out, std::string_view text, Encoding enc, bool replace);

/// Length of the longest prefix of `data` that is valid UTF-8 starting at a
/// character boundary (fast path for ASCII).
std::size_t utf8_valid_prefix(std::string_view data) noexcept;

}  // namespace aio::files::impl
