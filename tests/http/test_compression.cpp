// aio-test-labels: sync
// gzip / deflate / br, both ways, streaming; bombs and truncation refused.
#include <gtest/gtest.h>

#include <aio/http/compression.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>

using aio::http::Coding;

TEST(Compression, RoundTripEveryCodingInPieces) {
    std::string data;
    for (int i = 0; i < 200000; ++i) data += static_cast<char>('a' + (i * 7919) % 26);
    for (Coding c : {Coding::gzip, Coding::deflate, Coding::br, Coding::identity}) {
        aio::http::Encoder enc(c);
        std::string coded;
        for (std::size_t i = 0; i < data.size(); i += 10007) enc.feed(std::string_view(data).substr(i, 10007), coded);
        enc.finish(coded);
        aio::http::Decoder dec(c);
        std::string out;
        for (std::size_t i = 0; i < coded.size(); i += 333) dec.feed(std::string_view(coded).substr(i, 333), out);
        dec.finish(out);
        EXPECT_EQ(out, data) << aio::http::coding_name(c);
    }
}

TEST(Compression, RawDeflateWithoutTheZlibHeaderIsAccepted) {
    std::string data = "hello hello hello hello";
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(256, '\0');
    z.next_in = reinterpret_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    EXPECT_EQ(aio::http::decompress(out, Coding::deflate), data);
}

TEST(Compression, BombsAreRefused) {
    std::string zeros(50 << 20, '\0');
    for (Coding c : {Coding::gzip, Coding::br}) {
        std::string bomb = aio::http::compress(zeros, c);
        EXPECT_LT(bomb.size(), 200000u);
        EXPECT_THROW(aio::http::decompress(bomb, c, 1 << 20), aio::http::ContentEncodingError);
    }
}

TEST(Compression, TruncatedAndCorruptStreamsAreRefused) {
    std::string coded = aio::http::compress(std::string(100000, 'x') + "end", Coding::gzip);
    EXPECT_THROW(aio::http::decompress(std::string_view(coded).substr(0, coded.size() / 2), Coding::gzip),
                 aio::http::ContentEncodingError);
    std::string br = aio::http::compress("some text to compress", Coding::br);
    EXPECT_THROW(aio::http::decompress(br.substr(0, br.size() - 2), Coding::br), aio::http::ContentEncodingError);
    EXPECT_THROW(aio::http::decompress("this is not gzip at all", Coding::gzip), aio::http::ContentEncodingError);
    EXPECT_EQ(aio::http::parse_coding("X-GZIP"), Coding::gzip);
    EXPECT_FALSE(aio::http::parse_coding("compress"));
}

TEST(Compression, BoundedStepsNeverProduceMoreThanAskedWhateverTheRatio) {
    // 8 MiB of zeros in a few kilobytes: each step yields at most 64 KiB,
    // what is not decoded yet waits in the decoder, and the steps add up.
    std::string zeros(8 << 20, '\0');
    std::string raw_deflate;
    {
        // Raw deflate (no zlib header) must also restart correctly in steps.
        z_stream z{};
        deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        raw_deflate.resize(zeros.size() / 100);
        z.next_in = reinterpret_cast<Bytef*>(zeros.data());
        z.avail_in = static_cast<uInt>(zeros.size());
        z.next_out = reinterpret_cast<Bytef*>(raw_deflate.data());
        z.avail_out = static_cast<uInt>(raw_deflate.size());
        deflate(&z, Z_FINISH);
        raw_deflate.resize(z.total_out);
        deflateEnd(&z);
    }
    constexpr std::size_t kStep = 64 * 1024;
    for (Coding c : {Coding::gzip, Coding::deflate, Coding::br, Coding::identity}) {
        std::string coded = aio::http::compress(zeros, c);
        for (bool raw : {false, true}) {
            if (raw && c != Coding::deflate) continue;
            std::string_view in = raw ? std::string_view(raw_deflate) : std::string_view(coded);
            aio::http::Decoder dec(c, SIZE_MAX);
            std::uint64_t total = 0;
            std::size_t biggest = 0;
            std::string out;
            auto take = [&] {
                biggest = std::max(biggest, out.size());
                total += out.size();
                out.clear();
            };
            for (std::size_t i = 0; i < in.size(); i += 1000) {
                dec.feed(in.substr(i, 1000), out, kStep);
                take();
                while (dec.has_pending()) {
                    dec.feed({}, out, kStep);
                    take();
                }
            }
            dec.finish(out);
            take();
            EXPECT_EQ(total, zeros.size()) << aio::http::coding_name(c) << (raw ? " raw" : "");
            if (c != Coding::identity) {
                EXPECT_LE(biggest, kStep) << aio::http::coding_name(c);
            }
        }
    }
}

// A coder moved onto frees the state it held (LeakSanitizer checks it under the
// asan presets), goes on with the state it took, and the moved-from one says
// what is wrong instead of crashing.
TEST(Compression, MovedCodersFreeTheirStateAndRefuseUseAfterTheMove) {
    using aio::http::Decoder;
    using aio::http::Encoder;
    const std::string text(10000, 'a');
    for (Coding held : {Coding::gzip, Coding::deflate, Coding::br}) {
        for (Coding taken : {Coding::gzip, Coding::br}) {
            Encoder enc(held);
            Encoder other(taken);
            std::string half;
            other.feed(text.substr(0, 5000), half);
            enc = std::move(other);  // `held`'s state is freed here
            std::string rest;
            enc.feed(text.substr(5000), rest);
            enc.finish(rest);
            EXPECT_EQ(aio::http::decompress(half + rest, taken), text);
            std::string sink;
            EXPECT_THROW(other.feed("x", sink), aio::InvalidStateError);  // NOLINT(bugprone-use-after-move)
            EXPECT_THROW(other.flush(sink), aio::InvalidStateError);
            EXPECT_THROW(other.finish(sink), aio::InvalidStateError);

            Decoder dec(held);
            Decoder source(taken);
            dec = std::move(source);
            std::string out;
            dec.feed(aio::http::compress(text, taken), out);
            dec.finish(out);
            EXPECT_EQ(out, text);
            EXPECT_THROW(source.feed("x", sink), aio::InvalidStateError);  // NOLINT(bugprone-use-after-move)
            EXPECT_THROW(source.finish(sink), aio::InvalidStateError);
            EXPECT_EQ(source.produced(), 0u);
            EXPECT_FALSE(source.has_pending());
        }
    }
}
