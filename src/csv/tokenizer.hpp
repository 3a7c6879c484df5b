// Internal: splitting CSV text into records and fields.
//
// Two engines with one result. The bitmask engine handles the common dialect
// (one-byte sep, RFC 4180 quotes): per 64 bytes it builds bitmasks of quotes,
// separators and line breaks with SIMD compares, computes which bytes are
// inside quotes with a prefix XOR of the quote mask, and walks the separators
// and line breaks outside quotes with count-trailing-zeros: no per-byte
// branch. It checks as it goes that quotes sit where RFC 4180 puts them; when
// they do not (a quote inside an unquoted field, text after a closing quote,
// a bare CR) it hands the rest of the block, from the start of that row, to
// the state machine, which implements every option of the dialect byte by
// byte, as pandas' tokenizer does.
//
// The text is never modified: a field that loses characters (doubled quotes,
// escapes) is written to an arena placed after the text in the same buffer,
// so a record cut off at the end of the data can be tokenized again when more
// data arrives. The buffer must have room for the text, kPadding bytes, and an
// arena as large as the text (see arena_capacity).
#pragma once

#include "csv/dialect.hpp"
#include "table/buffer.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace aio::csv::detail {

/// Bytes past the end of the text the bitmask engine may read (and ignore).
inline constexpr std::size_t kPadding = 64;
/// Offsets are 32-bit: the text of one block plus its arena must stay below 4 GiB.
inline constexpr std::size_t kMaxBlockText = std::size_t{1} << 30;
inline constexpr std::size_t kIncomplete = std::numeric_limits<std::size_t>::max();

/// Buffer bytes needed to tokenize text[0, end).
inline std::size_t arena_capacity(std::size_t end) noexcept { return 2 * end + 2 * kPadding; }

/// Clang on x86-64 builds the bitmask engine three times, for the baseline,
/// AVX2 and AVX-512BW, and runs the best the CPU has.
#if defined(__clang__) && defined(__x86_64__)
#define AIO_CSV_ISA_VERSIONS 1
#else
#define AIO_CSV_ISA_VERSIONS 0
#endif

/// The versions of the bitmask engine, in order.
enum class TokenizerIsa : int { baseline = 0, avx2 = 1, avx512 = 2 };
/// The best version this CPU runs (baseline where only one is built).
TokenizerIsa tokenizer_isa_supported() noexcept;
/// The version tokenizers use now: the best supported unless set.
TokenizerIsa tokenizer_isa() noexcept;
/// For tests: the version tokenizers use from now on, in every thread (at
/// most the best supported).
void set_tokenizer_isa(TokenizerIsa isa) noexcept;

/// Rows of one block: `rows` × `ncols` fields, row-major, and where each row starts.
struct RowBlock {
    aio::table_detail::Buffer fields;      // Field[rows * ncols]
    aio::table_detail::Buffer row_starts;  // uint32 offset of each row's first byte
    std::size_t rows = 0;
    std::size_t ncols = 0;

    void clear() noexcept {
        fields.clear();
        row_starts.clear();
        rows = 0;
        capacity_rows = 0;
    }
    /// Room for `more` rows beyond the current ones (the tokenizer reserves
    /// for every line of a block up front, so rows are then written without checks).
    void reserve_rows(std::size_t more) {
        // Rows are written past the buffers' sizes (seal() sets them), and a
        // Buffer that moves keeps only [0, size): first make the sizes cover
        // the rows committed, or a block whose rows outgrow the room reserved
        // up front (rows ended by bare CRs, not in `lines`) loses them.
        fields.resize(rows * ncols * sizeof(Field));
        row_starts.resize(rows * sizeof(std::uint32_t));
        fields.reserve((rows + more) * ncols * sizeof(Field));
        row_starts.reserve((rows + more) * sizeof(std::uint32_t));
        capacity_rows = rows + more;
    }
    Field* begin_row(std::size_t start) {
        if (rows + 1 > capacity_rows) reserve_rows(capacity_rows + 64);
        row_starts.as<std::uint32_t>()[rows] = static_cast<std::uint32_t>(start);
        return fields.as<Field>() + rows * ncols;
    }
    void commit_row() noexcept { ++rows; }
    /// Sets the buffers' sizes to the rows written.
    void seal() {
        fields.resize(rows * ncols * sizeof(Field));
        row_starts.resize(rows * sizeof(std::uint32_t));
    }
    std::size_t capacity_rows = 0;
    const Field* row(std::size_t r) const noexcept { return fields.as<Field>() + r * ncols; }
    std::uint32_t row_start(std::size_t r) const noexcept { return row_starts.as<std::uint32_t>()[r]; }
};

/// What the tokenizer reports upward; both may throw.
class TokenizerHooks {
public:
    /// A row at text offset `row_start` has `fields` > ncols fields: throw
    /// (on_bad_lines=error) or return to drop the row.
    virtual void bad_row(std::size_t row_start, std::size_t fields) = 0;
    /// The quote at `offset`, opening field `field` of its record, never
    /// closes before the end of the input: throw, or return to drop the
    /// record (when it lies past nrows).
    virtual void open_quote(std::size_t offset, std::size_t field) = 0;
    /// The record at `row_start` has more than Tokenizer's field cap
    /// (`fields` so far, or in all): must throw.
    virtual void too_many_fields(std::size_t row_start, std::size_t fields) = 0;

protected:
    ~TokenizerHooks() = default;
};

class Tokenizer {
public:
    /// `max_fields`: records with more fields are given to
    /// hooks.too_many_fields (which throws) before their fields are stored.
    Tokenizer(const Dialect& dialect, std::size_t max_fields) : d_(dialect), max_fields_(max_fields) {}

    /// Tokenizes the complete records of text[begin, end) into `out` (rows of
    /// out.ncols fields; short rows padded with absent fields, long rows given
    /// to hooks.bad_row) and returns the offset just past the last one. With
    /// `final`, `end` is the end of the input: everything is consumed.
    /// `text` needs arena_capacity(end) bytes.
    /// `lines` (the number of '\n' in the text, or an estimate) sizes `out`.
    /// `arena` is where changed fields are written: 0 for end + kPadding; a
    /// caller tokenizing text[begin, end) as a part of text[0, whole) passes
    /// whole + kPadding (and gives text arena_capacity(whole) bytes).
    /// It stops early, at a record's start, once `out` has `max_rows` rows
    /// (rows ended by a bare CR are not in `lines`).
    std::size_t tokenize(char* text, std::size_t begin, std::size_t end, bool final, RowBlock& out,
                         TokenizerHooks& hooks, std::size_t lines, std::size_t arena = 0,
                         std::size_t max_rows = std::numeric_limits<std::size_t>::max());

    /// Tokenizes one record at `begin` into `fields` and returns the offset past
    /// it, or kIncomplete when the text ends first and !final. `blank` is set
    /// for a line that is skipped (empty, spaces only or a comment line, as
    /// skip_blank_lines says); then `fields` is empty. `arena` is the offset
    /// where changed fields are written (advanced).
    std::size_t record(char* text, std::size_t begin, std::size_t end, bool final, std::vector<Field>& fields,
                       bool& blank, std::size_t& arena, TokenizerHooks& hooks) const;

private:
    std::size_t tokenize_fast(char* text, std::size_t begin, std::size_t end, RowBlock& out, TokenizerHooks& hooks,
                              bool& bailed) const;
    std::size_t tokenize_general(char* text, std::size_t begin, std::size_t end, bool final, RowBlock& out,
                                 TokenizerHooks& hooks, std::size_t arena, std::size_t max_rows) const;
    const Dialect& d_;
    std::size_t max_fields_;
    std::vector<Field> scratch_;
};

}  // namespace aio::csv::detail
