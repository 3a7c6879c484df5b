// Content-Encoding for client and server: gzip, deflate and brotli, with bounded output.
#include "aio/http/compression.hpp"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace aio::http {

std::optional<Coding> parse_coding(std::string_view t) noexcept {
    auto eq = [&](std::string_view name) {
        if (t.size() != name.size()) return false;
        for (std::size_t i = 0; i < t.size(); ++i)
            if ((t[i] | 0x20) != name[i]) return false;
        return true;
    };
    if (eq("gzip") || eq("x-gzip")) return Coding::gzip;
    if (eq("deflate")) return Coding::deflate;
    if (eq("br")) return Coding::br;
    if (eq("identity")) return Coding::identity;
    return std::nullopt;
}

std::string_view coding_name(Coding c) noexcept {
    switch (c) {
        case Coding::gzip: return "gzip";
        case Coding::deflate: return "deflate";
        case Coding::br: return "br";
        default: return "identity";
    }
}

namespace {
constexpr std::size_t kChunk = 64 * 1024;  // output produced per step

// Each coder steps into one scratch buffer of its own and appends what a step
// produced: growing the caller's string by kChunk per step would zero-fill
// 64 KiB on every feed, however small the input.
std::unique_ptr<char[]> make_scratch() { return std::make_unique_for_overwrite<char[]>(kChunk); }
}

struct Decoder::Impl {
    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    // The codec states are freed with the Impl, so that a Decoder moved onto
    // (operator=) frees the one it held.
    ~Impl() {
        if (z_init) inflateEnd(&z);
        if (br) BrotliDecoderDestroyInstance(br);
    }

    std::unique_ptr<char[]> scratch = make_scratch();
    Coding coding;
    std::size_t max_output;
    std::size_t produced = 0;
    z_stream z{};
    bool z_init = false;
    bool raw_deflate_retry = false;  // "deflate" sent without the zlib header (common)
    bool ended = false;
    BrotliDecoderState* br = nullptr;
    /// Coded input not decoded yet (kept when a step's output budget ran
    /// out), from `pending_pos` on.
    std::string pending;
    std::size_t pending_pos = 0;
    /// The last step filled its output: the decoder may hold more output
    /// even with no input left.
    bool output_full = false;

    void check_limit(std::size_t add) {
        produced += add;
        if (produced > max_output)
            throw ContentEncodingError("the decoded body exceeds the limit of " + std::to_string(max_output) + " bytes");
    }

    void init_zlib(int window_bits) {
        if (z_init) inflateEnd(&z);
        z = z_stream{};
        if (inflateInit2(&z, window_bits) != Z_OK) throw ContentEncodingError("cannot start the zlib decoder");
        z_init = true;
    }

    /// A deflate stream may yet turn out to be raw deflate: its first bytes
    /// are kept until it produced output.
    static constexpr std::size_t kRawRetryWindow = 4096;
    /// Only within the first kRawRetryWindow bytes: a zlib header fails within
    /// two bytes, and a stream of empty blocks (no output, ever) must not make
    /// the decoder keep everything it is fed.
    bool may_restart() const noexcept {
        return coding == Coding::deflate && !raw_deflate_retry && z.total_out == 0 && z.total_in <= kRawRetryWindow;
    }

    /// Decodes pending input until it is used up or `budget` bytes came out.
    void step_zlib(std::string& out, std::size_t budget) {
        while (!ended && budget > 0 && (pending_pos < pending.size() || output_full)) {
            std::size_t room = std::min(kChunk, budget);
            std::size_t avail = std::min<std::size_t>(pending.size() - pending_pos, UINT32_MAX);
            z.next_in = reinterpret_cast<Bytef*>(pending.data() + pending_pos);
            z.avail_in = static_cast<uInt>(avail);
            z.next_out = reinterpret_cast<Bytef*>(scratch.get());
            z.avail_out = static_cast<uInt>(room);
            int rc = inflate(&z, Z_NO_FLUSH);
            std::size_t used = avail - z.avail_in;
            std::size_t got = room - z.avail_out;
            if (rc == Z_DATA_ERROR && may_restart()) {
                // Not zlib-wrapped: start again as raw deflate from the first byte.
                raw_deflate_retry = true;
                init_zlib(-MAX_WBITS);
                pending_pos = 0;
                continue;
            }
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                throw ContentEncodingError(std::string("corrupt ") + std::string(coding_name(coding)) +
                                           " data: " + (z.msg ? z.msg : "inflate failed"));
            check_limit(got);  // before appending: the output never passes the limit
            out.append(scratch.get(), got);
            budget -= got;
            pending_pos += used;
            output_full = got == room;
            if (rc == Z_STREAM_END) ended = true;
            if (used == 0 && got == 0) break;  // needs more input than there is
        }
    }

    void step_br(std::string& out, std::size_t budget) {
        while (!ended && budget > 0) {
            const auto* next_in = reinterpret_cast<const uint8_t*>(pending.data() + pending_pos);
            std::size_t avail_in = pending.size() - pending_pos;
            std::size_t room = std::min(kChunk, budget);
            auto* next_out = reinterpret_cast<uint8_t*>(scratch.get());
            std::size_t avail_out = room;
            auto rc = BrotliDecoderDecompressStream(br, &avail_in, &next_in, &avail_out, &next_out, nullptr);
            std::size_t got = room - avail_out;
            pending_pos = pending.size() - avail_in;
            if (rc == BROTLI_DECODER_RESULT_ERROR)
                throw ContentEncodingError(std::string("corrupt br data: ") +
                                           BrotliDecoderErrorString(BrotliDecoderGetErrorCode(br)));
            check_limit(got);  // before appending: the output never passes the limit
            out.append(scratch.get(), got);
            budget -= got;
            output_full = rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
            if (rc == BROTLI_DECODER_RESULT_SUCCESS) ended = true;
            if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) break;
        }
    }

    void step(std::string& out, std::size_t budget) {
        if (coding == Coding::br) step_br(out, budget);
        else step_zlib(out, budget);
        if (ended) pending_pos = pending.size();  // trailing bytes after the end are ignored, as aiohttp does
        if (may_restart()) return;
        // Drop what was decoded.
        if (pending_pos == pending.size()) {
            pending.clear();
            pending_pos = 0;
        } else if (pending_pos >= kChunk) {
            pending.erase(0, pending_pos);
            pending_pos = 0;
        }
    }

    bool has_pending() const noexcept { return !ended && (pending_pos < pending.size() || output_full); }
};

Decoder::Decoder(Coding coding, std::size_t max_output) : impl_(std::make_unique<Impl>()) {
    impl_->coding = coding;
    impl_->max_output = max_output;
    if (coding == Coding::gzip) impl_->init_zlib(MAX_WBITS + 16);
    if (coding == Coding::deflate) impl_->init_zlib(MAX_WBITS);
    if (coding == Coding::br) {
        impl_->br = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
        if (!impl_->br) throw ContentEncodingError("cannot start the brotli decoder");
    }
}

Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

std::size_t Decoder::produced() const noexcept { return impl_ ? impl_->produced : 0; }

void Decoder::feed(std::string_view in, std::string& out) { feed(in, out, SIZE_MAX); }

void Decoder::feed(std::string_view in, std::string& out, std::size_t max_out) {
    if (!impl_) throw InvalidStateError("Decoder::feed() on a moved-from Decoder");
    Impl& i = *impl_;
    if (i.coding == Coding::identity) {
        if (in.empty()) return;
        i.check_limit(in.size());
        out.append(in);
        return;
    }
    if (i.ended) return;  // trailing bytes after the stream end are ignored, as aiohttp does
    i.pending.append(in);
    i.step(out, max_out);
}

bool Decoder::has_pending() const noexcept { return impl_ && impl_->has_pending(); }

void Decoder::finish(std::string& out) {
    if (!impl_) throw InvalidStateError("Decoder::finish() on a moved-from Decoder");
    if (impl_->coding == Coding::identity) return;
    if (impl_->has_pending()) impl_->step(out, SIZE_MAX);
    if (!impl_->ended)
        throw ContentEncodingError(std::string("the ") + std::string(coding_name(impl_->coding)) +
                                   " stream was cut short");
}

struct Encoder::Impl {
    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        if (z_init) deflateEnd(&z);
        if (br) BrotliEncoderDestroyInstance(br);
    }

    std::unique_ptr<char[]> scratch = make_scratch();
    Coding coding;
    z_stream z{};
    bool z_init = false;
    BrotliEncoderState* br = nullptr;

    void run_zlib(std::string_view in, std::string& out, int flush) {
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        z.avail_in = static_cast<uInt>(in.size());
        do {
            z.next_out = reinterpret_cast<Bytef*>(scratch.get());
            z.avail_out = kChunk;
            deflate(&z, flush);
            out.append(scratch.get(), kChunk - z.avail_out);
        } while (z.avail_out == 0);
    }
    void run_br(std::string_view in, std::string& out, BrotliEncoderOperation op) {
        const auto* next_in = reinterpret_cast<const uint8_t*>(in.data());
        std::size_t avail_in = in.size();
        while (true) {
            auto* next_out = reinterpret_cast<uint8_t*>(scratch.get());
            std::size_t avail_out = kChunk;
            if (!BrotliEncoderCompressStream(br, op, &avail_in, &next_in, &avail_out, &next_out, nullptr))
                throw ContentEncodingError("brotli encoding failed");
            out.append(scratch.get(), kChunk - avail_out);
            if (avail_in == 0 && !BrotliEncoderHasMoreOutput(br)) break;
        }
    }
};

Encoder::Encoder(Coding coding, int level) : impl_(std::make_unique<Impl>()) {
    impl_->coding = coding;
    if (coding == Coding::gzip || coding == Coding::deflate) {
        int bits = coding == Coding::gzip ? MAX_WBITS + 16 : MAX_WBITS;
        if (deflateInit2(&impl_->z, level < 0 ? 6 : level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw ContentEncodingError("cannot start the zlib encoder");
        impl_->z_init = true;
    } else if (coding == Coding::br) {
        impl_->br = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
        if (!impl_->br) throw ContentEncodingError("cannot start the brotli encoder");
        BrotliEncoderSetParameter(impl_->br, BROTLI_PARAM_QUALITY, static_cast<uint32_t>(level < 0 ? 5 : level));
    }
}

Encoder::~Encoder() = default;
Encoder::Encoder(Encoder&&) noexcept = default;
Encoder& Encoder::operator=(Encoder&&) noexcept = default;

void Encoder::feed(std::string_view in, std::string& out) {
    if (!impl_) throw InvalidStateError("Encoder::feed() on a moved-from Encoder");
    if (impl_->coding == Coding::identity) {
        out.append(in);
    } else if (impl_->coding == Coding::br) {
        impl_->run_br(in, out, BROTLI_OPERATION_PROCESS);
    } else if (!in.empty()) {
        impl_->run_zlib(in, out, Z_NO_FLUSH);
    }
}

void Encoder::flush(std::string& out) {
    if (!impl_) throw InvalidStateError("Encoder::flush() on a moved-from Encoder");
    if (impl_->coding == Coding::br) impl_->run_br({}, out, BROTLI_OPERATION_FLUSH);
    else if (impl_->coding != Coding::identity) impl_->run_zlib({}, out, Z_SYNC_FLUSH);
}

void Encoder::finish(std::string& out) {
    if (!impl_) throw InvalidStateError("Encoder::finish() on a moved-from Encoder");
    if (impl_->coding == Coding::br) impl_->run_br({}, out, BROTLI_OPERATION_FINISH);
    else if (impl_->coding != Coding::identity) impl_->run_zlib({}, out, Z_FINISH);
}

std::string compress(std::string_view data, Coding coding, int level) {
    Encoder e(coding, level);
    std::string out;
    e.feed(data, out);
    e.finish(out);
    return out;
}

std::string decompress(std::string_view data, Coding coding, std::size_t max_output) {
    Decoder d(coding, max_output);
    std::string out;
    d.feed(data, out);
    d.finish(out);
    return out;
}

}  // namespace aio::http
