// DType names and the text forms of single values, as pandas prints them.
#include "table/format.hpp"

#include <aio/exceptions.hpp>
#include <aio/table/dtype.hpp>

#include <cmath>

namespace aio {

std::string_view to_string(DType dtype) noexcept {
    switch (dtype) {
        case DType::int64: return "int64";
        case DType::uint64: return "uint64";
        case DType::float64: return "float64";
        case DType::bool_: return "bool";
        case DType::object: return "object";
        case DType::datetime64_ns: return "datetime64[ns]";
    }
    return "object";
}

DType dtype_from_string(std::string_view name) {
    if (name == "int64" || name == "int" || name == "Int64" || name == "i8") return DType::int64;
    if (name == "uint64" || name == "u8") return DType::uint64;
    if (name == "float64" || name == "float" || name == "f8" || name == "double") return DType::float64;
    if (name == "bool" || name == "boolean") return DType::bool_;
    if (name == "object" || name == "str" || name == "string" || name == "O") return DType::object;
    if (name == "datetime64[ns]" || name == "datetime64" || name == "M8[ns]") return DType::datetime64_ns;
    throw TypeError("data type '" + std::string(name) + "' not understood");
}

std::string to_string(Timestamp t) {
    const std::int64_t frac = ((t.ns % 1'000'000'000) + 1'000'000'000) % 1'000'000'000;
    const int digits = frac == 0 ? 0 : frac % 1000 == 0 ? 6 : 9;
    return table_detail::format_timestamp(t.ns, false, digits);
}

bool is_na(const Scalar& value) noexcept {
    if (std::holds_alternative<std::monostate>(value)) return true;
    if (const double* d = std::get_if<double>(&value)) return std::isnan(*d);
    return false;
}

std::string to_string(const Scalar& value) {
    struct V {
        std::string operator()(std::monostate) const { return "NaN"; }
        std::string operator()(bool b) const { return b ? "True" : "False"; }
        std::string operator()(std::int64_t v) const { return std::to_string(v); }
        std::string operator()(std::uint64_t v) const { return std::to_string(v); }
        std::string operator()(double v) const { return std::isnan(v) ? "nan" : table_detail::float_repr(v); }
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(Timestamp t) const { return to_string(t); }
    };
    return std::visit(V{}, value);
}

}  // namespace aio
