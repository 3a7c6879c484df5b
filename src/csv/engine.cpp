// The CSV engine: blocks of input tokenized, columns built, a Table assembled (read_csv's core).
#include "csv/engine.hpp"

#include "csv/decoder.hpp"
#include "values/numbers.hpp"
#include "table/table_access.hpp"

#include <aio/csv/errors.hpp>
#include <aio/exceptions.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <cstring>
#include <map>
#include <new>
#include <set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace aio::csv {

namespace {

/// The cgroup's memory limit (v2 memory.max, else v1), 0 when none.
std::size_t cgroup_memory_limit() {
    for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        std::ifstream in(path);
        unsigned long long v = 0;
        if (in >> v) return static_cast<std::size_t>(v);  // "max" (no limit) fails to parse
    }
    return 0;
}

}  // namespace

std::size_t default_max_memory() noexcept {
    static const std::size_t value = [] {
        const long pages = ::sysconf(_SC_PHYS_PAGES);
        const long page = ::sysconf(_SC_PAGE_SIZE);
        std::size_t limit = pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page)
                                                  : std::size_t{8} << 30;
        try {
            const std::size_t cg = cgroup_memory_limit();
            if (cg != 0 && cg < limit) limit = cg;
        } catch (...) {
        }
        return limit / 2;
    }();
    return value;
}

}  // namespace aio::csv

namespace aio::csv::detail {

namespace {
std::atomic<std::size_t> g_tokenized{0};
}  // namespace

std::size_t tokenized_bytes() noexcept { return g_tokenized.load(std::memory_order_relaxed); }

void Engine::count_tokenized(std::size_t n) noexcept {
    tokenized_ += n;
    g_tokenized.fetch_add(n, std::memory_order_relaxed);
}

std::size_t count_newlines(const char* p, std::size_t n) noexcept {
    std::size_t count = 0;
    std::size_t i = 0;
#if defined(__SSE2__)
    // Per-byte counters (a match compares to -1: subtracting it adds one),
    // summed by _mm_sad_epu8 every 255 steps, before a counter can wrap. No
    // popcount: x86-64's baseline has no POPCNT instruction.
    const __m128i nl = _mm_set1_epi8('\n');
    const __m128i zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i acc = zero;
        const std::size_t steps = std::min<std::size_t>((n - i) / 16, 255);
        for (std::size_t k = 0; k < steps; ++k, i += 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x, nl));
        }
        const __m128i sums = _mm_sad_epu8(acc, zero);
        count += static_cast<std::size_t>(_mm_cvtsi128_si64(sums)) +
                 static_cast<std::size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
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
    settings.na_numeric = false;
    for (const std::string& v : settings.na.values()) {
        std::int64_t i = 0;
        double d = 0;
        if (values::parse_int64(v.data(), v.size(), settings.thousands, i) != values::IntStatus::invalid ||
            values::parse_double(v.data(), v.size(), settings.decimal, settings.thousands, d) ||
            values::parse_bool(v.data(), v.size()) >= 0)
            settings.na_numeric = true;
    }
    if (options.skiprows.is_list()) {
        skip_lines = options.skiprows.lines();
        std::sort(skip_lines.begin(), skip_lines.end());
    }
    if (options.header.row() < 0 && !options.header.is_none() && !options.header.is_infer())
        throw ValueError("header must be a non-negative row number");
    if (options.header.is_infer())
        header_row = options.names.empty() ? std::optional<std::size_t>(0) : std::nullopt;
    else if (!options.header.is_none())
        header_row = static_cast<std::size_t>(options.header.row());
    if (options.chunksize && *options.chunksize == 0) throw ValueError("chunksize must be a positive integer");
    std::set<std::string> seen;
    for (const auto& n : options.names)
        if (!seen.insert(n).second) throw ValueError("Duplicate names are not allowed.");
    if (options.max_columns == 0) throw ValueError("max_columns must be a positive integer");
    if (options.max_record_bytes == 0 || options.max_record_bytes > kMaxBlockText)
        throw ValueError("max_record_bytes must be between 1 and " + std::to_string(kMaxBlockText));
    max_memory = options.max_memory != 0 ? options.max_memory : default_max_memory();
}

Engine::Engine(Config& config, std::string encoding, bool validate)
    : cfg_(config),
      encoding_(std::move(encoding)),
      validate_(validate),
      tok_(config.dialect, std::max(config.options.max_columns, config.options.names.size())) {
    if (cfg_.header_done) new_builders();  // a worker starting after the header
}

Engine::~Engine() { cfg_.memory_in_use.fetch_sub(memory_reported_, std::memory_order_relaxed); }

void Engine::release_text() noexcept {
    text_ = aio::table_detail::Buffer();
    block_ = RowBlock();
    validated_ = 0;
    // The columns as last counted (after the last block), and the chunks.
    const std::size_t mine = builders_bytes_ + ready_total_;
    cfg_.memory_in_use.fetch_sub(memory_reported_ - std::min(mine, memory_reported_), std::memory_order_relaxed);
    memory_reported_ = std::min(mine, memory_reported_);
}

void Engine::check_memory(bool recount_builders) {
    if (recount_builders) {
        builders_bytes_ = 0;
        for (const auto& b : builders_) builders_bytes_ += b.memory();
    }
    // The text and its arena, the block's index, the columns.
    const std::size_t mine =
        2 * text_.size() + block_.fields.size() + block_.row_starts.size() + builders_bytes_ + ready_total_;
    if (mine >= memory_reported_)
        cfg_.memory_in_use.fetch_add(mine - memory_reported_, std::memory_order_relaxed);
    else
        cfg_.memory_in_use.fetch_sub(memory_reported_ - mine, std::memory_order_relaxed);
    memory_reported_ = mine;
    if (cfg_.memory_in_use.load(std::memory_order_relaxed) > cfg_.max_memory)
        throw LimitError("read_csv needs more than " + std::to_string(cfg_.max_memory) +
                             " bytes of memory (ReadOptions::max_memory) by line " + std::to_string(line_base_) +
                             "; raise max_memory to read it, or read fewer columns (usecols) or chunks (chunksize)",
                         line_base_, "max_memory");
}

void Engine::hold_incomplete() {
    const std::size_t left = text_.size();
    const std::size_t cap = cfg_.options.max_record_bytes;
    if (left > cap)
        throw LimitError("a record longer than " + std::to_string(cap) +
                             " bytes (ReadOptions::max_record_bytes) starting at line " + std::to_string(line_base_) +
                             " (a quote that never closes, or a line that never ends); raise max_record_bytes to "
                             "read it",
                         line_base_, "max_record_bytes");
    retry_at_ = left < kRetryFloor ? 0 : std::min(2 * left, cap + 1);
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
    if (!final && end < retry_at_) {  // the incomplete record has not had enough new text
        check_memory(false);
        return;
    }
    retry_at_ = 0;
    if (end > kMaxBlockText)
        throw LimitError("more than " + std::to_string(kMaxBlockText) + " bytes of text in one block at line " +
                             std::to_string(line_base_) + " (feed it in smaller pieces)",
                         line_base_, "max_record_bytes");
    text_.reserve(arena_capacity(end));
    check_memory(false);
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
        count_tokenized(end);
        pos = parse_header(final, end);
        if (!cfg_.header_done) {
            if (final) {
                // Rows came, but not as many as the header's row number needs
                // (pandas' words); no rows at all is an empty file.
                const ReadOptions& o = cfg_.options;
                if (header_rows_ != 0)
                    throw ParserError("Passed header=" + std::to_string(o.header.row()) + " but only " +
                                          std::to_string(header_rows_) + " lines in file",
                                      line_base_);
                throw EmptyDataError("No columns to parse from file");
            }
            consume(pos);
            hold_incomplete();
            return;
        }
    }
    if (done_) {
        consume(end);
        return;
    }
    const char* t = reinterpret_cast<const char*>(text_.data());
    const std::size_t lines = count_newlines(t + pos, end - pos);
    const std::size_t used = tokenize_block(pos, end, final, lines);
    if (done_ || used == end) {
        consume(end, count_newlines(t, pos) + lines);
    } else {
        consume(used, count_newlines(t, pos) + lines - count_newlines(t + used, end - used));
        hold_incomplete();
    }
}

std::size_t Engine::tokenize_block(std::size_t pos, std::size_t end, bool final, std::size_t lines) {
    char* t = reinterpret_cast<char*>(text_.data());
    // Rows per part, so that a part's index holds at most kMaxBlockFields
    // fields (every row has ncols, however few it wrote).
    const std::size_t max_rows = std::max<std::size_t>(kMaxBlockFields / std::max<std::size_t>(cfg_.ncols, 1), 1);
    std::size_t want = std::min(lines, max_rows);
    std::size_t at = pos;
    for (;;) {
        std::size_t cut = end;
        if (want < lines) {  // the end of the want-th line from `at`
            cut = at;
            for (std::size_t n = 0; n < want; ++n) {
                const void* nl = std::memchr(t + cut, '\n', end - cut);
                if (nl == nullptr) {
                    cut = end;
                    break;
                }
                cut = static_cast<std::size_t>(static_cast<const char*>(nl) - t) + 1;
            }
        }
        const bool last = cut == end;
        block_.clear();
        block_.ncols = cfg_.ncols;
        count_tokenized(cut - at);
        const std::size_t next =
            tok_.tokenize(t, at, cut, final && last, block_, *this, want, end + kPadding, max_rows);
        const bool capped = block_.rows >= max_rows;  // rows ended by bare CRs, more than lines
        if (expected_end_ != 0 && block_.rows != 0) {
            // (A block of no rows, the header alone, tells nothing: the plan
            // waits for the first rows.) The first block of rows tells how many the input holds: the
            // columns get room for their values before it is parsed into
            // them, and for the rest (strings, gaps) once their types show.
            plan_reservation(at, next, block_.rows);
            expected_end_ = 0;  // once
            if (planned_rows_ != 0) reserve_planned(false);
        }
        deliver();
        if (planned_rows_ != 0) {
            reserve_planned(true);
            planned_rows_ = 0;
        }
        flush_warnings();
        check_memory(true);
        if (done_) return next;
        if (capped && next < cut) {
            at = next;
            continue;
        }
        if (last) return next;
        if (next == at) {  // one record spans more than `want` lines
            want *= 2;
            continue;
        }
        at = next;
        want = max_rows;
    }
}

std::size_t Engine::parse_header(bool final, std::size_t end) {
    const ReadOptions& o = cfg_.options;
    std::vector<Field> fields;
    std::size_t pos = 0;
    std::size_t arena = end + kPadding;
    // The row of the names: a number, or none.
    const bool no_header = !cfg_.header_row;
    const std::size_t header_row = cfg_.header_row.value_or(0);
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
    cfg_.columns.clear();
    cfg_.specs.clear();
    for (std::size_t i = 0; i < cfg_.ncols; ++i) {
        if (!keep[i]) continue;
        ColumnSpec spec;
        spec.name = i < names.size() ? names[i] : std::to_string(i);
        spec.source = i;
        auto dt = o.dtype.find(spec.name);
        if (dt != o.dtype.end()) spec.dtype = dt->second;
        cfg_.columns.push_back(spec.name);
        cfg_.specs.push_back(std::move(spec));
    }
    mark_parse_dates();
    cfg_.header_done = true;
    new_builders();
}

// parse_dates names the table's columns, as pandas: a name that is not one
// of them (a typo, or a column usecols left out) is a ValueError naming
// every such name, and a position counts the table's columns (those usecols
// kept, in order), not the file's.
void Engine::mark_parse_dates() {
    const ColumnList& dates = cfg_.options.parse_dates;
    if (dates.by_name()) {
        std::set<std::string> missing;
        for (const std::string& want : dates.names()) {
            auto it = std::find(cfg_.columns.begin(), cfg_.columns.end(), want);
            if (it == cfg_.columns.end())
                missing.insert(want);
            else
                cfg_.specs[static_cast<std::size_t>(it - cfg_.columns.begin())].parse_dates = true;
        }
        if (!missing.empty()) {
            std::string list;
            for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
            throw ValueError("Missing column provided to 'parse_dates': '" + list + "'");
        }
        return;
    }
    for (std::size_t p : dates.positions()) {
        if (p >= cfg_.specs.size())
            throw IndexError("parse_dates position " + std::to_string(p) + " is out of range: the table has " +
                             std::to_string(cfg_.specs.size()) + " columns");
        cfg_.specs[p].parse_dates = true;
    }
}

void Engine::plan_reservation(std::size_t block_start, std::size_t block_end, std::size_t block_rows) noexcept {
    planned_rows_ = 0;
    const std::size_t block_bytes = block_end - block_start;
    const std::size_t here = byte_base_ + block_end;
    if (cfg_.options.chunksize || block_rows == 0 || block_bytes == 0 || expected_end_ <= here) return;
    const std::size_t left = expected_end_ - here;
    // A size no input has (a Content-Length that lies): no sum below overflows.
    if (left > (std::size_t{1} << 50)) return;
    const double more = static_cast<double>(left) / static_cast<double>(block_bytes) * static_cast<double>(block_rows);
    // No honest estimate needs more rows than half the bytes left ("1\n").
    if (more > static_cast<double>(left / 2)) return;
    // A sixteenth more than the first block's rate promises: the rest of the
    // input may be a little denser than its first block (R8's second half,
    // judged by its first 64 KiB, outgrew its columns' validity bytes near
    // its end), and a column that outgrows its reservation grows again, in
    // 4 KiB pages when under Buffer::kMapThreshold. The extra rows are address space, never
    // memory, unless they are used. It also lifts a column's validity bytes
    // for half a million rows (R8's second half: 496 KB) over the 512 KiB
    // from which reserve_rows gives them a huge page (one fault, not 121).
    planned_rows_ = rows_total_ + block_rows + static_cast<std::size_t>(more + more / 16);
    if (cfg_.options.nrows) planned_rows_ = std::min<std::size_t>(planned_rows_, *cfg_.options.nrows);
    // Nor more than ten bytes of table per byte of text (an empty field: an
    // 8-byte NaN and a validity byte); a first block that says otherwise is
    // not like the rest, and the columns simply grow.
    planned_budget_ = 10 * (left + block_bytes);
    if (cfg_.max_memory != 0) planned_budget_ = std::min(planned_budget_, cfg_.max_memory);
}

void Engine::reserve_planned(bool typed) noexcept {
    std::size_t total = 0;
    if (!typed)
        total = builders_.size() * (planned_rows_ + 1) * 8;
    else
        for (const auto& b : builders_) total += b.bytes_for_rows(planned_rows_);
    if (total > planned_budget_) {
        planned_rows_ = 0;
        return;
    }
    // Rounding buffers up to whole huge pages may add an eighth to the table.
    std::size_t slack = total / 8;
    try {
        for (auto& b : builders_) {
            if (typed)
                b.reserve_rows(planned_rows_, slack);
            else
                b.reserve_values(planned_rows_);
        }
    } catch (const std::bad_alloc&) {  // address space is short: the columns grow as they go
        planned_rows_ = 0;
    }
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
        if (o.chunksize && chunk_rows_ == *o.chunksize) {
            std::size_t bytes = 0;
            for (const auto& b : builders_) bytes += b.memory();
            ready_.push_back(take_table());
            ready_bytes_.push_back(bytes);
            ready_total_ += bytes;
        }
    }
}

Table Engine::pop_ready() {
    Table t = std::move(ready_.front());
    ready_.pop_front();
    ready_total_ -= ready_bytes_.front();
    ready_bytes_.pop_front();
    return t;
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

void Engine::too_many_fields(std::size_t row_start, std::size_t fields) {
    const std::size_t line = line_at(row_start);
    throw LimitError("more than " + std::to_string(cfg_.options.max_columns) +
                         " fields (ReadOptions::max_columns) in line " + std::to_string(line) + ", saw " +
                         std::to_string(fields) + "; raise max_columns to read it",
                     line, "max_columns");
}

std::size_t Engine::line_of_row(std::size_t row) { return line_at(block_.row_start(row)); }

}  // namespace aio::csv::detail
