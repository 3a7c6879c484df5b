// aio/table.hpp — aio::Table, a typed in-memory table (a pandas DataFrame),
// what aio::csv::read_csv returns.
//
//     aio::Table t = aio::csv::read_csv("airtravel.csv");
//     std::cout << t.head() << '\n';          // prints what print(df.head()) prints
//     double m = t[" \"1958\""].mean();
//     auto ints = t.column(1).values<std::int64_t>();
#pragma once

#include <aio/table/column.hpp>
#include <aio/table/dtype.hpp>
#include <aio/table/errors.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <iosfwd>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aio {

namespace table_detail {
struct TableAccess;
}

/// pandas' display options that `Table::to_string` follows; the defaults are
/// pandas' defaults for a script whose output is not a terminal (80 columns),
/// so that `std::cout << t << '\n'` prints what `print(df)` prints there.
struct DisplayOptions {
    /// More rows than this and only `min_rows` are shown (`display.max_rows`).
    std::size_t max_rows = 60;
    /// Rows shown, half at the head and half at the tail, when truncated (`display.min_rows`).
    std::size_t min_rows = 10;
    /// Columns shown at most; 0 fits the columns to `width` as pandas does in
    /// a terminal (`display.max_columns`).
    std::size_t max_columns = 0;
    /// Line width the columns are fitted to (the terminal's width; pandas falls
    /// back to 80 when the output is not a terminal).
    std::size_t width = 80;
    /// Longer cells are cut to this width with "..." (`display.max_colwidth`).
    std::size_t max_colwidth = 50;
    /// Digits after the decimal point of float cells (`display.precision`).
    /// Negative is an aio::ValueError from to_string(), as pandas refuses it;
    /// past 1,100 prints as 1,100 does (no double has more nonzero decimals).
    int precision = 6;
};

/// A table of named, typed columns of equal length (pandas.DataFrame).
///
/// Tables are values: copying one shares the column storage (columns are
/// immutable), and every operation returns a new table. Rows carry labels
/// like a pandas index: 0..n-1 for a table read from CSV, the original labels
/// after `tail`, `filter`, `sort_values` or `dropna` (shown by `to_string`),
/// and the statistic names for `describe()`.
class Table {
public:
    /// An empty table (no columns, no rows).
    Table() = default;
    /// A table of these columns. Throws aio::ValueError when the lengths differ
    /// or there are not as many names as columns.
    Table(std::vector<std::string> names, std::vector<Column> columns);

    /// Number of rows (pandas' `len(df)`).
    std::size_t num_rows() const noexcept { return rows_; }
    /// Number of columns (pandas' `len(df.columns)`).
    std::size_t num_columns() const noexcept { return columns_.size(); }
    /// Bytes of the columns' storage, the sum of Column::memory_usage()
    /// (pandas' `df.memory_usage(index=False, deep=True).sum()`).
    std::size_t memory_usage() const noexcept;
    /// (rows, columns), pandas' `df.shape`.
    std::pair<std::size_t, std::size_t> shape() const noexcept { return {rows_, columns_.size()}; }
    /// The column names in order (pandas' `list(df.columns)`).
    const std::vector<std::string>& columns() const noexcept { return names_; }
    /// The dtype of each column (pandas' `df.dtypes`).
    std::vector<DType> dtypes() const;

    /// The first column with this name (pandas' `df["col"]`). Throws aio::KeyError.
    const Column& operator[](std::string_view name) const;
    /// Column `i` (pandas' `df.iloc[:, i]`). Throws aio::IndexError.
    const Column& column(std::size_t i) const;
    /// True when a column has this name (pandas' `"col" in df`).
    bool contains(std::string_view name) const noexcept;

    /// The row labels (pandas' `df.index`): an int64 column, or for `describe()`
    /// an object column of statistic names.
    Column index() const;
    /// The same table with labels 0..n-1 (pandas' `reset_index(drop=True)`).
    Table reset_index() const;

    /// The first / last `n` rows (pandas' `head(n)` / `tail(n)`).
    Table head(std::size_t n = 5) const;
    /// The last `n` rows (all of them when there are fewer), keeping their labels.
    Table tail(std::size_t n = 5) const;
    /// These columns, in this order (pandas' `df[["a", "b"]]`). Throws aio::KeyError.
    Table select(const std::vector<std::string>& names) const;
    /// The rows where `mask` is true (pandas' `df[mask]`). Throws
    /// aio::ValueError when the mask's length is not `num_rows()`; a bool
    /// column with missing values counts them as false.
    Table filter(std::span<const bool> mask) const;
    /// The rows where `mask` is true, the mask given as a std::vector<bool>.
    Table filter(const std::vector<bool>& mask) const;
    /// The rows where the bool column `mask` is true, its missing values
    /// counting as false (pandas' `df[mask]` with a boolean Series). Throws
    /// aio::TypeError when `mask` is not bool, aio::ValueError when its length
    /// is not `num_rows()`.
    Table filter(const Column& mask) const;
    /// The rows ordered by these columns (pandas' `sort_values(by, ascending)`):
    /// missing values last, equal keys in their original order (a stable sort;
    /// pandas' default quicksort may order ties differently). Throws aio::KeyError.
    Table sort_values(const std::vector<std::string>& by, bool ascending = true) const;
    /// Sorted by one column (pandas' `sort_values("a")`).
    Table sort_values(const std::string& by, bool ascending = true) const;

    /// A table of bool columns, true where a value is missing (pandas' `isna()`).
    Table isna() const;
    /// Missing values replaced by `value` in every column it fits (pandas'
    /// `fillna(value)`; columns it does not fit keep their gaps).
    Table fillna(const Scalar& value) const;
    /// Rows that have no missing value (pandas' `dropna()`, how="any").
    Table dropna() const;
    /// Every column converted to `dtype`, or the named ones (pandas' `astype`).
    /// Throws aio::ValueError when a value does not convert, aio::KeyError for
    /// an unknown name.
    Table astype(DType dtype) const;
    /// The columns named in `dtypes` converted to their dtype, the others
    /// unchanged (pandas' `astype({"a": "float64"})`); every column of a
    /// repeated name is converted.
    Table astype(const std::map<std::string, DType, std::less<>>& dtypes) const;

    /// Summary statistics of the numeric columns (count, mean, std, min, 25%,
    /// 50%, 75%, max), or when there are none of the object columns (count,
    /// unique, top, freq), as pandas' `describe()`.
    Table describe() const;

    /// The CSV text pandas' `df.to_csv(index=False)` writes: a header line,
    /// "\n" line ends, fields quoted only when they hold the separator, a
    /// quote or a line break, floats as Python's repr, missing as empty.
    std::string to_csv() const;
    /// The text `print(df)` prints (without the final newline), with pandas'
    /// display options `opts`. Throws aio::ValueError for a negative precision.
    std::string to_string(const DisplayOptions& opts = {}) const;

    /// `to_string()`; `os << t << '\n'` prints what Python's `print(df)` prints.
    /// fmt prints the same (fmt::print("{}", t)): this header specializes
    /// fmt::formatter for Table.
    friend std::ostream& operator<<(std::ostream& os, const Table& t);

private:
    Table with_rows(std::span<const std::size_t> positions) const;
    std::vector<std::string> names_;
    std::vector<Column> columns_;
    std::size_t rows_ = 0;
    std::optional<Column> index_;  // absent: range_start_, range_start_ + 1, ...
    std::size_t range_start_ = 0;
    bool integer_labels_ = false;  // names "0", "1", ... stand for pandas' integer labels
    friend struct table_detail::TableAccess;
    friend Table concat(std::span<const Table> tables);
};

/// The tables' rows one after the other (pandas' `pd.concat(tables)`):
/// columns are matched by name, in first-appearance order; a column missing
/// from a table is missing in its rows; dtypes unify as Column::concat; row
/// labels are kept.
Table concat(std::span<const Table> tables);
/// The same for a vector of tables.
Table concat(const std::vector<Table>& tables);

}  // namespace aio

/// \cond
// Kept out of the API reference (it documents aio's names; the fmt namespace is
// excluded): `fmt::print("{}\n", table)` prints what Python's `print(df)` prints.
template <>
struct fmt::formatter<aio::Table> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const aio::Table& t, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(t.to_string(), ctx);
    }
};
/// \endcond
