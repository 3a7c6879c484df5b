// ClientResponse: the head, the body read on demand, and the connection's return to the pool.
#include <aio/exceptions.hpp>
#include <aio/http/client/response.hpp>

#include "http/client/core.hpp"
#include "http/client/util.hpp"

namespace aio::http {

namespace detail {

Task<bool> ResponseState::fill() {
    Deadline d = earliest(total, deadline_in(sock_read, Phase::sock_read));
    co_return co_await with_deadline(conn->reader.fill(), d, url());
}

void ResponseState::payload_error(const std::string& reason) {
    release(true);
    throw ClientPayloadError("Response payload is not completed: " + reason + ", url=URL(" + py_repr(url()) + ")",
                             url());
}

void ResponseState::feed() {
    // One step: at most kDecodeStep decoded bytes of a coded body.
    conn->decode_budget = kDecodeStep;
    if (decoder && decoder->has_pending()) {
        std::size_t before = buf.size();
        decoder->feed({}, buf, kDecodeStep);
        conn->decode_budget -= std::min(buf.size() - before, kDecodeStep);
        if (decoder->has_pending()) return;  // the reader takes this output first
    }
    if (!decoder || conn->decode_budget > 0) conn->feed_buffered();
    if (conn->message_done && !(decoder && decoder->has_pending())) {
        if (decoder) decoder->finish(buf);
        finish();
    }
}

void ResponseState::check_buffered() {
    if (buf.size() - pos <= max_buffered) return;
    release(true);
    throw ClientPayloadError("Response payload is larger than max_body_size (" + std::to_string(max_buffered) +
                                 " bytes held at once; stream it with content()), url=URL(" + py_repr(url()) + ")",
                             url());
}

void ResponseState::finish() {
    eof = true;
    timings.body = SteadyClock::now() - head_time;
    if (!tracer.empty())
        tracer.emit(&TraceConfig::on_response_complete,
                    TraceResponseComplete{info->method, info->url, status, timings, stream_id});
    release(false);
}

Task<bool> ResponseState::more_h2(std::size_t before) {
    while (true) {
        std::exception_ptr err;
        std::string reason;
        try {
            H2Stream& s = *h2;
            bool waiting = false;
            if (decoder && decoder->has_pending()) {
                decoder->feed({}, buf, kDecodeStep);
            } else if (!s.data.empty()) {
                // Taken bytes go back to the windows: the server may send as much again.
                std::string chunk = std::move(s.data);
                s.data.clear();
                h2conn->consume(s, chunk.size());
                if (decoder)
                    decoder->feed(chunk, buf, kDecodeStep);
                else if (buf.empty())
                    buf = std::move(chunk);
                else
                    buf += chunk;
            } else if (s.remote_done) {
                if (decoder) decoder->finish(buf);
                trailers = std::move(s.trailers);
                check_buffered();
                finish();
                co_return buf.size() > before;
            } else if (s.finished()) {
                std::rethrow_exception(h2_stream_error(s, url(), false));
            } else {
                waiting = true;
            }
            check_buffered();
            if (buf.size() > before) co_return true;
            if (waiting) {
                s.changed.clear();
                Deadline d = earliest(total, deadline_in(sock_read, Phase::sock_read));
                co_await with_deadline(wait_h2_event(s.changed), d, url());
            }
        } catch (const HttpProcessingError& e) {
            err = std::current_exception();
            reason = e.message();
        } catch (...) {
            err = std::current_exception();
        }
        if (err) {
            if (!reason.empty()) payload_error(reason);
            release(true);
            std::rethrow_exception(err);
        }
    }
}

Task<bool> ResponseState::more() {
    if (eof) {
        check_buffered();  // a body that came whole with its head
        co_return false;
    }
    if (h2conn ? !h2 : !conn) payload_error("the connection was released before the body was read");
    // What the reader took is dropped: streaming reads hold only what is unread.
    if (pos > 0) {
        buf.erase(0, pos);
        pos = 0;
    }
    std::size_t before = buf.size();
    if (h2conn) co_return co_await more_h2(before);
    while (true) {
        std::exception_ptr err;
        std::string reason;
        bool more_bytes = true;
        try {
            feed();
            check_buffered();
            if (eof) co_return buf.size() > before;
            if (buf.size() > before) co_return true;
            more_bytes = co_await fill();
            if (!more_bytes) {
                conn->parser.feed_eof();  // completes a body that runs until close, or throws
                if (!conn->message_done) throw aio::http::PayloadEncodingError("the connection closed");
                if (decoder) decoder->finish(buf);
                check_buffered();
                finish();
                co_return buf.size() > before;
            }
        } catch (const HttpProcessingError& e) {
            err = std::current_exception();
            reason = e.message();
        } catch (const aio::TimeoutError&) {
            err = std::current_exception();
        } catch (const aio::OSError& e) {
            err = std::make_exception_ptr(ClientSocketError(e.errno_code(), e.what(), url()));
        } catch (...) {
            err = std::current_exception();
        }
        if (err) {
            if (!reason.empty()) payload_error(reason);
            release(true);
            std::rethrow_exception(err);
        }
    }
}

void ResponseState::release(bool force_close) noexcept {
    if (h2conn) {
        if (h2) h2conn->release(*h2);
        h2.reset();
        h2conn.reset();
        return;
    }
    if (!conn) return;
    if (conn->sink == &buf) conn->sink = nullptr;
    bool reusable = !force_close && eof && conn->message_done && !conn->head.should_close &&
                    !conn->parser.stopped() && conn->reader.buffered().empty();
    connector->release(std::move(conn), reusable);
}

}  // namespace detail

namespace {

/// Appends the UTF-8 form of code point cp.
void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs,
/// no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80) return 1;
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    if (n == 3 && c == 0xE0 && b(i + 1) < 0xA0) return 0;
    if (n == 3 && c == 0xED && b(i + 1) >= 0xA0) return 0;
    if (n == 4 && c == 0xF0 && b(i + 1) < 0x90) return 0;
    if (n == 4 && c == 0xF4 && b(i + 1) >= 0x90) return 0;
    return n;
}

/// windows-1252's code points for 0x80..0x9F (0 = undefined).
constexpr std::uint16_t kCp1252[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                       0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                       0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                       0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

std::string decode_text(std::string body, const std::string& encoding, const std::string& errors) {
    std::string enc = detail::ascii_lower(encoding);
    for (char& c : enc)
        if (c == '_') c = '-';
    bool replace = errors == "replace";
    if (!replace && errors != "strict") throw aio::ValueError("unknown error handler: " + errors);
    if (enc == "utf-8" || enc == "utf8" || enc == "u8" || enc == "utf") {
        std::size_t i = 0;
        while (i < body.size()) {
            std::size_t n = utf8_sequence(body, i);
            if (n == 0) break;
            i += n;
        }
        if (i == body.size()) return body;  // the common case: valid, no copy
        if (!replace) throw aio::UnicodeDecodeError("utf-8", i, "invalid start byte or continuation");
        std::string out(body, 0, i);
        while (i < body.size()) {
            std::size_t n = utf8_sequence(body, i);
            if (n == 0) {
                put_utf8(out, 0xFFFD);
                ++i;
            } else {
                out.append(body, i, n);
                i += n;
            }
        }
        return out;
    }
    if (enc == "us-ascii" || enc == "ascii") {
        std::string out;
        for (std::size_t i = 0; i < body.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(body[i]);
            if (c < 0x80) {
                out += static_cast<char>(c);
            } else {
                if (!replace) throw aio::UnicodeDecodeError("ascii", i, "ordinal not in range(128)");
                put_utf8(out, 0xFFFD);
            }
        }
        return out;
    }
    bool latin1 = enc == "iso-8859-1" || enc == "latin-1" || enc == "latin1" || enc == "l1" || enc == "iso8859-1";
    bool cp1252 = enc == "windows-1252" || enc == "cp1252";
    if (latin1 || cp1252) {
        std::string out;
        out.reserve(body.size());
        for (std::size_t i = 0; i < body.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(body[i]);
            std::uint32_t cp = c;
            if (cp1252 && c >= 0x80 && c < 0xA0) {
                cp = kCp1252[c - 0x80];
                if (cp == 0) {
                    if (!replace) throw aio::UnicodeDecodeError("cp1252", i, "character maps to <undefined>");
                    cp = 0xFFFD;
                }
            }
            put_utf8(out, cp);
        }
        return out;
    }
    throw aio::ValueError("unknown encoding: " + encoding);
}

}  // namespace

// ---------------------------------------------------------------------------
// ClientResponse

ClientResponse::ClientResponse(std::unique_ptr<detail::ResponseState> s) : s_(std::move(s)) {}
ClientResponse::ClientResponse(ClientResponse&&) noexcept = default;
ClientResponse& ClientResponse::operator=(ClientResponse&& o) noexcept {
    if (this != &o) {
        release();
        s_ = std::move(o.s_);
    }
    return *this;
}
ClientResponse::~ClientResponse() { release(); }

int ClientResponse::status() const noexcept { return s_->status; }
const std::string& ClientResponse::reason() const noexcept { return s_->reason; }
const Headers& ClientResponse::headers() const noexcept { return s_->headers; }
const URL& ClientResponse::url() const noexcept { return s_->info->url; }
const std::string& ClientResponse::method() const noexcept { return s_->info->method; }
HttpVersion ClientResponse::version() const noexcept { return s_->version; }
std::optional<std::uint64_t> ClientResponse::content_length() const noexcept { return s_->content_length; }
const std::vector<ClientResponse>& ClientResponse::history() const noexcept { return s_->history; }
const RequestInfo& ClientResponse::request_info() const noexcept { return *s_->info; }
const RequestTimings& ClientResponse::timings() const noexcept { return s_->timings; }
ResponseContent& ClientResponse::content() noexcept { return s_->content; }
bool ClientResponse::closed() const noexcept { return !s_ || (!s_->conn && !s_->h2conn); }
const Headers& ClientResponse::trailers() const noexcept { return s_->trailers; }
std::int32_t ClientResponse::stream_id() const noexcept { return s_->stream_id; }

std::string ClientResponse::content_type() const {
    auto ct = s_->headers.get(hdrs::CONTENT_TYPE);
    if (!ct) return "application/octet-stream";
    return detail::media_type(*ct);
}

std::optional<std::string> ClientResponse::charset() const {
    auto ct = s_->headers.get(hdrs::CONTENT_TYPE);
    if (!ct) return std::nullopt;
    std::string cs = detail::media_param(*ct, "charset");
    if (cs.empty()) return std::nullopt;
    return detail::ascii_lower(cs);
}

MultiDict ClientResponse::cookies() const {
    MultiDict out;
    for (std::string_view sc : s_->headers.get_all(hdrs::SET_COOKIE)) {
        std::string_view pair = sc.substr(0, sc.find(';'));
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) continue;
        out.add(detail::trim(pair.substr(0, eq)), detail::trim(pair.substr(eq + 1)));
    }
    return out;
}

void ClientResponse::raise_for_status() {
    if (s_->status < 400) return;
    release();
    throw ClientResponseError(s_->info, s_->status, s_->reason, s_->history.size());
}

void ClientResponse::release() noexcept {
    if (!s_ || s_->released) return;
    s_->released = true;
    s_->release(!s_->eof);
}

void ClientResponse::close() noexcept {
    if (!s_) return;
    s_->released = true;
    s_->release(true);
}

Task<std::string> ClientResponse::read() {
    auto& s = *s_;
    if (s.body) co_return *s.body;
    while (true) {
        bool more = co_await s.more();
        if (!more) break;
    }
    if (s.pos == 0)
        s.body.emplace(std::move(s.buf));
    else
        s.body.emplace(s.buf, s.pos);
    s.buf.clear();
    s.pos = 0;
    co_return *s.body;
}

Task<std::string> ClientResponse::text(std::string encoding, std::string errors) {
    std::string body = co_await read();
    if (encoding.empty()) encoding = charset().value_or("utf-8");
    co_return decode_text(std::move(body), encoding, errors);
}

Task<::aio::json::Value> ClientResponse::json(std::string content_type) {
    std::string body = co_await read();
    if (!content_type.empty() && this->content_type().find("json") == std::string::npos &&
        this->content_type() != content_type) {
        throw ContentTypeError(s_->info, s_->status,
                               "Attempt to decode JSON with unexpected mimetype: " + this->content_type(),
                               s_->history.size());
    }
    std::string_view trimmed = detail::trim(body);
    while (!trimmed.empty() && (trimmed.front() == '\n' || trimmed.front() == '\r')) trimmed.remove_prefix(1);
    if (trimmed.empty()) co_return ::aio::json::Value();
    co_return ::aio::json::loads(body);
}

// ---------------------------------------------------------------------------
// ResponseContent

namespace {

/// Hands out every unread byte of `s`. When none was handed out before, the
/// buffer itself goes (a move, not a copy: a large body read with readany
/// is otherwise copied once more on its way out); the next bytes received go
/// to a fresh one.
std::string take_unread(detail::ResponseState& s) {
    std::string out = s.pos == 0 ? std::move(s.buf) : s.buf.substr(s.pos);
    s.buf.clear();  // a moved-from string is valid but unspecified
    s.pos = 0;
    return out;
}

}  // namespace

Task<std::string> ResponseContent::read(long n) {
    auto& s = *s_;
    if (n < 0) {
        while (true) {
            bool more = co_await s.more();
            if (!more) break;
        }
        co_return take_unread(s);
    }
    if (s.pos == s.buf.size()) {
        s.buf.clear();
        s.pos = 0;
        while (s.buf.empty()) {
            bool more = co_await s.more();
            if (!more) break;
        }
    }
    const std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(n), s.buf.size() - s.pos);
    if (take == s.buf.size() - s.pos) co_return take_unread(s);
    std::string out = s.buf.substr(s.pos, take);
    s.pos += take;
    co_return out;
}

Task<std::string> ResponseContent::readany() { co_return co_await read(1 << 30); }

Task<std::string> ResponseContent::readline() {
    auto& s = *s_;
    std::size_t searched = 0;  // bytes after s.pos known to hold no newline (more() moves s.pos)
    while (true) {
        std::size_t nl = s.buf.find('\n', s.pos + searched);
        if (nl != std::string::npos) {
            std::string out = s.buf.substr(s.pos, nl + 1 - s.pos);
            s.pos = nl + 1;
            co_return out;
        }
        searched = s.buf.size() - s.pos;
        bool more = co_await s.more();
        if (!more) break;
    }
    std::string out = s.buf.substr(s.pos);
    s.buf.clear();
    s.pos = 0;
    co_return out;
}

Task<std::string> ResponseContent::readexactly(std::size_t n) {
    auto& s = *s_;
    while (s.buf.size() - s.pos < n) {
        bool more = co_await s.more();
        if (!more) {
            std::string partial = s.buf.substr(s.pos);
            s.buf.clear();
            s.pos = 0;
            throw aio::IncompleteReadError(std::move(partial), n);
        }
    }
    std::string out = s.buf.substr(s.pos, n);
    s.pos += n;
    co_return out;
}

AsyncGenerator<std::string> ResponseContent::iter_chunked(std::size_t n) {
    if (n == 0) throw aio::ValueError("iter_chunked needs a chunk size above 0");
    auto& s = *s_;
    while (true) {
        while (s.buf.size() - s.pos < n) {
            bool more = co_await s.more();
            if (!more) break;
        }
        if (s.pos == s.buf.size()) break;
        std::size_t take = std::min(n, s.buf.size() - s.pos);
        std::string out = s.buf.substr(s.pos, take);
        s.pos += take;
        if (s.pos == s.buf.size()) {
            s.buf.clear();
            s.pos = 0;
        }
        co_yield std::move(out);
    }
}

AsyncGenerator<std::string> ResponseContent::iter_any() {
    while (true) {
        std::string chunk = co_await readany();
        if (chunk.empty()) break;
        co_yield std::move(chunk);
    }
}

bool ResponseContent::at_eof() const noexcept { return s_->eof && s_->pos == s_->buf.size(); }

}  // namespace aio::http
