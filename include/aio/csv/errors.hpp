// aio/csv/errors.hpp — the errors of aio::csv, named as pandas names them.
//
// pandas                            aio
// pandas.errors.ParserError         aio::csv::ParserError      (an aio::ValueError)
// pandas.errors.EmptyDataError      aio::csv::EmptyDataError   (an aio::ValueError)
// ValueError of a dtype conversion  aio::csv::ConversionError  (an aio::ValueError)
//
// Besides these, read_csv throws aio::UnicodeDecodeError for bytes that are
// not valid in the encoding, aio::ValueError for inconsistent options, and
// the aio::OSError family (FileNotFoundError, ...) for files it cannot read.
// Every error about the data names the line (1-based, counting the file's
// physical lines) and, where there is one, the column.
#pragma once

#include <aio/exceptions.hpp>

#include <cstddef>
#include <string>

namespace aio::csv {

/// The text is not valid CSV for the options: a row with too many fields, a
/// quote that never closes, a truncated gzip stream (pandas.errors.ParserError).
class ParserError : public ValueError {
public:
    /// `line` is 1-based (0 when unknown); `column` is a name or empty.
    ParserError(const std::string& message, std::size_t line, std::string column = {})
        : ValueError(message), line_(line), column_(std::move(column)) {}
    /// The 1-based physical line of the input where the error is, or 0 when
    /// unknown (e.g. a corrupt gzip stream).
    std::size_t line() const noexcept { return line_; }
    /// The name of the column concerned, or empty when the error is not about one column.
    const std::string& column() const noexcept { return column_; }

private:
    std::size_t line_;
    std::string column_;
};

/// The input goes past one of ReadOptions' limits (max_memory, max_columns,
/// max_record_bytes): "a record longer than 268435456 bytes
/// (ReadOptions::max_record_bytes) starting at line 1; raise max_record_bytes
/// to read it". aio's own: pandas has no limits.
class LimitError : public ParserError {
public:
    /// `limit` names the option ("max_memory").
    LimitError(const std::string& message, std::size_t line, std::string limit)
        : ParserError(message, line), limit_(std::move(limit)) {}
    /// The option that was exceeded, as ReadOptions names it.
    const std::string& limit() const noexcept { return limit_; }

private:
    std::string limit_;
};

/// There is nothing to parse: no header and no data ("No columns to parse
/// from file", pandas.errors.EmptyDataError).
class EmptyDataError : public ValueError {
public:
    using ValueError::ValueError;
};

/// A value that does not convert to the dtype asked for in `dtype=`: "could
/// not convert 'abc' to int64 at line 17, column 'a'".
class ConversionError : public ValueError {
public:
    /// `message` is the full text ("could not convert ... at line 17, column 'a'"); `line` is the 1-based
    /// physical line of the value; `column` the name of its column.
    ConversionError(const std::string& message, std::size_t line, std::string column)
        : ValueError(message), line_(line), column_(std::move(column)) {}
    /// The 1-based physical line of the value that did not convert.
    std::size_t line() const noexcept { return line_; }
    /// The name of the column whose dtype the value did not convert to.
    const std::string& column() const noexcept { return column_; }

private:
    std::size_t line_;
    std::string column_;
};

}  // namespace aio::csv
