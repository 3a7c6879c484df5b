// read_csv_async: the StreamingParser fed from a response body or an open
// file as the pieces arrive. The whole-table forms without nrows parse each
// block on the loop's default thread pool while the loop reads the next (see
// parse_all); the nrows and chunked forms parse on the loop's thread between
// reads.
//
// The parser is detail::ParserImpl rather than the public StreamingParser so
// that the compression can be inferred from a name as read_csv does from a
// path: the URL's path ("/data.csv.gz") or the file's name. A gzip
// Content-Type (application/gzip, application/x-gzip) counts as a ".gz" name;
// gzip magic bytes are recognised by the parser whatever the name.
#include "csv/parser_impl.hpp"
#include "files/file_state.hpp"

#include <aio/csv/async_reader.hpp>
#include <aio/exceptions.hpp>
#include <aio/files/file.hpp>
#include <aio/http/client/response.hpp>
#include <aio/http/client/session.hpp>
#include <aio/threads.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aio::csv {

namespace {

/// Bytes asked of a file per read (256 KiB: large enough that the per-read
/// cost of the loop is small, small enough that parsing one piece never
/// holds the loop for long).
constexpr std::int64_t kFileReadSize = std::int64_t{256} << 10;

/// The name the compression is inferred from, for a response.
std::string name_of(const http::ClientResponse& response) {
    const std::string type = response.content_type();
    if (type == "application/gzip" || type == "application/x-gzip") return "response.gz";
    return response.url().path();
}

/// Feeds pieces to a parser. With `nrows`, the parser would parse only once a
/// block is full, and `done()` would turn true late: a reader that stops at
/// nrows would wait for bytes it does not need (a slow or endless body). So
/// once the text held has as many line breaks as rows are still wanted (a
/// line break inside quotes only makes this early, never late), the complete
/// rows are parsed at once.
class Feeder {
public:
    explicit Feeder(detail::ParserImpl& parser) : parser_(parser) {}

    void feed(std::string_view piece) {
        parser_.feed(piece);
        const auto& nrows = parser_.config().options.nrows;
        if (!nrows || parser_.done()) return;
        auto& engine = parser_.engine();
        auto& text = engine.text();
        if (engine.consumed() != consumed_ || text.size() < scanned_) {  // parsed since: count again
            consumed_ = engine.consumed();
            scanned_ = 0;
            lines_ = 0;
        }
        lines_ += detail::count_newlines(reinterpret_cast<const char*>(text.data()) + scanned_, text.size() - scanned_);
        scanned_ = text.size();
        if (text.size() != 0 && lines_ >= *nrows - engine.rows()) engine.process(false);
    }

private:
    detail::ParserImpl& parser_;
    std::size_t consumed_ = 0;
    std::size_t scanned_ = 0;
    std::size_t lines_ = 0;
};

/// A parser and its feeder, shared with the pool's threads: a call abandoned
/// by a cancelled task finishes on a parser that is still alive.
struct State {
    State(ReadOptions options, std::string_view name) : parser(std::move(options), name), feeder(parser) {}
    detail::ParserImpl parser;
    Feeder feeder;
};

/// Bytes gathered before they are handed to the pool (a parser block: one
/// thread hop per block).
constexpr std::size_t kHandOff = StreamingParser::kBlockSize;
/// Bytes gathered while the pool still parses the last batch before reading
/// waits for it (the memory a fast source can take ahead of the parser).
/// Two batches: bytes parsed soon after they are read are still in the
/// cache, and a loop that reads far ahead takes the core from the parser
/// (R9, 107 MB from nginx, ten interleaved runs: 0.288 s with eight
/// batches, 0.251 with two, 0.247 with one; client pinned to one core,
/// 0.314 / 0.305 / 0.308).
constexpr std::size_t kMaxAhead = 2 * kHandOff;

/// Pieces as read, handed to the parser as they are: the parser copies bytes
/// into its own text as it decodes them, so gathering them into one string
/// first would copy the whole input once more.
struct Batch {
    std::vector<std::string> pieces;
    std::size_t bytes = 0;

    void add(std::string piece) {
        bytes += piece.size();
        pieces.push_back(std::move(piece));
    }
};

/// The body's size, when the response says it and the client hands the body
/// over as sent (a Content-Encoding is decoded: its length says nothing of
/// the bytes read).
std::optional<std::uint64_t> body_size(const http::ClientResponse& response) {
    if (!response.content_length()) return std::nullopt;
    auto coding = response.headers().get("Content-Encoding");
    if (coding && *coding != "identity") return std::nullopt;
    return static_cast<std::uint64_t>(*response.content_length());
}

void report_size(ReadProgress* p, const http::ClientResponse& response) {
    const std::optional<std::uint64_t> size = body_size(response);
    if (p == nullptr || !size) return;
    p->total_bytes.store(static_cast<std::int64_t>(*size), std::memory_order_relaxed);
}

/// Counts what was read into the caller's ReadProgress, if any.
void count_read(ReadProgress* p, std::size_t bytes) noexcept {
    if (p != nullptr) p->bytes_read.fetch_add(bytes, std::memory_order_relaxed);
}

/// Reports the rows parsed so far to the caller's ReadProgress, if any.
void count_rows(ReadProgress* p, std::size_t rows) noexcept {
    if (p != nullptr) p->rows_parsed.store(rows, std::memory_order_relaxed);
}

void feed_all(State& state, const std::vector<std::string>& pieces) {
    for (const std::string& piece : pieces) state.feeder.feed(piece);
    count_rows(state.parser.config().options.progress, state.parser.engine().rows());
}

/// Reads pieces with `read()` ("" at the end) into the parser and returns the
/// whole table.
///
/// Without nrows the whole input is needed, so reading and parsing overlap:
/// each batch of about kHandOff bytes is parsed on the loop's default thread
/// pool while the loop reads the next (one batch at a time, in order: the
/// result is that of one thread). With nrows, the pieces are parsed on the
/// loop's thread as they arrive, so that reading stops as soon as the rows
/// are in (a read in flight could wait for bytes that will never come).
template <class Read>
Task<Table> parse_all(std::shared_ptr<State> state, Read read) {
    // Every error is caught and thrown again at the end, once nothing is in
    // flight on the pool (and so that no exception leaves the coroutine from
    // the middle of its body: g++ 12 mishandles some of those unwinds). The
    // locals are frame-level for the same reason: g++ 12 mishandles locals of
    // an inner scope that an exception leaves.
    std::optional<Table> table;
    std::exception_ptr error;
    std::optional<Task<>> parsing;  // the batch on the pool, if any
    Batch batch;
    std::string piece;
    ReadProgress* progress = state->parser.config().options.progress;
    try {
        if (state->parser.config().options.nrows) {
            while (!state->parser.done()) {
                piece = co_await read();
                if (piece.empty()) break;
                count_read(progress, piece.size());
                state->feeder.feed(piece);
                count_rows(progress, state->parser.engine().rows());
            }
            state->parser.finish();
            table.emplace(state->parser.table());
        } else {
            while (true) {
                piece = co_await read();
                if (piece.empty()) break;
                count_read(progress, piece.size());
                batch.add(std::move(piece));
                if (parsing && parsing->done()) {
                    co_await std::move(*parsing);  // done: at once (rethrows the parser's error)
                    parsing.reset();
                }
                if (batch.bytes < kHandOff) continue;
                if (parsing) {
                    if (batch.bytes < kMaxAhead) continue;
                    co_await std::move(*parsing);
                    parsing.reset();
                }
                auto parse_batch = [state](std::vector<std::string> pieces) { feed_all(*state, pieces); };
                parsing.emplace(create_task(to_thread(std::move(parse_batch), std::move(batch.pieces))));
                batch = {};
            }
            if (parsing) {
                co_await std::move(*parsing);
                parsing.reset();
            }
            // The rest and the end (on the pool when it is large). Named, not
            // a temporary of the co_await expression (g++ 12 destroys those
            // wrongly when the awaited call throws).
            auto last = [state, pieces = std::move(batch.pieces)] {
                feed_all(*state, pieces);
                state->parser.finish();
                return state->parser.table();
            };
            if (batch.bytes < kHandOff) {
                table.emplace(last());
            } else {
                Task<Table> finishing = to_thread(std::move(last));
                Table t = co_await std::move(finishing);
                table.emplace(std::move(t));
            }
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (parsing) {  // let the batch in flight finish before the error goes up
        try {
            co_await std::move(*parsing);
        } catch (...) {
        }
        parsing.reset();
    }
    if (error) std::rethrow_exception(error);
    count_rows(progress, table->num_rows());
    co_return std::move(*table);
}

/// Bytes fed between looks for a finished chunk (1 KiB: gzip inflates at
/// most about 1000:1, so a piece adds at most about a block of text, and its
/// chunks, before they are handed out).
constexpr std::size_t kChunkFeed = std::size_t{1} << 10;

/// The chunked forms: tables of chunksize rows from pieces read with `read()`
/// ("" at the end), parsed on the loop's thread so that each chunk is out as
/// soon as its last row has arrived. `on_done` runs when nrows was reached
/// before the end (the rest is not needed).
template <class Read, class OnDone>
AsyncGenerator<Table> chunks(ReadOptions options, std::string name, Read read, OnDone on_done) {
    if (!options.chunksize || *options.chunksize == 0)
        throw ValueError("read_csv_chunks_async needs a positive chunksize");
    ReadProgress* progress = options.progress;
    detail::ParserImpl parser(std::move(options), name);
    Feeder feeder(parser);
    while (true) {
        while (std::optional<Table> chunk = parser.next_chunk()) {
            count_rows(progress, parser.engine().rows());
            co_yield std::move(*chunk);
        }
        if (parser.done()) {
            on_done();
            break;
        }
        std::string piece = co_await read();
        if (piece.empty()) break;
        count_read(progress, piece.size());
        // A part at a time, handing out chunks in between: a piece of gzip
        // may inflate to many chunks (see kChunkFeed).
        for (std::size_t at = 0; at < piece.size() && !parser.done(); at += kChunkFeed) {
            feeder.feed(std::string_view(piece).substr(at, kChunkFeed));
            if (at + kChunkFeed >= piece.size()) break;  // the outer loop hands these out
            while (std::optional<Table> chunk = parser.ready_chunk()) {
                count_rows(progress, parser.engine().rows());
                co_yield std::move(*chunk);
            }
        }
    }
    parser.finish();
    count_rows(progress, parser.engine().rows());
    while (std::optional<Table> chunk = parser.next_chunk()) co_yield std::move(*chunk);
}

}  // namespace

Task<Table> read_csv_async(http::ClientResponse& response, ReadOptions options) {
    options.chunksize.reset();  // one table
    report_size(options.progress, response);
    auto state = std::make_shared<State>(std::move(options), name_of(response));
    // The columns are reserved for the rows the body holds (engine.hpp).
    if (const std::optional<std::uint64_t> size = body_size(response))
        state->parser.engine().expect_bytes(static_cast<std::size_t>(*size));
    auto& content = response.content();
    auto read = [&content] { return content.readany(); };
    Table table = co_await parse_all(state, read);
    // nrows reached before the end: the rest is not needed (release() closes
    // a connection whose body was not read to its end).
    if (state->parser.done()) response.release();
    co_return table;
}

Task<Table> read_csv_async(http::ClientSession& session, std::string_view url, ReadOptions options) {
    std::string target(url);
    http::ClientResponse response = co_await session.get(std::move(target));
    response.raise_for_status();
    Table table = co_await read_csv_async(response, std::move(options));
    response.release();
    co_return table;
}

Task<Table> read_csv_async(std::string_view url, ReadOptions options) {
    std::string target(url);
    http::ClientSession session;
    std::optional<Table> table;
    std::exception_ptr error;
    try {
        table.emplace(co_await read_csv_async(session, target, std::move(options)));
    } catch (...) {
        error = std::current_exception();
    }
    co_await session.close();
    if (error) std::rethrow_exception(error);
    co_return std::move(*table);
}

Task<Table> read_csv_async(files::File& file, ReadOptions options) {
    options.chunksize.reset();
    auto state = std::make_shared<State>(std::move(options), file.name());
    // The columns are reserved for the rows the rest of the file holds
    // (engine.hpp): its size when opened, less what was read before.
    if (const files::impl::FileState* st = file.state(); st != nullptr && st->regular) {
        const std::int64_t left = st->size_at_open - st->logical();
        if (left > 0) state->parser.engine().expect_bytes(static_cast<std::size_t>(left));
    }
    auto read = [&file] { return file.read(kFileReadSize); };
    Table table = co_await parse_all(state, read);
    co_return table;
}

Task<Table> read_csv_async(http::ClientResponse& response) { return read_csv_async(response, ReadOptions{}); }
Task<Table> read_csv_async(http::ClientSession& session, std::string_view url) {
    return read_csv_async(session, url, ReadOptions{});
}
Task<Table> read_csv_async(std::string_view url) { return read_csv_async(url, ReadOptions{}); }
Task<Table> read_csv_async(files::File& file) { return read_csv_async(file, ReadOptions{}); }

AsyncGenerator<Table> read_csv_chunks_async(http::ClientResponse& response, ReadOptions options) {
    report_size(options.progress, response);
    auto& content = response.content();
    return chunks(
        std::move(options), name_of(response), [&content] { return content.readany(); },
        [&response] { response.release(); });
}

AsyncGenerator<Table> read_csv_chunks_async(files::File& file, ReadOptions options) {
    return chunks(
        std::move(options), file.name(), [&file] { return file.read(kFileReadSize); }, [] {});
}

}  // namespace aio::csv
