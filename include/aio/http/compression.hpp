// aio/http/compression.hpp — content codings (gzip, deflate, br), both ways,
// streaming, with a bound on decoded size (no decompression bombs).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aio/http/errors.hpp"

namespace aio::http {

/// The codings aio speaks (Content-Encoding / Accept-Encoding tokens).
enum class Coding { identity, gzip, deflate, br };

/// Parses a Content-Encoding token ("gzip", "x-gzip", "deflate", "br",
/// "identity"); nullopt for anything else.
std::optional<Coding> parse_coding(std::string_view token) noexcept;
/// The token of a coding ("identity", "gzip", "deflate", "br"), as sent in Content-Encoding.
std::string_view coding_name(Coding c) noexcept;

/// Decodes a body as it arrives. Throws ContentEncodingError for corrupt or
/// truncated data (finish() detects truncation) and when the decoded size
/// would pass `max_output` (a decompression bomb).
class Decoder {
public:
    /// A decoder of `coding` whose total output may not pass `max_output` bytes (1 GiB by default).
    /// identity passes bytes through (still counted); deflate accepts zlib-wrapped and raw deflate, as
    /// aiohttp does. Throws ContentEncodingError when zlib or brotli cannot start.
    Decoder(Coding coding, std::size_t max_output = std::size_t(1) << 30);
    ~Decoder();
    /// Moves the decoding state; the moved-from decoder may only be destroyed or assigned to (its
    /// feed/finish throw InvalidStateError).
    Decoder(Decoder&&) noexcept;
    /// Takes over the other decoder's state (this one's is freed); the moved-from decoder may
    /// only be destroyed or assigned to (its feed/finish throw InvalidStateError).
    Decoder& operator=(Decoder&&) noexcept;
    /// Decodes `in`, appending to `out`.
    void feed(std::string_view in, std::string& out);
    /// Decodes `in` after any input held back, appending at most `max_out`
    /// bytes to `out`: a step of bounded size whatever the coding's ratio (a
    /// few kilobytes of br or gzip may decode to gigabytes). Input not decoded
    /// yet is copied and kept (see has_pending()); feed more, or "", to go on.
    /// With max_out == 0 the input is only kept.
    void feed(std::string_view in, std::string& out, std::size_t max_out);
    /// True while input given to feed() waits to be decoded.
    bool has_pending() const noexcept;
    /// The input is complete: decodes what is held back (in one go: callers
    /// that bound their steps drain with feed("", out, n) first) and throws
    /// if the coded stream was cut short.
    void finish(std::string& out);
    /// Bytes decoded so far, in all (what is checked against `max_output`).
    std::size_t produced() const noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// Encodes a body as it is produced (for responses and request bodies).
class Encoder {
public:
    /// level: zlib 1-9 (6 default) / brotli quality 0-11 (5 default when -1).
    explicit Encoder(Coding coding, int level = -1);
    ~Encoder();
    /// Moves the encoding state; the moved-from encoder may only be destroyed or assigned to (its
    /// feed/flush/finish throw InvalidStateError).
    Encoder(Encoder&&) noexcept;
    /// Takes over the other encoder's state (this one's is freed); the moved-from encoder may
    /// only be destroyed or assigned to (its feed/flush/finish throw InvalidStateError).
    Encoder& operator=(Encoder&&) noexcept;
    /// Encodes `in`, appending what is ready to `out`.
    void feed(std::string_view in, std::string& out);
    /// Pushes out everything fed so far (a sync flush: decodable up to here).
    void flush(std::string& out);
    /// Ends the stream.
    void finish(std::string& out);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// Encodes `data` in one go (feed() then finish()); `level` as for Encoder.
/// One-shot helpers.
/// Decodes `data` in one go; throws ContentEncodingError for corrupt or truncated data or an output
/// past `max_output` bytes.
std::string compress(std::string_view data, Coding coding, int level = -1);
std::string decompress(std::string_view data, Coding coding, std::size_t max_output = std::size_t(1) << 30);

}  // namespace aio::http
