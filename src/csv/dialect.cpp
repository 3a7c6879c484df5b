// The CSV dialect made from ReadOptions (one-character options checked), and the NA value set.
#include "csv/dialect.hpp"

#include <aio/exceptions.hpp>

#include <algorithm>
#include <cstring>

namespace aio::csv::detail {

namespace {

int one_char(const std::string& value, const char* name, bool allow_empty) {
    if (value.empty()) {
        if (!allow_empty) throw ValueError(std::string(name) + " must be one character, got an empty string");
        return -1;
    }
    if (value.size() != 1) throw ValueError(std::string("Only length-1 ") + name + " supported, got '" + value + "'");
    return static_cast<unsigned char>(value[0]);
}

// pandas' default NA strings (pandas._libs.parsers.STR_NA_VALUES).
constexpr const char* kDefaultNa[] = {"",     "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN",
                                      "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",   "NA",      "NULL",
                                      "NaN",  "n/a",  "nan",      "null"};

}  // namespace

Dialect make_dialect(const ReadOptions& o) {
    Dialect d;
    if (o.sep.empty()) throw ValueError("sep must not be empty");
    if (o.sep == "\\s+") {
        d.whitespace_sep = true;
        d.sep = ' ';
    } else if (o.sep.size() == 1) {
        d.sep = o.sep[0];
    } else {
        d.sep_text = o.sep;
        d.sep = o.sep[0];
    }
    d.quote = one_char(o.quotechar, "quotechar", true);
    d.escape = one_char(o.escapechar, "escapechar", true);
    d.comment = one_char(o.comment, "comment", true);
    int dec = one_char(o.decimal, "decimal", false);
    d.decimal = static_cast<char>(dec);
    int th = one_char(o.thousands, "thousands", true);
    d.thousands = th < 0 ? 0 : static_cast<char>(th);
    if (d.thousands != 0 && d.thousands == d.decimal)
        throw ValueError("thousands and decimal must be different characters");
    d.doublequote = o.doublequote;
    d.skipinitialspace = o.skipinitialspace;
    d.skip_blank_lines = o.skip_blank_lines;
    if (d.quote == '\n' || d.quote == '\r') throw ValueError("quotechar must not be a line break");
    if (!d.whitespace_sep && d.sep_text.empty() && (d.sep == '\n' || d.sep == '\r'))
        throw ValueError("sep must not be a line break");
    if (d.quote >= 0 && d.sep_text.empty() && !d.whitespace_sep && d.quote == static_cast<unsigned char>(d.sep))
        throw ValueError("sep and quotechar must be different characters");
    return d;
}

NaSet::NaSet(const ReadOptions& o) : enabled_(o.na_filter) {
    if (!enabled_) return;
    if (o.keep_default_na)
        for (const char* s : kDefaultNa) values_.emplace_back(s);
    for (const auto& s : o.na_values) values_.push_back(s);
    std::sort(values_.begin(), values_.end());
    values_.erase(std::unique(values_.begin(), values_.end()), values_.end());
    for (const auto& s : values_) {
        if (s.empty()) {
            has_empty_ = true;
            continue;
        }
        if (s.size() < 64) {
            first_[static_cast<unsigned char>(s[0])] |= std::uint64_t{1} << s.size();
            by_length_[s.size()].push_back(s);
        } else {
            long_ = true;
        }
    }
}

bool NaSet::contains_slow(const char* p, std::size_t n) const noexcept {
    if (n < 64) {
        for (const auto& s : by_length_[n])
            if (std::memcmp(s.data(), p, n) == 0) return true;
        return false;
    }
    for (const auto& s : values_)
        if (s.size() == n && std::memcmp(s.data(), p, n) == 0) return true;
    return false;
}

}  // namespace aio::csv::detail
