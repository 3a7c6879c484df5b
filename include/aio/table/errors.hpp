// aio/table/errors.hpp — lookup errors of aio::Table, named as Python's.
//
// Python             aio
// LookupError        aio::LookupError   (an aio::Exception)
//  ├ KeyError        aio::KeyError      table["nope"]
//  └ IndexError      aio::IndexError    table.column(99), column.at(n)
#pragma once

#include <aio/exceptions.hpp>

namespace aio {

/// A key or index that is not there (Python's LookupError).
class LookupError : public Exception {
public:
    using Exception::Exception;
};

/// A column name that the table does not have (Python's KeyError, as
/// `df["nope"]` raises).
class KeyError : public LookupError {
public:
    using LookupError::LookupError;
};

/// A position past the end (Python's IndexError, as `df.iloc[:, 99]` raises).
class IndexError : public LookupError {
public:
    using LookupError::LookupError;
};

}  // namespace aio
