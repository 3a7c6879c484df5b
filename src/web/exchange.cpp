// The protocol-free part of serving a request: targets, compression
// negotiation, file responses, logs.
#include "web/exchange.hpp"

#include <unistd.h>

#include "aio/threads.hpp"
#include "aio/timeouts.hpp"
#include "aio/web/exceptions.hpp"
#include "web/protocol.hpp"
#include "web/util.hpp"

namespace aio::web::detail {

ServerConnection::ServerConnection(ServerState& server) : server_(server) {
    server_.connections.push_front(this);
    self_ = server_.connections.begin();
}

ServerConnection::~ServerConnection() { server_.connections.erase(self_); }

Task<> ServerConnection::close_lingering(StreamReader& reader, StreamWriter& writer) {
    const ServerOptions& o = server_.opts;
    try {
        auto flush = aio::timeout(o.send_timeout, writer.drain());
        co_await std::move(flush);
        if (writer.can_write_eof()) {
            writer.write_eof();
            auto fin = aio::timeout(o.send_timeout, writer.drain());
            co_await std::move(fin);
            const auto end = aio::detail::deadline_after(o.lingering_time);
            while (true) {
                reader.consume(reader.buffered().size());
                auto left =
                    std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
                if (left.count() <= 0) break;
                auto fill = aio::timeout(std::min(left, o.lingering_timeout), reader.fill());
                bool more = co_await std::move(fill);
                if (!more) break;  // the client closed too
            }
        }
    } catch (const CancelledError&) {
        writer.close();
        throw;
    } catch (...) {
        // A reset, a stall past the send timeout or the lingering timeout: close.
    }
    writer.close();
}

Exchange::Exchange(ServerState& server, bool tls) : state_(server), tls_(tls) { request_.reset(new Request(this)); }

Exchange::~Exchange() = default;

Application& Exchange::app() noexcept { return *state_.app; }

void Exchange::body_consume(std::size_t n) noexcept {
    body_pos_ += n;
    if (body_pos_ == body_buf_.size()) {
        body_buf_.clear();
        body_pos_ = 0;
    }
}

bool Exchange::parse_target(std::string_view target) {
    // Origin form "/p?q", or absolute form "http://host/p?q".
    authority_.clear();
    if (!target.empty() && target[0] != '/' && target != "*") {
        std::size_t scheme = target.find("://");
        if (scheme != std::string_view::npos) {
            std::size_t slash = target.find_first_of("/?#", scheme + 3);
            std::string_view authority = target.substr(
                scheme + 3, slash == std::string_view::npos ? std::string_view::npos : slash - (scheme + 3));
            if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
            authority_.assign(authority);
            target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
            if (!target.empty() && target[0] != '/') target = "/";  // "http://h?q": no path
        }
    }
    std::size_t q = target.find('?');
    query_string_.assign(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
    std::string_view raw_path = target.substr(0, q);
    if (std::size_t hash = query_string_.find('#'); hash != std::string::npos) query_string_.resize(hash);
    return percent_decode_path(raw_path, path_);
}

std::optional<http::Coding> Exchange::negotiate(const StreamResponse& resp, std::size_t size) const {
    if (resp.compression_ && *resp.compression_ == http::Coding::identity) return std::nullopt;
    if (!state_.opts.compress && !resp.compression_requested_) return std::nullopt;
    std::optional<std::string_view> accept = head_->headers.get("Accept-Encoding");
    if (!accept) return std::nullopt;
    if (size < kMinCompressSize && !resp.compression_requested_) return std::nullopt;
    if (resp.headers_.contains("Content-Encoding")) return std::nullopt;
    if (!resp.compression_requested_ && !compressible_type(resp.headers_.get("Content-Type").value_or("")))
        return std::nullopt;
    return choose_coding(*accept, resp.compression_);
}

const std::string& Exchange::outgoing_body(StreamResponse& resp, bool with_body, std::string& scratch) const {
    const std::string& body = resp.body_;
    if (body.empty() || (!with_body && head_->method != "HEAD")) return body;
    std::optional<http::Coding> coding = negotiate(resp, body.size());
    if (!coding) return body;
    scratch = http::compress(body, *coding);
    resp.headers_.set("Content-Encoding", http::coding_name(*coding));
    resp.headers_.add("Vary", "Accept-Encoding");
    return scratch;
}

void Exchange::start_coding(StreamResponse& resp, StreamState& st, std::optional<std::uint64_t>& length) const {
    std::optional<http::Coding> coding = negotiate(resp, length ? *length : SIZE_MAX);
    if (!coding) return;
    st.encoder = std::make_unique<http::Encoder>(*coding);
    resp.headers_.set("Content-Encoding", http::coding_name(*coding));
    resp.headers_.add("Vary", "Accept-Encoding");
    length.reset();
}

Task<std::string> read_file_piece(std::shared_ptr<OpenedFile> file, std::uint64_t offset, std::size_t n) {
    auto read_piece = [file = std::move(file), n, offset] {
        std::string piece(n, '\0');
        ssize_t r = 0;
        do {
            r = ::pread(file->file.fd, piece.data(), n, static_cast<off_t>(offset));
        } while (r < 0 && errno == EINTR);
        // A failing disk (EIO) says so; it is not a file that shrank.
        if (r < 0) aio::throw_os_error(errno, "reading the file to send at offset " + std::to_string(offset), "");
        piece.resize(static_cast<std::size_t>(r));
        return piece;
    };
    std::string chunk = co_await aio::to_thread(read_piece);
    if (chunk.empty()) throw aio::RuntimeError("the file shrank while it was being sent");
    co_return chunk;
}

Task<FilePlan> Exchange::plan_file(StreamResponse& resp) {
    FilePlan plan;
    // Opened by a static route already, or opened here on the thread pool.
    // Shared with the reads on the pool: a read still running when the
    // sending task is cancelled must not see its descriptor closed (and the
    // number reused).
    plan.opened = std::move(resp.opened_);
    http::Headers& h = resp.headers_;
    if (!plan.opened) {
        // A Content-Encoding set by the handler: the file is sent as it is.
        std::string accept = h.contains("Content-Encoding")
                                 ? std::string()
                                 : std::string(head_->headers.get("Accept-Encoding").value_or(""));
        // Named: g++ 12 miscopies a lambda built inside a co_await expression.
        auto open_file = [path = resp.path_, accept = std::move(accept)] {
            auto f = std::make_shared<OpenedFile>(OpenedFile::open(path));
            f->prefer_precompressed_beside(accept, path.native());
            return f;
        };
        plan.opened = co_await aio::to_thread(open_file);
    }
    const struct stat& st = plan.opened->st;
    int status = resp.status();
    if (plan.opened->err != 0 || !S_ISREG(st.st_mode)) {
        plan.instead = plan.opened->err == EACCES ? HTTPForbidden().response() : HTTPNotFound().response();
        co_return plan;
    }
    FileValidators v = file_validators(st);
    const http::Headers& rq = head_->headers;
    ConditionResult cond = evaluate_conditions(rq, v, head_->method);
    if (cond != ConditionResult::proceed) {
        int code = cond == ConditionResult::not_modified ? 304 : 412;
        Response r({.status = code});
        r.headers().set("ETag", v.etag);
        r.headers().set("Last-Modified", v.last_modified);
        plan.instead = std::move(r);
        co_return plan;
    }
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    plan.count = size;
    if (plan.opened->coding) {
        // The precompressed sibling: its own bytes, validators and ranges.
        h.set("Content-Encoding", http::coding_name(*plan.opened->coding));
        h.add("Vary", "Accept-Encoding");
    }
    if (status == 200) {
        RangeResult range = parse_range(rq, v, size);
        if (range.kind == RangeResult::unsatisfiable) {
            Response r({.status = 416});
            r.headers().set("Content-Range", "bytes */" + std::to_string(size));
            plan.instead = std::move(r);
            co_return plan;
        }
        if (range.kind == RangeResult::partial) {
            status = 206;
            plan.offset = range.first;
            plan.count = range.last - range.first + 1;
            h.set("Content-Range", "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
                                       std::to_string(size));
        }
    }
    if (!h.contains("Content-Type")) h.set("Content-Type", guess_content_type(resp.path_.filename().string()));
    h.set("Last-Modified", v.last_modified);
    h.set("ETag", v.etag);
    h.set("Accept-Ranges", "bytes");
    plan.status = status;
    plan.reason = status == resp.status() ? std::string_view(resp.reason_) : std::string_view();
    plan.head_only = head_->method == "HEAD";
    co_return plan;
}

void Exchange::log_access(int status, std::uint64_t bytes) {
    if (!state_.opts.access_log) return;
    static const http::RequestHead kNoHead{};
    std::string remote;
    try {
        remote = peername().host();
    } catch (...) {
        remote = "-";
    }
    std::string line = format_access_log(state_.opts.access_log_format, head_ ? *head_ : kNoHead, remote, status,
                                         bytes, std::chrono::steady_clock::now() - started_);
    state_.opts.access_log(line);
}

void Exchange::log_error(std::string_view what) {
    if (!state_.opts.error_log) return;
    std::string peer;
    try {
        peer = peername().to_string();
    } catch (...) {
        peer = "?";
    }
    std::string line = peer + ": " + std::string(what);
    state_.opts.error_log(line);
}

}  // namespace aio::web::detail
