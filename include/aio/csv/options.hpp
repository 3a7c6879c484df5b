// aio/csv/options.hpp — aio::csv::ReadOptions, the parameters of
// pandas.read_csv, made for designated initializers:
//
//     aio::csv::read_csv("data.csv", {.sep = ";", .usecols = {"a", "b"}, .decimal = ","});
//
// Members carry pandas' names and are declared in pandas' order (designated
// initializers must follow it). Text-valued ones are std::string; a one-
// character option given more than one character is an aio::ValueError when
// the parser is built, as in pandas.
#pragma once

#include <aio/table/dtype.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aio::csv {

/// Which row holds the column names (pandas' `header=`): a row number
/// (`.header = 0`), none (`.header = std::nullopt`, pandas' `header=None`:
/// columns are named "0", "1", ...), or, by default, "infer": row 0 unless
/// `names` is given.
class Header {
public:
    /// "infer".
    constexpr Header() noexcept = default;
    /// The row number, counted after `skiprows` and blank lines. Negative
    /// numbers are rejected with aio::ValueError by the parser.
    constexpr Header(int row) noexcept : row_(row), kind_(Kind::row) {}
    /// No header row (pandas' `header=None`).
    constexpr Header(std::nullopt_t) noexcept : kind_(Kind::none) {}

    /// True for the default, "infer": row 0 holds the names unless ReadOptions::names is given.
    constexpr bool is_infer() const noexcept { return kind_ == Kind::infer; }
    /// True for no header row (`header=None`).
    constexpr bool is_none() const noexcept { return kind_ == Kind::none; }
    /// The row number given; meaningful only when neither is_infer() nor is_none().
    constexpr int row() const noexcept { return row_; }

private:
    enum class Kind : unsigned char { infer, row, none };
    int row_ = 0;
    Kind kind_ = Kind::infer;
};

/// A list of columns by name or by position (pandas' `usecols=` and
/// `parse_dates=` lists): `{"a", "c"}` or `{0, 2}`. Empty means "none given".
class ColumnList {
public:
    /// No columns given (the default: all columns, no dates).
    ColumnList() = default;
    /// Columns by name: `{"a", "c"}`.
    ColumnList(std::initializer_list<std::string> names) : names_(names) {}
    /// Columns by name, from a vector.
    ColumnList(std::vector<std::string> names) : names_(std::move(names)) {}
    /// Columns by 0-based position: `{0, 2}`.
    ColumnList(std::initializer_list<std::size_t> positions) : positions_(positions) {}
    /// Columns by 0-based position, from a vector.
    ColumnList(std::vector<std::size_t> positions) : positions_(std::move(positions)) {}

    /// True when no column was given.
    bool empty() const noexcept { return names_.empty() && positions_.empty(); }
    /// True when the columns are given by name (names() holds them), false when by position (or none).
    bool by_name() const noexcept { return !names_.empty(); }
    /// The names given, in the order given; empty when given by position.
    const std::vector<std::string>& names() const noexcept { return names_; }
    /// The 0-based positions given, in the order given; empty when given by name.
    const std::vector<std::size_t>& positions() const noexcept { return positions_; }

private:
    std::vector<std::string> names_;
    std::vector<std::size_t> positions_;
};

/// Rows to skip before parsing (pandas' `skiprows=`): a count of leading lines
/// (`.skiprows = 3`) or a list of 0-based line numbers (`.skiprows = {0, 2}`).
/// Lines are records: a quoted field's line break does not start a new one.
class SkipRows {
public:
    /// No rows skipped (the default).
    SkipRows() = default;
    /// Skip the first `count` lines (`.skiprows = 3`).
    SkipRows(std::size_t count) : count_(count) {}
    /// Skip the first `count` lines; a negative count skips none.
    SkipRows(int count) : count_(count < 0 ? 0 : static_cast<std::size_t>(count)) {}
    /// Skip these 0-based line numbers: `{0, 2}`.
    SkipRows(std::initializer_list<std::size_t> lines) : lines_(lines), is_list_(true) {}
    /// Skip these 0-based line numbers, from a vector.
    SkipRows(std::vector<std::size_t> lines) : lines_(std::move(lines)), is_list_(true) {}

    /// True when lines() lists the lines to skip, false when count() leading lines are skipped.
    bool is_list() const noexcept { return is_list_; }
    /// The number of leading lines to skip; 0 when a list was given.
    std::size_t count() const noexcept { return count_; }
    /// The 0-based line numbers to skip; empty when a count was given.
    const std::vector<std::size_t>& lines() const noexcept { return lines_; }

private:
    std::size_t count_ = 0;
    std::vector<std::size_t> lines_;
    bool is_list_ = false;
};

/// What to do with a row that has more fields than there are columns (pandas'
/// `on_bad_lines=`): raise aio::csv::ParserError, write a warning to stderr
/// and skip it, or skip it silently. Rows with fewer fields are never bad:
/// their missing cells are missing values, as in pandas.
enum class BadLines { error, warn, skip };

/// How far a read_csv_async / read_csv_chunks_async has come, for a
/// progress display (an aio addition; pandas has none). The reader updates
/// it from the loop's thread and from the thread pool that parses, so every
/// field is atomic: read it from any thread, e.g. a task that redraws a
/// progress bar every 200 ms (`aio csv URL` does). The caller owns it; it
/// must outlive the read.
struct ReadProgress {
    /// Bytes of input read so far, as they arrive: a file's bytes, a
    /// response's body as the client hands it over (a Content-Encoding
    /// decoded, a .gz file not yet decompressed).
    std::atomic<std::uint64_t> bytes_read{0};
    /// What bytes_read will reach, when known (a response's Content-Length
    /// without a Content-Encoding), else -1.
    std::atomic<std::int64_t> total_bytes{-1};
    /// Data rows parsed so far (every row once the read has returned).
    std::atomic<std::uint64_t> rows_parsed{0};
};

/// The options of read_csv (pandas.read_csv's parameters, in pandas' order).
struct ReadOptions {
    /// Field separator: one character, several (a literal string, e.g. "::"),
    /// or "\\s+" for runs of spaces and tabs. A multi-character sep other than
    /// "\\s+" is a regular expression in pandas and a literal string here.
    std::string sep = ",";
    /// Row of the column names; see Header.
    Header header{};
    /// Column names to use instead of the header's (pandas' `names=`). With
    /// names and no explicit header, the first row is data.
    std::vector<std::string> names{};
    /// Only these columns (names or positions); the result keeps file order,
    /// as pandas does. Unknown names are an aio::ValueError, positions past
    /// the end an aio::csv::ParserError.
    ColumnList usecols{};
    /// Column name → dtype to convert to instead of inferring (pandas'
    /// `dtype={"a": "int64"}`); names not in the file are ignored.
    std::map<std::string, DType, std::less<>> dtype{};
    /// Skip spaces after the separator.
    bool skipinitialspace = false;
    /// Lines to skip at the start; see SkipRows.
    SkipRows skiprows{};
    /// Read at most this many data rows.
    std::optional<std::size_t> nrows{};
    /// Extra strings that mean "missing", added to pandas' defaults ("", "NA",
    /// "N/A", "NaN", "nan", "null", "NULL", "#N/A", ... ) unless
    /// `keep_default_na` is false.
    std::vector<std::string> na_values{};
    /// Also treat pandas' default strings as missing (pandas' `keep_default_na=`); false: only `na_values`.
    bool keep_default_na = true;
    /// Detect missing values at all; false keeps every field as text or number.
    bool na_filter = true;
    /// Skip empty lines (and lines of only spaces) instead of reading them as
    /// rows of missing values.
    bool skip_blank_lines = true;
    /// Columns to parse as datetime64[ns]. A column where some value is not a
    /// date stays object, as in pandas. Names and positions are the table's
    /// (positions count the columns usecols keeps, in order): a name that is
    /// not a column of the table is an aio::ValueError naming it, a position
    /// past its last column an aio::IndexError.
    ColumnList parse_dates{};
    /// strftime-style format of those dates ("%d/%m/%Y %H:%M"); empty: ISO
    /// 8601 ("2024-01-31", "2024-01-31 12:00:00.5", "2024-01-31T12:00"),
    /// "20240131", and "01/31/2024" (month first, as pandas' default).
    std::string date_format{};
    /// Rows per table of the chunked reader (pandas' `chunksize=`); see
    /// read_csv_chunks and StreamingParser. Ignored by read_csv.
    std::optional<std::size_t> chunksize{};
    /// "infer" (gzip when the path ends in ".gz" or the data starts with the
    /// gzip magic bytes), "gzip", or "none" / "" for none.
    std::string compression = "infer";
    /// Thousands separator inside numbers ("," for "1,234"); empty for none.
    std::string thousands{};
    /// Decimal point of floats.
    std::string decimal = ".";
    /// Quote character; empty to treat quotes as ordinary characters.
    std::string quotechar = "\"";
    /// A doubled quote inside a quoted field is one quote.
    bool doublequote = true;
    /// Character that makes the next one literal; empty for none.
    std::string escapechar{};
    /// Character that starts a comment running to the end of the line; a line
    /// that starts with it is skipped. Empty for none.
    std::string comment{};
    /// "utf-8" (a leading byte-order mark is dropped, as Python's decoder of
    /// read_csv does), "utf-8-sig", or "latin-1" / "iso-8859-1" / "latin1".
    /// Invalid UTF-8 is an aio::UnicodeDecodeError.
    std::string encoding = "utf-8";
    /// See BadLines.
    BadLines on_bad_lines = BadLines::error;
    /// aio's own (pandas has none): threads for a whole input in memory or on
    /// disk; 0 lets aio choose (2 when the input is 16 MiB or more and the
    /// machine has two cores), 1 parses on the calling thread.
    unsigned threads = 0;

    // Limits (aio's own; pandas has none). Input past one of them is an
    // aio::csv::LimitError (a ParserError) that names the option, instead of
    // std::bad_alloc, the OOM killer, or a parse that never ends.

    /// Bytes the parser may hold at once: the text of the rows not yet
    /// parsed, their field index, and the columns built so far (not chunks
    /// already handed out). 0, the default, means default_max_memory(): half
    /// of the memory this process may use (the smaller of physical memory
    /// and the cgroup's memory.max). Half, because a table that needs more
    /// than that leaves no room for the program that uses it, and a typed
    /// error beats a visit from the OOM killer. Checked as each block's
    /// rows are built and as decompressed text is produced. With two threads
    /// (`threads`), the second one's block of text and index (a few MB)
    /// counts too while both parse: a table that one thread fits just under
    /// the limit may need it raised a little for two.
    std::size_t max_memory = 0;
    /// Most columns a header (or first row) may have. 16,384 is Excel's
    /// limit, the widest sheet most CSV producers write; a wider "header" is
    /// more often junk, and every row costs one cell per column however few
    /// fields it has (a header of 100,000 commas makes each 2-byte row
    /// 100,000 cells). Raise it for wider files.
    std::size_t max_columns = 16'384;
    /// Longest record (its bytes, line breaks inside quotes included) the
    /// parser holds while it waits for the record's end: a quote that never
    /// closes, or a line that never ends, fails once this many bytes of it are
    /// in, not at the end of a 500 MB file. 256 MiB: a record is held with an
    /// index and an arena of the same size, so about 1 GiB at the cap; a
    /// record this long is a blob, not a row. Records are measured while they
    /// are incomplete at the end of a block (StreamingParser::kBlockSize), so
    /// one is always caught by the time max_record_bytes + 1 MiB of it are
    /// in. At most 1 GiB (field offsets are 32-bit, with the arena).
    std::size_t max_record_bytes = std::size_t{256} << 20;

    // --- aio additions ---

    /// Where read_csv_async and read_csv_chunks_async report their progress
    /// (see ReadProgress); nullptr: nowhere. Not owned. The synchronous
    /// read_csv ignores it.
    ReadProgress* progress = nullptr;
};

/// The default of ReadOptions::max_memory: half of the smaller of physical
/// memory and the cgroup's memory limit (read once).
std::size_t default_max_memory() noexcept;

}  // namespace aio::csv
