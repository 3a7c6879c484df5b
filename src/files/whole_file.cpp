// read_bytes / read_text / write_bytes / write_text: a whole file in one call.
#include "aio/files/whole_file.hpp"

#include "aio/files/file.hpp"

namespace aio::files {

Task<std::string> read_text(std::filesystem::path path, std::string encoding, std::string errors) {
    OpenOptions opts;
    opts.encoding = std::move(encoding);
    opts.errors = std::move(errors);
    File f = co_await open(std::move(path), "r", std::move(opts));
    std::string text = co_await f.read();
    co_await f.close();
    co_return text;
}

Task<std::string> read_bytes(std::filesystem::path path) {
    File f = co_await open(std::move(path), "rb");
    std::string data = co_await f.read();
    co_await f.close();
    co_return data;
}

Task<std::size_t> write_text(std::filesystem::path path, std::string_view text, std::string encoding,
                             std::string errors) {
    OpenOptions opts;
    opts.encoding = std::move(encoding);
    opts.errors = std::move(errors);
    File f = co_await open(std::move(path), "w", std::move(opts));
    std::size_t n = co_await f.write(text);
    co_await f.close();
    co_return n;
}

Task<std::size_t> write_bytes(std::filesystem::path path, std::string_view data) {
    File f = co_await open(std::move(path), "wb");
    std::size_t n = co_await f.write(data);
    co_await f.close();
    co_return n;
}

}  // namespace aio::files
