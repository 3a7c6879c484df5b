// Seed §2.2, second example: aiofiles.open('.gitignore'), then print the
// first 20 characters of its text.
#include <aio/aio.hpp>
#include <aio/files.hpp>
#include <fmt/core.h>

#include <string>

/// The first n characters of UTF-8 text (Python's content[:n]).
std::string first_chars(const std::string& text, std::size_t n) {
    std::size_t i = 0;
    for (std::size_t chars = 0; i < text.size() && chars < n; ++chars) {
        ++i;
        while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    }
    return text.substr(0, i);
}

aio::Task<> read_file_aiofiles() {
    auto f = co_await aio::files::open(".gitignore", "r");
    std::string content = co_await f.read();
    co_await f.close();
    fmt::print("{}\n", first_chars(content, 20));
}

int main() { aio::run(read_file_aiofiles()); }
