// aio::table::Table: columns by name, selection, head/tail, to_csv.
#include "table/column_data.hpp"
#include "table/format.hpp"
#include "table/table_access.hpp"

#include <aio/exceptions.hpp>
#include <aio/table.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <ostream>
#include <unordered_map>

namespace aio {

using table_detail::ColumnAccess;
using table_detail::ColumnData;

Table::Table(std::vector<std::string> names, std::vector<Column> columns)
    : names_(std::move(names)), columns_(std::move(columns)) {
    if (names_.size() != columns_.size())
        throw ValueError(std::to_string(names_.size()) + " names for " + std::to_string(columns_.size()) + " columns");
    rows_ = columns_.empty() ? 0 : columns_.front().size();
    for (std::size_t i = 0; i < columns_.size(); ++i)
        if (columns_[i].size() != rows_)
            throw ValueError("column '" + names_[i] + "' has " + std::to_string(columns_[i].size()) +
                             " values, not " + std::to_string(rows_));
}

std::vector<DType> Table::dtypes() const {
    std::vector<DType> t;
    t.reserve(columns_.size());
    for (const auto& c : columns_) t.push_back(c.dtype());
    return t;
}

const Column& Table::operator[](std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return columns_[i];
    throw KeyError("'" + std::string(name) + "'");
}

const Column& Table::column(std::size_t i) const {
    if (i >= columns_.size())
        throw IndexError("column " + std::to_string(i) + " is out of bounds for a table of " +
                         std::to_string(columns_.size()) + " columns");
    return columns_[i];
}

bool Table::contains(std::string_view name) const noexcept {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
}

Column Table::index() const {
    if (index_) return *index_;
    std::vector<std::int64_t> v(rows_);
    std::iota(v.begin(), v.end(), static_cast<std::int64_t>(range_start_));
    return Column::from_int64(std::move(v));
}

Table Table::reset_index() const {
    Table t = *this;
    t.index_.reset();
    t.range_start_ = 0;
    return t;
}

Table Table::with_rows(std::span<const std::size_t> positions) const {
    Table t;
    t.names_ = names_;
    t.integer_labels_ = integer_labels_;
    t.rows_ = positions.size();
    t.columns_.reserve(columns_.size());
    for (const auto& c : columns_) t.columns_.push_back(c.take(positions));
    t.index_ = index().take(positions);
    return t;
}

Table Table::head(std::size_t n) const {
    n = std::min(n, rows_);
    Table t;
    t.names_ = names_;
    t.integer_labels_ = integer_labels_;
    t.rows_ = n;
    for (const auto& c : columns_) t.columns_.push_back(c.slice(0, n));
    if (index_) t.index_ = index_->slice(0, n);
    t.range_start_ = range_start_;
    return t;
}

Table Table::tail(std::size_t n) const {
    n = std::min(n, rows_);
    Table t;
    t.names_ = names_;
    t.integer_labels_ = integer_labels_;
    t.rows_ = n;
    for (const auto& c : columns_) t.columns_.push_back(c.slice(rows_ - n, n));
    if (index_) t.index_ = index_->slice(rows_ - n, n);
    t.range_start_ = range_start_ + (rows_ - n);
    return t;
}

std::size_t Table::memory_usage() const noexcept {
    std::size_t bytes = 0;
    for (const Column& c : columns_) bytes += c.memory_usage();
    return bytes;
}

Table Table::select(const std::vector<std::string>& names) const {
    Table t;
    t.rows_ = rows_;
    t.index_ = index_;
    t.range_start_ = range_start_;
    t.integer_labels_ = integer_labels_;
    for (const auto& n : names) {
        t.columns_.push_back((*this)[n]);
        t.names_.push_back(n);
    }
    return t;
}

Table Table::filter(std::span<const bool> mask) const {
    if (mask.size() != rows_)
        throw ValueError("Item wrong length " + std::to_string(mask.size()) + " instead of " + std::to_string(rows_) +
                         ".");
    std::vector<std::size_t> pos;
    for (std::size_t i = 0; i < rows_; ++i)
        if (mask[i]) pos.push_back(i);
    return with_rows(pos);
}

Table Table::filter(const std::vector<bool>& mask) const {
    std::unique_ptr<bool[]> m(new bool[mask.size() + 1]);
    for (std::size_t i = 0; i < mask.size(); ++i) m[i] = mask[i];
    return filter(std::span<const bool>(m.get(), mask.size()));
}

Table Table::filter(const Column& mask) const {
    if (mask.dtype() != DType::bool_) throw TypeError("a boolean mask is needed, not " + std::string(aio::to_string(mask.dtype())));
    return filter(mask.values<bool>());
}

namespace {

/// -1, 0, 1 comparing rows a and b of a column; missing values sort last.
int compare_rows(const ColumnData& d, std::size_t a, std::size_t b, bool ascending) {
    const bool va = d.valid(a), vb = d.valid(b);
    if (!va || !vb) return va == vb ? 0 : va ? -1 : 1;  // NaN last either way
    int c = 0;
    switch (d.dtype) {
        case DType::int64:
        case DType::datetime64_ns: {
            auto x = d.values.as<std::int64_t>()[a], y = d.values.as<std::int64_t>()[b];
            c = x < y ? -1 : x > y;
            break;
        }
        case DType::uint64: {
            auto x = d.values.as<std::uint64_t>()[a], y = d.values.as<std::uint64_t>()[b];
            c = x < y ? -1 : x > y;
            break;
        }
        case DType::float64: {
            auto x = d.values.as<double>()[a], y = d.values.as<double>()[b];
            c = x < y ? -1 : x > y;
            break;
        }
        case DType::bool_: {
            auto x = d.values.as<bool>()[a], y = d.values.as<bool>()[b];
            c = x < y ? -1 : x > y;
            break;
        }
        case DType::object: {
            auto x = d.str(a), y = d.str(b);
            c = x < y ? -1 : x > y;
            break;
        }
    }
    return ascending ? c : -c;
}

}  // namespace

Table Table::sort_values(const std::vector<std::string>& by, bool ascending) const {
    std::vector<const ColumnData*> keys;
    for (const auto& n : by) keys.push_back(&ColumnAccess::data((*this)[n]));
    std::vector<std::size_t> pos(rows_);
    std::iota(pos.begin(), pos.end(), std::size_t{0});
    // Stable: equal keys keep their order (the position breaks ties).
    std::sort(pos.begin(), pos.end(), [&](std::size_t a, std::size_t b) {
        for (const ColumnData* k : keys) {
            const int c = compare_rows(*k, a, b, ascending);
            if (c != 0) return c < 0;
        }
        return a < b;
    });
    return with_rows(pos);
}

Table Table::sort_values(const std::string& by, bool ascending) const {
    return sort_values(std::vector<std::string>{by}, ascending);
}

Table Table::isna() const {
    Table t = *this;
    for (auto& c : t.columns_) c = c.isna();
    return t;
}

Table Table::fillna(const Scalar& value) const {
    Table t = *this;
    for (auto& c : t.columns_) {
        try {
            c = c.fillna(value);
        } catch (const TypeError&) {
            // A value of another type leaves the column as it is.
        }
    }
    return t;
}

Table Table::dropna() const {
    std::vector<std::size_t> pos;
    for (std::size_t i = 0; i < rows_; ++i) {
        bool keep = true;
        for (const auto& c : columns_)
            if (c.null_count() != 0 && c.is_na(i)) {
                keep = false;
                break;
            }
        if (keep) pos.push_back(i);
    }
    return with_rows(pos);
}

Table Table::astype(DType dtype) const {
    Table t = *this;
    for (auto& c : t.columns_) c = c.astype(dtype);
    return t;
}

Table Table::astype(const std::map<std::string, DType, std::less<>>& dtypes) const {
    Table t = *this;
    for (const auto& [name, dtype] : dtypes) {
        bool found = false;
        for (std::size_t i = 0; i < names_.size(); ++i)
            if (names_[i] == name) {
                t.columns_[i] = t.columns_[i].astype(dtype);
                found = true;
            }
        if (!found) throw KeyError("Only a column name can be used for the key in a dtype mappings argument. '" +
                                   name + "' not found in columns.");
    }
    return t;
}

Table Table::describe() const {
    std::vector<std::size_t> numeric;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        const DType t = columns_[i].dtype();
        if (t == DType::int64 || t == DType::uint64 || t == DType::float64) numeric.push_back(i);
    }
    Table out;
    if (!numeric.empty()) {
        for (std::size_t i : numeric) {
            const Column& c = columns_[i];
            const Scalar mn = c.min(), mx = c.max();
            auto as_double = [](const Scalar& s) {
                if (auto* d = std::get_if<double>(&s)) return *d;
                if (auto* v = std::get_if<std::int64_t>(&s)) return static_cast<double>(*v);
                if (auto* u = std::get_if<std::uint64_t>(&s)) return static_cast<double>(*u);
                return std::numeric_limits<double>::quiet_NaN();
            };
            std::vector<double> v = {static_cast<double>(c.count()), c.mean(), c.std(), as_double(mn),
                                     c.quantile(0.25), c.quantile(0.5), c.quantile(0.75), as_double(mx)};
            out.names_.push_back(names_[i]);
            out.columns_.push_back(Column::from_float64(std::move(v)));
        }
        out.rows_ = 8;
        out.index_ = Column::from_strings({"count", "mean", "std", "min", "25%", "50%", "75%", "max"});
        return out;
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        const Column c = columns_[i].astype(DType::object);
        const ColumnData& d = ColumnAccess::data(c);
        std::unordered_map<std::string_view, std::size_t> counts;
        std::vector<std::string_view> order;
        for (std::size_t r = 0; r < d.size; ++r) {
            if (!d.valid(r)) continue;
            auto [it, fresh] = counts.try_emplace(d.str(r), 0);
            if (fresh) order.push_back(d.str(r));
            ++it->second;
        }
        std::optional<std::string> top, freq;
        std::size_t best = 0;
        for (auto s : order)
            if (counts[s] > best) {
                best = counts[s];
                top = std::string(s);
            }
        if (top) freq = std::to_string(best);
        out.names_.push_back(names_[i]);
        out.columns_.push_back(
            Column::from_strings({std::to_string(c.count()), std::to_string(counts.size()), top, freq}));
    }
    out.rows_ = 4;
    out.index_ = Column::from_strings({"count", "unique", "top", "freq"});
    return out;
}

Table concat(std::span<const Table> tables) {
    Table out;
    for (const auto& t : tables)
        for (const auto& n : t.names_)
            if (std::find(out.names_.begin(), out.names_.end(), n) == out.names_.end()) out.names_.push_back(n);
    for (const auto& t : tables) out.rows_ += t.rows_;
    out.integer_labels_ = !tables.empty();
    for (const auto& t : tables) out.integer_labels_ = out.integer_labels_ && t.integer_labels_;
    for (const auto& n : out.names_) {
        std::vector<Column> parts;
        for (const auto& t : tables) {
            if (t.contains(n)) {
                parts.push_back(t[n]);
            } else {
                std::vector<double> nan(t.rows_, std::numeric_limits<double>::quiet_NaN());
                parts.push_back(Column::from_float64(std::move(nan)));
            }
        }
        out.columns_.push_back(Column::concat(parts));
    }
    // Labels: one range when the tables follow each other (chunks), else all of them.
    bool contiguous = true;
    std::size_t next = tables.empty() ? 0 : tables.front().range_start_;
    for (const auto& t : tables) {
        if (t.index_ || t.range_start_ != next) contiguous = false;
        next = t.range_start_ + t.rows_;
    }
    if (contiguous) {
        out.range_start_ = tables.empty() ? 0 : tables.front().range_start_;
    } else {
        std::vector<Column> idx;
        for (const auto& t : tables) idx.push_back(t.index());
        out.index_ = Column::concat(idx);
    }
    return out;
}

Table concat(const std::vector<Table>& tables) { return concat(std::span<const Table>(tables)); }

// to_csv ------------------------------------------------------------------

namespace {

void put_field(std::string& out, std::string_view s, bool only_field) {
    const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos || (only_field && s.empty());
    if (!quote) {
        out.append(s);
        return;
    }
    out.push_back('"');
    for (char c : s) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace

std::string Table::to_csv() const {
    std::string out;
    const bool single = columns_.size() == 1;
    for (std::size_t i = 0; i < names_.size(); ++i) {
        if (i) out.push_back(',');
        put_field(out, names_[i], single);
    }
    out.push_back('\n');
    struct Style {
        bool date_only = true;
        int frac = 0;
    };
    std::vector<Style> styles(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        const ColumnData& d = ColumnAccess::data(columns_[c]);
        if (d.dtype == DType::datetime64_ns)
            table_detail::timestamp_style(d.values.as<std::int64_t>(), d.size,
                                    d.validity.empty() ? nullptr : d.validity.as<std::uint8_t>(), styles[c].date_only,
                                    styles[c].frac);
    }
    char buf[48];
    std::string tmp;
    for (std::size_t r = 0; r < rows_; ++r) {
        for (std::size_t c = 0; c < columns_.size(); ++c) {
            if (c) out.push_back(',');
            const ColumnData& d = ColumnAccess::data(columns_[c]);
            if (!d.valid(r)) {
                if (single) out.append("\"\"");
                continue;
            }
            switch (d.dtype) {
                case DType::int64: out.append(buf, table_detail::format_int(d.values.as<std::int64_t>()[r], buf)); break;
                case DType::uint64: out.append(buf, table_detail::format_uint(d.values.as<std::uint64_t>()[r], buf)); break;
                case DType::float64: out.append(buf, table_detail::format_float_repr(d.values.as<double>()[r], buf)); break;
                case DType::bool_: out.append(d.values.as<bool>()[r] ? "True" : "False"); break;
                case DType::object: put_field(out, d.str(r), single); break;
                case DType::datetime64_ns:
                    out.append(
                        table_detail::format_timestamp(d.values.as<std::int64_t>()[r], styles[c].date_only, styles[c].frac));
                    break;
            }
        }
        out.push_back('\n');
    }
    return out;
}

std::ostream& operator<<(std::ostream& os, const Table& t) { return os << t.to_string(); }

}  // namespace aio
