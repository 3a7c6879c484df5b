// Internal: the CSV engine minus decoding and threads. It owns the text of
// the rows not yet parsed, finds the header, tokenizes blocks, and converts
// their rows into column builders (one table, or one per chunk).
#pragma once

#include "csv/column_builder.hpp"
#include "csv/dialect.hpp"
#include "csv/tokenizer.hpp"
#include "table/buffer.hpp"

#include <aio/csv/options.hpp>
#include <aio/table.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace aio::csv::detail {

/// What every engine of one read shares: the options, resolved, and once
/// the header is read, the columns.
struct Config {
    explicit Config(ReadOptions o);
    ReadOptions options;
    std::size_t max_memory = 0;  // options.max_memory, 0 resolved
    /// Bytes held by every engine of the read (the parallel mode has two).
    std::atomic<std::size_t> memory_in_use{0};
    Dialect dialect;
    ConvertSettings settings;
    std::vector<std::size_t> skip_lines;  // sorted skiprows list
    /// The record that names the columns, counted after skipped and blank
    /// lines (pandas' rule: `header=N`, or by default the first unless
    /// `names` is given); none for `header=None` or names without a header.
    std::optional<std::size_t> header_row;
    // Set by the header:
    bool header_done = false;
    std::size_t ncols = 0;                  // fields per row
    std::vector<std::string> columns;       // output names
    std::vector<ColumnSpec> specs;          // output columns
    bool integer_labels = false;            // header=None: pandas' labels 0, 1, ...
};

class Engine final : private TokenizerHooks, private LineLocator {
public:
    /// `config` must outlive the engine; `encoding` names the text's encoding
    /// for errors; `validate` checks UTF-8.
    Engine(Config& config, std::string encoding, bool validate);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// The unparsed text; append decoded bytes here, then call process().
    aio::table_detail::Buffer& text() noexcept { return text_; }
    /// Parses the complete rows in text() (with `final`, all of it) and drops
    /// them from text(). Without `final`, when the last call left an
    /// incomplete record of kRetryFloor bytes or more, it waits (returns at
    /// once) until text() has twice that, or more than max_record_bytes:
    /// an endless record is tokenized O(log n) times, not once per block.
    /// Throws LimitError past max_record_bytes, max_columns or max_memory.
    void process(bool final);
    /// Bytes given to the tokenizer so far (every pass over the same bytes
    /// counts), for tests of the work done on hostile input.
    std::size_t tokenized() const noexcept { return tokenized_; }
    /// Starts a worker at a row boundary: the header is done, text() starts
    /// at line `line`, byte `byte` of the input.
    void start_at(std::size_t line, std::size_t byte) noexcept {
        line_base_ = line;
        byte_base_ = byte;
    }
    /// A hint: about `n` more bytes of input will come from where the engine
    /// stands. At the first block of rows, each column is reserved for the
    /// rows that many bytes hold at that block's bytes per row, so that it
    /// is one block from its first row on (ColumnBuilder::reserve_values and
    /// reserve_rows). read_csv gives it the size of the file (or of its half),
    /// read_csv_async the body's Content-Length or the file's size; chunked
    /// reading ignores it.
    void expect_bytes(std::size_t n) noexcept {
        expected_end_ = n > SIZE_MAX - byte_base_ ? SIZE_MAX : byte_base_ + n;
    }
    /// Frees the text and the block index once every row is parsed: an
    /// engine waiting for its columns to be merged (the parallel mode's
    /// second half) then holds, and counts against max_memory, only its columns.
    void release_text() noexcept;
    /// Bytes of input consumed so far (header included).
    std::size_t consumed() const noexcept { return byte_base_; }
    std::size_t line() const noexcept { return line_base_; }

    bool done() const noexcept { return done_; }
    std::size_t rows() const noexcept { return rows_total_; }
    /// Rows in the builders, not yet in a chunk.
    std::size_t pending_rows() const noexcept { return chunk_rows_; }
    /// Complete chunks (chunksize mode); they count in max_memory until taken.
    bool has_ready() const noexcept { return !ready_.empty(); }
    /// The oldest complete chunk (has_ready() must be true).
    Table pop_ready();
    /// The rows not yet in a chunk, as a table; leaves the engine empty.
    Table take_table();
    /// The builders of the rows not yet in a chunk (to merge parallel parts).
    std::vector<ColumnBuilder>& builders() noexcept { return builders_; }
    /// Warnings of on_bad_lines=warn not yet written; write them with flush_warnings().
    void flush_warnings();
    /// Keep warnings until flush_warnings() (parallel parts print in order).
    void hold_warnings() noexcept { hold_warnings_ = true; }
    /// Whether warnings are held (hold_warnings()) and not yet written.
    bool has_warnings() const noexcept { return !warnings_.empty(); }

private:
    std::size_t parse_header(bool final, std::size_t end);
    void mark_parse_dates();
    void setup_columns(std::vector<std::string> header_names);
    void deliver();
    void consume(std::size_t n);
    void consume(std::size_t n, std::size_t newlines);  // newlines: '\n' in text_[0, n)
    std::size_t tokenize_block(std::size_t pos, std::size_t end, bool final, std::size_t lines);
    void hold_incomplete();
    void check_memory(bool recount_builders);
    void count_tokenized(std::size_t n) noexcept;
    void plan_reservation(std::size_t block_start, std::size_t block_end, std::size_t block_rows) noexcept;
    void reserve_planned(bool typed) noexcept;
    void new_builders();
    std::size_t line_at(std::size_t offset);
    bool skipped_line(std::size_t line_index) const;
    // TokenizerHooks
    void bad_row(std::size_t row_start, std::size_t fields) override;
    void open_quote(std::size_t offset, std::size_t field) override;
    void too_many_fields(std::size_t row_start, std::size_t fields) override;
    // LineLocator
    std::size_t line_of_row(std::size_t row) override;

    Config& cfg_;
    std::string encoding_;
    bool validate_;
    Tokenizer tok_;
    aio::table_detail::Buffer text_;
    RowBlock block_;
    std::size_t line_base_ = 1;   // line of text_[0]
    std::size_t byte_base_ = 0;   // input offset of text_[0]
    std::size_t validated_ = 0;   // text_[0, validated_) is valid UTF-8
    std::size_t cached_off_ = 0, cached_line_ = 1;
    // header phase
    std::size_t records_seen_ = 0;  // records (blank ones too) before the header
    std::size_t header_rows_ = 0;   // non-blank, non-skipped records before the header
    // data
    std::vector<ColumnBuilder> builders_;
    std::deque<Table> ready_;
    std::deque<std::size_t> ready_bytes_;  // memory of each chunk in ready_
    std::size_t ready_total_ = 0;
    std::size_t chunk_rows_ = 0;
    std::size_t rows_total_ = 0;
    bool done_ = false;
    bool hold_warnings_ = false;
    std::vector<std::string> warnings_;
    // limits
    std::size_t retry_at_ = 0;         // process(false) waits until text_ is this large
    std::size_t tokenized_ = 0;
    std::size_t builders_bytes_ = 0;   // at the last count
    std::size_t memory_reported_ = 0;  // this engine's part of cfg_.memory_in_use
    // expect_bytes()
    std::size_t expected_end_ = 0;  // input offset the hint reaches; 0: none, or acted on
    std::size_t planned_rows_ = 0;  // rows to reserve for, while the first block is delivered
    std::size_t planned_budget_ = 0;  // most bytes that reservation may take
};

/// An incomplete record shorter than this is tokenized again whenever more
/// text arrives (64 KiB: rows end soon after a block's end, and the chunked
/// readers want each row as soon as it is complete); a longer one only when
/// the text has doubled.
inline constexpr std::size_t kRetryFloor = std::size_t{64} << 10;
/// Most fields tokenized into one RowBlock (4 Mi fields, 32 MiB of index): a
/// block of many short rows under a wide header is tokenized in parts, so
/// that its index never needs rows × columns cells at once.
inline constexpr std::size_t kMaxBlockFields = std::size_t{4} << 20;

/// Bytes given to the tokenizer by every engine of the process so far: tests
/// assert with it that hostile input costs work linear in its size (they
/// declare it themselves: src/ is not on their include path).
std::size_t tokenized_bytes() noexcept;

/// Number of '\n' in p[0, n).
std::size_t count_newlines(const char* p, std::size_t n) noexcept;

}  // namespace aio::csv::detail
