// aio/csv/parser.hpp — aio::csv::StreamingParser, the incremental CSV engine
// every read_csv is built on: feed it bytes as they arrive (from a file, a
// socket, a decompressor), in pieces of any size, and take tables out.
//
//     aio::csv::StreamingParser p({.chunksize = 10'000});
//     while (auto piece = next_piece_from_somewhere()) {
//         p.feed(*piece);
//         while (auto t = p.next_chunk()) use(*t);       // tables of 10,000 rows
//     }
//     p.finish();
//     while (auto t = p.next_chunk()) use(*t);           // the rest
//
// Without chunksize, `finish()` then `table()` gives the whole table.
//
// Memory: the parser keeps the bytes of the rows it has not yet parsed (at
// most one block of kBlockSize plus the longest row) and the columns built so
// far, never the whole text.
#pragma once

#include <aio/csv/options.hpp>
#include <aio/table.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aio::csv {

namespace detail {
class ParserImpl;
}

/// An incremental CSV parser with pandas.read_csv's options and results.
///
/// Types are inferred per block of about kBlockSize bytes and unified across
/// blocks (int64 + float64 → float64). When a column's type changes to object
/// after its first block, the values already parsed become their text as
/// Python prints them ("7", "1.5", "True"), as pandas' low-memory reader
/// returns them; a file whose first block already shows the final type is
/// typed exactly as pandas types it.
///
/// Errors (aio::csv::ParserError, ConversionError, EmptyDataError,
/// aio::UnicodeDecodeError, aio::ValueError for bad options, and LimitError
/// for input past ReadOptions' max_memory, max_columns or max_record_bytes)
/// are thrown by the call that meets them; after an error the parser is
/// unusable. A record that never ends (an open quote) costs work linear in
/// its length: it is tokenized again only each time the text held doubles.
///
/// Not thread-safe: one thread at a time. Movable, not copyable.
class StreamingParser {
public:
    /// Bytes parsed per block (1 MiB: large enough to amortise the per-block
    /// work and keep the parsing loops long, small enough that the block and
    /// its field index stay in the L2/L3 cache).
    static constexpr std::size_t kBlockSize = std::size_t{1} << 20;

    /// Checks the options (throws aio::ValueError for inconsistent ones).
    explicit StreamingParser(ReadOptions options = {});
    ~StreamingParser();
    /// Moves the parser and everything it holds (text not yet parsed, columns built so far).
    StreamingParser(StreamingParser&&) noexcept;
    /// Move-assigns: the parser held before is destroyed.
    StreamingParser& operator=(StreamingParser&&) noexcept;

    /// Parses what can be parsed of `bytes` (the raw, possibly compressed
    /// bytes of the next part of the input; a split may fall anywhere, even
    /// inside a character). Ignored once `done()`. Throws aio::InvalidStateError
    /// after finish().
    void feed(std::string_view bytes);
    /// The end of the input: parses what is left. Throws ParserError for a
    /// quote that never closed or a truncated gzip stream, EmptyDataError
    /// when the input held no columns.
    void finish();
    /// True once `nrows` rows were read: the rest of the input is not needed.
    bool done() const noexcept;

    /// With `chunksize`: the next table of `chunksize` rows when one is
    /// complete (after finish(), also the last, shorter one); std::nullopt
    /// otherwise. It parses the complete rows fed so far first, so a chunk is
    /// out as soon as its last row has arrived.
    /// Without `chunksize`: std::nullopt before finish(), then the whole table once.
    std::optional<Table> next_chunk();
    /// After finish(): the whole table (all rows not yet taken by next_chunk).
    /// Throws aio::InvalidStateError before finish().
    Table table();

    /// The column names, once the header is parsed (empty before).
    const std::vector<std::string>& columns() const noexcept;
    /// Data rows parsed so far.
    std::size_t rows() const noexcept;

private:
    std::unique_ptr<detail::ParserImpl> impl_;
};

}  // namespace aio::csv
