// Typed columns built from tokenized fields: dtype inference, NA values, converters, parse_dates.
#include "csv/column_builder.hpp"

#include "values/datetime.hpp"
#include "values/numbers.hpp"
#include "table/format.hpp"

#include <aio/csv/errors.hpp>

#include <cstring>
#include <limits>
#include <utility>

namespace aio::csv::detail {

using aio::table_detail::ColumnData;
using aio::table_detail::kNaT;
using namespace aio::values;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Bytes a short copy may write past the end of a string arena (a cell of
/// up to 32 bytes is copied as 32, without a length-dependent branch).
constexpr std::size_t kCopySlack = 32;

enum class Outcome : unsigned char { ok, na, invalid, overflow };

/// Walks the fields of one column of a block.
class Cells {
public:
    Cells(const BlockView& v, std::size_t col, const ConvertSettings& s)
        : text_(v.text), fields_(v.rows->row(v.r0) + col), stride_(v.rows->ncols), n_(v.r1 - v.r0), na_(s.na) {}
    std::size_t size() const noexcept { return n_; }
    /// Bytes of cell i (0 when absent).
    std::size_t length(std::size_t i) const noexcept {
        const Field f = fields_[i * stride_];
        return f.length == kAbsent ? 0 : f.length;
    }
    /// False for a missing value (an absent field or an NA string).
    [[gnu::always_inline]] bool get(std::size_t i, const char*& p, std::size_t& len,
                                    bool na_filter = true) const noexcept {
        const Field f = fields_[i * stride_];
        if (f.length == kAbsent) return false;
        p = text_ + f.offset;
        len = f.length;
        return !(na_filter && na_.enabled() && na_.contains(p, len));
    }
    /// The bytes of cell i, NA strings included; false when absent.
    [[gnu::always_inline]] bool raw(std::size_t i, const char*& p, std::size_t& len) const noexcept {
        const Field f = fields_[i * stride_];
        if (f.length == kAbsent) return false;
        p = text_ + f.offset;
        len = f.length;
        return true;
    }
    /// Whether the present cell p[0, len) is an NA string.
    bool is_na(const char* p, std::size_t len) const noexcept { return na_.enabled() && na_.contains(p, len); }

private:
    const char* text_;
    const Field* fields_;
    std::size_t stride_;
    std::size_t n_;
    const NaSet& na_;
};

// Storage helpers. A ColumnData holds rows [0, size); these append at the end.

void begin_object(ColumnData& d) {
    if (d.values.empty()) {
        d.wide_offsets = false;
        d.push_offset(0);
    }
}

/// Appends `n` rows' validity (`valid` may be null: all present).
void append_validity(ColumnData& d, std::size_t old_size, const std::uint8_t* valid, std::size_t n,
                     std::size_t nulls) {
    if (nulls == 0 && d.validity.empty()) return;
    if (d.validity.empty() && old_size != 0) {
        d.validity.resize(old_size);
        std::memset(d.validity.data(), 1, old_size);
    }
    std::byte* dst = d.validity.extend(n);
    if (valid != nullptr)
        std::memcpy(dst, valid, n);
    else
        std::memset(dst, 1, n);
    d.nulls += nulls;
}

/// Truncates to `size` rows (dropping a partly appended block).
void truncate(ColumnData& d, std::size_t size, Kind kind, std::size_t nulls) {
    if (kind == Kind::object) {
        const std::uint64_t end = d.offset(size);
        d.values.resize((size + 1) * d.offset_width());
        d.chars.resize(end);
    } else {
        d.values.resize(size * aio::table_detail::value_width(kind == Kind::bool_ ? DType::bool_ : DType::int64));
    }
    if (!d.validity.empty()) d.validity.resize(size);
    d.size = size;
    d.nulls = nulls;
}

// The block parsers. Each appends the cells to `d` (of its kind) and returns
// ok, or why it stopped; on anything but ok the caller truncates.

struct Scratch {
    aio::table_detail::Buffer valid;
    std::uint8_t* reset(std::size_t n) {
        valid.resize(n);
        return valid.as<std::uint8_t>();
    }
};

Outcome parse_ints(const Cells& c, const ConvertSettings& s, ColumnData& d) {
    const std::size_t n = c.size();
    // In locals: the stores to `out` could otherwise alias the settings' chars.
    const char thousands = s.thousands;
    const bool na_numeric = s.na_numeric;
    auto* out = reinterpret_cast<std::int64_t*>(d.values.extend(n * 8));
    for (std::size_t i = 0; i < n; ++i) {
        const char* p;
        std::size_t len;
        // Parsed before the NA lookup when no NA string is a number: a
        // number is then never missing, and only the rest is looked up.
        if (!(na_numeric ? c.get(i, p, len) : c.raw(i, p, len))) return Outcome::na;
        const IntStatus st = parse_int64<true>(p, len, thousands, out[i]);
        if (st != IntStatus::ok) {
            if (!na_numeric && c.is_na(p, len)) return Outcome::na;
            return st == IntStatus::overflow ? Outcome::overflow : Outcome::invalid;
        }
    }
    d.size += n;
    return Outcome::ok;
}

Outcome parse_floats(const Cells& c, const ConvertSettings& s, ColumnData& d, Scratch& scratch) {
    const std::size_t n = c.size();
    const std::size_t old = d.size;
    auto* out = reinterpret_cast<double*>(d.values.extend(n * 8));
    std::uint8_t* valid = nullptr;
    std::size_t nulls = 0;
    const char decimal = s.decimal;
    const char thousands = s.thousands;
    const bool na_numeric = s.na_numeric;
    for (std::size_t i = 0; i < n; ++i) {
        const char* p;
        std::size_t len;
        // As parse_ints: the NA lookup after the parse when no NA string is a number.
        bool missing = !(na_numeric ? c.get(i, p, len) : c.raw(i, p, len));
        if (!missing && !parse_double(p, len, decimal, thousands, out[i])) {
            if (na_numeric || !c.is_na(p, len)) return Outcome::invalid;
            missing = true;
        }
        if (missing) {
            if (valid == nullptr) {
                valid = scratch.reset(n);
                std::memset(valid, 1, n);
            }
            valid[i] = 0;
            ++nulls;
            out[i] = kNaN;
        }
        // No NaN comes out of parse_double (it takes "inf" but not "nan"):
        // text that means NaN is missing only through the NA strings, above.
    }
    d.size += n;
    append_validity(d, old, valid, n, nulls);
    return Outcome::ok;
}

/// Bools; missing values allowed only when `allow_na`.
Outcome parse_bools(const Cells& c, ColumnData& d, Scratch& scratch, bool allow_na) {
    const std::size_t n = c.size();
    const std::size_t old = d.size;
    auto* out = reinterpret_cast<bool*>(d.values.extend(n));
    std::uint8_t* valid = nullptr;
    std::size_t nulls = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char* p;
        std::size_t len;
        if (!c.get(i, p, len)) {
            if (!allow_na) return Outcome::na;
            if (valid == nullptr) {
                valid = scratch.reset(n);
                std::memset(valid, 1, n);
            }
            valid[i] = 0;
            ++nulls;
            out[i] = false;
            continue;
        }
        const int b = parse_bool(p, len);
        if (b < 0) return Outcome::invalid;
        out[i] = b == 1;
    }
    d.size += n;
    append_validity(d, old, valid, n, nulls);
    return Outcome::ok;
}

template <class Offset>
void parse_strings_into(const Cells& c, ColumnData& d, Scratch& scratch, bool na_filter, std::size_t bytes) {
    const std::size_t n = c.size();
    const std::size_t old = d.size;
    d.values.reserve((old + n + 1) * sizeof(Offset));
    Offset* off = d.values.as<Offset>() + old;
    std::uint64_t pos = off[0];
    std::uint8_t* valid = nullptr;
    std::size_t nulls = 0;
    d.chars.reserve(pos + bytes + kCopySlack);
    char* chars = reinterpret_cast<char*>(d.chars.data());
    for (std::size_t i = 0; i < n; ++i) {
        const char* p;
        std::size_t len;
        if (!c.get(i, p, len, na_filter)) {
            if (valid == nullptr) {
                valid = scratch.reset(n);
                std::memset(valid, 1, n);
            }
            valid[i] = 0;
            ++nulls;
        } else {
            // Fixed-size moves, no library call: the text has padding after it
            // and the arena has slack for the last move's excess.
            if (len <= 32) {
                std::memcpy(chars + pos, p, 32);
            } else if (len <= 64) {
                for (std::size_t k = 0; k < len; k += 16) std::memcpy(chars + pos + k, p + k, 16);
            } else {
                std::memcpy(chars + pos, p, len);
            }
            pos += len;
        }
        off[i + 1] = static_cast<Offset>(pos);
    }
    d.chars.resize(pos);
    d.values.resize((old + n + 1) * sizeof(Offset));
    d.size += n;
    append_validity(d, old, valid, n, nulls);
}

void parse_strings(const Cells& c, ColumnData& d, Scratch& scratch, bool na_filter) {
    begin_object(d);
    // Room for every byte of the block's cells plus the over-copy below.
    const std::size_t n = c.size();
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < n; ++i) bytes += c.length(i);
    // The offsets go 64-bit before the first that needs it is written.
    if (d.offset(d.size) + bytes > aio::table_detail::max_narrow_offset) d.widen_offsets();
    if (d.wide_offsets)
        parse_strings_into<std::uint64_t>(c, d, scratch, na_filter, bytes);
    else
        parse_strings_into<std::uint32_t>(c, d, scratch, na_filter, bytes);
}

void push_string(ColumnData& d, const char* p, std::size_t n) {
    d.chars.append(p, n);
    d.push_offset(d.chars.size());
}

/// Rewrites `d` (of kind `from`) as `to`, in place where the width allows.
void convert(ColumnData& d, Kind from, Kind to) {
    if (from == to) return;
    const std::size_t n = d.size;
    const std::uint8_t* valid = d.validity.empty() ? nullptr : d.validity.as<std::uint8_t>();
    if (to == Kind::float64) {
        auto* out = d.values.as<double>();
        if (from == Kind::int64) {
            const auto* in = d.values.as<std::int64_t>();
            for (std::size_t i = 0; i < n; ++i) out[i] = valid && !valid[i] ? kNaN : static_cast<double>(in[i]);
        } else if (from == Kind::uint64) {
            const auto* in = d.values.as<std::uint64_t>();
            for (std::size_t i = 0; i < n; ++i) out[i] = valid && !valid[i] ? kNaN : static_cast<double>(in[i]);
        } else if (from == Kind::bool_) {
            aio::table_detail::Buffer b;
            b.resize(n * 8);
            const auto* in = d.values.as<bool>();
            for (std::size_t i = 0; i < n; ++i) b.as<double>()[i] = valid && !valid[i] ? kNaN : in[i] ? 1.0 : 0.0;
            d.values = std::move(b);
        }
        return;  // null → float64: already NaN
    }
    if (to == Kind::uint64) return;  // from int64, all values ≥ 0: same bits
    if (to == Kind::datetime) {      // from null
        auto* out = d.values.as<std::int64_t>();
        for (std::size_t i = 0; i < n; ++i) out[i] = kNaT;
        return;
    }
    // → object: each value as Python's str() of it.
    ColumnData s;
    s.size = 0;
    begin_object(s);
    s.values.reserve((n + 1) * s.offset_width());
    char buf[48];
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t len = 0;
        if (!(valid && !valid[i])) {
            switch (from) {
                case Kind::int64: len = aio::table_detail::format_int(d.values.as<std::int64_t>()[i], buf); break;
                case Kind::uint64: len = aio::table_detail::format_uint(d.values.as<std::uint64_t>()[i], buf); break;
                case Kind::float64: len = aio::table_detail::format_float_repr(d.values.as<double>()[i], buf); break;
                case Kind::bool_:
                    len = d.values.as<bool>()[i] ? 4 : 5;
                    std::memcpy(buf, d.values.as<bool>()[i] ? "True" : "False", len);
                    break;
                case Kind::datetime: {
                    std::string t = to_string(Timestamp{d.values.as<std::int64_t>()[i]});
                    push_string(s, t.data(), t.size());
                    continue;
                }
                default: break;
            }
        }
        push_string(s, buf, len);
    }
    d.values = std::move(s.values);
    d.chars = std::move(s.chars);
    d.wide_offsets = s.wide_offsets;
}

/// pandas' uint64 inference for a block where an integer overflowed int64.
Kind infer_big_ints(const Cells& c, const ConvertSettings& s, ColumnData& d, Scratch& scratch) {
    bool seen_uint = false, seen_sint = false, seen_null = false;
    Outcome error = Outcome::ok;
    const std::size_t n = c.size();
    aio::table_detail::Buffer vals;
    vals.resize(n * 8);
    for (std::size_t i = 0; i < n && error == Outcome::ok; ++i) {
        const char* p;
        std::size_t len;
        if (!c.get(i, p, len)) {
            seen_null = true;
            continue;
        }
        std::uint64_t v = 0;
        switch (parse_uint64(p, len, s.thousands, v)) {
            case UintStatus::ok_small: break;
            case UintStatus::ok_big: seen_uint = true; break;
            case UintStatus::negative: seen_sint = true; break;
            case UintStatus::overflow: error = Outcome::overflow; break;
            case UintStatus::invalid: error = Outcome::invalid; break;
        }
        vals.as<std::uint64_t>()[i] = v;
    }
    if (error == Outcome::ok) {
        if (seen_uint && (seen_sint || seen_null)) {
            // Neither uint64 nor int64 holds them: text, without NA detection (as pandas).
            parse_strings(c, d, scratch, false);
            return Kind::object;
        }
        d.values.append(vals.data(), n * 8);
        d.size += n;
        return Kind::uint64;
    }
    if (error == Outcome::invalid) {
        const std::size_t old = d.size;
        if (parse_floats(c, s, d, scratch) == Outcome::ok) return Kind::float64;
        truncate(d, old, Kind::float64, 0);
    }
    parse_strings(c, d, scratch, true);
    return Kind::object;
}

/// Empties `d` but keeps its buffers' room: a column reserved before its
/// first block keeps its reservation when that block is parsed again as
/// another type.
void clear_keeping_room(ColumnData& d) noexcept {
    d.values.clear();
    d.chars.clear();
    d.validity.clear();
    d.size = 0;
    d.nulls = 0;
}

/// Full inference of one block into the empty `d`.
Kind infer_block(const Cells& c, const ConvertSettings& s, ColumnData& d, Scratch& scratch) {
    const Outcome ints = parse_ints(c, s, d);
    if (ints == Outcome::ok) return Kind::int64;
    truncate(d, 0, Kind::int64, 0);
    if (ints == Outcome::overflow) return infer_big_ints(c, s, d, scratch);
    if (parse_floats(c, s, d, scratch) == Outcome::ok) return d.nulls == d.size ? Kind::null : Kind::float64;
    clear_keeping_room(d);
    if (parse_bools(c, d, scratch, true) == Outcome::ok) {
        if (d.nulls == 0) return Kind::bool_;
        convert(d, Kind::bool_, Kind::object);  // bool with gaps: object, as pandas
        return Kind::object;
    }
    clear_keeping_room(d);
    parse_strings(c, d, scratch, true);
    return Kind::object;
}

std::string quote_value(const char* p, std::size_t n) {
    std::string v(p, n);
    if (v.size() > 80) v = v.substr(0, 77) + "...";
    return "'" + v + "'";
}

}  // namespace

void ColumnBuilder::append(const BlockView& view) {
    if (view.r1 <= view.r0) return;
    if (spec_->dtype) {
        append_user(view);
        return;
    }
    const Cells cells(view, spec_->source, *settings_);
    Scratch scratch;
    // First try the column's current type, straight into its storage.
    const std::size_t old = data_.size;
    const std::size_t old_nulls = data_.nulls;
    Outcome direct = Outcome::invalid;
    switch (spec_->parse_dates ? Kind::object : kind_) {
        case Kind::int64: direct = parse_ints(cells, *settings_, data_); break;
        case Kind::float64: direct = parse_floats(cells, *settings_, data_, scratch); break;
        case Kind::bool_: direct = parse_bools(cells, data_, scratch, false); break;
        case Kind::object:
            parse_strings(cells, data_, scratch, true);
            kind_ = Kind::object;
            return;
        default: break;
    }
    if (direct == Outcome::ok) return;
    if (kind_ == Kind::int64 || kind_ == Kind::float64 || kind_ == Kind::bool_) truncate(data_, old, kind_, old_nulls);
    if (kind_ == Kind::none) {
        // The first rows: inferred straight into the column's storage, which
        // may be reserved already (reserve_values).
        kind_ = infer_block(cells, *settings_, data_, scratch);
        return;
    }
    ColumnData block;
    const Kind k = infer_block(cells, *settings_, block, scratch);
    merge(std::move(block), k);
}

namespace {

/// The bytes of each buffer of `d` (values, chars, validity) at `rows` rows
/// of `kind`; all 0 when the kind says nothing of the storage yet.
struct Reservation {
    std::size_t values = 0, chars = 0, validity = 0;
    std::size_t total() const noexcept { return values + chars + validity; }
};

Reservation reservation_for(const aio::table_detail::ColumnData& d, Kind kind, std::size_t rows) noexcept {
    Reservation r;
    if (d.size == 0 || rows <= d.size) return r;
    switch (kind) {
        case Kind::int64:
        case Kind::uint64:
        case Kind::float64:
        case Kind::datetime: r.values = rows * 8; break;
        case Kind::bool_: r.values = rows; break;
        case Kind::object:
            r.values = (rows + 1) * d.offset_width();
            r.chars = static_cast<std::size_t>(static_cast<double>(d.chars.size()) / static_cast<double>(d.size) *
                                               static_cast<double>(rows));
            break;
        default: return r;  // none, or only missing values: the type is still open
    }
    if (!d.validity.empty()) r.validity = rows;
    return r;
}

}  // namespace

std::size_t ColumnBuilder::bytes_for_rows(std::size_t rows) const noexcept {
    return reservation_for(data_, kind_, rows).total();
}

namespace {

/// Reservations this large or larger are made; smaller columns grow as
/// they go.
constexpr std::size_t kReserveFloor = std::size_t{256} << 10;

/// From Buffer::kMapThreshold up a reservation is a huge-page mapping (one
/// fault per 2 MiB, and at most twice the bytes it holds once touched);
/// below it, one heap block of the size asked: no copy at each doubling,
/// but no huge page either (a wide table of columns just over kReserveFloor
/// would otherwise hold 2 MiB of memory for each), unless it is 512 KiB or
/// more (a quarter of a huge page) and `slack` pays for the rest.
void reserve_buffer(aio::table_detail::Buffer& b, std::size_t bytes, std::size_t& slack) {
    using aio::table_detail::Buffer;
    if (bytes < kReserveFloor || bytes <= b.capacity()) return;
    if (bytes >= Buffer::kHugePage / 4 && bytes < Buffer::kMapThreshold && Buffer::kHugePage - bytes <= slack) {
        slack -= Buffer::kHugePage - bytes;
        bytes = Buffer::kHugePage;
    }
    b.reserve(bytes);
}

}  // namespace

void ColumnBuilder::reserve_values(std::size_t rows) {
    std::size_t no_slack = 0;
    if (kind_ == Kind::none && data_.size == 0) reserve_buffer(data_.values, (rows + 1) * 8, no_slack);
}

void ColumnBuilder::reserve_rows(std::size_t rows, std::size_t& slack) {
    const Reservation r = reservation_for(data_, kind_, rows);
    reserve_buffer(data_.values, r.values, slack);
    reserve_buffer(data_.chars, r.chars, slack);
    reserve_buffer(data_.validity, r.validity, slack);
}

void ColumnBuilder::append_user(const BlockView& view) {
    const Cells cells(view, spec_->source, *settings_);
    Scratch scratch;
    const DType t = *spec_->dtype;
    const std::size_t n = cells.size();
    const std::size_t old = data_.size;
    auto fail = [&](std::size_t i, const char* p, std::size_t len, bool missing) {
        const std::size_t line = view.lines->line_of_row(view.r0 + i);
        std::string msg = missing ? std::string(to_string(t)) + " column has NA values"
                                  : "could not convert " + quote_value(p, len) + " to " + std::string(to_string(t));
        msg += " at line " + std::to_string(line) + ", column '" + spec_->name + "'";
        throw ConversionError(msg, line, spec_->name);
    };
    switch (t) {
        case DType::int64: {
            kind_ = Kind::int64;
            auto* out = reinterpret_cast<std::int64_t*>(data_.values.extend(n * 8));
            for (std::size_t i = 0; i < n; ++i) {
                const char* p = nullptr;
                std::size_t len = 0;
                if (!cells.get(i, p, len)) fail(i, p, len, true);
                if (parse_int64(p, len, settings_->thousands, out[i]) != IntStatus::ok) fail(i, p, len, false);
            }
            data_.size += n;
            return;
        }
        case DType::uint64: {
            kind_ = Kind::uint64;
            auto* out = reinterpret_cast<std::uint64_t*>(data_.values.extend(n * 8));
            for (std::size_t i = 0; i < n; ++i) {
                const char* p = nullptr;
                std::size_t len = 0;
                if (!cells.get(i, p, len)) fail(i, p, len, true);
                const UintStatus st = parse_uint64(p, len, settings_->thousands, out[i]);
                if (st != UintStatus::ok_small && st != UintStatus::ok_big) fail(i, p, len, false);
            }
            data_.size += n;
            return;
        }
        case DType::float64: {
            kind_ = Kind::float64;
            auto* out = reinterpret_cast<double*>(data_.values.extend(n * 8));
            std::uint8_t* valid = nullptr;
            std::size_t nulls = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const char* p = nullptr;
                std::size_t len = 0;
                bool present = cells.get(i, p, len);
                if (present && !parse_double(p, len, settings_->decimal, settings_->thousands, out[i])) {
                    const int b = parse_bool(p, len);
                    if (b < 0) fail(i, p, len, false);
                    out[i] = b;
                }
                if (!present) {  // parse_double and parse_bool never give NaN
                    if (valid == nullptr) {
                        valid = scratch.reset(n);
                        std::memset(valid, 1, n);
                    }
                    valid[i] = 0;
                    ++nulls;
                    out[i] = kNaN;
                }
            }
            data_.size += n;
            append_validity(data_, old, valid, n, nulls);
            return;
        }
        case DType::bool_: {
            kind_ = Kind::bool_;
            auto* out = reinterpret_cast<bool*>(data_.values.extend(n));
            for (std::size_t i = 0; i < n; ++i) {
                const char* p = nullptr;
                std::size_t len = 0;
                if (!cells.get(i, p, len)) fail(i, p, len, true);
                const int b = parse_bool(p, len);
                if (b < 0) fail(i, p, len, false);
                out[i] = b == 1;
            }
            data_.size += n;
            return;
        }
        case DType::object:
            kind_ = Kind::object;
            parse_strings(cells, data_, scratch, true);
            return;
        case DType::datetime64_ns: {
            kind_ = Kind::datetime;
            auto* out = reinterpret_cast<std::int64_t*>(data_.values.extend(n * 8));
            std::uint8_t* valid = nullptr;
            std::size_t nulls = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const char* p = nullptr;
                std::size_t len = 0;
                bool present = cells.get(i, p, len);
                if (present && len == 3 && std::memcmp(p, "NaT", 3) == 0) present = false;
                if (present && !parse_datetime(std::string_view(p, len), settings_->date_format, out[i]))
                    fail(i, p, len, false);
                if (!present) {
                    if (valid == nullptr) {
                        valid = scratch.reset(n);
                        std::memset(valid, 1, n);
                    }
                    valid[i] = 0;
                    ++nulls;
                    out[i] = kNaT;
                }
            }
            data_.size += n;
            append_validity(data_, old, valid, n, nulls);
            return;
        }
    }
}

void ColumnBuilder::merge(ColumnData&& block, Kind k) {
    if (block.size == 0) return;
    if (kind_ == Kind::none || data_.size == 0) {
        data_ = std::move(block);
        kind_ = k;
        return;
    }
    // The type both parts take.
    Kind to;
    auto widen_null = [](Kind other) {
        switch (other) {
            case Kind::int64:
            case Kind::uint64: return Kind::float64;
            case Kind::bool_: return Kind::object;
            default: return other;
        }
    };
    if (kind_ == k) {
        to = k;
    } else if (kind_ == Kind::null) {
        to = widen_null(k);
    } else if (k == Kind::null) {
        to = widen_null(kind_);
    } else if ((kind_ == Kind::int64 || kind_ == Kind::uint64) && k == Kind::float64) {
        to = Kind::float64;
    } else if (kind_ == Kind::float64 && (k == Kind::int64 || k == Kind::uint64)) {
        to = Kind::float64;
    } else if ((kind_ == Kind::int64 && k == Kind::uint64) || (kind_ == Kind::uint64 && k == Kind::int64)) {
        const ColumnData& signed_part = kind_ == Kind::int64 ? data_ : block;
        bool negative = false;
        for (std::size_t i = 0; i < signed_part.size && !negative; ++i)
            negative = signed_part.values.as<std::int64_t>()[i] < 0;
        to = negative ? Kind::object : Kind::uint64;
    } else {
        to = Kind::object;
    }
    convert(data_, kind_, to);
    convert(block, k, to);
    kind_ = to;
    // Append block to data_.
    const std::size_t old = data_.size;
    // append_moving: a large part (the parallel reader's second half) has its
    // pages moved behind data_'s rather than copied into fresh ones.
    if (to == Kind::object) {
        begin_object(data_);
        const std::uint64_t base = data_.offset(old);
        // Both parts 64-bit when either is, or when the whole needs it.
        const bool wide = data_.wide_offsets || block.wide_offsets ||
                          base + block.offset(block.size) > aio::table_detail::max_narrow_offset;
        if (wide) {
            data_.widen_offsets();
            block.widen_offsets();
            auto* off = block.values.as<std::uint64_t>();
            for (std::size_t i = 1; i <= block.size; ++i) off[i] += base;
        } else {
            auto* off = block.values.as<std::uint32_t>();
            const auto b = static_cast<std::uint32_t>(base);
            for (std::size_t i = 1; i <= block.size; ++i) off[i] += b;
        }
        const std::size_t w = data_.offset_width();
        block.values.resize((block.size + 1) * w);
        data_.values.append_moving(std::move(block.values), w);  // block's offsets without its leading 0
        data_.chars.append_moving(std::move(block.chars));
    } else {
        const std::size_t w = to == Kind::bool_ ? 1 : 8;
        block.values.resize(block.size * w);
        data_.values.append_moving(std::move(block.values));
    }
    data_.size += block.size;
    append_validity(data_, old, block.validity.empty() ? nullptr : block.validity.as<std::uint8_t>(), block.size,
                    block.nulls);
}

void ColumnBuilder::append(ColumnBuilder&& other) {
    if (other.kind_ == Kind::none) return;
    // Taken over here, so that its memory is freed as soon as it is copied.
    ColumnData taken = std::move(other.data_);
    other.data_ = ColumnData{};
    const Kind k = other.kind_;
    other.kind_ = Kind::none;
    merge(std::move(taken), k);
}

Column ColumnBuilder::finish() {
    ColumnData d = std::move(data_);
    Kind k = kind_;
    kind_ = Kind::none;
    data_ = ColumnData{};
    if (spec_->parse_dates && (k == Kind::object || k == Kind::null)) {
        // Dates: every value must parse, else the column stays text (pandas).
        aio::table_detail::Buffer ns;
        ns.resize(d.size * 8);
        bool all = true;
        const std::uint8_t* valid = d.validity.empty() ? nullptr : d.validity.as<std::uint8_t>();
        std::size_t extra_nulls = 0;
        aio::table_detail::Buffer newvalid;
        for (std::size_t i = 0; i < d.size && all; ++i) {
            std::int64_t& out = ns.as<std::int64_t>()[i];
            if ((valid && !valid[i]) || k == Kind::null) {
                out = kNaT;
                continue;
            }
            std::string_view s = d.str(i);
            if (s == "NaT") {
                out = kNaT;
                ++extra_nulls;
                continue;
            }
            all = parse_datetime(s, settings_->date_format, out);
        }
        if (all) {
            ColumnData t;
            t.dtype = DType::datetime64_ns;
            t.size = d.size;
            t.values = std::move(ns);
            if (extra_nulls != 0 || k == Kind::null) {
                t.validity.resize(t.size);
                for (std::size_t i = 0; i < t.size; ++i)
                    t.validity.as<std::uint8_t>()[i] = t.values.as<std::int64_t>()[i] != kNaT;
                t.nulls = d.nulls + extra_nulls;
                if (k == Kind::null) t.nulls = t.size;
            } else {
                t.validity = std::move(d.validity);
                t.nulls = d.nulls;
            }
            return aio::table_detail::ColumnAccess::make(std::make_shared<ColumnData>(std::move(t)));
        }
    }
    switch (k) {
        case Kind::none:
            d = ColumnData{};
            begin_object(d);
            d.dtype = DType::object;
            break;
        case Kind::null:
        case Kind::float64: d.dtype = DType::float64; break;
        case Kind::int64: d.dtype = DType::int64; break;
        case Kind::uint64: d.dtype = DType::uint64; break;
        case Kind::bool_: d.dtype = DType::bool_; break;
        case Kind::object: d.dtype = DType::object; break;
        case Kind::datetime: d.dtype = DType::datetime64_ns; break;
    }
    return aio::table_detail::ColumnAccess::make(std::make_shared<ColumnData>(std::move(d)));
}

}  // namespace aio::csv::detail
