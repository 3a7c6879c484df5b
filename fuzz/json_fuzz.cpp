// Fuzzes aio::json: loads and dumps.
//
// Checks, besides "no crash, no stack overflow, no undefined behaviour":
//   - loads throws nothing but JSONDecodeError, whose position lies in the text;
//   - for accepted text x: loads(dumps(loads(x))) == loads(x), and dumps of
//     that is the same text (NaN compares unequal to itself, so values holding
//     one are compared by their text only); the same with ensure_ascii=false,
//     sort_keys and indent;
//   - deep nesting is a JSONDecodeError: byte 0 == '!' builds a document of
//     the rest's first two bytes worth of '[' (up to 65535 deep).
#include <aio/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace aio::json;

namespace {

void check(bool ok, const char* what, std::string_view detail = {}) {
    if (ok) return;
    std::fprintf(stderr, "check failed: %s\n%.*s\n", what, static_cast<int>(detail.size() > 4096 ? 4096 : detail.size()),
                 detail.data());
    std::abort();
}

void round_trip(const Value& v, const DumpOptions& o) {
    std::string text = dumps(v, o);
    Value again;
    try {
        again = loads(text);
    } catch (const JSONDecodeError& e) {
        check(false, "loads(dumps(v)) parses", std::string(e.what()) + "\n" + text);
    }
    check(dumps(again, o) == text, "dumps(loads(dumps(v))) == dumps(v)", text);
    if (text.find("NaN") == std::string::npos) check(again == v, "loads(dumps(v)) == v", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string deep;
    if (size >= 3 && data[0] == '!') {
        std::size_t depth = data[1] | (data[2] << 8);
        deep.assign(depth, '[');
        deep.append(text.substr(3));
        deep.append(depth, ']');
        text = deep;
    }
    Value v;
    try {
        v = loads(text);
    } catch (const JSONDecodeError& e) {
        check(e.pos() <= text.size(), "error position inside the text");
        return 0;
    }
    round_trip(v, DumpOptions{});
    round_trip(v, DumpOptions{.ensure_ascii = false});
    round_trip(v, DumpOptions{.indent = 2, .sort_keys = true});
    round_trip(v, DumpOptions{.item_separator = ",", .key_separator = ":"});
    return 0;
}
