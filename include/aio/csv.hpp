// aio/csv.hpp — CSV into a typed table (pandas.read_csv): everything of the area.
//
//   <aio/csv/options.hpp>  ReadOptions, Header, ColumnList, SkipRows, BadLines
//   <aio/csv/errors.hpp>   ParserError, EmptyDataError, ConversionError
//   <aio/csv/parser.hpp>   StreamingParser (feed bytes, take tables)
//   <aio/csv/reader.hpp>   read_csv, read_csv_string, TextFileReader, read_csv_chunks
//   <aio/csv/async_reader.hpp> read_csv_async, read_csv_chunks_async (a response body, an aio::files::File)
//   <aio/table.hpp>        aio::Table, aio::Column, aio::DType
#pragma once

#include <aio/csv/async_reader.hpp>
#include <aio/csv/errors.hpp>
#include <aio/csv/options.hpp>
#include <aio/csv/parser.hpp>
#include <aio/csv/reader.hpp>
#include <aio/table.hpp>
