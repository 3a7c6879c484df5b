// Internal: StreamingParser's implementation, also driven directly by the
// readers (which append file bytes into the engine without a copy).
#pragma once

#include "csv/decoder.hpp"
#include "csv/engine.hpp"

#include <aio/csv/parser.hpp>

#include <memory>
#include <optional>
#include <string_view>

namespace aio::csv::detail {

class ParserImpl {
public:
    ParserImpl(ReadOptions options, std::string_view path_hint);

    void feed(std::string_view bytes);
    /// Room for `n` raw bytes at the end of the engine's text, when the
    /// decoder passes bytes through unchanged; nullptr otherwise.
    char* raw_space(std::size_t n);
    /// `n` bytes were written to raw_space().
    void raw_commit(std::size_t n);
    void finish();
    bool done() const noexcept { return engine_.done(); }
    std::optional<Table> next_chunk();
    /// A chunk already complete, without parsing more (nullopt if none).
    std::optional<Table> ready_chunk() {
        if (!engine_.has_ready()) return std::nullopt;
        return engine_.pop_ready();
    }
    Table table();

    Config& config() noexcept { return *config_; }
    Engine& engine() noexcept { return engine_; }
    Decoder& decoder() noexcept { return decoder_; }

private:
    void maybe_process();
    std::unique_ptr<Config> config_;
    Decoder decoder_;
    Engine engine_;
    bool finished_ = false;
    bool table_taken_ = false;
};

}  // namespace aio::csv::detail
