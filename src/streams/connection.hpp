// The state a StreamReader, its StreamWriter and the writer's flusher share.
#pragma once

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "aio/detail/huge_pages.hpp"
#include "aio/detail/wait_list.hpp"
#include "aio/streams.hpp"
#include "core/uninitialized_string.hpp"

namespace aio::detail {

/// How much a single read asks the kernel for at most: 256 KiB, as asyncio's
/// socket transports (`max_size`). A bulk transfer's receive buffer grows
/// (the kernel's autotuning) to megabytes, so 64 KiB reads all came back
/// full: a 107 MB body took 1,640 of them (R9's download), reads of up to
/// 256 KiB 787 (R9's download alone: median 0.058 -> 0.049 s). Only a stream
/// whose reads keep filling their room gets there (see kFirstRead).
constexpr std::size_t kReadChunk = 256 * 1024;
/// The most read buffer an idle connection keeps (StreamAccess::going_idle).
constexpr std::size_t kIdleReadBuffer = 64 * 1024;
/// How much a stream's first read asks for. A stream's reads start small and
/// double each time one fills the room it asked for, up to kReadChunk, so a
/// bulk transfer reaches 256 KiB reads by its eighth read, while a stream
/// that only carries requests or responses of a few hundred bytes never holds
/// more than 2 KiB. Each 4 KiB of fresh memory costs a page fault the first
/// time it is written (10-14 us on the VM aio's figures come from:
/// `bench_runtime touch`): a 64 KiB first buffer cost each new connection a
/// fault of its own before it could send; 2 KiB buffers share pages. R12's
/// first round (a hundred new connections): 57 fewer faults, 22.1 -> 20.9 ms
/// (median of 15).
constexpr std::size_t kFirstRead = 2 * 1024;
// Doubling from kFirstRead lands on kReadChunk exactly.
static_assert(kReadChunk % kFirstRead == 0 && std::has_single_bit(kReadChunk / kFirstRead));

/// A growable byte buffer with a consumed prefix (no zero-fill on growth).
/// Its storage is a std::string so that a reader taking everything buffered
/// can have the bytes without a copy (take()).
class ByteBuffer {
public:
    std::size_t size() const noexcept { return end_ - begin_; }
    bool empty() const noexcept { return end_ == begin_; }
    const char* data() const noexcept { return data_.data() + begin_; }
    std::string_view view() const noexcept { return {data(), size()}; }
    void consume(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
    }
    void append(std::string_view s) {
        char* p = prepare(s.size());
        std::memcpy(p, s.data(), s.size());
        commit(s.size());
    }
    /// Room for at least n more bytes at the end; returns where they go.
    char* prepare(std::size_t n) {
        if (capacity() - end_ < n) {
            if (begin_ > 0 && capacity() - size() >= n && begin_ >= size()) {
                std::memmove(data_.data(), data(), size());  // slide down instead of growing
            } else {
                std::size_t want = std::max(capacity() * 2, size() + n);
                std::string fresh;
                resize_uninitialized(fresh, want);
                // A buffer of megabytes (a large message read whole, a large
                // write the peer is slow to take) is filled once: on huge
                // pages it faults once per 2 MiB, not per 4 KiB.
                aio::detail::advise_huge_pages(fresh.data(), want);
                if (size()) std::memcpy(fresh.data(), data(), size());
                data_ = std::move(fresh);
            }
            end_ = size();
            begin_ = 0;
        }
        return data_.data() + end_;
    }
    void commit(std::size_t n) noexcept { end_ += n; }
    void swap(ByteBuffer& other) noexcept {
        data_.swap(other.data_);
        std::swap(begin_, other.begin_);
        std::swap(end_, other.end_);
    }
    /// The free space prepare() made, after the data.
    std::size_t room() const noexcept { return capacity() - end_; }
    /// Gives the storage back when nothing is buffered and it holds more than
    /// `keep` bytes.
    void release_if_empty(std::size_t keep) noexcept {
        if (!empty() || capacity() <= keep) return;
        data_ = std::string();
        begin_ = end_ = 0;
    }

    /// take() would hand the bytes over without copying them: they start at
    /// the storage's beginning and fill at least half of it (a few bytes in
    /// a large buffer are copied instead, so that they do not hold it all).
    bool can_take() const noexcept { return begin_ == 0 && end_ != 0 && end_ * 2 >= capacity(); }
    /// Everything buffered, as a string; the buffer is empty afterwards, and
    /// its next prepare() allocates new storage. Without a copy when
    /// can_take(), copied otherwise.
    std::string take() {
        std::string out;
        if (can_take()) {
            data_.resize(end_);  // shorter: writes only the terminator
            out = std::move(data_);
            data_ = std::string();
        } else {
            out.assign(data(), size());
        }
        begin_ = end_ = 0;
        return out;
    }

private:
    std::size_t capacity() const noexcept { return data_.size(); }

    std::string data_;  // its size is the capacity; [begin_, end_) holds the bytes
    std::size_t begin_ = 0, end_ = 0;
};

struct Connection {
    explicit Connection(std::unique_ptr<Transport> t, std::size_t lim) : transport(std::move(t)), limit(lim) {}
    ~Connection() {
        if (transport) transport->close();
    }

    std::unique_ptr<Transport> transport;  // null for a hand-fed reader

    // Reading.
    ByteBuffer rbuf;
    /// What the next read asks the transport for: kFirstRead, doubled by
    /// each read that fills it, up to kReadChunk.
    std::size_t read_size = kFirstRead;
    std::size_t limit;
    bool eof = false;
    bool reading = false;  // one read at a time (asyncio raises RuntimeError too)
    std::exception_ptr read_error;
    WaitList feed_waiters;  // hand-fed readers waiting for feed_data / feed_eof

    // Writing.
    ByteBuffer wbuf;
    /// Bytes a send in flight reads (transports that send behind): taken out
    /// of wbuf, which write() may grow, and so move, while the kernel reads.
    /// Cleared only by the flusher, once the send has completed.
    ByteBuffer sending;
    /// Written and not yet taken by the kernel.
    std::size_t unsent() const noexcept { return wbuf.size() + sending.size(); }
    std::size_t high_water = 64 * 1024;
    std::size_t low_water = 16 * 1024;
    bool flushing = false;       // the flusher task runs
    /// The flusher's task while it runs on a transport that sends behind:
    /// abort() cancels it. Not a handle (the frame holds this Connection):
    /// the flusher's frame clears it as it goes, however it ends.
    TaskCore* flusher_task = nullptr;
    bool eof_requested = false;  // write_eof() called
    bool eof_sent = false;
    bool closing = false;
    bool closed = false;
    std::exception_ptr write_error;
    WaitList drain_waiters;
    WaitList close_waiters;
};

}  // namespace aio::detail

namespace aio::detail {

struct StreamAccess {
    static std::shared_ptr<Connection> connection(const StreamReader& r) noexcept { return r.c_; }
    /// The reader's buffer, for a protocol parser reading it in place (no reference count taken).
    static ByteBuffer& read_buffer(const StreamReader& r) noexcept { return r.c_->rbuf; }
    static std::shared_ptr<Connection> connection(const StreamWriter& w) noexcept { return w.c_; }
    /// The reader's connection goes idle (back to a client's pool, or a
    /// server waiting for the next request): a read buffer that a bulk
    /// transfer grew past kIdleReadBuffer is given back when empty, and
    /// reads ask for at most that much until they fill again. An idle
    /// connection then holds no more than reads of 64 KiB left it before
    /// bulk reads grew to 256 KiB.
    static void going_idle(const StreamReader& r) noexcept {
        if (!r.c_) return;
        r.c_->rbuf.release_if_empty(kIdleReadBuffer);
        r.c_->read_size = std::min(r.c_->read_size, kIdleReadBuffer);
    }
};

}  // namespace aio::detail
