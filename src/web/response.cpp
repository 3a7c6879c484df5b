// StreamResponse, Response, json_response, FileResponse, HTTPException.
#include "aio/web/response.hpp"

#include <algorithm>
#include <cctype>

#include "aio/http/status.hpp"
#include "aio/web/exceptions.hpp"
#include "aio/web/request.hpp"
#include "core/c_string.hpp"
#include "web/protocol.hpp"

namespace aio::web {

namespace {

std::string_view type_without_params(std::string_view ct) {
    std::size_t semi = ct.find(';');
    ct = ct.substr(0, semi);
    while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
    return ct;
}

std::optional<std::string> charset_of(std::string_view ct) {
    std::size_t pos = 0;
    while ((pos = ct.find(';', pos)) != std::string_view::npos) {
        ++pos;
        std::string_view p = ct.substr(pos);
        while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
        if (p.size() > 8 && http::iequals(p.substr(0, 8), "charset=")) {
            p.remove_prefix(8);
            std::size_t end = p.find(';');
            p = p.substr(0, end);
            if (p.size() >= 2 && p.front() == '"' && p.back() == '"') p = p.substr(1, p.size() - 2);
            return std::string(p);
        }
    }
    return std::nullopt;
}

void check_cookie_part(std::string_view s, const char* what) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F || c == ';' || c == ',' || (c == ' ' && std::string_view(what) == "name"))
            throw aio::ValueError(std::string("invalid cookie ") + what + ": " + std::string(s));
}

}  // namespace

// ---------------------------------------------------------------------------
// StreamResponse

StreamResponse::StreamResponse(int status, std::string reason, http::Headers headers)
    : status_(status), reason_(std::move(reason)), headers_(std::move(headers)) {
    if (status < 100 || status > 999) throw aio::ValueError("HTTP status out of range: " + std::to_string(status));
}
StreamResponse::StreamResponse(StreamResponse&&) noexcept = default;
StreamResponse& StreamResponse::operator=(StreamResponse&&) noexcept = default;
StreamResponse::~StreamResponse() = default;

std::string_view StreamResponse::reason() const noexcept {
    return reason_.empty() ? http::reason_phrase(status_) : std::string_view(reason_);
}

void StreamResponse::set_status(int status, std::string reason) {
    if (prepared()) throw aio::RuntimeError("set_status() after prepare()");
    if (status < 100 || status > 999) throw aio::ValueError("HTTP status out of range: " + std::to_string(status));
    status_ = status;
    reason_ = std::move(reason);
}

std::string StreamResponse::content_type() const {
    auto ct = headers_.get("Content-Type");
    if (!ct) return "application/octet-stream";
    return std::string(type_without_params(*ct));
}

void StreamResponse::set_content_type(std::string_view type) {
    std::optional<std::string> cs = charset();
    std::string value(type);
    if (cs) value += "; charset=" + *cs;
    headers_.set("Content-Type", value);
}

std::optional<std::string> StreamResponse::charset() const {
    auto ct = headers_.get("Content-Type");
    if (!ct) return std::nullopt;
    return charset_of(*ct);
}

void StreamResponse::set_charset(std::string_view cs) {
    std::string value = content_type();
    if (!cs.empty()) value += "; charset=" + std::string(cs);
    headers_.set("Content-Type", value);
}

std::optional<std::uint64_t> StreamResponse::content_length() const {
    if (kind_ == Kind::body) return body_.size();
    auto cl = headers_.get("Content-Length");
    if (!cl) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : *cl) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

void StreamResponse::set_content_length(std::uint64_t n) {
    if (prepared()) throw aio::RuntimeError("set_content_length() after prepare()");
    headers_.set("Content-Length", std::to_string(n));
}

void StreamResponse::enable_chunked_encoding() {
    if (prepared()) throw aio::RuntimeError("enable_chunked_encoding() after prepare()");
    chunked_ = true;
}

void StreamResponse::enable_compression(std::optional<http::Coding> coding) {
    compression_requested_ = !coding || *coding != http::Coding::identity;
    compression_ = coding;
}

void StreamResponse::set_cookie(std::string_view name, std::string_view value, const CookieOptions& o) {
    if (name.empty()) throw aio::ValueError("empty cookie name");
    check_cookie_part(name, "name");
    check_cookie_part(value, "value");
    std::string c = std::string(name) + "=" + std::string(value);
    if (!o.expires.empty()) c += "; expires=" + o.expires;
    if (!o.domain.empty()) c += "; Domain=" + o.domain;
    if (o.max_age) c += "; Max-Age=" + std::to_string(*o.max_age);
    if (!o.path.empty()) c += "; Path=" + o.path;
    if (o.secure) c += "; Secure";
    if (o.httponly) c += "; HttpOnly";
    if (!o.samesite.empty()) c += "; SameSite=" + o.samesite;
    check_cookie_part(std::string_view(c).substr(0, 0), "value");
    headers_.add("Set-Cookie", c);
}

void StreamResponse::del_cookie(std::string_view name, std::string_view domain, std::string_view path) {
    set_cookie(name, "", {.expires = "Thu, 01 Jan 1970 00:00:00 GMT", .domain = std::string(domain), .max_age = 0,
                          .path = std::string(path)});
}

Task<> StreamResponse::prepare(Request& request) {
    if (stream_) co_return;
    stream_ = std::make_unique<detail::StreamState>();
    co_await request.c_->prepare_stream(*this, *stream_);
}

Task<> StreamResponse::write(std::string_view data) {
    if (!stream_) throw aio::RuntimeError("write() before prepare()");
    if (data.empty()) co_return;
    co_await stream_->conn->write_stream(*stream_, data, false);
}

Task<> StreamResponse::write_eof(std::string_view data) {
    if (!stream_) throw aio::RuntimeError("write_eof() before prepare()");
    if (stream_->eof) co_return;
    co_await stream_->conn->write_stream(*stream_, data, true);
}

// ---------------------------------------------------------------------------
// Response

Response::Response(ResponseOptions o) : StreamResponse(o.status, std::move(o.reason), std::move(o.headers)) {
    kind_ = Kind::body;
    if (o.body && o.text) throw aio::ValueError("a Response takes body or text, not both");
    std::string ct = o.content_type;
    std::string cs = o.charset;
    if (o.text) {
        body_ = std::move(*o.text);
        if (ct.empty()) ct = "text/plain";
        if (cs.empty()) cs = "utf-8";
    } else if (o.body) {
        body_ = std::move(*o.body);
    }
    if (!ct.empty() && !headers_.contains("Content-Type"))
        headers_.set("Content-Type", cs.empty() ? ct : ct + "; charset=" + cs);
    else if (ct.empty() && !cs.empty() && headers_.contains("Content-Type"))
        set_charset(cs);
}

void Response::set_body(std::string body) { body_ = std::move(body); }

void Response::set_text(std::string text) {
    body_ = std::move(text);
    if (!headers_.contains("Content-Type")) headers_.set("Content-Type", "text/plain; charset=utf-8");
}

Response json_response(const json::Value& data, ResponseOptions opts) {
    if (opts.body || opts.text) throw aio::ValueError("json_response() takes data, not body or text");
    opts.body = json::dumps(data);
    if (opts.content_type.empty()) opts.content_type = "application/json";
    return Response(std::move(opts));
}

FileResponse::FileResponse(std::filesystem::path path, std::size_t chunk_size, int status, http::Headers headers)
    : StreamResponse(status, {}, std::move(headers)) {
    kind_ = Kind::file;
    aio::detail::check_no_nul(path.native());  // the file would be the path cut at the NUL: ValueError
    path_ = std::move(path);
    chunk_size_ = chunk_size ? chunk_size : 256 * 1024;
}

static_assert(sizeof(Response) == sizeof(StreamResponse), "responses are returned by value as StreamResponse");
static_assert(sizeof(FileResponse) == sizeof(StreamResponse), "responses are returned by value as StreamResponse");

std::string_view guess_content_type(std::string_view filename) noexcept {
    struct Entry {
        std::string_view ext, type;
    };
    static constexpr Entry kTypes[] = {
        {"html", "text/html"},        {"htm", "text/html"},          {"css", "text/css"},
        {"js", "text/javascript"},    {"mjs", "text/javascript"},    {"json", "application/json"},
        {"txt", "text/plain"},        {"csv", "text/csv"},           {"xml", "application/xml"},
        {"svg", "image/svg+xml"},     {"png", "image/png"},          {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},       {"gif", "image/gif"},          {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"}, {"pdf", "application/pdf"}, {"zip", "application/zip"},
        {"gz", "application/gzip"},   {"tar", "application/x-tar"},  {"wasm", "application/wasm"},
        {"mp4", "video/mp4"},         {"mp3", "audio/mpeg"},         {"wav", "audio/x-wav"},
        {"woff", "font/woff"},        {"woff2", "font/woff2"},       {"md", "text/markdown"},
    };
    std::size_t dot = filename.rfind('.');
    if (dot == std::string_view::npos) return "application/octet-stream";
    std::string_view ext = filename.substr(dot + 1);
    for (const Entry& e : kTypes)
        if (http::iequals(e.ext, ext)) return e.type;
    return "application/octet-stream";
}

// ---------------------------------------------------------------------------
// HTTPException

HTTPException::HTTPException(int status, HTTPExceptionOptions o)
    : aio::Exception(std::to_string(status) + ": " +
                     std::string(o.reason.empty() ? http::reason_phrase(status) : std::string_view(o.reason))),
      status_(status),
      reason_(o.reason.empty() ? std::string(http::reason_phrase(status)) : std::move(o.reason)),
      has_body_(status != 204 && status != 304 && status >= 200),
      content_type_(std::move(o.content_type)),
      headers_(std::move(o.headers)) {
    if (o.text) {
        text_ = std::move(*o.text);
    } else if (has_body_) {
        text_ = std::to_string(status) + ": " + reason_;
    }
}

Response HTTPException::response() const {
    ResponseOptions ro;
    ro.status = status_;
    ro.reason = reason_;
    ro.headers = headers_;
    if (has_body_ || !text_.empty()) {
        ro.text = text_;
        ro.content_type = content_type_;
    }
    return Response(std::move(ro));
}

HTTPMove::HTTPMove(int status, std::string location, HTTPExceptionOptions opts)
    : HTTPRedirection(status, std::move(opts)), location_(std::move(location)) {
    if (location_.empty()) throw aio::ValueError("a redirect needs a location");
    headers().set("Location", location_);
}

namespace {
std::string join_methods(const std::vector<std::string>& m) {
    std::vector<std::string> sorted = m;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string out;
    for (const auto& s : sorted) out += (out.empty() ? "" : ",") + s;
    return out;
}
}  // namespace

HTTPMethodNotAllowed::HTTPMethodNotAllowed(std::string method, std::vector<std::string> allowed,
                                           HTTPExceptionOptions opts)
    : HTTPClientError(405, std::move(opts)), method_(std::move(method)), allowed_(std::move(allowed)) {
    headers().set("Allow", join_methods(allowed_));
}

HTTPRequestEntityTooLarge::HTTPRequestEntityTooLarge(std::uint64_t max_size, std::uint64_t actual_size,
                                                     HTTPExceptionOptions opts)
    : HTTPClientError(413, [&] {
          if (!opts.text)
              opts.text = "Maximum request body size " + std::to_string(max_size) + " exceeded, actual body size " +
                          std::to_string(actual_size);
          return std::move(opts);
      }()) {}

}  // namespace aio::web
