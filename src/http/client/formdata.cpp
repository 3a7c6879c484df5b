// FormData: urlencoded and multipart/form-data request bodies.
#include <aio/http/client/formdata.hpp>

#include <random>

#include "core/c_string.hpp"

namespace aio::http {

void FormData::add_field(std::string name, std::string value, FieldOptions opts) {
    if (!opts.content_type.empty() || !opts.filename.empty()) multipart_ = true;
    fields_.push_back(Field{std::move(name), std::move(value), std::move(opts.content_type),
                            std::move(opts.filename), false});
}

void FormData::add_file(std::string name, std::string path, FieldOptions opts) {
    aio::detail::check_no_nul(path);  // the file sent would be the path cut at the NUL
    multipart_ = true;
    if (opts.filename.empty()) {
        std::size_t slash = path.rfind('/');
        opts.filename = slash == std::string::npos ? path : path.substr(slash + 1);
    }
    if (opts.content_type.empty()) opts.content_type = "application/octet-stream";
    fields_.push_back(Field{std::move(name), std::move(path), std::move(opts.content_type),
                            std::move(opts.filename), true});
}

const std::string& FormData::boundary() const {
    if (boundary_.empty()) {
        // 32 random hex digits, as aiohttp's uuid4().hex: never found in a part by chance.
        static thread_local std::mt19937_64 rng{std::random_device{}()};
        static constexpr char kHex[] = "0123456789abcdef";
        for (int i = 0; i < 32; ++i) boundary_ += kHex[rng() & 15];
    }
    return boundary_;
}

}  // namespace aio::http
