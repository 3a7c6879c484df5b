// Fuzzes the streaming content decoders (aio::http::Decoder: gzip, deflate
// with and without its zlib header, br, identity) with a bounded output.
//
// Input layout: byte 0 = coding (bits 0-1) and whether to encode the data
// first with aio's Encoder (bit 2: a valid stream, so that the decoders get
// past their headers; bit 3 then cuts it short), byte 1 = the output limit
// (1 << (byte % 24)), bytes 2-3 = seed of the cut points, the rest = the data.
// Checks, besides "no crash, no leak, no undefined behaviour":
//   - a decoder either decodes or throws ContentEncodingError, nothing else;
//   - the output never passes the limit, even when it throws;
//   - split invariance: the data fed whole, in random pieces and byte by byte
//     gives the same bytes, or an error each time;
//   - what the Encoder wrote decodes back to the data (within the limit).
#include <aio/http/compression.hpp>

#include <algorithm>
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

struct Outcome {
    bool ok = false;
    std::string bytes;
    std::string error;
};

Outcome decode(Coding coding, std::size_t limit, std::string_view data, const std::vector<std::size_t>& cuts) {
    Outcome o;
    Decoder d(coding, limit);
    try {
        std::size_t prev = 0;
        for (std::size_t i = 0; i <= cuts.size(); ++i) {
            std::size_t next = i < cuts.size() ? cuts[i] : data.size();
            d.feed(data.substr(prev, next - prev), o.bytes);
            check(o.bytes.size() <= limit, "output within the limit (feed)");
            prev = next;
        }
        d.finish(o.bytes);
        o.ok = true;
    } catch (const ContentEncodingError& e) {
        o.error = e.what();
    }
    check(o.bytes.size() <= limit, "output within the limit");
    check(d.produced() == o.bytes.size() || !o.ok, "produced() counts the output");
    return o;
}

void compare(const Outcome& a, const Outcome& b, const char* how) {
    if (a.ok != b.ok) {
        std::fprintf(stderr, "split invariance broken (%s): whole %s, pieces %s\n", how,
                     a.ok ? "decoded" : a.error.c_str(), b.ok ? "decoded" : b.error.c_str());
        std::abort();
    }
    if (a.ok) check(a.bytes == b.bytes, "the same bytes however the input is cut", how);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    static constexpr Coding kCodings[] = {Coding::gzip, Coding::deflate, Coding::br, Coding::identity};
    const Coding coding = kCodings[data[0] & 3];
    const std::size_t limit = std::size_t(1) << (data[1] % 24);
    std::uint32_t seed = data[2] | (data[3] << 8);
    std::string_view raw(reinterpret_cast<const char*>(data + 4), size - 4);

    std::string encoded;
    std::string_view input = raw;
    if (data[0] & 4) {
        // A valid stream (a raw deflate one for "deflate" half the time: servers send both).
        Encoder e(coding, 1 + static_cast<int>(seed % 9));
        e.feed(raw.substr(0, raw.size() / 2), encoded);
        if (seed & 0x100) e.flush(encoded);
        e.feed(raw.substr(raw.size() / 2), encoded);
        e.finish(encoded);
        if (coding == Coding::deflate && (seed & 0x200) && encoded.size() >= 6)
            encoded = encoded.substr(2, encoded.size() - 6);  // strip the zlib header and Adler-32
        if (data[0] & 8) encoded.resize(encoded.size() / 2);
        input = encoded;
    }

    std::vector<std::size_t> cuts;
    for (std::uint32_t k = 0, n = seed % 6; k < n; ++k) {
        seed = seed * 1103515245u + 12345u;
        cuts.push_back((seed >> 8) % (input.size() + 1));
    }
    std::sort(cuts.begin(), cuts.end());

    const Outcome whole = decode(coding, limit, input, {});
    compare(whole, decode(coding, limit, input, cuts), "random cuts");
    if (input.size() <= 256) {
        std::vector<std::size_t> every;
        for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
        compare(whole, decode(coding, limit, input, every), "byte by byte");
    }
    if ((data[0] & 12) == 4 && raw.size() <= limit) {
        check(whole.ok, "an encoded stream decodes", whole.error);
        check(whole.bytes == raw, "decode(encode(x)) == x");
    }
    // The one-shot helper agrees with the streaming decoder.
    try {
        std::string once = decompress(input, coding, limit);
        check(whole.ok && once == whole.bytes, "decompress() agrees with Decoder");
    } catch (const ContentEncodingError&) {
        check(!whole.ok, "decompress() fails when Decoder fails");
    }
    return 0;
}
