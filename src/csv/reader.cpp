// read_csv for files and memory, the parallel mode, and TextFileReader.
//
// The parallel mode splits the input in two at a row boundary. Where a row
// ends cannot be known without parsing from the start (a quoted field may
// hold line breaks), so the split is found from the parity of the quotes
// before the middle (a fast SIMD count) and then checked: the first half,
// parsed by the calling thread, must end exactly where the second half,
// parsed by a second thread, began. When it does not (a file whose quotes do
// not follow RFC 4180), the second half is dropped and the first thread
// carries on alone: the rows are always those of one thread (a column of
// mixed types may keep its numbers' text as each half's blocks read them, as
// pandas' chunks do: docs/differences.md).
#include "csv/parser_impl.hpp"

#include <aio/csv/errors.hpp>
#include <aio/csv/reader.hpp>
#include <aio/exceptions.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "core/c_string.hpp"
#include "core/uninitialized_string.hpp"

namespace aio::csv {

namespace {

/// Bytes read from a file per call (1 MiB: one parser block).
constexpr std::size_t kReadSize = std::size_t{1} << 20;
/// The first read of a file parsed by two threads (see read_source).
constexpr std::size_t kHeadRead = std::size_t{64} << 10;
/// The bytes first looked at for the end of a header line (see first_line_end).
constexpr std::size_t kHeaderPeek = std::size_t{4} << 10;
/// Bytes the chunked reader feeds between looks for a finished chunk (1
/// KiB: gzip inflates at most about 1000:1, so one piece adds at most about
/// a block of text, and its chunks, before they are handed out, whatever a
/// read inflates to; uncompressed, a feed is a copy of 1 KiB, and blocks
/// are parsed as before, when 1 MiB of text is in).
constexpr std::size_t kChunkFeed = std::size_t{1} << 10;
/// Bytes read for the decoder while it decides whether it passes bytes
/// through (gzip's magic and a BOM are in the first three).
constexpr std::size_t kDecideSize = std::size_t{4} << 10;
/// Inputs this large are parsed by two threads when threads = 0 (16 MiB:
/// below it the second thread's start-up and the merge cost more than they save).
constexpr std::size_t kParallelThreshold = std::size_t{16} << 20;

/// Random access to the whole input.
class Source {
public:
    virtual ~Source() = default;
    virtual std::size_t size() const = 0;
    /// Copies up to n bytes at `offset`; returns the count (0 at the end).
    virtual std::size_t read(std::size_t offset, char* dst, std::size_t n) = 0;
    /// Calls f(pointer, length) over [offset, offset + n) in pieces.
    template <class F>
    void scan(std::size_t offset, std::size_t n, F&& f) {
        scan_impl(offset, n, [&](const char* p, std::size_t len) { f(p, len); });
    }

protected:
    virtual void scan_impl(std::size_t offset, std::size_t n,
                           const std::function<void(const char*, std::size_t)>& f) = 0;
};

class MemorySource final : public Source {
public:
    explicit MemorySource(std::string_view data) : data_(data) {}
    std::size_t size() const override { return data_.size(); }
    std::size_t read(std::size_t offset, char* dst, std::size_t n) override {
        if (offset >= data_.size()) return 0;
        n = std::min(n, data_.size() - offset);
        std::memcpy(dst, data_.data() + offset, n);
        return n;
    }

private:
    void scan_impl(std::size_t offset, std::size_t n,
                   const std::function<void(const char*, std::size_t)>& f) override {
        f(data_.data() + offset, n);
    }
    std::string_view data_;
};

class FileSource final : public Source {
public:
    explicit FileSource(const std::filesystem::path& path) : name_(path.string()) {
        aio::detail::check_no_nul(name_);  // a NUL would end the path there: ValueError, as pandas'
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw_os_error(errno, name_);
        struct stat st {};
        if (::fstat(fd_, &st) != 0) {
            const int e = errno;
            ::close(fd_);
            throw_os_error(e, name_);
        }
        if (S_ISDIR(st.st_mode)) {
            ::close(fd_);
            throw_os_error(EISDIR, name_);
        }
        regular_ = S_ISREG(st.st_mode);
        size_ = regular_ ? static_cast<std::size_t>(st.st_size) : 0;
        ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    ~FileSource() override { ::close(fd_); }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    bool regular() const noexcept { return regular_; }
    int fd() const noexcept { return fd_; }
    std::size_t size() const override { return size_; }
    /// Throws ParserError when the file ends before the size it had when
    /// opened (it was truncated while being read): the rows would otherwise
    /// be cut off without a word.
    std::size_t read(std::size_t offset, char* dst, std::size_t n) override {
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::pread(fd_, dst + got, n - got, static_cast<off_t>(offset + got));
            if (r < 0) {
                if (errno == EINTR) continue;
                throw_os_error(errno, name_);
            }
            if (r == 0) break;
            got += static_cast<std::size_t>(r);
        }
        if (got < n && offset + got < size_)
            throw ParserError("the file " + name_ + " was truncated while it was read: it ended at byte " +
                                  std::to_string(offset + got) + " of the " + std::to_string(size_) +
                                  " it had when opened",
                              0);
        return got;
    }
    /// Sequential read for pipes and other unsized files.
    std::size_t read_next(char* dst, std::size_t n) {
        for (;;) {
            const ssize_t r = ::read(fd_, dst, n);
            if (r >= 0) return static_cast<std::size_t>(r);
            if (errno != EINTR) throw_os_error(errno, name_);
        }
    }

private:
    void scan_impl(std::size_t offset, std::size_t n,
                   const std::function<void(const char*, std::size_t)>& f) override {
        // Read, not mapped: a mapping of a file that another process
        // truncates raises SIGBUS on the next touch of a page past its new
        // end, where read() just returns less (an error, see read()). One
        // block at a time through a buffer that stays in the cache.
        scan_buf_.resize(std::min(kReadSize, n));
        for (std::size_t at = offset; at < offset + n;) {
            const std::size_t got = read(at, scan_buf_.data(), std::min(kReadSize, offset + n - at));
            if (got == 0) return;
            f(scan_buf_.data(), got);
            at += got;
        }
    }
    std::vector<char> scan_buf_;  // scan() runs on one thread at a time
    std::string name_;
    int fd_ = -1;
    std::size_t size_ = 0;
    bool regular_ = false;
};

/// Bytes read at a time while guessing the split: the guess is usually made
/// within a few lines, so a whole block (kReadSize) would mostly be wasted.
constexpr std::size_t kGuessWindow = std::size_t{64} << 10;

/// Where the second thread starts: a guess at a row boundary at or after
/// `mid` (just past a '\n'), made from the bytes after `mid` alone, so that
/// the second thread starts at once instead of first counting the quotes of
/// the whole first half. The guess is the first '\n' whose next line holds
/// an even number of quotes: where no quoted field spans lines it is always
/// right, and where some do it is right unless one of them ends on the line
/// after the '\n'. 0 when there is none.
///
/// A wrong guess costs time, never a wrong table: the first thread parses up
/// to the guessed offset and the halves are joined only when it ends there
/// on a row boundary (read_source).
std::size_t find_split(Source& src, std::size_t mid, int quote) {
    const char q = quote >= 0 ? static_cast<char>(quote) : '\0';
    const std::size_t size = src.size();
    std::size_t split = 0;
    std::size_t candidate = 0;  // just past the '\n' being tried, 0: none yet
    std::size_t quotes = 0;     // quotes since `candidate`
    for (std::size_t at = mid; at < size && split == 0;) {
        const std::size_t n = std::min(kGuessWindow, size - at);
        src.scan(at, n, [&](const char* p, std::size_t len) {
            for (std::size_t i = 0; i < len; ++i) {
                if (quote >= 0 && p[i] == q) ++quotes;
                if (p[i] != '\n') continue;
                if (candidate != 0 && quotes % 2 == 0) {
                    split = candidate;
                    return;
                }
                candidate = at + i + 1;
                quotes = 0;
            }
        });
        at += n;
    }
    // The last line of the input has no '\n' after it.
    if (split == 0 && candidate != 0 && candidate < size && quotes % 2 == 0) split = candidate;
    return split;
}

bool has_bom(Source& src) {
    char b[3] = {};
    return src.read(0, b, 3) == 3 && std::memcmp(b, "\xEF\xBB\xBF", 3) == 0;
}

/// Just past the source's first '\n' within its first kHeadRead bytes, or 0.
/// A header line is short: the first 4 KiB are looked at alone, so that
/// the bytes the parser then reads again are few.
std::size_t first_line_end(Source& src, std::size_t size) {
    std::size_t end = 0;
    std::size_t looked = 0;
    for (const std::size_t window : {kHeaderPeek, kHeadRead}) {
        const std::size_t n = std::min(window, size);
        if (n <= looked) break;
        src.scan(looked, n - looked, [&](const char* q, std::size_t len) {
            if (end != 0) return;
            if (const void* nl = std::memchr(q, '\n', len))
                end = looked + static_cast<std::size_t>(static_cast<const char*>(nl) - q) + 1;
            else
                looked += len;
        });
        if (end != 0) break;
    }
    return end;
}

/// Appends source bytes [from, to) to the parser, a block at a time.
void pump(Source& src, detail::ParserImpl& p, std::size_t from, std::size_t to) {
    std::string tmp;
    while (from < to && !p.done()) {
        const std::size_t n = std::min(kReadSize, to - from);
        if (char* dst = p.raw_space(n)) {
            const std::size_t got = src.read(from, dst, n);
            if (got == 0) break;
            p.raw_commit(got);
            from += got;
        } else {
            // The decoder still looks at the first bytes: give it a few, so
            // that the rest may go straight in (a whole block through a
            // decoder that only copies would land on fresh pages twice).
            const std::size_t m = p.decoder().deciding() ? std::min(n, kDecideSize) : n;
            tmp.resize(m);
            const std::size_t got = src.read(from, tmp.data(), m);
            if (got == 0) break;
            p.feed(std::string_view(tmp.data(), got));
            from += got;
        }
    }
}

/// Parses [split, end) of the source on a worker engine.
void parse_tail(Source& src, detail::Engine& e, std::size_t from, std::size_t to) {
    auto& text = e.text();
    // A small first piece, processed at once, as the first thread's: the
    // columns are reserved by what it holds before a whole block is parsed
    // into them (R8's second half: 57 fewer page faults).
    bool first = true;
    while (from < to) {
        const std::size_t n = std::min(first ? kHeadRead : kReadSize, to - from);
        text.reserve(text.size() + n + detail::kPadding);
        const std::size_t got = src.read(from, reinterpret_cast<char*>(text.data()) + text.size(), n);
        if (got == 0) break;
        text.resize(text.size() + got);
        from += got;
        if (first || text.size() >= StreamingParser::kBlockSize) e.process(false);
        first = false;
    }
    e.process(true);
    e.release_text();  // it waits for the merge holding only its columns
}

Table read_source(Source& src, ReadOptions options, std::string_view path_hint) {
    options.chunksize.reset();  // read_csv returns one table
    detail::ParserImpl p(options, path_hint);
    const std::size_t size = src.size();
    const detail::Config& cfg = p.config();
    const bool two = options.threads >= 2 ||
                     (options.threads == 0 && size >= kParallelThreshold && std::thread::hardware_concurrency() >= 2);
    const bool eligible = two && !options.nrows && !options.skiprows.is_list() &&
                          cfg.dialect.simple() && p.decoder().validate_utf8();
    // The columns are reserved for the rows the input holds, judged by the
    // first block's bytes per row. With two threads too: the first thread's
    // columns end up holding the whole table, the second half's pages moved
    // in behind its own (untouched reserved pages cost address space only),
    // so that the merge neither grows a mapping nor copies a column's
    // validity into a fresh one (R8, two threads: in-process mean 0.119 ->
    // 0.108 s; a process per run, median 0.121 -> 0.119 s).
    p.engine().expect_bytes(size);
    if (!eligible) {
        pump(src, p, 0, size);
        p.finish();
        return p.table();
    }
    // The header on this thread, then the second thread starts. When the
    // first line is the header (the usual case), it is all this thread
    // parses before: the first rows come after the second thread has
    // started, so that both threads' first touches of their columns (a huge
    // page each, zeroed by the kernel) overlap instead of coming one after
    // the other (R8, two threads: the second thread started 4.0-4.8 ms into
    // the read after a 64 KiB first piece of header and rows, 1.1-1.7 ms
    // after the header alone). Otherwise a small first piece, processed at
    // once (not a whole block: the first 1 MiB block took 8 ms on its own).
    const bool first_line_is_header = options.skiprows.count() == 0 && cfg.header_row == 0;
    // Just past the first '\n' when that ends the header.
    const std::size_t header_end = first_line_is_header ? first_line_end(src, size) : 0;
    std::size_t offset = 0;
    while (offset < size && !cfg.header_done) {
        const std::size_t first = header_end != 0 ? header_end : kHeadRead;
        const std::size_t n = std::min(offset == 0 ? first : kReadSize, size - offset);
        pump(src, p, offset, offset + n);
        offset += n;
        if (!cfg.header_done && p.decoder().passthrough() && !p.done()) p.engine().process(false);
    }
    if (!cfg.header_done || !p.decoder().passthrough() || offset >= size) {
        pump(src, p, offset, size);
        p.finish();
        return p.table();
    }
    const std::size_t bom = has_bom(src) ? 3 : 0;
    // The first thread has parsed `offset` bytes already: the rest is halved.
    const std::size_t mid = offset + (size - offset) / 2;
    // The true line number at the split is known only once the first half is
    // parsed. The second thread counts from the line of the first thread's
    // unparsed text instead, a lower bound past the header (no skiprows list
    // here): its line numbers appear only in errors and warnings, and a
    // second half that has either is parsed again by the first thread.
    const std::size_t first_line = p.engine().line();
    // The second half on a second thread: guess the split, then parse.
    detail::Config& shared = p.config();
    std::optional<detail::Engine> tail_engine;
    tail_engine.emplace(shared, "utf-8", true);
    detail::Engine& tail = *tail_engine;
    tail.hold_warnings();
    std::promise<std::size_t> split_promise;
    std::future<std::size_t> split_future = split_promise.get_future();
    bool tail_failed = false;  // the first thread then parses the second half again
    std::thread worker([&] {
        std::size_t at = 0;
        try {
            at = find_split(src, mid, cfg.dialect.quote);
        } catch (...) {  // a read error: the first thread meets it too
        }
        split_promise.set_value(at);
        if (at == 0) return;
        try {
            tail.start_at(first_line, at - bom);
            tail.expect_bytes(size - at);
            parse_tail(src, tail, at, size);
        } catch (...) {
            tail_failed = true;
        }
    });
    struct Joiner {
        std::thread& t;
        ~Joiner() {
            if (t.joinable()) t.join();
        }
    } joiner{worker};
    if (header_end != 0) {
        // The first rows as a small piece of their own: the columns are
        // reserved by what it holds (Engine::expect_bytes) before a whole
        // block is parsed into them.
        const std::size_t first_rows = std::min(offset + kHeadRead, mid);
        pump(src, p, offset, first_rows);
        if (!p.done()) p.engine().process(false);
        offset = first_rows;
    }
    pump(src, p, offset, mid);
    const std::size_t split = split_future.get();
    bool agreed = false;  // the first half ends on the row boundary at `split`
    if (split != 0 && !p.done()) {
        pump(src, p, mid, split);
        p.engine().process(false);
        agreed = p.engine().text().empty() && p.engine().consumed() + bom == split;
    }
    worker.join();
    // The first thread goes on alone, past the second half's work, when:
    // - the guess was not a row boundary (a quoted field spans the line
    //   after it, or the quotes do not follow RFC 4180 there);
    // - the second half failed or warned: its line numbers are only a lower
    //   bound, so the first thread finds the same fault again and reports it
    //   at its true line (with the rows before it in order).
    if (!agreed || tail_failed || tail.has_warnings()) {
        tail_engine.reset();  // its memory back before the rest is parsed again
        pump(src, p, split == 0 ? mid : split, size);
        p.finish();
        return p.table();
    }
    // The second half's columns appended to the first's (their pages moved,
    // ColumnBuilder::append); the columns are shared out between this thread
    // and a helper.
    auto& head = p.engine().builders();
    auto& rest = tail.builders();
    auto merge = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) head[i].append(std::move(rest[i]));
    };
    const std::size_t half = head.size() / 2;
    std::exception_ptr merge_error;
    std::thread helper;
    if (half != 0) {
        try {
            helper = std::thread([&] {
                try {
                    merge(half, head.size());
                } catch (...) {
                    merge_error = std::current_exception();
                }
            });
        } catch (const std::system_error&) {  // no thread: merge them all here
        }
    }
    struct HelperJoiner {
        std::thread& t;
        ~HelperJoiner() {
            if (t.joinable()) t.join();
        }
    } helper_joiner{helper};
    merge(0, helper.joinable() ? half : head.size());
    if (helper.joinable()) helper.join();
    if (merge_error) std::rethrow_exception(merge_error);
    p.finish();
    return p.table();
}

}  // namespace

Table read_csv(const std::filesystem::path& path, const ReadOptions& options) {
    FileSource src(path);
    if (!src.regular()) {
        // A pipe or a device: read it to its end, a block at a time.
        ReadOptions o = options;
        o.chunksize.reset();
        detail::ParserImpl p(o, path.string());
        std::string buf(kReadSize, '\0');
        while (!p.done()) {
            const std::size_t got = src.read_next(buf.data(), buf.size());
            if (got == 0) break;
            p.feed(std::string_view(buf.data(), got));
        }
        p.finish();
        return p.table();
    }
    return read_source(src, options, path.string());
}

Table read_csv(Text text, const ReadOptions& options) {
    MemorySource src(text.data);
    return read_source(src, options, {});
}

Table read_csv(std::span<const std::byte> data, const ReadOptions& options) {
    MemorySource src(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
    return read_source(src, options, {});
}

Table read_csv_string(std::string_view text, const ReadOptions& options) { return read_csv(Text{text}, options); }

// TextFileReader ------------------------------------------------------------

struct TextFileReader::State {
    std::unique_ptr<Source> src;
    std::unique_ptr<detail::ParserImpl> parser;
    std::size_t offset = 0;
    bool finished = false;
    bool sequential = false;  // a pipe: read() instead of pread()
    std::string buf;          // bytes read and not yet fed: buf[buf_at, end)
    std::size_t buf_at = 0;
};

namespace {
void check_chunksize(const ReadOptions& o) {
    if (!o.chunksize || *o.chunksize == 0) throw ValueError("read_csv_chunks needs a positive chunksize");
}
}  // namespace

TextFileReader::TextFileReader(const std::filesystem::path& path, ReadOptions options)
    : state_(std::make_unique<State>()) {
    check_chunksize(options);
    auto file = std::make_unique<FileSource>(path);
    state_->sequential = !file->regular();
    state_->src = std::move(file);
    state_->parser = std::make_unique<detail::ParserImpl>(std::move(options), path.string());
}

TextFileReader::TextFileReader(Text text, ReadOptions options) : state_(std::make_unique<State>()) {
    check_chunksize(options);
    state_->src = std::make_unique<MemorySource>(text.data);
    state_->parser = std::make_unique<detail::ParserImpl>(std::move(options), std::string_view{});
}

TextFileReader::~TextFileReader() = default;
TextFileReader::TextFileReader(TextFileReader&&) noexcept = default;
TextFileReader& TextFileReader::operator=(TextFileReader&&) noexcept = default;

std::optional<Table> TextFileReader::get_chunk() {
    State& s = *state_;
    for (;;) {
        if (auto t = s.parser->next_chunk()) return t;
        if (s.finished) return std::nullopt;
        if (s.parser->done()) {
            s.parser->finish();
            s.finished = true;
            continue;
        }
        if (s.buf_at < s.buf.size()) {
            // A piece at a time, handing out the chunks it completed (see kChunkFeed).
            const std::size_t n = std::min(kChunkFeed, s.buf.size() - s.buf_at);
            s.parser->feed(std::string_view(s.buf).substr(s.buf_at, n));
            s.buf_at += n;
            if (s.buf_at < s.buf.size())
                if (auto t = s.parser->ready_chunk()) return t;
            continue;
        }
        aio::detail::resize_uninitialized(s.buf, kReadSize);  // the read fills it and it is cut to what it got
        std::size_t got;
        if (s.sequential)
            got = static_cast<FileSource&>(*s.src).read_next(s.buf.data(), s.buf.size());
        else
            got = s.src->read(s.offset, s.buf.data(), s.buf.size());
        s.offset += got;
        s.buf.resize(got);
        s.buf_at = 0;
        if (got == 0) {
            s.parser->finish();
            s.finished = true;
        }
    }
}

TextFileReader::iterator& TextFileReader::iterator::operator++() {
    reader_->current_ = reader_->get_chunk();
    if (!reader_->current_) reader_ = nullptr;
    return *this;
}

TextFileReader::iterator TextFileReader::begin() {
    iterator it(this);
    ++it;
    return it;
}

TextFileReader read_csv_chunks(const std::filesystem::path& path, ReadOptions options) {
    return TextFileReader(path, std::move(options));
}

TextFileReader read_csv_chunks(Text text, ReadOptions options) { return TextFileReader(text, std::move(options)); }

}  // namespace aio::csv
