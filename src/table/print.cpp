// Table::to_string: the text pandas' print(df) shows, rule for rule: each
// column formatted as pandas' array formatters do (ints "{: d}", floats
// "{: .6f}" with common trailing zeros trimmed or "{: .6e}" when values are
// very large or small, strings with a leading space, NaN / NaT), right-
// justified under headers (numeric headers get a leading space), a left-
// justified index, rows cut to head and tail past max_rows, and columns
// dropped from the middle until the lines fit the width.
#include "table/column_data.hpp"
#include "table/format.hpp"

#include <aio/exceptions.hpp>
#include <aio/table.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace aio {

using table_detail::ColumnAccess;
using table_detail::ColumnData;
using table_detail::display_width;

namespace {

using StrCol = std::vector<std::string>;

std::string escape(std::string_view s) {
    std::string r;
    r.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '\t': r += "\\t"; break;
            case '\n': r += "\\n"; break;
            case '\r': r += "\\r"; break;
            default: r.push_back(c);
        }
    }
    return r;
}

std::string rjust(const std::string& s, std::size_t w) {
    const std::size_t n = display_width(s);
    return n >= w ? s : std::string(w - n, ' ') + s;
}

std::string ljust(const std::string& s, std::size_t w) {
    const std::size_t n = display_width(s);
    return n >= w ? s : s + std::string(w - n, ' ');
}

/// The first `n` code points of s.
std::string prefix_chars(const std::string& s, std::size_t n) {
    std::size_t i = 0, count = 0;
    while (i < s.size() && count < n) {
        ++i;
        while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
        ++count;
    }
    return s.substr(0, i);
}

/// pandas' _make_fixed_width: cut cells past max_colwidth with "...", then
/// justify all to the widest (at least `minimum`).
void make_fixed_width(StrCol& v, std::size_t minimum, std::size_t max_colwidth, bool right) {
    if (v.empty()) return;
    std::size_t max_len = minimum;
    for (const auto& s : v) max_len = std::max(max_len, display_width(s));
    if (max_len > max_colwidth) max_len = max_colwidth;
    for (auto& s : v) {
        if (max_colwidth > 3 && display_width(s) > max_len) s = prefix_chars(s, max_len - 3) + "...";
        s = right ? rjust(s, max_len) : ljust(s, max_len);
    }
}

bool is_number_with_decimal(const std::string& x) {
    std::size_t i = 0;
    while (i < x.size() && (x[i] == ' ' || x[i] == '\t')) ++i;
    if (i < x.size() && (x[i] == '+' || x[i] == '-')) ++i;
    const std::size_t d0 = i;
    while (i < x.size() && x[i] >= '0' && x[i] <= '9') ++i;
    if (i == d0 || i >= x.size() || x[i] != '.') return false;
    ++i;
    while (i < x.size() && x[i] >= '0' && x[i] <= '9') ++i;
    return i == x.size();
}

/// pandas' _trim_zeros_float: drop trailing zeros equally from all numbers
/// with a decimal point, keeping one digit after it.
void trim_zeros(StrCol& v) {
    for (;;) {
        bool any = false, all_zero = true;
        for (const auto& x : v)
            if (is_number_with_decimal(x)) {
                any = true;
                if (x.back() != '0') all_zero = false;
            }
        if (!any || !all_zero) break;
        for (auto& x : v)
            if (is_number_with_decimal(x)) x.pop_back();
    }
    for (auto& x : v)
        if (is_number_with_decimal(x) && x.back() == '.') x.push_back('0');
}

std::string printf_double(const char* fmt, int precision, double v) {
    char buf[512];
    const int n = std::snprintf(buf, sizeof buf, fmt, precision, v);
    if (n < 0) return {};
    if (static_cast<std::size_t>(n) < sizeof buf) return std::string(buf, static_cast<std::size_t>(n));
    std::string big(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), fmt, precision, v);
    big.resize(static_cast<std::size_t>(n));
    return big;
}

/// Decimals past which every double prints only zeros: the smallest
/// subnormal, 2^-1074, has 1074 of them. A larger display.precision prints
/// the same cells once the zeros are trimmed, so it is cut to this (a
/// precision of INT_MAX would otherwise ask printf for gigabytes a cell).
constexpr int kMaxFloatDecimals = 1100;

StrCol format_floats(const ColumnData& d, const std::vector<std::size_t>& rows, int precision) {
    precision = std::min(precision, kMaxFloatDecimals);
    auto fmt = [&](const char* f) {
        StrCol out;
        for (std::size_t r : rows) out.push_back(d.valid(r) ? printf_double(f, precision, d.values.as<double>()[r]) : "NaN");
        trim_zeros(out);
        return out;
    };
    StrCol out = fmt("% .*f");
    std::size_t maxlen = 0;
    for (const auto& s : out) maxlen = std::max(maxlen, s.size());
    const bool too_long = maxlen > static_cast<std::size_t>(precision) + 6;
    const double small = std::pow(10.0, -precision);
    bool large = false, tiny = false;
    for (std::size_t r : rows) {
        if (!d.valid(r)) continue;
        const double a = std::fabs(d.values.as<double>()[r]);
        if (a > 1e6) large = true;
        if (a < small && a > 0) tiny = true;
    }
    if (tiny || (too_long && large)) out = fmt("% .*e");
    return out;
}

/// One column's cells for `rows`, as pandas' format_array gives them.
StrCol format_cells(const Column& col, const std::vector<std::size_t>& rows, const DisplayOptions& o) {
    const ColumnData& d = ColumnAccess::data(col);
    StrCol out;
    out.reserve(rows.size());
    char buf[48];
    switch (d.dtype) {
        case DType::int64:
            for (std::size_t r : rows) {
                const std::int64_t v = d.values.as<std::int64_t>()[r];
                out.push_back((v < 0 ? "" : " ") + std::string(buf, table_detail::format_int(v, buf)));
            }
            break;
        case DType::uint64:
            for (std::size_t r : rows)
                out.push_back(" " + std::string(buf, table_detail::format_uint(d.values.as<std::uint64_t>()[r], buf)));
            break;
        case DType::float64: out = format_floats(d, rows, o.precision); break;
        case DType::bool_:
            for (std::size_t r : rows) out.push_back(d.values.as<bool>()[r] ? " True" : " False");
            break;
        case DType::object:
            for (std::size_t r : rows) out.push_back(d.valid(r) ? " " + escape(d.str(r)) : std::string(" NaN"));
            break;
        case DType::datetime64_ns: {
            std::vector<std::int64_t> shown;
            std::vector<std::uint8_t> valid;
            for (std::size_t r : rows) {
                shown.push_back(d.values.as<std::int64_t>()[r]);
                valid.push_back(d.valid(r));
            }
            bool date_only;
            int frac;
            table_detail::timestamp_style(shown.data(), shown.size(), valid.data(), date_only, frac);
            for (std::size_t i = 0; i < rows.size(); ++i)
                out.push_back(valid[i] ? table_detail::format_timestamp(shown[i], date_only, frac) : "NaT");
            break;
        }
    }
    make_fixed_width(out, 0, o.max_colwidth, true);
    return out;
}

bool numeric_dtype(DType t) {
    return t == DType::int64 || t == DType::uint64 || t == DType::float64 || t == DType::bool_;
}

/// pandas' adjoin: columns side by side, each padded to its width + `space`
/// (the last to its width).
std::string adjoin(const std::vector<StrCol>& cols, std::size_t space = 1) {
    std::vector<std::size_t> widths;
    std::size_t rows = 0;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        std::size_t w = 0;
        for (const auto& s : cols[i]) w = std::max(w, display_width(s));
        widths.push_back(i + 1 < cols.size() ? w + space : w);
        rows = std::max(rows, cols[i].size());
    }
    std::string out;
    for (std::size_t r = 0; r < rows; ++r) {
        if (r) out.push_back('\n');
        for (std::size_t i = 0; i < cols.size(); ++i)
            out += r < cols[i].size() ? ljust(cols[i][r], widths[i]) : std::string(widths[i], ' ');
    }
    return out;
}

int python_round_half(std::size_t n) {
    // Python's round(n / 2): halves go to the even neighbour.
    const std::size_t q = n / 2;
    if (n % 2 == 0) return static_cast<int>(q);
    return static_cast<int>(q % 2 == 0 ? q : q + 1);
}

}  // namespace

std::string Table::to_string(const DisplayOptions& o) const {
    if (o.precision < 0)
        throw ValueError("display.precision must be a nonnegative integer, not " + std::to_string(o.precision));
    const std::size_t ncols = columns_.size();
    if (rows_ == 0 || ncols == 0) {
        std::string s = "Empty DataFrame\nColumns: [";
        for (std::size_t i = 0; i < ncols; ++i) s += (i ? ", " : "") + escape(names_[i]);
        s += "]\nIndex: [";
        const Column idx = index();
        for (std::size_t i = 0; i < rows_; ++i) s += (i ? ", " : "") + aio::to_string(idx.at(i));
        return s + "]";
    }
    // Rows shown: all, or the head and tail halves of min_rows.
    const bool trunc_v = o.max_rows != 0 && rows_ > o.max_rows;
    const std::size_t rows_fitted = trunc_v ? (o.min_rows ? std::min(o.min_rows, o.max_rows) : o.max_rows) : rows_;
    const std::size_t row_num = rows_fitted / 2;
    std::vector<std::size_t> rows;
    if (trunc_v) {
        for (std::size_t r = 0; r < row_num; ++r) rows.push_back(r);
        for (std::size_t r = rows_ - row_num; r < rows_; ++r) rows.push_back(r);
    } else {
        for (std::size_t r = 0; r < rows_; ++r) rows.push_back(r);
    }
    // The index cells.
    StrCol index_col{""};
    {
        const Column idx = index();
        const ColumnData& d = ColumnAccess::data(idx);
        StrCol labels;
        for (std::size_t r : rows)
            labels.push_back(d.dtype == DType::object ? escape(d.str(r)) : aio::to_string(idx.at(r)));
        make_fixed_width(labels, 0, std::numeric_limits<std::size_t>::max(), false);
        index_col.insert(index_col.end(), labels.begin(), labels.end());
        make_fixed_width(index_col, 0, std::numeric_limits<std::size_t>::max(), false);
    }
    // Formatted cells per column, computed once (a column's cells do not
    // depend on which other columns are shown; its header may).
    std::vector<std::optional<StrCol>> cells(ncols);
    auto column_values = [&](std::size_t c) -> const StrCol& {
        if (!cells[c]) cells[c] = format_cells(columns_[c], rows, o);
        return *cells[c];
    };
    // The columns of the text for at most `fitted` columns (0: all).
    bool trunc_h = false;
    auto strcols = [&](std::size_t fitted) {
        trunc_h = fitted != 0 && ncols > fitted;
        const std::size_t col_num = fitted / 2;
        std::vector<std::size_t> shown;
        for (std::size_t c = 0; c < ncols; ++c)
            if (!trunc_h || c < col_num || c >= ncols - col_num) shown.push_back(c);
        // Integer labels are left-justified to the widest shown one, as
        // pandas formats an integer index.
        std::size_t label_w = 0;
        if (integer_labels_)
            for (std::size_t c : shown) label_w = std::max(label_w, display_width(names_[c]));
        std::vector<StrCol> out{index_col};
        for (std::size_t c : shown) {
            std::string label = escape(names_[c]);
            if (integer_labels_) label = ljust(label, label_w);
            if (numeric_dtype(columns_[c].dtype())) label = " " + label;
            const std::size_t header_w = display_width(label);
            StrCol v = column_values(c);
            make_fixed_width(v, header_w, o.max_colwidth, true);
            std::size_t w = header_w;
            for (const auto& x : v) w = std::max(w, display_width(x));
            StrCol col{rjust(label, w)};
            col.insert(col.end(), v.begin(), v.end());
            out.push_back(std::move(col));
        }
        if (trunc_h) out.insert(out.begin() + static_cast<std::ptrdiff_t>(col_num) + 1, StrCol(rows.size() + 1, " ..."));
        if (trunc_v) {
            for (std::size_t i = 0; i < out.size(); ++i) {
                StrCol& col = out[i];
                std::size_t cw = display_width(col[row_num]);
                const bool dot_col = trunc_h && i == col_num + 1;
                const std::string dots = cw > 3 || dot_col ? "..." : "..";
                std::string cell;
                if (i == 0)
                    cell = ljust(dots, cw);
                else
                    cell = rjust(dots, dot_col ? 4 : cw);
                col.insert(col.begin() + static_cast<std::ptrdiff_t>(row_num) + 1, cell);
            }
        }
        return out;
    };
    std::string text;
    if (o.max_columns == 0) {
        // Fit to the width: drop columns from the middle until the lines fit.
        std::vector<StrCol> all = strcols(ncols > o.width ? o.width : 0);
        const std::string full = adjoin(all);
        std::size_t max_len = 0, line_start = 0;
        for (std::size_t i = 0; i <= full.size(); ++i)
            if (i == full.size() || full[i] == '\n') {
                max_len = std::max(max_len, display_width(full.substr(line_start, i - line_start)));
                line_start = i + 1;
            }
        std::ptrdiff_t adj_dif = static_cast<std::ptrdiff_t>(max_len) - static_cast<std::ptrdiff_t>(o.width) + 1;
        std::vector<std::size_t> lens;
        for (const auto& col : all) {
            std::size_t w = 0;
            for (const auto& s : col) w = std::max(w, display_width(s));
            lens.push_back(w);
        }
        while (adj_dif > 0 && lens.size() > 1) {
            const std::size_t mid = static_cast<std::size_t>(python_round_half(lens.size()));
            adj_dif -= static_cast<std::ptrdiff_t>(lens[mid]) + 1;
            lens.erase(lens.begin() + static_cast<std::ptrdiff_t>(mid));
        }
        const std::size_t fitted = std::max<std::size_t>(lens.size() - 1, 2);
        text = adjoin(strcols(fitted));
    } else {
        // Wrap the columns into blocks of the width, joined by " \".
        std::vector<StrCol> cols = strcols(o.max_columns);
        StrCol idx = cols.front();
        cols.erase(cols.begin());
        std::size_t idx_w = 0;
        for (const auto& s : idx) idx_w = std::max(idx_w, display_width(s));
        const std::ptrdiff_t lwidth = static_cast<std::ptrdiff_t>(o.width) - static_cast<std::ptrdiff_t>(idx_w) - 1;
        std::vector<std::size_t> widths;
        for (const auto& c : cols) {
            std::size_t w = 0;
            for (const auto& s : c) w = std::max(w, display_width(s));
            widths.push_back(w);
        }
        std::vector<std::size_t> bins;
        std::ptrdiff_t cur = 0;
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::ptrdiff_t w = static_cast<std::ptrdiff_t>(widths[i]) + 1;
            cur += w;
            const bool wrap = i + 1 == widths.size() ? (cur + 1 > lwidth && i > 0) : (cur + 2 > lwidth && i > 0);
            if (wrap) {
                bins.push_back(i);
                cur = w;
            }
        }
        bins.push_back(widths.size());
        const std::size_t nrows = trunc_v ? rows_fitted + 1 : rows_;
        std::size_t start = 0;
        for (std::size_t b = 0; b < bins.size(); ++b) {
            std::vector<StrCol> row(cols.begin() + static_cast<std::ptrdiff_t>(start),
                                    cols.begin() + static_cast<std::ptrdiff_t>(bins[b]));
            row.insert(row.begin(), idx);
            if (bins.size() > 1) {
                StrCol cont;
                if (b + 1 < bins.size()) {
                    cont.push_back(" \\");
                    for (std::size_t k = 1; k < nrows; ++k) cont.push_back("  ");
                } else {
                    cont.assign(nrows, " ");
                }
                row.push_back(cont);
            }
            if (b) text += "\n\n";
            text += adjoin(row);
            start = bins[b];
        }
    }
    if (trunc_v || trunc_h)
        text += "\n\n[" + std::to_string(rows_) + " rows x " + std::to_string(ncols) + " columns]";
    return text;
}

}  // namespace aio
