// Request, BodyReader, MatchInfo, and forms (urlencoded and multipart).
#include "aio/web/request.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "aio/http/urlencoded.hpp"
#include "aio/streams.hpp"
#include "aio/threads.hpp"
#include "aio/web/app.hpp"
#include "aio/web/exceptions.hpp"
#include "web/protocol.hpp"
#include "web/util.hpp"

namespace aio::web {

// ---------------------------------------------------------------------------
// MatchInfo

std::optional<std::string_view> MatchInfo::get(std::string_view name) const noexcept {
    for (const auto& [k, v] : items_)
        if (k == name) return std::string_view(v);
    return std::nullopt;
}

std::string_view MatchInfo::at(std::string_view name) const {
    auto v = get(name);
    if (!v) throw std::out_of_range("no path parameter '" + std::string(name) + "'");
    return *v;
}

// ---------------------------------------------------------------------------
// BodyReader

bool BodyReader::at_eof() const noexcept { return c_->body_done(); }

Task<std::string> BodyReader::readany() {
    if (c_->body_buffered().empty()) {
        bool more = co_await c_->pull();
        (void)more;
    }
    std::string out(c_->body_buffered());
    c_->body_consume(out.size());
    co_return out;
}

Task<std::string> BodyReader::read(long n) {
    std::string out;
    while (n < 0 || out.size() < static_cast<std::size_t>(n)) {
        std::string_view have = c_->body_buffered();
        if (have.empty()) {
            bool more = co_await c_->pull();
            if (!more) break;
            continue;
        }
        std::size_t take = n < 0 ? have.size() : std::min(have.size(), static_cast<std::size_t>(n) - out.size());
        out.append(have.substr(0, take));
        c_->body_consume(take);
        if (n >= 0) break;  // read(n) returns what is there, up to n (as StreamReader.read)
    }
    co_return out;
}

Task<std::string> BodyReader::readline() {
    std::string out;
    while (true) {
        std::string_view have = c_->body_buffered();
        std::size_t nl = have.find('\n');
        if (nl != std::string_view::npos) {
            out.append(have.substr(0, nl + 1));
            c_->body_consume(nl + 1);
            co_return out;
        }
        out.append(have);
        c_->body_consume(have.size());
        bool more = co_await c_->pull();
        if (!more) co_return out;
    }
}

Task<std::string> BodyReader::readexactly(std::size_t n) {
    std::string out;
    while (out.size() < n) {
        std::string_view have = c_->body_buffered();
        if (have.empty()) {
            bool more = co_await c_->pull();
            if (!more) throw aio::IncompleteReadError(std::move(out), n);
            continue;
        }
        std::size_t take = std::min(have.size(), n - out.size());
        out.append(have.substr(0, take));
        c_->body_consume(take);
    }
    co_return out;
}

// ---------------------------------------------------------------------------
// Request

void Request::reset() {
    state_.clear();
    query_.reset();
    body_cache_.reset();
    handler_ = nullptr;
    c_->match().items_.clear();
    c_->match().route_name_.clear();
    c_->match().allowed_.clear();
}

MatchInfo& Request::c_match() noexcept { return c_->match(); }
const std::string& Request::method() const noexcept { return c_->head().method; }
const std::string& Request::path() const noexcept { return c_->path(); }
const std::string& Request::raw_path() const noexcept { return c_->head().path; }
std::string_view Request::query_string() const noexcept { return c_->query_string(); }
const http::Headers& Request::headers() const noexcept { return c_->head().headers; }
http::HttpVersion Request::version() const noexcept { return c_->head().version; }
const MatchInfo& Request::match_info() const noexcept { return c_->match(); }
std::string_view Request::scheme() const noexcept { return c_->tls() ? "https" : "http"; }
std::optional<std::uint64_t> Request::content_length() const noexcept { return c_->head().content_length; }
bool Request::keep_alive() const noexcept { return c_->keep_alive(); }
Application& Request::app() const noexcept { return c_->app(); }
SocketAddress Request::peername() const { return c_->peername(); }
std::string Request::remote() const { return peername().host(); }

const http::MultiDict& Request::query() const {
    if (!query_) query_ = http::parse_qsl(query_string(), true);
    return *query_;
}

std::string Request::host() const {
    // RFC 9112 §3.2.2: the authority of an absolute-form target wins over Host.
    if (!c_->authority().empty()) return c_->authority();
    if (auto h = headers().get("Host")) return std::string(*h);
    return c_->sockname().to_string();
}

std::string Request::content_type() const {
    auto ct = headers().get("Content-Type");
    if (!ct) return "application/octet-stream";
    std::string_view v = ct->substr(0, ct->find(';'));
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return std::string(v);
}

std::optional<std::string> Request::charset() const {
    auto ct = headers().get("Content-Type");
    if (!ct) return std::nullopt;
    std::size_t p = ct->find("charset=");
    if (p == std::string_view::npos) return std::nullopt;
    std::string_view v = ct->substr(p + 8);
    v = v.substr(0, v.find(';'));
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
}

bool Request::body_exists() const noexcept {
    const auto& h = c_->head();
    return h.chunked || (h.content_length && *h.content_length > 0);
}

http::MultiDict Request::cookies() const {
    http::MultiDict out;
    for (std::string_view header : headers().get_all("Cookie")) {
        while (!header.empty()) {
            std::size_t semi = header.find(';');
            std::string_view pair = header.substr(0, semi);
            header.remove_prefix(semi == std::string_view::npos ? header.size() : semi + 1);
            while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
            std::size_t eq = pair.find('=');
            if (eq == std::string_view::npos || eq == 0) continue;
            std::string_view value = pair.substr(eq + 1);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
            out.add(pair.substr(0, eq), value);
        }
    }
    return out;
}

Task<std::string> Request::read() {
    if (body_cache_) co_return *body_cache_;
    std::size_t max = app().options().client_max_size;
    if (auto cl = content_length(); cl && max && *cl > max) throw HTTPRequestEntityTooLarge(max, *cl);
    std::string body;
    while (true) {
        std::string_view have = c_->body_buffered();
        // The bytes of chunk-size lines count too (a body of tiny chunks with
        // long extensions costs what it sends, not what it carries).
        std::uint64_t sent = body.size() + have.size() + c_->framing_bytes();
        if (max && sent > max) throw HTTPRequestEntityTooLarge(max, sent);
        if (!have.empty()) {
            body.append(have);
            c_->body_consume(have.size());
        }
        bool more = co_await c_->pull();
        if (!more) {
            sent = body.size() + c_->framing_bytes();
            if (max && sent > max) throw HTTPRequestEntityTooLarge(max, sent);
            break;
        }
    }
    body_cache_ = body;
    co_return body;
}

Task<std::string> Request::text() { co_return co_await read(); }

Task<json::Value> Request::json() {
    std::string body = co_await read();
    co_return json::loads(body);
}

std::string FileField::read() const {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

const FileField* Form::file(std::string_view name) const noexcept {
    for (const auto& f : files)
        if (f.name == name) return &f;
    return nullptr;
}

namespace {

/// A parameter of a header value like `form-data; name="a"; filename="b.txt"`.
std::optional<std::string> header_param(std::string_view value, std::string_view key) {
    std::size_t pos = 0;
    while (pos < value.size()) {
        std::size_t semi = value.find(';', pos);
        if (semi == std::string_view::npos) return std::nullopt;
        pos = semi + 1;
        while (pos < value.size() && value[pos] == ' ') ++pos;
        std::size_t eq = value.find('=', pos);
        if (eq == std::string_view::npos) return std::nullopt;
        std::string_view name = value.substr(pos, eq - pos);
        std::size_t vstart = eq + 1;
        std::string out;
        if (vstart < value.size() && value[vstart] == '"') {
            std::size_t i = vstart + 1;
            while (i < value.size() && value[i] != '"') {
                if (value[i] == '\\' && i + 1 < value.size()) ++i;
                out.push_back(value[i++]);
            }
            pos = i + 1;
        } else {
            std::size_t end = value.find(';', vstart);
            out = std::string(value.substr(vstart, end == std::string_view::npos ? std::string_view::npos : end - vstart));
            while (!out.empty() && out.back() == ' ') out.pop_back();
            pos = end == std::string_view::npos ? value.size() : end;
        }
        if (http::iequals(name, key)) return out;
    }
    return std::nullopt;
}

/// A temporary file removed with its last owner.
struct TempFile {
    std::filesystem::path path;
    ~TempFile() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
};

/// An upload's temporary file, created on the thread pool: owned here so that
/// a result dropped by a cancelled await still closes and removes it.
struct CreatedTemp {
    std::shared_ptr<TempFile> tmp;
    std::shared_ptr<detail::FileDescriptor> fd;
    int err = 0;
};

CreatedTemp create_temp() {
    CreatedTemp out;
    std::string pattern = (std::filesystem::temp_directory_path() / "aio-upload-XXXXXX").string();
    // O_CLOEXEC: a subprocess started meanwhile must not inherit the upload.
    int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) {
        out.err = errno;
        return out;
    }
    out.fd = std::make_shared<detail::FileDescriptor>(fd);
    out.tmp = std::make_shared<TempFile>();
    out.tmp->path = pattern;
    return out;
}

/// Writes all of `data` to `fd`; 0 or the errno.
int write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t w = ::write(fd, data.data(), data.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data.remove_prefix(static_cast<std::size_t>(w));
    }
    return 0;
}

}  // namespace

Task<Form> Request::post() {
    Form form;
    std::string ct = content_type();
    std::size_t max = app().options().client_max_size;
    const std::size_t max_parts = app().options().max_form_parts;
    std::size_t parts = 0;
    if (ct == "application/x-www-form-urlencoded") {
        std::string body = co_await read();
        form.fields = http::parse_qsl(body, true);
        co_return form;
    }
    if (ct != "multipart/form-data") co_return form;
    std::optional<std::string> boundary = header_param(*headers().get("Content-Type"), "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 200) throw HTTPBadRequest({.text = "multipart without a boundary"});
    // The body is scanned in the connection's body buffer: a part's data is
    // everything before "\r\n--boundary"; file data goes to disk as it comes.
    const std::string delim = "--" + *boundary;
    const std::string inner = "\r\n" + delim;
    std::string buf;
    std::uint64_t total = 0;
    bool eof = false;
    auto more = [&]() -> Task<bool> {
        std::string_view have = c_->body_buffered();
        if (have.empty()) {
            bool got = co_await c_->pull();
            if (!got) co_return false;
            have = c_->body_buffered();
        }
        total += have.size();
        if (max && total + c_->framing_bytes() > max) throw HTTPRequestEntityTooLarge(max, total + c_->framing_bytes());
        buf.append(have);
        c_->body_consume(have.size());
        co_return true;
    };
    // Preamble up to the first delimiter line (RFC 2046 5.1.1): "--boundary"
    // at the very start of the body or right after a CRLF, never in the
    // middle of a preamble line. `searched`: where no "\r\n--boundary" can
    // start any more, so a long preamble is scanned once.
    std::size_t searched = 0;
    while (true) {
        std::size_t at = std::string::npos;
        if (buf.size() >= delim.size() && buf.compare(0, delim.size(), delim) == 0) {
            at = 0;
        } else if (std::size_t i = buf.find(inner, searched); i != std::string::npos) {
            at = i + 2;
            searched = i;
        } else if (buf.size() >= inner.size()) {
            searched = buf.size() - inner.size() + 1;
        }
        if (at != std::string::npos && buf.size() >= at + delim.size() + 2) {
            buf.erase(0, at + delim.size());
            break;
        }
        bool got = co_await more();
        if (!got) throw HTTPBadRequest({.text = "multipart body without its boundary"});
    }
    while (!eof) {
        // After a delimiter: "--" ends the body, CRLF starts a part.
        while (buf.size() < 2) {
            bool got = co_await more();
            if (!got) throw HTTPBadRequest({.text = "multipart body cut short"});
        }
        if (buf.compare(0, 2, "--") == 0) break;
        if (buf.compare(0, 2, "\r\n") != 0) throw HTTPBadRequest({.text = "malformed multipart delimiter"});
        buf.erase(0, 2);
        // Part headers.
        std::size_t end;
        while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
            if (buf.size() > 16 * 1024) throw HTTPBadRequest({.text = "multipart part headers too large"});
            bool got = co_await more();
            if (!got) throw HTTPBadRequest({.text = "multipart body cut short"});
        }
        http::Headers ph;
        std::string_view hs(buf.data(), end);
        while (!hs.empty()) {
            std::size_t nl = hs.find("\r\n");
            std::string_view line = hs.substr(0, nl);
            hs.remove_prefix(nl == std::string_view::npos ? hs.size() : nl + 2);
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos) throw HTTPBadRequest({.text = "malformed multipart part header"});
            std::string_view v = line.substr(colon + 1);
            while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
            ph.add(line.substr(0, colon), v);
        }
        buf.erase(0, end + 4);
        std::string_view disp = ph.get("Content-Disposition").value_or("");
        std::string name = header_param(disp, "name").value_or("");
        std::optional<std::string> filename = header_param(disp, "filename");
        if (++parts > max_parts)
            throw HTTPRequestEntityTooLarge(max_parts, parts,
                                            {.text = "413: Request Entity Too Large\n\nthe multipart form has more than " +
                                                     std::to_string(max_parts) + " parts (max_form_parts)\n"});
        std::shared_ptr<TempFile> tmp;
        std::shared_ptr<detail::FileDescriptor> file;
        std::string value;
        std::uint64_t size = 0;
        if (filename) {
            // Creating and writing the file may wait for the disk: on the thread pool.
            CreatedTemp created = co_await aio::to_thread(create_temp);
            if (created.err) aio::throw_os_error(created.err, "mkostemp", "");
            tmp = std::move(created.tmp);
            file = std::move(created.fd);
        }
        // Part data up to the next "\r\n--boundary".
        while (true) {
            std::size_t at = buf.find(inner);
            std::size_t safe = at != std::string::npos ? at : (buf.size() > inner.size() ? buf.size() - inner.size() : 0);
            if (safe > 0) {
                if (file) {
                    // The piece and the descriptor are owned by the pool call:
                    // a cancelled upload cannot close or free them under it.
                    auto write_piece = [file, piece = buf.substr(0, safe)] { return write_all(file->fd, piece); };
                    int err = co_await aio::to_thread(write_piece);
                    if (err) aio::throw_os_error(err, "write", tmp->path.string());
                } else {
                    value.append(buf, 0, safe);
                }
                size += safe;
                buf.erase(0, safe);
            }
            if (at != std::string::npos) {
                buf.erase(0, inner.size());
                break;
            }
            bool got = co_await more();
            if (!got) throw HTTPBadRequest({.text = "multipart body cut short"});
        }
        if (filename) {
            FileField f;
            f.name = name;
            f.filename = *filename;
            f.content_type = std::string(ph.get("Content-Type").value_or("application/octet-stream"));
            f.headers = ph;
            f.path = tmp->path;
            f.size = size;
            f.owner = tmp;
            form.files.push_back(std::move(f));
        } else {
            form.fields.add(name, value);
        }
    }
    // Drain the epilogue.
    while (true) {
        bool got = co_await more();
        if (!got) break;
        buf.clear();
    }
    co_return form;
}

}  // namespace aio::web
