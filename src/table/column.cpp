// aio::table::Column: typed values with validity, access, astype and statistics.
#include "values/datetime.hpp"
#include "values/numbers.hpp"
#include "table/column_data.hpp"
#include "table/format.hpp"

#include <aio/exceptions.hpp>
#include <aio/table/column.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace aio {

using table_detail::ColumnData;
using table_detail::kNaT;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// True when the double truncates to an int64 (false for NaN and infinities):
/// [-2^63, 2^63), both bounds exact as doubles.
bool in_int64_range(double f) noexcept { return f >= -9223372036854775808.0 && f < 9223372036854775808.0; }

std::shared_ptr<ColumnData> make(DType t, std::size_t n) {
    auto d = std::make_shared<ColumnData>();
    d->dtype = t;
    d->size = n;
    if (t == DType::object) {
        d->values.resize((n + 1) * d->offset_width());
        std::memset(d->values.data(), 0, d->values.size());
    } else {
        d->values.resize(n * table_detail::value_width(t));
    }
    return d;
}

void ensure_validity_of(ColumnData& d) {
    if (d.validity.empty() && d.size != 0) {
        d.validity.resize(d.size);
        std::memset(d.validity.data(), 1, d.size);
    }
}

/// Appends strings one by one to an object column under construction.
class StringWriter {
public:
    explicit StringWriter(std::size_t reserve) : d_(std::make_shared<ColumnData>()) {
        d_->dtype = DType::object;
        d_->values.reserve((reserve + 1) * d_->offset_width());
        d_->push_offset(0);
    }
    void push(std::string_view s) {
        d_->chars.append(s.data(), s.size());
        end();
    }
    void push_na() {
        ensure_validity_of(*d_);
        const std::uint8_t zero = 0;
        d_->validity.append(&zero, 1);
        ++d_->nulls;
        end_null();
    }
    std::shared_ptr<ColumnData> done() { return std::move(d_); }

private:
    void end() {
        d_->push_offset(d_->chars.size());
        if (!d_->validity.empty()) {
            const std::uint8_t one = 1;
            d_->validity.append(&one, 1);
        }
        ++d_->size;
    }
    void end_null() {
        d_->push_offset(d_->chars.size());
        ++d_->size;
    }
    std::shared_ptr<ColumnData> d_;
};

void ensure_validity(ColumnData& d) {
    if (d.validity.empty()) {
        d.validity.resize(d.size);
        if (d.size) std::memset(d.validity.data(), 1, d.size);
    }
}

// numpy's pairwise summation (what pandas' sum and mean of float64 reduce to).
double pairwise_sum(const double* a, std::size_t n) {
    if (n < 8) {
        double res = 0.;
        for (std::size_t i = 0; i < n; ++i) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; ++j) r[j] = a[j];
        std::size_t i = 8;
        for (; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; ++j) r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i) res += a[i];
        return res;
    }
    std::size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/// The values as doubles, missing ones as NaN (numeric columns only).
std::vector<double> as_doubles(const ColumnData& d) {
    std::vector<double> v(d.size);
    for (std::size_t i = 0; i < d.size; ++i) {
        if (!d.valid(i)) {
            v[i] = kNaN;
            continue;
        }
        switch (d.dtype) {
            case DType::int64: v[i] = static_cast<double>(d.values.as<std::int64_t>()[i]); break;
            case DType::uint64: v[i] = static_cast<double>(d.values.as<std::uint64_t>()[i]); break;
            case DType::float64: v[i] = d.values.as<double>()[i]; break;
            case DType::bool_: v[i] = d.values.as<bool>()[i] ? 1.0 : 0.0; break;
            default: throw TypeError("a numeric column is needed, not " + std::string(to_string(d.dtype)));
        }
    }
    return v;
}

bool numeric(DType t) { return t == DType::int64 || t == DType::uint64 || t == DType::float64 || t == DType::bool_; }

std::string str_of(const ColumnData& d, std::size_t i) {
    char buf[48];
    switch (d.dtype) {
        case DType::int64: return std::string(buf, table_detail::format_int(d.values.as<std::int64_t>()[i], buf));
        case DType::uint64: return std::string(buf, table_detail::format_uint(d.values.as<std::uint64_t>()[i], buf));
        case DType::float64: return table_detail::float_repr(d.values.as<double>()[i]);
        case DType::bool_: return d.values.as<bool>()[i] ? "True" : "False";
        case DType::object: return std::string(d.str(i));
        case DType::datetime64_ns: return to_string(Timestamp{d.values.as<std::int64_t>()[i]});
    }
    return {};
}

Scalar scalar_at(const ColumnData& d, std::size_t i);

[[noreturn]] void index_error(std::size_t i, std::size_t n) {
    throw IndexError("index " + std::to_string(i) + " is out of bounds for a column of size " + std::to_string(n));
}

}  // namespace

Column::Column() : data_(make(DType::object, 0)) {}
Column::Column(std::shared_ptr<const ColumnData> data) noexcept : data_(std::move(data)) {}

Column Column::from_int64(std::vector<std::int64_t> values) {
    auto d = make(DType::int64, values.size());
    if (!values.empty()) std::memcpy(d->values.data(), values.data(), values.size() * 8);
    return Column(std::move(d));
}

Column Column::from_uint64(std::vector<std::uint64_t> values) {
    auto d = make(DType::uint64, values.size());
    if (!values.empty()) std::memcpy(d->values.data(), values.data(), values.size() * 8);
    return Column(std::move(d));
}

Column Column::from_float64(std::vector<double> values) {
    auto d = make(DType::float64, values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        d->values.as<double>()[i] = values[i];
        if (std::isnan(values[i])) d->set_null(i);
    }
    return Column(std::move(d));
}

Column Column::from_bool(const std::vector<bool>& values) {
    auto d = make(DType::bool_, values.size());
    for (std::size_t i = 0; i < values.size(); ++i) d->values.as<bool>()[i] = values[i];
    return Column(std::move(d));
}

Column Column::from_strings(const std::vector<std::optional<std::string>>& values) {
    StringWriter w(values.size());
    for (const auto& v : values) {
        if (v)
            w.push(*v);
        else
            w.push_na();
    }
    return Column(w.done());
}

Column Column::from_timestamps(const std::vector<std::optional<Timestamp>>& values) {
    auto d = make(DType::datetime64_ns, values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        d->values.as<std::int64_t>()[i] = values[i] ? values[i]->ns : kNaT;
        if (!values[i] || values[i]->ns == kNaT) d->set_null(i);
    }
    return Column(std::move(d));
}

Column Column::from_scalars(const std::vector<Scalar>& values, DType dtype) {
    // Build as object (the text of each value), then convert; numbers keep
    // their exact value by taking the direct routes first.
    bool all_int = dtype == DType::int64, all_float = dtype == DType::float64;
    for (const auto& v : values) {
        if (aio::is_na(v)) {
            all_int = false;
            continue;
        }
        if (!std::holds_alternative<std::int64_t>(v)) all_int = false;
        if (!std::holds_alternative<double>(v) && !std::holds_alternative<std::int64_t>(v)) all_float = false;
    }
    if (all_int) {
        std::vector<std::int64_t> ints;
        for (const auto& v : values) ints.push_back(std::get<std::int64_t>(v));
        return from_int64(std::move(ints));
    }
    if (all_float) {
        std::vector<double> f;
        for (const auto& v : values)
            f.push_back(aio::is_na(v) ? kNaN
                                 : std::holds_alternative<double>(v) ? std::get<double>(v)
                                                                     : static_cast<double>(std::get<std::int64_t>(v)));
        return from_float64(std::move(f));
    }
    if (dtype == DType::datetime64_ns) {
        std::vector<std::optional<Timestamp>> ts;
        bool direct = true;
        for (const auto& v : values) {
            if (aio::is_na(v))
                ts.emplace_back();
            else if (auto* t = std::get_if<Timestamp>(&v))
                ts.emplace_back(*t);
            else
                direct = false;
        }
        if (direct) return from_timestamps(ts);
    }
    StringWriter w(values.size());
    for (const auto& v : values) {
        if (aio::is_na(v))
            w.push_na();
        else
            w.push(to_string(v));
    }
    return Column(w.done()).astype(dtype);
}

DType Column::dtype() const noexcept { return data_->dtype; }
std::size_t Column::size() const noexcept { return data_->size; }

std::span<const std::uint8_t> Column::validity() const noexcept {
    if (data_->validity.empty()) return {};
    return {data_->validity.as<std::uint8_t>(), data_->size};
}

bool Column::is_na(std::size_t i) const {
    if (i >= data_->size) index_error(i, data_->size);
    return !data_->valid(i);
}

std::size_t Column::null_count() const noexcept { return data_->nulls; }
std::size_t Column::count() const noexcept { return data_->size - data_->nulls; }

std::size_t Column::memory_usage() const noexcept {
    const ColumnData& d = *data_;
    if (d.size == 0) return 0;
    const std::size_t mask = d.validity.empty() ? 0 : d.size;
    if (d.dtype == DType::object) return (d.size + 1) * d.offset_width() + d.chars.size() + mask;
    return d.size * table_detail::value_width(d.dtype) + mask;
}

template <class T>
std::span<const T> Column::values() const {
    DType want;
    if constexpr (std::is_same_v<T, std::int64_t>)
        want = DType::int64;
    else if constexpr (std::is_same_v<T, std::uint64_t>)
        want = DType::uint64;
    else if constexpr (std::is_same_v<T, double>)
        want = DType::float64;
    else if constexpr (std::is_same_v<T, bool>)
        want = DType::bool_;
    else
        want = DType::datetime64_ns;
    if (data_->dtype != want)
        throw TypeError("the column is " + std::string(to_string(data_->dtype)) + ", not " +
                        std::string(to_string(want)));
    return {data_->values.as<T>(), data_->size};
}

template std::span<const std::int64_t> Column::values<std::int64_t>() const;
template std::span<const std::uint64_t> Column::values<std::uint64_t>() const;
template std::span<const double> Column::values<double>() const;
template std::span<const bool> Column::values<bool>() const;
template std::span<const Timestamp> Column::values<Timestamp>() const;

std::string_view Column::str(std::size_t i) const {
    if (data_->dtype != DType::object)
        throw TypeError("str() needs an object column, not " + std::string(to_string(data_->dtype)));
    if (i >= data_->size) index_error(i, data_->size);
    return data_->str(i);
}

Scalar Column::at(std::size_t i) const {
    if (i >= data_->size) index_error(i, data_->size);
    return scalar_at(*data_, i);
}

namespace {
Scalar scalar_at(const ColumnData& d, std::size_t i) {
    if (!d.valid(i)) return std::monostate{};
    switch (d.dtype) {
        case DType::int64: return d.values.as<std::int64_t>()[i];
        case DType::uint64: return d.values.as<std::uint64_t>()[i];
        case DType::float64: return d.values.as<double>()[i];
        case DType::bool_: return d.values.as<bool>()[i];
        case DType::object: return std::string(d.str(i));
        case DType::datetime64_ns: return Timestamp{d.values.as<std::int64_t>()[i]};
    }
    return std::monostate{};
}
}  // namespace

Scalar Column::sum() const {
    const ColumnData& d = *data_;
    switch (d.dtype) {
        case DType::int64: {
            std::uint64_t s = 0;  // wraps as NumPy's int64 sum does
            for (std::size_t i = 0; i < d.size; ++i) s += static_cast<std::uint64_t>(d.values.as<std::int64_t>()[i]);
            return static_cast<std::int64_t>(s);
        }
        case DType::uint64: {
            std::uint64_t s = 0;
            for (std::size_t i = 0; i < d.size; ++i) s += d.values.as<std::uint64_t>()[i];
            return s;
        }
        case DType::bool_: {
            std::int64_t s = 0;
            for (std::size_t i = 0; i < d.size; ++i) s += d.values.as<bool>()[i];
            return s;
        }
        case DType::float64: {
            std::vector<double> v = as_doubles(d);
            for (double& x : v)
                if (std::isnan(x)) x = 0.0;
            return pairwise_sum(v.data(), v.size());
        }
        case DType::object: {
            std::string s;
            for (std::size_t i = 0; i < d.size; ++i)
                if (d.valid(i)) s += d.str(i);
            if (d.size == d.nulls) return std::int64_t{0};
            return s;
        }
        case DType::datetime64_ns: break;
    }
    throw TypeError("datetime64 columns have no sum");
}

double Column::mean() const {
    if (!numeric(data_->dtype)) throw TypeError("mean() needs a numeric column, not " + std::string(to_string(dtype())));
    std::vector<double> v = as_doubles(*data_);
    const std::size_t n = count();
    if (n == 0) return kNaN;
    for (double& x : v)
        if (std::isnan(x)) x = 0.0;
    return pairwise_sum(v.data(), v.size()) / static_cast<double>(n);
}

double Column::std(int ddof) const {
    if (!numeric(data_->dtype)) throw TypeError("std() needs a numeric column, not " + std::string(to_string(dtype())));
    std::vector<double> v = as_doubles(*data_);
    const std::size_t n = count();
    if (static_cast<std::ptrdiff_t>(n) - ddof <= 0) return kNaN;
    std::vector<bool> missing(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
        if (std::isnan(v[i])) {
            missing[i] = true;
            v[i] = 0.0;
        }
    const double avg = pairwise_sum(v.data(), v.size()) / static_cast<double>(n);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = missing[i] ? 0.0 : (avg - v[i]) * (avg - v[i]);
    const double var = pairwise_sum(v.data(), v.size()) / static_cast<double>(static_cast<std::ptrdiff_t>(n) - ddof);
    return std::sqrt(var);
}

double Column::quantile(double q) const {
    if (!numeric(data_->dtype))
        throw TypeError("quantile() needs a numeric column, not " + std::string(to_string(dtype())));
    if (!(q >= 0.0 && q <= 1.0)) throw ValueError("percentiles should all be in the interval [0, 1]");
    std::vector<double> v = as_doubles(*data_);
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    if (v.empty()) return kNaN;
    std::sort(v.begin(), v.end());
    // NumPy's "linear" method, with its rounding.
    const double n = static_cast<double>(v.size());
    const double virtual_index = (n * q + (1.0 + q * (1.0 - 1.0 - 1.0))) - 1.0;
    double prev = std::floor(virtual_index);
    const double gamma = virtual_index - prev;
    const double last = n - 1;
    double next = prev + 1;
    prev = std::clamp(prev, 0.0, last);
    next = std::clamp(next, 0.0, last);
    const double a = v[static_cast<std::size_t>(prev)];
    const double b = v[static_cast<std::size_t>(next)];
    const double diff = b - a;
    if (gamma >= 0.5) return b - diff * (1 - gamma);
    return a + diff * gamma;
}

namespace {
Scalar extreme(const ColumnData& d, bool want_max) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < d.size; ++i) {
        if (!d.valid(i)) continue;
        if (!best) {
            best = i;
            continue;
        }
        bool better = false;
        const std::size_t b = *best;
        switch (d.dtype) {
            case DType::int64:
            case DType::datetime64_ns: {
                auto x = d.values.as<std::int64_t>()[i], y = d.values.as<std::int64_t>()[b];
                better = want_max ? x > y : x < y;
                break;
            }
            case DType::uint64: {
                auto x = d.values.as<std::uint64_t>()[i], y = d.values.as<std::uint64_t>()[b];
                better = want_max ? x > y : x < y;
                break;
            }
            case DType::float64: {
                auto x = d.values.as<double>()[i], y = d.values.as<double>()[b];
                better = want_max ? x > y : x < y;
                break;
            }
            case DType::bool_: {
                auto x = d.values.as<bool>()[i], y = d.values.as<bool>()[b];
                better = want_max ? x > y : x < y;
                break;
            }
            case DType::object: {
                auto x = d.str(i), y = d.str(b);
                better = want_max ? x > y : x < y;
                break;
            }
        }
        if (better) best = i;
    }
    if (!best) return std::monostate{};
    return scalar_at(d, *best);
}
}  // namespace

Scalar Column::min() const { return extreme(*data_, false); }
Scalar Column::max() const { return extreme(*data_, true); }

Column Column::take(std::span<const std::size_t> positions) const {
    const ColumnData& d = *data_;
    for (std::size_t p : positions)
        if (p >= d.size) index_error(p, d.size);
    const std::size_t n = positions.size();
    if (d.dtype == DType::object) {
        std::size_t bytes = 0;
        for (std::size_t p : positions) bytes += d.str(p).size();
        auto out = std::make_shared<ColumnData>();
        out->dtype = DType::object;
        out->size = n;
        out->wide_offsets = bytes > table_detail::max_narrow_offset;
        out->values.resize((n + 1) * out->offset_width());
        out->chars.reserve(bytes);
        out->set_offset(0, 0);
        for (std::size_t i = 0; i < n; ++i) {
            auto s = d.str(positions[i]);
            out->chars.append(s.data(), s.size());
            out->set_offset(i + 1, out->chars.size());
        }
        if (d.nulls)
            for (std::size_t i = 0; i < n; ++i)
                if (!d.valid(positions[i])) out->set_null(i);
        return Column(std::move(out));
    }
    auto out = make(d.dtype, n);
    const std::size_t w = table_detail::value_width(d.dtype);
    for (std::size_t i = 0; i < n; ++i)
        std::memcpy(out->values.data() + i * w, d.values.data() + positions[i] * w, w);
    if (d.nulls)
        for (std::size_t i = 0; i < n; ++i)
            if (!d.valid(positions[i])) out->set_null(i);
    return Column(std::move(out));
}

Column Column::slice(std::size_t offset, std::size_t length) const {
    const std::size_t n = data_->size;
    offset = std::min(offset, n);
    length = std::min(length, n - offset);
    std::vector<std::size_t> pos(length);
    for (std::size_t i = 0; i < length; ++i) pos[i] = offset + i;
    return take(pos);
}

Column Column::isna() const {
    auto out = make(DType::bool_, size());
    for (std::size_t i = 0; i < size(); ++i) out->values.as<bool>()[i] = !data_->valid(i);
    return Column(std::move(out));
}

Column Column::fillna(const Scalar& value) const {
    const ColumnData& d = *data_;
    if (d.nulls == 0 || aio::is_na(value)) return *this;
    auto fits = [&]() -> bool {
        switch (d.dtype) {
            case DType::float64:
                return std::holds_alternative<double>(value) || std::holds_alternative<std::int64_t>(value) ||
                       std::holds_alternative<std::uint64_t>(value) || std::holds_alternative<bool>(value);
            case DType::datetime64_ns: return std::holds_alternative<Timestamp>(value);
            case DType::object: return true;
            default: return false;
        }
    };
    if (!fits())
        throw TypeError("cannot fill a " + std::string(to_string(d.dtype)) + " column with " + aio::to_string(value));
    if (d.dtype == DType::object) {
        const std::string fill = aio::to_string(value);
        StringWriter w(d.size);
        for (std::size_t i = 0; i < d.size; ++i) w.push(d.valid(i) ? d.str(i) : std::string_view(fill));
        return Column(w.done());
    }
    auto out = make(d.dtype, d.size);
    std::memcpy(out->values.data(), d.values.data(), d.size * 8);
    if (d.dtype == DType::float64) {
        double f = std::visit(
            [](auto&& v) -> double {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, double> || std::is_same_v<V, std::int64_t> ||
                              std::is_same_v<V, std::uint64_t> || std::is_same_v<V, bool>)
                    return static_cast<double>(v);
                else
                    return 0.0;
            },
            value);
        for (std::size_t i = 0; i < d.size; ++i)
            if (!d.valid(i)) out->values.as<double>()[i] = f;
    } else {
        const std::int64_t t = std::get<Timestamp>(value).ns;
        for (std::size_t i = 0; i < d.size; ++i)
            if (!d.valid(i)) out->values.as<std::int64_t>()[i] = t;
    }
    return Column(std::move(out));
}

Column Column::astype(DType to) const {
    const ColumnData& d = *data_;
    if (d.dtype == to) return *this;
    const std::size_t n = d.size;
    auto bad = [&](std::size_t i, const std::string& why) -> ValueError {
        return ValueError("could not convert " + (d.valid(i) ? "'" + str_of(d, i) + "'" : std::string("NaN")) +
                          " to " + std::string(to_string(to)) + " at row " + std::to_string(i) +
                          (why.empty() ? "" : ": " + why));
    };
    if (to == DType::object) {
        StringWriter w(n);
        for (std::size_t i = 0; i < n; ++i) {
            if (d.valid(i))
                w.push(str_of(d, i));
            else
                w.push_na();
        }
        return Column(w.done());
    }
    auto out = make(to, n);
    for (std::size_t i = 0; i < n; ++i) {
        const bool valid = d.valid(i);
        switch (to) {
            case DType::float64: {
                double v = kNaN;
                if (valid) {
                    switch (d.dtype) {
                        case DType::int64: v = static_cast<double>(d.values.as<std::int64_t>()[i]); break;
                        case DType::uint64: v = static_cast<double>(d.values.as<std::uint64_t>()[i]); break;
                        case DType::bool_: v = d.values.as<bool>()[i]; break;
                        case DType::object: {
                            auto s = d.str(i);
                            if (!values::parse_double(s.data(), s.size(), '.', 0, v)) {
                                if (values::iequals(s.data(), s.size(), "nan")) {
                                    v = kNaN;
                                    break;
                                }
                                throw bad(i, "");
                            }
                            break;
                        }
                        default: throw TypeError("cannot convert datetime64[ns] to float64");
                    }
                }
                out->values.as<double>()[i] = v;
                if (std::isnan(v)) out->set_null(i);
                break;
            }
            case DType::int64:
            case DType::uint64: {
                if (!valid) throw bad(i, "missing values cannot be integers");
                std::int64_t v = 0;
                std::uint64_t u = 0;
                bool neg_ok = to == DType::int64;
                switch (d.dtype) {
                    case DType::int64:
                    case DType::datetime64_ns: v = d.values.as<std::int64_t>()[i]; break;
                    case DType::uint64: u = d.values.as<std::uint64_t>()[i]; break;
                    case DType::bool_: v = d.values.as<bool>()[i]; break;
                    case DType::float64: {
                        const double f = d.values.as<double>()[i];
                        if (!std::isfinite(f)) throw bad(i, "non-finite values cannot be integers");
                        if (!in_int64_range(f)) throw bad(i, "out of range");
                        v = static_cast<std::int64_t>(f);
                        break;
                    }
                    case DType::object: {
                        auto s = d.str(i);
                        if (to == DType::int64) {
                            if (values::parse_int64(s.data(), s.size(), 0, v) != values::IntStatus::ok)
                                throw bad(i, "");
                        } else {
                            auto st = values::parse_uint64(s.data(), s.size(), 0, u);
                            if (st == values::UintStatus::ok_small || st == values::UintStatus::ok_big) break;
                            throw bad(i, "");
                        }
                        break;
                    }
                }
                if (to == DType::int64) {
                    if (d.dtype == DType::uint64) {
                        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                            throw bad(i, "out of range");
                        v = static_cast<std::int64_t>(u);
                    }
                    out->values.as<std::int64_t>()[i] = v;
                } else {
                    if (d.dtype != DType::uint64 && d.dtype != DType::object) {
                        if (v < 0 && !neg_ok) throw bad(i, "negative");
                        u = static_cast<std::uint64_t>(v);
                    }
                    out->values.as<std::uint64_t>()[i] = u;
                }
                break;
            }
            case DType::bool_: {
                bool b = true;  // NaN is truthy, as in Python
                if (valid) {
                    switch (d.dtype) {
                        case DType::int64:
                        case DType::datetime64_ns: b = d.values.as<std::int64_t>()[i] != 0; break;
                        case DType::uint64: b = d.values.as<std::uint64_t>()[i] != 0; break;
                        case DType::float64: b = d.values.as<double>()[i] != 0.0; break;
                        case DType::object: b = !d.str(i).empty(); break;
                        default: break;
                    }
                }
                out->values.as<bool>()[i] = b;
                break;
            }
            case DType::datetime64_ns: {
                std::int64_t ns = kNaT;
                if (valid) {
                    switch (d.dtype) {
                        case DType::int64: ns = d.values.as<std::int64_t>()[i]; break;
                        case DType::uint64: {
                            const std::uint64_t u = d.values.as<std::uint64_t>()[i];
                            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                                throw bad(i, "out of range");
                            ns = static_cast<std::int64_t>(u);
                            break;
                        }
                        case DType::float64: {
                            // Whole nanoseconds (truncated, as NumPy casts); past
                            // int64 (or infinite) is out of range.
                            const double f = d.values.as<double>()[i];
                            if (!in_int64_range(f)) throw bad(i, "out of range");
                            ns = static_cast<std::int64_t>(f);
                            break;
                        }
                        case DType::object: {
                            auto s = d.str(i);
                            if (s != "NaT" && !values::parse_datetime(s, {}, ns)) throw bad(i, "not a date");
                            if (s == "NaT") ns = kNaT;
                            break;
                        }
                        default: throw TypeError("cannot convert bool to datetime64[ns]");
                    }
                }
                out->values.as<std::int64_t>()[i] = ns;
                if (ns == kNaT) out->set_null(i);
                break;
            }
            case DType::object: break;
        }
    }
    return Column(std::move(out));
}

Column Column::unique() const {
    const ColumnData& d = *data_;
    std::vector<std::size_t> first;
    bool na_seen = false;
    switch (d.dtype) {
        case DType::object: {
            std::unordered_set<std::string_view> seen;
            for (std::size_t i = 0; i < d.size; ++i) {
                if (!d.valid(i)) {
                    if (!na_seen) first.push_back(i);
                    na_seen = true;
                } else if (seen.insert(d.str(i)).second) {
                    first.push_back(i);
                }
            }
            break;
        }
        case DType::bool_: {
            bool seen[2] = {false, false};
            for (std::size_t i = 0; i < d.size; ++i) {
                const bool b = d.values.as<bool>()[i];
                if (!seen[b]) first.push_back(i);
                seen[b] = true;
            }
            break;
        }
        default: {
            std::unordered_set<std::uint64_t> seen;
            for (std::size_t i = 0; i < d.size; ++i) {
                if (!d.valid(i)) {
                    if (!na_seen) first.push_back(i);
                    na_seen = true;
                    continue;
                }
                std::uint64_t key = d.values.as<std::uint64_t>()[i];
                if (d.dtype == DType::float64 && d.values.as<double>()[i] == 0.0) key = 0;  // -0.0 == 0.0
                if (seen.insert(key).second) first.push_back(i);
            }
        }
    }
    return take(first);
}

Column Column::concat(std::span<const Column> columns) {
    if (columns.empty()) return Column();
    DType t = columns[0].dtype();
    for (const auto& c : columns) {
        const DType u = c.dtype();
        if (u == t) continue;
        const bool num_t = t == DType::int64 || t == DType::uint64 || t == DType::float64;
        const bool num_u = u == DType::int64 || u == DType::uint64 || u == DType::float64;
        t = num_t && num_u ? DType::float64 : DType::object;
    }
    std::size_t total = 0;
    for (const auto& c : columns) total += c.size();
    if (t == DType::object) {
        StringWriter w(total);
        for (const auto& c0 : columns) {
            const Column c = c0.astype(DType::object);
            const ColumnData& d = *c.data_;
            for (std::size_t i = 0; i < d.size; ++i) {
                if (d.valid(i))
                    w.push(d.str(i));
                else
                    w.push_na();
            }
        }
        return Column(w.done());
    }
    auto out = make(t, total);
    const std::size_t w = table_detail::value_width(t);
    std::size_t at = 0;
    for (const auto& c0 : columns) {
        const Column c = c0.astype(t);
        const ColumnData& d = *c.data_;
        std::memcpy(out->values.data() + at * w, d.values.data(), d.size * w);
        if (d.nulls) {
            ensure_validity(*out);
            for (std::size_t i = 0; i < d.size; ++i)
                if (!d.valid(i)) {
                    out->validity.as<std::uint8_t>()[at + i] = 0;
                    ++out->nulls;
                }
        }
        at += d.size;
    }
    return Column(std::move(out));
}

}  // namespace aio
