// Internal: raw input bytes → UTF-8 text for the tokenizer: gzip
// decompression (zlib, multi-member streams), the byte-order mark, Latin-1
// transcoding, and UTF-8 validation with Python's error reasons.
#pragma once

#include "table/buffer.hpp"

#include <aio/csv/options.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace aio::csv::detail {

class Decoder {
public:
    /// Throws aio::ValueError for an unknown encoding or compression.
    /// `path_hint` (may be empty) lets compression="infer" look at the extension.
    Decoder(const ReadOptions& options, std::string_view path_hint);
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;

    /// Appends the text decoded from a prefix of `in` to `out` and returns
    /// the prefix's length: all of `in`, except for gzip, which stops once
    /// it has inflated about 1 MiB (call again with the rest).
    std::size_t decode(std::string_view in, aio::table_detail::Buffer& out);
    /// The end of the input: throws ParserError for a truncated gzip stream.
    void finish(aio::table_detail::Buffer& out);
    /// True when decode() only copies (no gzip, no transcoding, no BOM left to
    /// check): the caller may then append raw bytes itself.
    bool passthrough() const noexcept;
    /// True while the first bytes are still to tell whether decode() will
    /// pass the rest through (is it gzip? is there a BOM?): a reader then
    /// feeds a few bytes only, and the rest straight into the text.
    bool deciding() const noexcept {
        return compression_ == Compression::infer || (compression_ == Compression::none && !latin1_ && !bom_checked_);
    }
    /// Marks passthrough bytes appended by the caller as decoded.
    void note_passthrough(std::size_t n) noexcept { raw_in_ += n; }
    /// The encoding's name for errors ("utf-8").
    const std::string& encoding() const noexcept { return encoding_name_; }
    /// UTF-8 must be validated (the input was not transcoded from Latin-1).
    bool validate_utf8() const noexcept { return !latin1_; }

private:
    struct Inflater;
    void emit(std::string_view text, aio::table_detail::Buffer& out);
    enum class Compression { infer, none, gzip };
    Compression compression_;
    bool latin1_ = false;
    bool strip_bom_ = true;
    bool bom_checked_ = false;
    std::string encoding_name_;
    std::string pending_;  // bytes held back: the first ones while the magic/BOM is undecided
    std::unique_ptr<Inflater> inflater_;
    aio::table_detail::Buffer plain_;  // inflated text on its way to emit()
    std::size_t raw_in_ = 0;
};

/// Validates UTF-8 text[0, n) as Python's strict decoder does. Returns n when
/// valid; otherwise the offset of the first bad byte and sets `reason`
/// ("invalid start byte", "invalid continuation byte", "unexpected end of
/// data"). With `partial`, an incomplete sequence at the end is not an error:
/// the returned offset is then where it starts (`reason` stays null).
std::size_t validate_utf8(const char* text, std::size_t n, bool partial, const char*& reason) noexcept;

}  // namespace aio::csv::detail
