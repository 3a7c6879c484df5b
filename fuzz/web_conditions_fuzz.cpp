// Fuzzes the server's HTTP dates, conditional requests and Range headers
// (src/web/util.cpp: parse_http_date, http_date, evaluate_conditions,
// parse_range).
//
// Input layout: bytes 0-7 = the file's size (low 40 bits) and mtime (next
// 24 bits, in hours), then up to six lines, the values of Range, If-Range,
// If-Modified-Since, If-None-Match, If-Match and If-Unmodified-Since (a line
// that is exactly "-" leaves the header out). Checks, besides "no crash":
//   - a date parse_http_date accepts formats back (http_date) to text that
//     parses to the same time, and that text is stable;
//   - a range returned lies inside the file (first <= last < size), a
//     partial range is never returned for an empty file;
//   - a file's own validators make it fresh: If-None-Match with its ETag or
//     If-Modified-Since with its Last-Modified give 304 for GET.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "web/protocol.hpp"
#include "web/util.hpp"

using namespace aio::web::detail;

namespace {

void check(bool ok, const char* what, std::string_view detail = {}) {
    if (ok) return;
    std::fprintf(stderr, "check failed: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

void check_date(std::string_view text) {
    std::optional<std::time_t> t = parse_http_date(text);
    if (!t) return;
    std::string again = http_date(*t);
    std::optional<std::time_t> t2 = parse_http_date(again);
    check(t2.has_value(), "http_date(parse_http_date(x)) parses", std::string(text) + " -> " + again);
    check(*t2 == *t, "http_date round-trips to the same time", std::string(text) + " -> " + again);
    check(http_date(*t2) == again, "http_date is stable", again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 8) return 0;
    std::uint64_t bits;
    std::memcpy(&bits, data, 8);
    const std::uint64_t file_size = (bits & ((std::uint64_t(1) << 40) - 1)) % 3 == 0 ? (bits & 0xff) : bits & ((std::uint64_t(1) << 40) - 1);
    struct stat st {};
    st.st_size = static_cast<off_t>(file_size);
    st.st_mtim.tv_sec = static_cast<std::time_t>((bits >> 40) * 3600 + (bits & 0xfff));
    st.st_mtim.tv_nsec = static_cast<long>(bits % 1000000000);
    const FileValidators v = file_validators(st);
    check_date(v.last_modified);

    std::string_view rest(reinterpret_cast<const char*>(data + 8), size - 8);
    static constexpr const char* kNames[] = {"Range",         "If-Range", "If-Modified-Since",
                                             "If-None-Match", "If-Match", "If-Unmodified-Since"};
    aio::http::Headers h;
    for (const char* name : kNames) {
        if (rest.empty()) break;
        std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        check_date(line);
        if (line != "-") h.add(name, line);
    }

    for (std::string_view method : {"GET", "HEAD", "POST"}) (void)evaluate_conditions(h, v, method);
    RangeResult r = parse_range(h, v, file_size);
    if (r.kind == RangeResult::partial) {
        check(file_size > 0, "no partial range of an empty file");
        check(r.first <= r.last, "range first <= last");
        check(r.last < file_size, "range inside the file");
    }

    // The file's own validators make it fresh.
    aio::http::Headers own;
    own.add("If-None-Match", v.etag);
    check(evaluate_conditions(own, v, "GET") == ConditionResult::not_modified, "If-None-Match: own ETag gives 304");
    aio::http::Headers since;
    since.add("If-Modified-Since", v.last_modified);
    check(evaluate_conditions(since, v, "GET") == ConditionResult::not_modified,
          "If-Modified-Since: own Last-Modified gives 304", v.last_modified);
    // If-Range with the file's validator keeps the range; with another, the whole file.
    if (auto range = h.get("Range")) {
        aio::http::Headers ranged;
        ranged.add("Range", *range);
        ranged.add("If-Range", v.etag);
        RangeResult same = parse_range(ranged, v, file_size);
        aio::http::Headers plain;
        plain.add("Range", *range);
        RangeResult unconditional = parse_range(plain, v, file_size);
        check(same.kind == unconditional.kind && same.first == unconditional.first &&
                  same.last == unconditional.last,
              "If-Range with the current ETag changes nothing");
    }
    return 0;
}
