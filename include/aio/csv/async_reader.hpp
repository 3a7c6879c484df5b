// aio/csv/async_reader.hpp — read_csv_async: pandas.read_csv of a remote or
// on-disk source, parsed while the bytes arrive, without blocking the loop.
//
//     aio::http::ClientSession session;
//     aio::Table t = co_await aio::csv::read_csv_async(session, "http://host/data.csv");
//
//     auto resp = co_await session.get(url);
//     aio::csv::ReadOptions first{.nrows = 100};  // named: g++ 12 miscompiles braced
//     aio::Table u = co_await aio::csv::read_csv_async(resp, first);  // temporaries in co_await
//
//     auto f = co_await aio::files::open("big.csv", "rb");
//     aio::Table v = co_await aio::csv::read_csv_async(f);
//
//     aio::csv::ReadOptions by_10k{.chunksize = 10'000};
//     for (auto chunks = aio::csv::read_csv_chunks_async(resp, by_10k);
//          auto chunk = co_await chunks.next();) { ... }
//
// Every form feeds an aio::csv::StreamingParser piece by piece as the piece
// arrives (what readany() gives for a body, reads of 256 KiB for a file): the
// whole text is never held (unless the parser needs it for the table itself).
// The whole-table forms parse each block of about 1 MiB on the loop's
// default thread pool while the loop reads the next (one block at a time, in
// order: the table is the one a single thread would build), so download and
// parsing overlap and the loop stays responsive. The chunked forms, and the
// whole-table forms with `nrows`, parse on the loop's thread between reads
// (each piece a few hundred KiB at most). With `nrows`, reading stops
// as soon as that many rows are in: a response is then released (its
// connection closed, as the rest of the body was not read), a file is left
// where the last read ended.
#pragma once

#include <aio/async_generator.hpp>
#include <aio/csv/options.hpp>
#include <aio/table.hpp>
#include <aio/task.hpp>

#include <string_view>

namespace aio::files {
class File;
}
namespace aio::http {
class ClientResponse;
class ClientSession;
}  // namespace aio::http

namespace aio::csv {

/// Parses the body of `response` as it arrives (aiohttp's `resp.content`,
/// decompressed as the client decompresses it; with compression "infer", a
/// `.gz` URL path, a gzip Content-Type (application/gzip, application/x-gzip)
/// or gzip magic bytes are decompressed as read_csv does). Does not check the status: call
/// `raise_for_status()` first if an error page must not be parsed. The
/// response must outlive the task. Throws the errors of StreamingParser and
/// the client's errors (aio::http::ClientPayloadError for a body cut short).
Task<Table> read_csv_async(http::ClientResponse& response, ReadOptions options);

/// GETs `url` through `session` and parses the body as it arrives. Throws
/// aio::http::ClientResponseError for a status >= 400, the client's
/// connection and timeout errors, and the errors of StreamingParser.
Task<Table> read_csv_async(http::ClientSession& session, std::string_view url, ReadOptions options);

/// As above with a ClientSession of its own (default options), closed at the end.
Task<Table> read_csv_async(std::string_view url, ReadOptions options);

/// Reads the open file `file` from its current position to the end (binary
/// or text mode) and parses it; the compression is inferred from its name as
/// read_csv infers it from a path. The file must outlive the task.
Task<Table> read_csv_async(files::File& file, ReadOptions options);

// The four forms with default options. Overloads rather than only `options =
// {}`: a defaulted class-type argument is a temporary in the caller's co_await
// expression, which g++ 12 destroys twice (docs/differences.md). With these,
// `co_await read_csv_async(session, url)` is safe with every compiler.
Task<Table> read_csv_async(http::ClientResponse& response);
Task<Table> read_csv_async(http::ClientSession& session, std::string_view url);
Task<Table> read_csv_async(std::string_view url);
Task<Table> read_csv_async(files::File& file);

/// The chunked form (pandas' `read_csv(..., chunksize=n)`): tables of
/// `options.chunksize` rows, each yielded as soon as its last row has arrived.
/// Throws aio::ValueError (from the first next()) when chunksize is unset or 0.
/// The response / file must outlive the generator.
AsyncGenerator<Table> read_csv_chunks_async(http::ClientResponse& response, ReadOptions options);
AsyncGenerator<Table> read_csv_chunks_async(files::File& file, ReadOptions options);

}  // namespace aio::csv
