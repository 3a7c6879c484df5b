// Internal: ReadOptions checked and resolved into what the tokenizer and the
// converters test byte by byte.
#pragma once

#include <aio/csv/options.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aio::csv::detail {

/// A field of a tokenized block: bytes [offset, offset + length) of the block
/// text, quotes and escapes already removed. length == kAbsent marks a field a
/// short row did not have.
struct Field {
    std::uint32_t offset;
    std::uint32_t length;
};
inline constexpr std::uint32_t kAbsent = 0xFFFFFFFFu;

struct Dialect {
    char sep = ',';
    std::string sep_text;        // a literal separator of 2+ bytes
    bool whitespace_sep = false;  // sep = "\s+"
    int quote = '"';              // -1: none
    int escape = -1;
    int comment = -1;
    bool doublequote = true;
    bool skipinitialspace = false;
    bool skip_blank_lines = true;
    char decimal = '.';
    char thousands = 0;

    /// The bitmask tokenizer applies: one-byte sep, RFC 4180 quoting.
    bool simple() const noexcept {
        return sep_text.empty() && !whitespace_sep && escape < 0 && comment < 0 && doublequote &&
               !skipinitialspace && sep != '\n' && sep != '\r' && sep != quote;
    }
};

/// Checks the one-character options; throws aio::ValueError as pandas does.
Dialect make_dialect(const ReadOptions& options);

/// The strings that mean "missing" (pandas' na_values / keep_default_na).
class NaSet {
public:
    NaSet() = default;
    NaSet(const ReadOptions& options);
    bool contains(const char* p, std::size_t n) const noexcept {
        if (n == 0) return has_empty_;
        if (n >= 64) return long_ && contains_slow(p, n);
        if (!(first_[static_cast<unsigned char>(*p)] & (std::uint64_t{1} << n))) return false;
        return contains_slow(p, n);
    }
    bool enabled() const noexcept { return enabled_; }
    /// The strings, sorted.
    const std::vector<std::string>& values() const noexcept { return values_; }

private:
    bool contains_slow(const char* p, std::size_t n) const noexcept;
    std::vector<std::string> values_;
    std::array<std::uint64_t, 256> first_{};  // first byte → bitmask of lengths
    std::array<std::vector<std::string>, 64> by_length_;
    bool has_empty_ = false;
    bool long_ = false;  // some value is 64 bytes or longer
    bool enabled_ = false;
};

}  // namespace aio::csv::detail
