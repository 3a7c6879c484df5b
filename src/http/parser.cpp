// The HTTP/1.1 message parser: one state machine for requests and responses.
//
// Heads are read line by line. A line complete in the caller's data is parsed
// in place; one split across feeds is gathered in `pending_` (bounded by the
// line's limit, so a peer cannot make it grow). Header fields are copied once,
// into the head's Headers. Body bytes are handed to the handler as views of
// the caller's data.
//
// Every check is made at a point fixed by the bytes alone (a line is checked
// when its LF arrives, or when its length passes the limit), so the outcome
// never depends on how the input was split.
#include "aio/http/parser.hpp"

#include "http/chars.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <string>

namespace aio::http {
namespace detail {
namespace {

inline bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

// A short printable rendering of bytes for error messages: "Fo\x00o".
std::string quoted(std::string_view s) {
    constexpr std::size_t kMax = 64;  // enough to recognise the culprit, short enough for a log line
    std::string out = "\"";
    static constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    if (s.size() > kMax) out += "...";
    out += '"';
    return out;
}

std::string describe_char(char ch) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r') return "a bare CR";
    if (c == '\n') return "a bare LF";
    if (c == 0) return "a NUL byte";
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "the character 0x";
    out += digits[c >> 4];
    out += digits[c & 15];
    return out;
}

bool parse_version(std::string_view s, HttpVersion& v) {
    if (s.size() != 8 || s.substr(0, 5) != "HTTP/" || s[5] < '0' || s[5] > '9' || s[6] != '.' || s[7] < '0' ||
        s[7] > '9')
        return false;
    v = HttpVersion{s[5] - '0', s[7] - '0'};
    return true;
}

bool supported(HttpVersion v) { return v == HttpVersion10 || v == HttpVersion11; }

// Calls f(element) for each comma-separated element of a field value, trimmed.
template <class F>
void for_each_element(std::string_view value, F&& f) {
    while (true) {
        std::size_t comma = value.find(',');
        f(trim_ows(value.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
}

/// The largest Content-Length or chunk size accepted: lengths stay
/// representable as a signed 64-bit offset for every user of them.
constexpr std::uint64_t kMaxLength = static_cast<std::uint64_t>(INT64_MAX);

}  // namespace

// ---------------------------------------------------------------------------

class ParserCore {
public:
    enum class Kind { request, response };

    ParserCore(Kind kind, ParserLimits limits, RequestParser::Handler* req, ResponseParser::Handler* resp)
        : kind_(kind), limits_(limits), req_handler_(req), resp_handler_(resp), lenient_lf_(kind == Kind::response) {}

    std::size_t feed(std::string_view data);
    void feed_eof();

    bool upgraded() const noexcept { return state_ == State::upgraded; }
    bool stopped() const noexcept {
        return state_ == State::upgraded || state_ == State::closed || state_ == State::failed;
    }
    bool message_in_progress() const noexcept {
        switch (state_) {
            case State::start: return !pending_.empty();
            case State::upgraded:
            case State::closed:
            case State::failed: return false;
            default: return true;
        }
    }
    void resume_after_upgrade() noexcept {
        if (state_ == State::upgraded) state_ = State::start;
    }
    std::uint64_t framing_bytes() const noexcept { return framing_bytes_; }
    void set_request_method(std::string_view method) {
        head_request_ = method == "HEAD";
        connect_request_ = method == "CONNECT";
    }

private:
    enum class State : std::uint8_t {
        start,          // before a start line (empty lines skipped)
        header_line,    // reading header fields
        body_length,    // Content-Length body: remaining_ bytes to go
        body_eof,       // body until the connection closes
        chunk_size,     // a chunk-size line
        chunk_data,     // chunk data: remaining_ bytes to go
        chunk_data_cr,  // the CR after chunk data
        chunk_data_lf,  // the LF after chunk data
        trailer_line,   // trailer fields after the last chunk
        message_done,   // report the end of the message (needs no input)
        upgraded,       // the connection speaks another protocol now
        closed,         // after a should_close message, or EOF
        failed,         // an error was thrown; error_ holds it
    };
    enum class LimitKind { start_line, field, section, chunk_line };
    struct LineLimit {
        std::size_t budget;
        LimitKind kind;
    };

    std::size_t run(std::string_view data);
    bool take_line(const char*& p, const char* end, std::string_view& line);
    LineLimit current_limit() const noexcept;
    [[noreturn]] void line_too_long(LineLimit limit) const;
    ParserAction on_line(std::string_view line);
    void begin_message();
    void parse_request_line(std::string_view line);
    void parse_status_line(std::string_view line);
    void parse_field(std::string_view line, Headers& into, bool head);
    void note_framing_field(std::string_view name, std::string_view value);
    ParserAction finish_head();
    ParserAction finish_request_head();
    ParserAction finish_response_head();
    void parse_chunk_size(std::string_view line);
    ParserAction emit_body(std::string_view data) {
        return kind_ == Kind::request ? req_handler_->on_body(data) : resp_handler_->on_body(data);
    }
    bool head_upgrade() const { return kind_ == Kind::request ? req_.upgrade : resp_.upgrade; }
    bool head_should_close() const { return kind_ == Kind::request ? req_.should_close : resp_.should_close; }

    Kind kind_;
    ParserLimits limits_;
    RequestParser::Handler* req_handler_;
    ResponseParser::Handler* resp_handler_;
    bool lenient_lf_;

    State state_ = State::start;
    std::exception_ptr error_;
    std::string pending_;  // the beginning of a line split across feeds

    RequestHead req_;
    ResponseHead resp_;
    Headers trailers_;

    // The response parser's view of the request being answered.
    bool head_request_ = false;
    bool connect_request_ = false;

    // Per message.
    std::size_t fields_bytes_ = 0;  // content bytes of this head's (or trailer section's) field lines
    std::size_t fields_count_ = 0;
    std::uint64_t remaining_ = 0;
    std::uint64_t body_received_ = 0;
    std::uint64_t framing_bytes_ = 0;  // chunk-size lines of this message, with their CRLF
    std::uint64_t content_length_ = 0;
    bool content_length_seen_ = false;
    bool te_seen_ = false;
    bool te_chunked_ = false;  // chunked was the last coding seen
    std::string te_other_;     // the first coding other than chunked
    bool conn_close_ = false;
    bool conn_keep_alive_ = false;
    bool conn_upgrade_ = false;
    bool upgrade_field_ = false;
    bool expect_continue_ = false;
    bool host_seen_ = false;
    bool informational_ = false;  // a 1xx response other than 101
};

std::size_t ParserCore::feed(std::string_view data) {
    if (state_ == State::failed) std::rethrow_exception(error_);
    try {
        return run(data);
    } catch (...) {
        state_ = State::failed;
        error_ = std::current_exception();
        throw;
    }
}

std::size_t ParserCore::run(std::string_view data) {
    const char* const begin = data.data();
    const char* p = begin;
    const char* const end = begin + data.size();
    auto consumed = [&] { return static_cast<std::size_t>(p - begin); };

    for (;;) {
        switch (state_) {
            case State::start:
            case State::header_line:
            case State::chunk_size:
            case State::trailer_line: {
                if (p == end) return consumed();
                std::string_view line;
                if (!take_line(p, end, line)) return consumed();
                ParserAction action = on_line(line);
                pending_.clear();
                if (action == ParserAction::pause) return consumed();
                break;
            }
            case State::body_length:
            case State::chunk_data: {
                if (p == end) return consumed();
                std::size_t n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(end - p)));
                std::string_view piece(p, n);
                p += n;
                remaining_ -= n;
                if (remaining_ == 0) state_ = state_ == State::body_length ? State::message_done : State::chunk_data_cr;
                if (emit_body(piece) == ParserAction::pause) return consumed();
                break;
            }
            case State::body_eof: {
                if (p == end) return consumed();
                std::uint64_t allowed = limits_.max_body_size - body_received_;
                if (allowed == 0)
                    throw BodyTooLarge("body is larger than " + std::to_string(limits_.max_body_size) + " bytes");
                std::size_t n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(allowed, static_cast<std::uint64_t>(end - p)));
                std::string_view piece(p, n);
                p += n;
                body_received_ += n;
                if (emit_body(piece) == ParserAction::pause) return consumed();
                break;
            }
            case State::chunk_data_cr:
            case State::chunk_data_lf: {
                if (p == end) return consumed();
                char c = *p;
                if (state_ == State::chunk_data_cr && c == '\r') {
                    state_ = State::chunk_data_lf;
                } else if (c == '\n' && (state_ == State::chunk_data_lf || lenient_lf_)) {
                    state_ = State::chunk_size;
                } else {
                    throw TransferEncodingError("chunk data is not followed by CRLF");
                }
                ++p;
                break;
            }
            case State::message_done: {
                if (informational_) {
                    state_ = State::start;
                } else if (head_upgrade()) {
                    state_ = State::upgraded;
                } else if (head_should_close()) {
                    state_ = State::closed;
                } else {
                    state_ = State::start;
                }
                ParserAction action = kind_ == Kind::request ? req_handler_->on_message_complete()
                                                             : resp_handler_->on_message_complete();
                if (action == ParserAction::pause) return consumed();
                break;
            }
            case State::upgraded:
            case State::closed: return consumed();
            case State::failed: std::rethrow_exception(error_);
        }
    }
}

void ParserCore::feed_eof() {
    if (state_ == State::failed) std::rethrow_exception(error_);
    try {
        run({});  // deliver what needs no input (a paused message end)
        switch (state_) {
            case State::start:
                if (!pending_.empty()) throw BadHttpMessage("connection closed in the middle of a start line");
                break;
            case State::header_line:
                throw BadHttpMessage("connection closed before the end of the message head");
            case State::body_length:
                throw ContentLengthError("connection closed after " + std::to_string(content_length_ - remaining_) +
                                         " of the " + std::to_string(content_length_) +
                                         " body bytes announced by Content-Length");
            case State::chunk_size:
            case State::chunk_data:
            case State::chunk_data_cr:
            case State::chunk_data_lf:
            case State::trailer_line:
                throw TransferEncodingError("connection closed in the middle of a chunked body");
            case State::body_eof: {
                state_ = State::message_done;
                run({});
                break;
            }
            default: break;
        }
        if (state_ != State::upgraded && state_ != State::failed) state_ = State::closed;
    } catch (...) {
        state_ = State::failed;
        error_ = std::current_exception();
        throw;
    }
}

// ---------------------------------------------------------------------------
// Lines

ParserCore::LineLimit ParserCore::current_limit() const noexcept {
    switch (state_) {
        case State::header_line:
        case State::trailer_line: {
            std::size_t left = limits_.max_headers_size - std::min(fields_bytes_, limits_.max_headers_size);
            if (limits_.max_field_size <= left) return {limits_.max_field_size, LimitKind::field};
            return {left, LimitKind::section};
        }
        case State::chunk_size: return {limits_.max_line_size, LimitKind::chunk_line};
        default: return {limits_.max_line_size, LimitKind::start_line};
    }
}

void ParserCore::line_too_long(LineLimit limit) const {
    const bool trailer = state_ == State::trailer_line;
    switch (limit.kind) {
        case LimitKind::start_line:
            if (kind_ == Kind::request)
                throw LineTooLong("request line is longer than " + std::to_string(limits_.max_line_size) + " bytes",
                                  414);
            throw LineTooLong("status line is longer than " + std::to_string(limits_.max_line_size) + " bytes");
        case LimitKind::field:
            throw LineTooLong(std::string(trailer ? "trailer" : "header") + " field is longer than " +
                                  std::to_string(limits_.max_field_size) + " bytes",
                              431);
        case LimitKind::section:
            throw LineTooLong(std::string(trailer ? "trailer" : "header") + " section is larger than " +
                                  std::to_string(limits_.max_headers_size) + " bytes",
                              431);
        case LimitKind::chunk_line:
            throw LineTooLong("chunk-size line is longer than " + std::to_string(limits_.max_line_size) + " bytes");
    }
    throw LineTooLong("line too long");
}

// Takes the next line (without its line ending) from pending_ + [p, end).
// Returns false when the line is not complete yet: its bytes are kept in
// pending_ and all the input counts as consumed. Throws when the line passes
// its limit, as soon as that is known.
bool ParserCore::take_line(const char*& p, const char* end, std::string_view& line) {
    const LineLimit limit = current_limit();
    const std::size_t have = pending_.size();
    const std::size_t avail = static_cast<std::size_t>(end - p);
    // A line within its budget ends at most budget + 2 bytes (CR, LF) after its start.
    const std::size_t reach = limit.budget > SIZE_MAX - 2 ? SIZE_MAX : limit.budget + 2;
    const std::size_t window = std::min(avail, reach > have ? reach - have : 0);
    const auto* lf = static_cast<const char*>(window ? std::memchr(p, '\n', window) : nullptr);
    if (lf == nullptr) {
        std::size_t content = have + avail;
        char last = avail ? end[-1] : (have ? pending_.back() : '\0');
        if (last == '\r') --content;  // may be the CR of a CRLF yet to come
        if (content > limit.budget) line_too_long(limit);
        pending_.append(p, avail);
        p = end;
        return false;
    }
    std::string_view raw;
    if (have == 0) {
        raw = std::string_view(p, static_cast<std::size_t>(lf - p));
    } else {
        pending_.append(p, static_cast<std::size_t>(lf - p));
        raw = pending_;
    }
    p = lf + 1;
    const bool crlf = !raw.empty() && raw.back() == '\r';
    if (crlf) raw.remove_suffix(1);
    if (raw.size() > limit.budget) line_too_long(limit);
    if (!crlf && !lenient_lf_) throw BadHttpMessage("line ends with a bare LF instead of CRLF");
    line = raw;
    return true;
}

ParserAction ParserCore::on_line(std::string_view line) {
    switch (state_) {
        case State::start:
            if (line.empty()) return ParserAction::proceed;  // RFC 9112 §2.2: empty lines before a message
            begin_message();
            if (kind_ == Kind::request)
                parse_request_line(line);
            else
                parse_status_line(line);
            state_ = State::header_line;
            return ParserAction::proceed;
        case State::header_line:
            if (line.empty()) return finish_head();
            parse_field(line, kind_ == Kind::request ? req_.headers : resp_.headers, true);
            return ParserAction::proceed;
        case State::chunk_size: parse_chunk_size(line); return ParserAction::proceed;
        case State::trailer_line: {
            if (!line.empty()) {
                parse_field(line, trailers_, false);
                return ParserAction::proceed;
            }
            state_ = State::message_done;
            if (trailers_.empty()) return ParserAction::proceed;
            return kind_ == Kind::request ? req_handler_->on_trailers(trailers_) : resp_handler_->on_trailers(trailers_);
        }
        default: return ParserAction::proceed;
    }
}

void ParserCore::begin_message() {
    if (kind_ == Kind::request) {
        req_.method.clear();
        req_.path.clear();
        req_.version = HttpVersion11;
        req_.headers.clear();
        req_.headers.reserve(512, 16);
        req_.should_close = req_.upgrade = req_.chunked = req_.expect_continue = false;
        req_.content_length.reset();
    } else {
        resp_.version = HttpVersion11;
        resp_.status = 0;
        resp_.reason.clear();
        resp_.headers.clear();
        resp_.headers.reserve(512, 16);
        resp_.should_close = resp_.upgrade = resp_.chunked = false;
        resp_.content_length.reset();
    }
    fields_bytes_ = fields_count_ = 0;
    remaining_ = body_received_ = content_length_ = framing_bytes_ = 0;
    content_length_seen_ = te_seen_ = te_chunked_ = false;
    te_other_.clear();
    conn_close_ = conn_keep_alive_ = conn_upgrade_ = upgrade_field_ = expect_continue_ = host_seen_ = false;
    informational_ = false;
}

// request-line = method SP request-target SP HTTP-version
void ParserCore::parse_request_line(std::string_view line) {
    std::size_t sp1 = line.find(' ');
    std::string_view method = line.substr(0, sp1);
    if (!is_token(method)) throw BadHttpMethod("invalid method in request line " + quoted(line));
    if (sp1 == std::string_view::npos) throw BadStatusLine("request line without a request-target " + quoted(line));
    std::string_view rest = line.substr(sp1 + 1);
    std::size_t sp2 = rest.find(' ');
    if (sp2 == std::string_view::npos) throw BadStatusLine("request line without an HTTP version " + quoted(line));
    std::string_view target = rest.substr(0, sp2);
    std::string_view version = rest.substr(sp2 + 1);
    if (target.empty()) throw BadStatusLine("empty request-target in " + quoted(line));
    if (!all_target_chars(target)) throw BadStatusLine("invalid character in request-target " + quoted(target));
    // RFC 9112 §3.2 and RFC 3986: a request-target is ASCII; other text is
    // percent-encoded. A raw byte >= 0x80 would be read differently by
    // servers and proxies that decode it as Latin-1, UTF-8 or not at all.
    for (char c : target)
        if (static_cast<unsigned char>(c) >= 0x80)
            throw BadStatusLine("request-target contains " + describe_char(c) + " (not ASCII; percent-encode it): " +
                                quoted(target));

    // The four forms of RFC 9112 §3.2, each only where it belongs.
    if (method == "CONNECT") {
        // authority-form: host ":" port
        std::size_t colon = target.rfind(':');
        bool ok = target[0] != '/' && colon != std::string_view::npos && colon > 0 && colon + 1 < target.size() &&
                  target.find_first_of("/?#@") == std::string_view::npos;
        for (std::size_t i = colon + 1; ok && i < target.size(); ++i) ok = target[i] >= '0' && target[i] <= '9';
        if (!ok) throw BadStatusLine("CONNECT needs a host:port request-target, got " + quoted(target));
    } else if (target == "*") {
        if (method != "OPTIONS") throw BadStatusLine("request-target \"*\" is only for OPTIONS");
    } else if (target[0] != '/') {
        // absolute-form: scheme ":" ...
        std::size_t colon = target.find(':');
        bool ok = colon != std::string_view::npos && colon > 0 &&
                  ((target[0] | 0x20) >= 'a' && (target[0] | 0x20) <= 'z');
        for (std::size_t i = 1; ok && i < colon; ++i) {
            char c = target[i];
            ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
                 c == '.';
        }
        if (!ok) throw BadStatusLine("request-target is neither a path nor an absolute URL: " + quoted(target));
    }

    HttpVersion v;
    if (!parse_version(version, v)) throw BadStatusLine("invalid HTTP version " + quoted(version));
    if (!supported(v))
        throw BadStatusLine("unsupported HTTP version " + std::string(version), 505);
    req_.method.assign(method);
    req_.path.assign(target);
    req_.version = v;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]
void ParserCore::parse_status_line(std::string_view line) {
    HttpVersion v;
    if (line.size() < 12 || !parse_version(line.substr(0, 8), v) || line[8] != ' ')
        throw BadStatusLine("invalid status line " + quoted(line));
    if (!supported(v)) throw BadStatusLine("unsupported HTTP version " + std::string(line.substr(0, 8)));
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        char c = line[i];
        if (c < '0' || c > '9') throw BadStatusLine("invalid status code in " + quoted(line));
        status = status * 10 + (c - '0');
    }
    if (status < 100) throw BadStatusLine("invalid status code in " + quoted(line));
    std::string_view reason;
    if (line.size() > 12) {
        if (line[12] != ' ') throw BadStatusLine("invalid status code in " + quoted(line));
        reason = line.substr(13);
        if (!all_field_chars(reason)) {
            char bad = *std::find_if_not(reason.begin(), reason.end(), is_field_char);
            throw BadStatusLine("reason phrase contains " + describe_char(bad));
        }
    }
    resp_.version = v;
    resp_.status = status;
    resp_.reason.assign(reason);
}

// field-line = field-name ":" OWS field-value OWS
void ParserCore::parse_field(std::string_view line, Headers& into, bool head) {
    const char* what = head ? "header" : "trailer";
    if (++fields_count_ > limits_.max_headers)
        throw LineTooLong("more than " + std::to_string(limits_.max_headers) + " " + what + " fields", 431);
    fields_bytes_ += line.size();

    if (is_ows(line[0]))
        throw InvalidHeader(std::string("obsolete line folding (a ") + what + " line starting with whitespace) in " +
                            quoted(line));
    // The common case: the name up to the first ':' is all tchar.
    std::size_t i = line.find(':');
    if (i == std::string_view::npos || !all_token_chars(line.substr(0, i))) {
        i = 0;
        while (i < line.size() && is_token_char(line[i])) ++i;
    }
    if (i == line.size()) throw InvalidHeader(std::string(what) + " line without a colon: " + quoted(line));
    if (line[i] != ':') {
        if (is_ows(line[i])) {
            std::size_t j = i;
            while (j < line.size() && is_ows(line[j])) ++j;
            if (j < line.size() && line[j] == ':')
                throw InvalidHeader(std::string("whitespace between ") + what + " name and colon in " + quoted(line));
        }
        throw InvalidHeader(std::string(what) + " name contains " + describe_char(line[i]) + ": " + quoted(line));
    }
    if (i == 0) throw InvalidHeader(std::string("empty ") + what + " name in " + quoted(line));
    std::string_view name = line.substr(0, i);
    std::string_view value = trim_ows(line.substr(i + 1));
    if (!all_field_chars(value)) {
        char bad = *std::find_if_not(value.begin(), value.end(), is_field_char);
        throw InvalidHeader(std::string(what) + " " + std::string(name) + " contains " + describe_char(bad));
    }
    into.add(name, value);
    if (head) note_framing_field(name, value);
}

// The fields that decide framing and connection handling.
void ParserCore::note_framing_field(std::string_view name, std::string_view value) {
    switch (name.size()) {
        case 4:
            if (kind_ == Kind::request && iequals(name, "host")) {
                if (host_seen_) throw InvalidHeader("repeated Host header");
                host_seen_ = true;
            }
            break;
        case 6:
            if (iequals(name, "expect") && iequals(value, "100-continue")) expect_continue_ = true;
            break;
        case 7:
            if (iequals(name, "upgrade") && !value.empty()) upgrade_field_ = true;
            break;
        case 10:
            if (iequals(name, "connection")) {
                for_each_element(value, [&](std::string_view token) {
                    if (iequals(token, "close"))
                        conn_close_ = true;
                    else if (iequals(token, "keep-alive"))
                        conn_keep_alive_ = true;
                    else if (iequals(token, "upgrade"))
                        conn_upgrade_ = true;
                });
            }
            break;
        case 14:
            if (iequals(name, "content-length")) {
                if (content_length_seen_) throw ContentLengthError("repeated Content-Length header");
                content_length_seen_ = true;
                if (value.empty()) throw ContentLengthError("empty Content-Length");
                std::uint64_t n = 0;
                for (char c : value) {
                    if (c < '0' || c > '9') throw ContentLengthError("invalid Content-Length " + quoted(value));
                    if (n > (kMaxLength - static_cast<std::uint64_t>(c - '0')) / 10)
                        throw ContentLengthError("Content-Length " + quoted(value) + " is too large");
                    n = n * 10 + static_cast<std::uint64_t>(c - '0');
                }
                content_length_ = n;
            }
            break;
        case 17:
            if (iequals(name, "transfer-encoding")) {
                te_seen_ = true;
                for_each_element(value, [&](std::string_view element) {
                    if (element.empty()) throw TransferEncodingError("empty element in Transfer-Encoding");
                    if (te_chunked_) throw TransferEncodingError("chunked is not the final transfer coding");
                    std::string_view coding = trim_ows(element.substr(0, element.find(';')));
                    if (!is_token(coding))
                        throw TransferEncodingError("invalid transfer coding " + quoted(element));
                    if (iequals(coding, "chunked")) {
                        if (coding.size() != element.size())
                            throw TransferEncodingError("chunked takes no parameters: " + quoted(element));
                        te_chunked_ = true;
                    } else if (te_other_.empty()) {
                        te_other_.assign(coding);
                    }
                });
            }
            break;
        default: break;
    }
}

ParserAction ParserCore::finish_head() {
    if (te_seen_ && (kind_ == Kind::request ? req_.version : resp_.version) == HttpVersion10)
        throw TransferEncodingError("Transfer-Encoding in an HTTP/1.0 message");
    if (te_seen_ && content_length_seen_)
        throw ContentLengthError("Content-Length and Transfer-Encoding in the same message");
    return kind_ == Kind::request ? finish_request_head() : finish_response_head();
}

ParserAction ParserCore::finish_request_head() {
    RequestHead& h = req_;
    if (te_seen_) {
        if (!te_chunked_) throw TransferEncodingError("chunked is not the final transfer coding");
        if (!te_other_.empty()) throw TransferEncodingError("unsupported transfer coding \"" + te_other_ + "\"", 501);
    }
    h.should_close = h.version == HttpVersion10 ? !conn_keep_alive_ : conn_close_;
    h.upgrade = h.method == "CONNECT" || (conn_upgrade_ && upgrade_field_);
    h.expect_continue = expect_continue_ && h.version == HttpVersion11;
    if (h.method == "CONNECT") {
        // RFC 9110 §9.3.6: a CONNECT request has no content. Whatever its
        // Content-Length or Transfer-Encoding say, the bytes after its head
        // belong to the tunnel, never to a body.
        state_ = State::message_done;
    } else if (te_seen_) {
        h.chunked = true;
        state_ = State::chunk_size;
    } else if (content_length_seen_) {
        if (content_length_ > limits_.max_body_size)
            throw BodyTooLarge("Content-Length " + std::to_string(content_length_) + " is larger than the limit of " +
                               std::to_string(limits_.max_body_size) + " bytes");
        h.content_length = content_length_;
        remaining_ = content_length_;
        state_ = remaining_ ? State::body_length : State::message_done;
    } else {
        state_ = State::message_done;
    }
    return req_handler_->on_head(h);
}

ParserAction ParserCore::finish_response_head() {
    ResponseHead& h = resp_;
    if (te_seen_ && !te_chunked_ && te_other_.empty())
        throw TransferEncodingError("chunked is not the final transfer coding");
    h.should_close = h.version == HttpVersion10 ? !conn_keep_alive_ : conn_close_;
    const int s = h.status;
    const bool no_body = (s >= 100 && s < 200) || s == 204 || s == 304 || head_request_ ||
                         (connect_request_ && s >= 200 && s < 300);
    if (s == 101 || (connect_request_ && s >= 200 && s < 300)) {
        h.upgrade = true;
    } else if (s >= 100 && s < 200) {
        informational_ = true;
    }
    if (no_body) {
        state_ = State::message_done;
    } else if (te_seen_ && te_chunked_) {
        h.chunked = true;
        state_ = State::chunk_size;
    } else if (te_seen_) {
        // RFC 9112 §6.3: the last coding is not chunked, so the body runs until the connection closes.
        h.should_close = true;
        state_ = State::body_eof;
    } else if (content_length_seen_) {
        if (content_length_ > limits_.max_body_size)
            throw BodyTooLarge("Content-Length " + std::to_string(content_length_) + " is larger than the limit of " +
                               std::to_string(limits_.max_body_size) + " bytes");
        h.content_length = content_length_;
        remaining_ = content_length_;
        state_ = remaining_ ? State::body_length : State::message_done;
    } else {
        h.should_close = true;
        state_ = State::body_eof;
    }
    return resp_handler_->on_head(h);
}

// chunk = chunk-size [ chunk-ext ] CRLF; chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
void ParserCore::parse_chunk_size(std::string_view line) {
    std::size_t i = 0;
    std::uint64_t size = 0;
    while (i < line.size() && is_hex(line[i])) {
        if (size > (kMaxLength >> 4)) throw TransferEncodingError("chunk size " + quoted(line) + " is too large");
        size = (size << 4) | static_cast<std::uint64_t>(hex_value(line[i]));
        ++i;
    }
    if (i == 0) throw TransferEncodingError("invalid chunk size line " + quoted(line));
    // Extensions: validated, then ignored.
    auto skip_bws = [&] {
        while (i < line.size() && is_ows(line[i])) ++i;
    };
    auto bad_ext = [&]() { throw TransferEncodingError("invalid chunk extension in " + quoted(line)); };
    while (i < line.size()) {
        skip_bws();
        if (i == line.size() || line[i] != ';') bad_ext();
        ++i;
        skip_bws();
        std::size_t start = i;
        while (i < line.size() && is_token_char(line[i])) ++i;
        if (i == start) bad_ext();
        skip_bws();
        if (i < line.size() && line[i] == '=') {
            ++i;
            skip_bws();
            if (i < line.size() && line[i] == '"') {
                ++i;
                bool closed = false;
                while (i < line.size()) {
                    char c = line[i];
                    if (c == '"') {
                        closed = true;
                        ++i;
                        break;
                    }
                    if (c == '\\') {
                        if (++i == line.size()) break;
                        c = line[i];
                    }
                    if (!is_field_char(c)) bad_ext();
                    ++i;
                }
                if (!closed) bad_ext();
            } else {
                start = i;
                while (i < line.size() && is_token_char(line[i])) ++i;
                if (i == start) bad_ext();
            }
            skip_bws();
        }
    }
    // In a request, the chunk-size line (with its extensions, leading zeros
    // and CRLF) counts against the body limit as the data does: otherwise a
    // body of tiny chunks with long extensions would cost the server many
    // times its limit. (body_received_ never exceeds the limit.)
    const std::uint64_t overhead = kind_ == Kind::request ? line.size() + 2 : 0;
    framing_bytes_ += line.size() + 2;
    if (overhead > limits_.max_body_size - body_received_ ||
        size > limits_.max_body_size - body_received_ - overhead)
        throw BodyTooLarge("chunked body is larger than " + std::to_string(limits_.max_body_size) +
                           (kind_ == Kind::request ? " bytes (counting its chunk-size lines)" : " bytes"));
    body_received_ += overhead + size;
    if (size == 0) {
        trailers_.clear();
        fields_bytes_ = fields_count_ = 0;
        state_ = State::trailer_line;
    } else {
        remaining_ = size;
        state_ = State::chunk_data;
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Public wrappers

RequestParser::RequestParser(Handler& handler, ParserLimits limits)
    : core_(std::make_unique<detail::ParserCore>(detail::ParserCore::Kind::request, limits, &handler, nullptr)) {}
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;
RequestParser::~RequestParser() = default;
std::size_t RequestParser::feed(std::string_view data) { return core_->feed(data); }
void RequestParser::feed_eof() { core_->feed_eof(); }
bool RequestParser::upgraded() const noexcept { return core_->upgraded(); }
bool RequestParser::stopped() const noexcept { return core_->stopped(); }
bool RequestParser::message_in_progress() const noexcept { return core_->message_in_progress(); }
void RequestParser::resume_after_upgrade() noexcept { core_->resume_after_upgrade(); }
std::uint64_t RequestParser::framing_bytes() const noexcept { return core_->framing_bytes(); }

ResponseParser::ResponseParser(Handler& handler, ParserLimits limits)
    : core_(std::make_unique<detail::ParserCore>(detail::ParserCore::Kind::response, limits, nullptr, &handler)) {}
ResponseParser::ResponseParser(ResponseParser&&) noexcept = default;
ResponseParser& ResponseParser::operator=(ResponseParser&&) noexcept = default;
ResponseParser::~ResponseParser() = default;
void ResponseParser::set_request_method(std::string_view method) { core_->set_request_method(method); }
std::size_t ResponseParser::feed(std::string_view data) { return core_->feed(data); }
void ResponseParser::feed_eof() { core_->feed_eof(); }
bool ResponseParser::upgraded() const noexcept { return core_->upgraded(); }
bool ResponseParser::stopped() const noexcept { return core_->stopped(); }
bool ResponseParser::message_in_progress() const noexcept { return core_->message_in_progress(); }
void ResponseParser::resume_after_upgrade() noexcept { core_->resume_after_upgrade(); }

}  // namespace aio::http
