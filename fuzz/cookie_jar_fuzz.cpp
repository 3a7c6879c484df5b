// Fuzzes Set-Cookie parsing and the cookie jar (aio::http::CookieJar).
//
// Input: lines. A line starting with "http" or "ws" names the URL the next
// responses come from and the next requests go to; any other line is a
// Set-Cookie value received from the current URL. Byte 0 chooses the jar's
// `unsafe` flag. Checks, besides "no crash, no undefined behaviour":
//   - the Cookie header the jar sends never holds CR, LF or NUL;
//   - the jar never holds more cookies than Set-Cookie values were fed;
//   - every stored cookie has a name, and a domain unless shared;
//   - parse_date of any line gives a time or nothing.
#include <aio/http/client/cookie_jar.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace aio::http;

namespace {

void check(bool ok, const char* what, std::string_view detail = {}) {
    if (ok) return;
    std::fprintf(stderr, "check failed: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

void check_header(CookieJar& jar, const URL& url) {
    std::string h = jar.filter_cookies(url);
    check(h.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos, "Cookie header without CR/LF/NUL", h);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    CookieJar jar(data[0] & 1);
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    URL url("http://www.example.com/a/b/c");
    std::size_t fed = 0;
    while (!rest.empty()) {
        std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        (void)CookieJar::parse_date(line);
        if (line.starts_with("http") || line.starts_with("ws")) {
            try {
                url = URL(line);
            } catch (const InvalidURL&) {
            }
            check_header(jar, url);
            continue;
        }
        std::vector<std::string_view> headers{line};
        jar.update_cookies(headers, url);
        ++fed;
        check(jar.size() <= fed, "no more cookies than Set-Cookie values");
        check_header(jar, url);
    }
    for (const Cookie& c : jar.cookies()) {
        check(!c.name.empty(), "a stored cookie has a name");
        check(!c.path.empty() && c.path.front() == '/', "a stored cookie's path starts with '/'", c.path);
    }
    check_header(jar, URL("https://www.example.com/"));
    jar.clear("example.com");
    (void)jar.size();
    jar.clear();
    check(jar.size() == 0, "clear() empties the jar");
    return 0;
}
