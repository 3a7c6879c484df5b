#include "csv/engine.hpp"

#include "csv/decoder.hpp"
#include "table/table_access.hpp"

#include <aio/csv/errors.hpp>
#include <aio/exceptions.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aio::csv::detail {

std::size_t count_newlines(const char* p, std::size_t n) noexcept {
    std::size_t count = 0;
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        count += static_cast<std::size_t>(
            __builtin_popcount(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, nl)))));
    }
#endif
    for (; i < n; ++i) count += p[i] == '\n';
    return count;
}

Config::Config(ReadOptions o) : options(std::move(o)), dialect(make_dialect(options)) {
    settings.na = NaSet(options);
    settings.decimal = dialect.decimal;
    settings.thousands = dialect.thousands;
    settings.date_format = options.date_format;
    if (options.skiprows.is_list()) {
        skip_lines = options.skiprows.lines();
        std::sort(skip_lines.begin(), skip_lines.end());
    }
    if (options.header.row() < 0 && !options.header.is_none() && !options.header.is_infer())
        throw ValueError("header must be a non-negative row number");
    if (options.chunksize && *options.chunksize == 0) throw ValueError("chunksize must be a positive integer");
    std::set<std::string> seen;
    for (const auto& n : options.names)
        if (!seen.insert(n).second) throw ValueError("Duplicate names are not allowed.");
}

Engine::Engine(Config& config, std::string encoding, bool validate)
    : cfg_(config), encoding_(std::move(encoding)), validate_(validate), tok_(config.dialect) {
    if (cfg_.header_done) new_builders();  // a worker starting after the header
}

bool Engine::skipped_line(std::size_t line_index) const {
    return !cfg_.skip_lines.empty() && std::binary_search(cfg_.skip_lines.begin(), cfg_.skip_lines.end(), line_index);
}

std::size_t Engine::line_at(std::size_t offset) {
    if (offset < cached_off_) {
        cached_off_ = 0;
        cached_line_ = line_base_;
    }
    cached_line_ += count_newlines(reinterpret_cast<const char*>(text_.data()) + cached_off_, offset - cached_off_);
    cached_off_ = offset;
    return cached_line_;
}

void Engine::consume(std::size_t n) { consume(n, count_newlines(reinterpret_cast<const char*>(text_.data()), n)); }

void Engine::consume(std::size_t n, std::size_t newlines) {
    const std::size_t size = text_.size();
    line_base_ += newlines;
    byte_base_ += n;
    if (n < size) std::memmove(text_.data(), text_.data() + n, size - n);
    text_.resize(size - n);
    validated_ = validated_ > n ? validated_ - n : 0;
    cached_off_ = 0;
    cached_line_ = line_base_;
}

void Engine::process(bool final) {
    const std::size_t end = text_.size();
    if (end > kMaxBlockText)
        throw ParserError("a row longer than 1 GiB at line " + std::to_string(line_base_), line_base_);
    text_.reserve(arena_capacity(end));
    cached_off_ = 0;
    cached_line_ = line_base_;
    if (validate_ && validated_ < end) {
        const char* reason = nullptr;
        const char* t = reinterpret_cast<const char*>(text_.data());
        const std::size_t ok = validated_ + validate_utf8(t + validated_, end - validated_, !final, reason);
        if (reason != nullptr) {
            const std::size_t line = line_at(ok);
            throw UnicodeDecodeError(encoding_, byte_base_ + ok,
                                     std::string(reason) + " (line " + std::to_string(line) + ")");
        }
        validated_ = ok;
    }
    std::size_t pos = 0;
    if (!cfg_.header_done) {
        pos = parse_header(final, end);
        if (!cfg_.header_done) {
            if (final) throw EmptyDataError("No columns to parse from file");
            consume(pos);
            return;
        }
    }
    if (done_) {
        consume(end);
        return;
    }
    block_.clear();
    block_.ncols = cfg_.ncols;
    const char* t = reinterpret_cast<const char*>(text_.data());
    const std::size_t lines = count_newlines(t + pos, end - pos);
    const std::size_t used = tok_.tokenize(reinterpret_cast<char*>(text_.data()), pos, end, final, block_, *this, lines);
    deliver();
    flush_warnings();
    if (done_ || used == end) {
        consume(end, count_newlines(t, pos) + lines);
    } else {
        consume(used, count_newlines(t, pos) + lines - count_newlines(t + used, end - used));
    }
}

std::size_t Engine::parse_header(bool final, std::size_t end) {
    const ReadOptions& o = cfg_.options;
    std::vector<Field> fields;
    std::size_t pos = 0;
    std::size_t arena = end + kPadding;
    // The row of the names: a number, or none.
    const bool no_header = o.header.is_none() || (o.header.is_infer() && !o.names.empty());
    const std::size_t header_row = no_header ? 0 : static_cast<std::size_t>(o.header.row());
    char* t = reinterpret_cast<char*>(text_.data());
    while (pos < end) {
        bool blank = false;
        const std::size_t next = tok_.record(t, pos, end, final, fields, blank, arena, *this);
        if (next == kIncomplete) return pos;
        const std::size_t line_index = line_at(pos) - 1;
        const bool skip = (!o.skiprows.is_list() && records_seen_ < o.skiprows.count()) || skipped_line(line_index);
        ++records_seen_;
        if (skip || blank) {
            pos = next;
            continue;
        }
        if (no_header) {
            std::vector<std::string> names;
            if (o.names.empty()) {
                for (std::size_t i = 0; i < fields.size(); ++i) names.push_back(std::to_string(i));
                cfg_.integer_labels = true;
            }
            cfg_.ncols = o.names.empty() ? fields.size() : o.names.size();
            setup_columns(std::move(names));
            return pos;  // this record is data
        }
        if (header_rows_ < header_row) {
            ++header_rows_;
            pos = next;
            continue;
        }
        std::vector<std::string> names;
        for (const Field& f : fields) names.emplace_back(t + f.offset, f.length);
        cfg_.ncols = o.names.empty() ? fields.size() : o.names.size();
        setup_columns(std::move(names));
        return next;
    }
    return pos;
}

void Engine::setup_columns(std::vector<std::string> header) {
    const ReadOptions& o = cfg_.options;
    std::vector<std::string> names;
    if (!o.names.empty()) {
        names = o.names;
    } else {
        // pandas' naming: "Unnamed: i" for empty names, then duplicates get
        // ".1", ".2", ... (names that are not duplicated are taken first).
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i].empty()) header[i] = "Unnamed: " + std::to_string(i);
        std::map<std::string, std::size_t> total;
        for (const auto& n : header) ++total[n];
        std::set<std::string> used;
        for (std::size_t i = 0; i < header.size(); ++i)
            if (total[header[i]] == 1) used.insert(header[i]);
        std::map<std::string, std::size_t> next;  // suffix to try next
        names.resize(header.size());
        for (std::size_t i = 0; i < header.size(); ++i) {
            const std::string& base = header[i];
            if (total[base] == 1) {
                names[i] = base;
                continue;
            }
            std::string name = base;
            if (used.count(base) != 0) {
                std::size_t& j = next.try_emplace(base, 1).first->second;
                do name = base + "." + std::to_string(j++);
                while (used.count(name) != 0);
            }
            used.insert(name);
            names[i] = name;
        }
    }
    // usecols → the source positions kept, in file order.
    std::vector<bool> keep(cfg_.ncols, o.usecols.empty());
    if (o.usecols.by_name()) {
        std::vector<std::string> missing;
        for (const auto& want : o.usecols.names()) {
            auto it = std::find(names.begin(), names.end(), want);
            if (it == names.end())
                missing.push_back("'" + want + "'");
            else
                keep[static_cast<std::size_t>(it - names.begin())] = true;
        }
        if (!missing.empty()) {
            std::string list;
            for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
            throw ValueError("Usecols do not match columns, columns expected but not found: [" + list + "]");
        }
    } else {
        for (std::size_t p : o.usecols.positions()) {
            if (p >= cfg_.ncols)
                throw ParserError("Defining usecols with out of bounds indices is not allowed. [" +
                                      std::to_string(p) + "]",
                                  line_base_);
            keep[p] = true;
        }
    }
    auto in_list = [&](const ColumnList& list, std::size_t pos, const std::string& name) {
        if (list.by_name()) return std::find(list.names().begin(), list.names().end(), name) != list.names().end();
        return std::find(list.positions().begin(), list.positions().end(), pos) != list.positions().end();
    };
    cfg_.columns.clear();
    cfg_.specs.clear();
    for (std::size_t i = 0; i < cfg_.ncols; ++i) {
        if (!keep[i]) continue;
        ColumnSpec spec;
        spec.name = i < names.size() ? names[i] : std::to_string(i);
        spec.source = i;
        auto dt = o.dtype.find(spec.name);
        if (dt != o.dtype.end()) spec.dtype = dt->second;
        spec.parse_dates = in_list(o.parse_dates, i, spec.name);
        cfg_.columns.push_back(spec.name);
        cfg_.specs.push_back(std::move(spec));
    }
    cfg_.header_done = true;
    new_builders();
}

void Engine::new_builders() {
    builders_.clear();
    builders_.reserve(cfg_.specs.size());
    for (const auto& s : cfg_.specs) builders_.emplace_back(s, cfg_.settings);
}

void Engine::deliver() {
    const ReadOptions& o = cfg_.options;
    char* t = reinterpret_cast<char*>(text_.data());
    std::size_t rows = block_.rows;
    if (!cfg_.skip_lines.empty() && rows != 0) {
        // skiprows given as line numbers that fall among the data rows.
        std::size_t kept = 0;
        Field* f = block_.fields.as<Field>();
        auto* starts = block_.row_starts.as<std::uint32_t>();
        for (std::size_t r = 0; r < rows; ++r) {
            if (skipped_line(line_at(starts[r]) - 1)) continue;
            if (kept != r) {
                std::memmove(f + kept * block_.ncols, f + r * block_.ncols, block_.ncols * sizeof(Field));
                starts[kept] = starts[r];
            }
            ++kept;
        }
        rows = block_.rows = kept;
    }
    if (o.nrows) {
        const std::size_t remaining = *o.nrows - rows_total_;
        if (rows >= remaining) {
            rows = remaining;
            done_ = true;
        }
    }
    std::size_t r = 0;
    while (r < rows) {
        std::size_t take = rows - r;
        if (o.chunksize) take = std::min(take, *o.chunksize - chunk_rows_);
        const BlockView view{t, &block_, r, r + take, this};
        for (auto& b : builders_) b.append(view);
        r += take;
        chunk_rows_ += take;
        rows_total_ += take;
        if (o.chunksize && chunk_rows_ == *o.chunksize) ready_.push_back(take_table());
    }
}

Table Engine::take_table() {
    std::vector<Column> cols;
    cols.reserve(builders_.size());
    for (auto& b : builders_) cols.push_back(b.finish());
    Table t(cfg_.columns, std::move(cols));
    aio::table_detail::TableAccess::set_range_start(t, rows_total_ - chunk_rows_);
    if (cfg_.integer_labels) aio::table_detail::TableAccess::set_integer_labels(t);
    chunk_rows_ = 0;
    new_builders();
    return t;
}

void Engine::flush_warnings() {
    if (hold_warnings_) return;
    for (const auto& w : warnings_) std::fprintf(stderr, "%s\n", w.c_str());
    warnings_.clear();
}

void Engine::bad_row(std::size_t row_start, std::size_t fields) {
    const ReadOptions& o = cfg_.options;
    if (o.nrows && rows_total_ + block_.rows >= *o.nrows) return;  // past the rows asked for
    const std::size_t line = line_at(row_start);
    if (skipped_line(line - 1)) return;
    const std::string expected = std::to_string(cfg_.ncols);
    switch (o.on_bad_lines) {
        case BadLines::error:
            throw ParserError("Error tokenizing data: expected " + expected + " fields in line " +
                                  std::to_string(line) + ", saw " + std::to_string(fields),
                              line);
        case BadLines::warn:
            warnings_.push_back("Skipping line " + std::to_string(line) + ": expected " + expected + " fields, saw " +
                                std::to_string(fields));
            if (hold_warnings_) break;
            flush_warnings();
            break;
        case BadLines::skip: break;
    }
}

void Engine::open_quote(std::size_t offset, std::size_t field) {
    const ReadOptions& o = cfg_.options;
    if (o.nrows && rows_total_ + block_.rows >= *o.nrows) return;
    const std::size_t line = line_at(offset);
    std::string column;
    for (const auto& s : cfg_.specs)
        if (s.source == field) column = s.name;
    if (column.empty() && cfg_.header_done) column = std::to_string(field);
    std::string msg = "Error tokenizing data: EOF inside string starting at line " + std::to_string(line);
    if (!column.empty()) msg += ", column '" + column + "'";
    throw ParserError(msg, line, column);
}

std::size_t Engine::line_of_row(std::size_t row) { return line_at(block_.row_start(row)); }

}  // namespace aio::csv::detail
