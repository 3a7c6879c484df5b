// read_csv / read_csv_chunks over a file, a string or a stream: options in, Table out.
#include "csv/parser_impl.hpp"

#include <aio/csv/errors.hpp>
#include <aio/exceptions.hpp>

namespace aio::csv {

namespace detail {

ParserImpl::ParserImpl(ReadOptions options, std::string_view path_hint)
    : config_(std::make_unique<Config>(std::move(options))),
      decoder_(config_->options, path_hint),
      engine_(*config_, decoder_.encoding(), decoder_.validate_utf8()) {}

void ParserImpl::maybe_process() {
    if (engine_.text().size() >= StreamingParser::kBlockSize) engine_.process(false);
}

void ParserImpl::feed(std::string_view bytes) {
    if (finished_) throw InvalidStateError("feed() after finish()");
    if (engine_.done()) return;
    // Large pieces are decoded a block at a time so that the text held stays
    // near one block.
    while (!bytes.empty()) {
        const std::size_t n = bytes.size() < StreamingParser::kBlockSize ? bytes.size() : StreamingParser::kBlockSize;
        bytes.remove_prefix(decoder_.decode(bytes.substr(0, n), engine_.text()));
        maybe_process();
        if (engine_.done()) return;
    }
}

char* ParserImpl::raw_space(std::size_t n) {
    if (finished_ || !decoder_.passthrough()) return nullptr;
    auto& text = engine_.text();
    const std::size_t old = text.size();
    text.reserve(old + n + kPadding);
    return reinterpret_cast<char*>(text.data()) + old;
}

void ParserImpl::raw_commit(std::size_t n) {
    auto& text = engine_.text();
    text.resize(text.size() + n);
    decoder_.note_passthrough(n);
    if (!engine_.done()) maybe_process();
}

void ParserImpl::finish() {
    if (finished_) return;
    finished_ = true;
    if (engine_.done()) return;
    try {
        decoder_.finish(engine_.text());
    } catch (const ParserError& e) {
        const std::size_t line = engine_.line() + count_newlines(reinterpret_cast<const char*>(engine_.text().data()),
                                                                 engine_.text().size());
        throw ParserError(std::string(e.what()) + " (after line " + std::to_string(line) + ")", line);
    }
    engine_.process(true);
}

std::optional<Table> ParserImpl::next_chunk() {
    // Parse the complete rows that have arrived, so that a chunk is ready as
    // soon as its rows are (not only once a whole block is in).
    if (!engine_.has_ready() && !finished_ && config_->options.chunksize && !engine_.text().empty() &&
        !engine_.done())
        engine_.process(false);
    if (engine_.has_ready()) return engine_.pop_ready();
    if (!finished_ || table_taken_) return std::nullopt;
    table_taken_ = true;
    // The rest: the last, shorter chunk (none when the chunks came out even,
    // one empty table when there were no rows at all, as pandas); without
    // chunksize, the whole table.
    if (config_->options.chunksize && engine_.pending_rows() == 0 && engine_.rows() != 0) return std::nullopt;
    return engine_.take_table();
}

Table ParserImpl::table() {
    if (!finished_) throw InvalidStateError("table() before finish()");
    std::vector<Table> parts;
    while (auto t = next_chunk()) parts.push_back(std::move(*t));
    if (parts.empty()) return engine_.take_table();
    if (parts.size() == 1) return std::move(parts.front());
    return concat(parts);
}

}  // namespace detail

StreamingParser::StreamingParser(ReadOptions options)
    : impl_(std::make_unique<detail::ParserImpl>(std::move(options), std::string_view{})) {}
StreamingParser::~StreamingParser() = default;
StreamingParser::StreamingParser(StreamingParser&&) noexcept = default;
StreamingParser& StreamingParser::operator=(StreamingParser&&) noexcept = default;

void StreamingParser::feed(std::string_view bytes) { impl_->feed(bytes); }
void StreamingParser::finish() { impl_->finish(); }
bool StreamingParser::done() const noexcept { return impl_->done(); }
std::optional<Table> StreamingParser::next_chunk() { return impl_->next_chunk(); }
Table StreamingParser::table() { return impl_->table(); }
const std::vector<std::string>& StreamingParser::columns() const noexcept { return impl_->config().columns; }
std::size_t StreamingParser::rows() const noexcept { return impl_->engine().rows(); }

}  // namespace aio::csv
