// aio/csv/reader.hpp — aio::csv::read_csv (pandas.read_csv) for a file, a
// string of CSV text or a byte buffer, and the chunked reader.
//
//     aio::Table t = aio::csv::read_csv("data.csv");                       // a path
//     aio::Table u = aio::csv::read_csv(aio::csv::Text{"a,b\n1,2\n"});     // CSV text
//     aio::Table v = aio::csv::read_csv_string("a,b\n1,2\n");              // the same
//     for (aio::Table& chunk : aio::csv::read_csv_chunks("big.csv", {.chunksize = 100'000})) ...
//
// A string given to read_csv is always a path (as pandas takes a path
// string); CSV text goes through aio::csv::Text or read_csv_string.
//
// read_csv of a file reads it block by block (it never holds the whole text),
// decompressing gzip on the way; for a file or buffer of 16 MiB or more on a
// machine with two cores it parses two halves in parallel (see
// ReadOptions::threads), with the same result as one thread.
#pragma once

#include <aio/csv/options.hpp>
#include <aio/csv/parser.hpp>
#include <aio/table.hpp>

#include <cstddef>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace aio::csv {

/// CSV text held by the caller (it must outlive the call).
struct Text {
    /// The CSV text, not owned.
    std::string_view data;
};

/// Reads the CSV file at `path` (pandas' `read_csv(path)`). Throws the
/// aio::OSError family (FileNotFoundError, IsADirectoryError, ...) when the
/// file cannot be read, ParserError when the file shrinks while it is read
/// (it is read with pread, never mapped: no SIGBUS), ValueError for a path
/// holding a NUL byte, and the errors of StreamingParser.
Table read_csv(const std::filesystem::path& path, const ReadOptions& options = {});
/// Parses CSV text (pandas' `read_csv(io.StringIO(text))`).
Table read_csv(Text text, const ReadOptions& options = {});
/// Parses raw bytes (pandas' `read_csv(io.BytesIO(data))`): decoded with
/// `encoding`, decompressed when gzip.
Table read_csv(std::span<const std::byte> data, const ReadOptions& options = {});
/// `read_csv(Text{text}, options)`.
Table read_csv_string(std::string_view text, const ReadOptions& options = {});

/// The chunked reader (pandas' TextFileReader, what `read_csv(path,
/// chunksize=n)` returns): an input range of tables of `chunksize` rows, each
/// typed on its own, read from the file as they are needed.
class TextFileReader {
public:
    /// Opens the file; throws the aio::OSError family, and aio::ValueError
    /// when `options.chunksize` is not set or is 0.
    TextFileReader(const std::filesystem::path& path, ReadOptions options);
    /// Reads chunks of `text` (which must outlive the reader).
    TextFileReader(Text text, ReadOptions options);
    ~TextFileReader();
    /// Moves the reader (its open file or text, and the chunk being read).
    TextFileReader(TextFileReader&&) noexcept;
    /// Move-assigns: the reader held before is closed.
    TextFileReader& operator=(TextFileReader&&) noexcept;

    /// The next chunk, or std::nullopt at the end (pandas' `get_chunk()`).
    std::optional<Table> get_chunk();

    /// The input iterator of a TextFileReader: each increment reads the next chunk with get_chunk(), and the
    /// iterator becomes equal to end() when there is none left. Dereferencing gives the current chunk, owned
    /// by the reader (valid until the next increment). Throws what get_chunk() throws.
    class iterator {
    public:
        /// Input iterator: one pass only.
        using iterator_category = std::input_iterator_tag;
        /// A chunk.
        using value_type = Table;
        /// Required by std::input_iterator; iterators are never subtracted.
        using difference_type = std::ptrdiff_t;
        /// Pointer to the current chunk.
        using pointer = Table*;
        /// Reference to the current chunk.
        using reference = Table&;
        iterator() = default;
        /// The current chunk (owned by the reader; moving it out is allowed).
        Table& operator*() const { return *reader_->current_; }
        /// The current chunk, for member access.
        Table* operator->() const { return &*reader_->current_; }
        /// Reads the next chunk; becomes end() when the input is exhausted.
        iterator& operator++();
        /// Reads the next chunk (post-increment returns nothing, as for an input iterator).
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.reader_ == b.reader_; }

    private:
        friend class TextFileReader;
        explicit iterator(TextFileReader* r) : reader_(r) {}
        TextFileReader* reader_ = nullptr;
    };
    /// Reads the first chunk. Iterate once.
    iterator begin();
    /// The end of the chunks: an iterator that compares equal once the input is exhausted.
    iterator end() noexcept { return {}; }

private:
    struct State;
    std::unique_ptr<State> state_;
    std::optional<Table> current_;
};

/// `TextFileReader(path, options)`: chunks of `options.chunksize` rows.
TextFileReader read_csv_chunks(const std::filesystem::path& path, ReadOptions options);
/// `TextFileReader(text, options)`.
TextFileReader read_csv_chunks(Text text, ReadOptions options);

}  // namespace aio::csv
