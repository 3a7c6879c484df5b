// Internal: what the CSV reader sets on a Table besides its columns.
#pragma once

#include <aio/table.hpp>

namespace aio::table_detail {

struct TableAccess {
    /// Row labels start..start+n-1 (a chunk of a chunked read, as pandas numbers them).
    static void set_range_start(Table& t, std::size_t start) noexcept { t.range_start_ = start; }
    static void set_index(Table& t, Column index) { t.index_ = std::move(index); }
    /// The column names are pandas' integer labels 0, 1, ... (header=None):
    /// printed as pandas prints an integer index.
    static void set_integer_labels(Table& t) noexcept { t.integer_labels_ = true; }
};

}  // namespace aio::table_detail
