// ClientSession: building requests, sending them over pooled connections,
// redirects, retries, cookies and proxies.
#include <aio/events.hpp>
#include <aio/http/client/session.hpp>
#include <aio/http/status.hpp>
#include <aio/http/urlencoded.hpp>
#include <aio/http/writer.hpp>
#include <aio/sleep.hpp>
#include <aio/threads.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "http/client/core.hpp"
#include "http/client/util.hpp"

namespace aio::http {

namespace detail {

/// Bytes of a file read at once while a form is sent: big enough for few
/// thread hops, small enough to keep a request's memory low.
constexpr std::size_t kFileChunk = 256 * 1024;

/// Redirect bodies up to this size are read so the connection can be reused;
/// longer ones are dropped with their connection.
constexpr std::uint64_t kDrainLimit = 64 * 1024;

/// A proxy from the environment (trust_env).
struct EnvProxies {
    std::string http, https;
    std::vector<std::string> no_proxy;
};

struct SessionCore {
    SessionOptions opts;
    std::shared_ptr<Connector> connector;
    std::shared_ptr<CookieJar> jar;
    Tracer tracer;
    std::optional<URL> base_url;
    /// aio's own TLS contexts; the _h1 ones offer only "http/1.1" by ALPN.
    std::optional<SSLContext> default_ctx, noverify_ctx, default_ctx_h1, noverify_ctx_h1;
    EnvProxies env;
    std::unordered_map<std::string, double> budgets;
    std::mt19937_64 rng{std::random_device{}()};
    bool closed = false;
};

/// A request the server never saw, on a pooled connection found closed.
struct StaleConnection {
    std::exception_ptr error;
};

/// A request the server did not process over HTTP/2 (REFUSED_STREAM, a
/// stream above a GOAWAY's last-stream-id, a connection gone before the
/// stream was opened): safe to send again.
struct H2Refused {
    std::exception_ptr error;
};

/// A request body ready to send.
struct Body {
    std::string bytes;          // sent with the head when there is no stream or form
    std::string content_type;   // default Content-Type
    std::optional<std::uint64_t> length;
    Payload::Stream stream;     // chunked, one-shot
    const FormData* form = nullptr;  // multipart, files streamed
    bool replayable = true;
    bool empty() const noexcept { return !length && !stream && !form; }
};

namespace {

std::string env_var(const char* upper, const char* lower) {
    if (const char* v = std::getenv(lower); v && *v) return v;
    if (const char* v = std::getenv(upper); v && *v) return v;
    return {};
}

EnvProxies read_env() {
    EnvProxies e;
    e.http = env_var("HTTP_PROXY", "http_proxy");
    e.https = env_var("HTTPS_PROXY", "https_proxy");
    std::string np = env_var("NO_PROXY", "no_proxy");
    std::size_t start = 0;
    while (start <= np.size()) {
        std::size_t comma = np.find(',', start);
        std::string item(trim(std::string_view(np).substr(start, comma - start)));
        if (!item.empty()) e.no_proxy.push_back(ascii_lower(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return e;
}

/// urllib's proxy_bypass_environment: "*", a host, a domain suffix, host:port.
bool bypass_proxy(const EnvProxies& e, const URL& url) {
    std::string host = url.host();
    std::string host_port = host + ":" + std::to_string(url.port().value_or(0));
    for (const std::string& item : e.no_proxy) {
        if (item == "*") return true;
        std::string_view d = item;
        if (d.front() == '.') d.remove_prefix(1);
        if (host_port == d || host == d) return true;
        if (host.size() > d.size() && std::string_view(host).ends_with(d) && host[host.size() - d.size() - 1] == '.')
            return true;
    }
    return false;
}

bool is_idempotent(std::string_view m) {
    return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "PUT" || m == "DELETE" || m == "TRACE";
}

std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

/// The Content-Disposition value of a form part, with '"', CR and LF escaped
/// as browsers do (WHATWG).
std::string disposition(const FormData::Field& f) {
    auto q = [](std::string_view s) {
        std::string out;
        for (char c : s) {
            if (c == '"') out += "%22";
            else if (c == '\r') out += "%0D";
            else if (c == '\n') out += "%0A";
            else out += c;
        }
        return out;
    };
    std::string d = "form-data; name=\"" + q(f.name) + "\"";
    if (!f.filename.empty()) d += "; filename=\"" + q(f.filename) + "\"";
    return d;
}

std::string part_head(const FormData& form, const FormData::Field& f) {
    std::string h = "--" + form.boundary() + "\r\n";
    h += "Content-Type: " + (f.content_type.empty() ? std::string("text/plain; charset=utf-8") : f.content_type) + "\r\n";
    h += "Content-Disposition: " + disposition(f) + "\r\n\r\n";
    return h;
}

/// Reads up to kFileChunk bytes of `path` at `offset` (on a worker thread).
std::string read_file_chunk(std::string path, std::uint64_t offset) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_os_error(errno, path);
    std::string out(kFileChunk, '\0');
    ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    int e = errno;
    ::close(fd);
    if (n < 0) throw_os_error(e, path);
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::uint64_t file_size(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) < 0) throw_os_error(errno, path);
    return static_cast<std::uint64_t>(st.st_size);
}

Body make_body(const RequestOptions& opts) {
    Body b;
    if (opts.json) {
        if (!opts.data.empty()) throw aio::ValueError("data and json parameters can not be used at the same time");
        b.bytes = ::aio::json::dumps(*opts.json);
        b.content_type = "application/json";
        b.length = b.bytes.size();
        return b;
    }
    const auto& v = opts.data.value();
    if (const auto* s = std::get_if<std::string>(&v)) {
        b.bytes = *s;
        b.content_type = "application/octet-stream";
        b.length = b.bytes.size();
    } else if (const auto* form = std::get_if<MultiDict>(&v)) {
        b.bytes = urlencode(*form);
        b.content_type = "application/x-www-form-urlencoded";
        b.length = b.bytes.size();
    } else if (const auto* fd = std::get_if<FormData>(&v)) {
        if (!fd->is_multipart()) {
            MultiDict fields;
            for (const auto& f : fd->fields()) fields.add(f.name, f.value);
            b.bytes = urlencode(fields);
            b.content_type = "application/x-www-form-urlencoded";
            b.length = b.bytes.size();
        } else {
            b.form = fd;
            b.content_type = "multipart/form-data; boundary=" + fd->boundary();
            std::uint64_t len = 0;
            for (const auto& f : fd->fields()) {
                len += part_head(*fd, f).size() + 2;
                len += f.is_file ? file_size(f.value) : f.value.size();
            }
            len += 2 + fd->boundary().size() + 4;
            b.length = len;
        }
    } else if (const auto* st = std::get_if<Payload::Stream>(&v)) {
        b.stream = *st;
        b.content_type = "application/octet-stream";
        b.replayable = false;
    }
    return b;
}

/// Sends a streamed body: a multipart form (files read on the thread pool)
/// or an async generator's chunks.
Task<> send_streamed(StreamWriter& w, const Body& body, bool chunked, Deadline total, const std::string& url) {
    auto put = [&](std::string_view data) {
        if (data.empty()) return;
        if (chunked) {
            std::string head;
            append_chunk_header(head, data.size());
            w.write(head);
            w.write(data);
            w.write(kCRLF);
        } else {
            w.write(data);
        }
    };
    if (body.form) {
        for (const auto& f : body.form->fields()) {
            put(part_head(*body.form, f));
            if (!f.is_file) {
                put(f.value);
            } else {
                std::uint64_t offset = 0;
                while (true) {
                    std::string chunk = co_await aio::to_thread(read_file_chunk, f.value, offset);
                    if (chunk.empty()) break;
                    offset += chunk.size();
                    put(chunk);
                    co_await with_deadline(w.drain(), total, url);
                }
            }
            put(kCRLF);
        }
        put("--" + body.form->boundary() + "--\r\n");
    } else if (body.stream) {
        while (true) {
            std::optional<std::string> chunk = co_await body.stream->next();
            if (!chunk) break;
            put(*chunk);
            co_await with_deadline(w.drain(), total, url);
        }
    }
    if (chunked) {
        std::string last;
        append_last_chunk(last);
        w.write(last);
    }
    co_await with_deadline(w.drain(), total, url);
}

/// Reads the response head (skipping interim 1xx heads unless `stop_at_100`).
Task<> read_head(ResponseState& st, bool stop_at_100, bool& received_any) {
    Conn& c = *st.conn;
    while (true) {
        if (!c.reader.buffered().empty()) received_any = true;
        c.feed_buffered();
        if (c.head_ready) {
            int s = c.head.status;
            if (s >= 100 && s < 200 && s != 101) {
                if (s == 100 && stop_at_100) co_return;
                c.head_ready = false;
                continue;  // the interim message completes on the next feed
            }
            co_return;
        }
        if (c.message_done) {  // the end of an interim message
            c.message_done = false;
            continue;
        }
        bool more = co_await st.fill();
        if (!more) {
            if (!received_any) throw ServerDisconnectedError("Server disconnected, url=URL(" + py_repr(st.url()) + ")", st.url());
            c.parser.feed_eof();
            throw ServerDisconnectedError(
                "Server disconnected before the response head was complete, url=URL(" + py_repr(st.url()) + ")",
                st.url());
        }
    }
}

/// The response's decoder (Content-Encoding, unless auto_decompress is off)
/// and its bound on buffered bytes.
void set_decoder(SessionCore& core, ResponseState& st) {
    if (core.opts.auto_decompress) {
        if (auto ce = st.headers.get(hdrs::CONTENT_ENCODING)) {
            auto coding = parse_coding(ascii_lower(trim(*ce)));
            // No bound on the total: a coded body is decoded in steps as it is
            // read (kDecodeStep), and what is buffered is bounded (max_buffered).
            if (coding && *coding != Coding::identity) st.decoder.emplace(*coding, SIZE_MAX);
        }
    }
    st.max_buffered = core.opts.max_body_size;
}

/// The request's header fields as HTTP/2 sends them: names in lowercase,
/// the connection-specific fields left out (RFC 9113 8.2.2), Host as :authority.
std::vector<std::pair<std::string, std::string>> h2_fields(const std::string& method, const URL& url,
                                                           const std::string& target, const Headers& headers) {
    std::vector<std::pair<std::string, std::string>> nva;
    nva.reserve(headers.size() + 4);
    auto host = headers.get(hdrs::HOST);
    nva.emplace_back(":method", method);
    nva.emplace_back(":scheme", std::string(url.scheme()));
    nva.emplace_back(":authority", host ? std::string(*host) : url.host_port());
    nva.emplace_back(":path", target.empty() ? std::string("/") : target);
    for (auto [k, v] : headers) {
        std::string name = ascii_lower(k);
        if (name == "host" || name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
            name == "transfer-encoding" || name == "upgrade" || name == "expect")
            continue;
        if (name == "te" && ascii_lower(trim(v)) != "trailers") continue;
        nva.emplace_back(std::move(name), std::string(v));
    }
    return nva;
}

/// Queues one piece of a request body on an HTTP/2 stream, within the total timeout.
Task<> put_h2(H2Connection& c, const std::shared_ptr<H2Stream>& s, std::string data, Deadline total,
              const std::string& url) {
    if (data.empty()) co_return;
    co_await with_deadline(c.write_body(s, std::move(data), url), total, url);
}

/// Sends a streamed body (a multipart form or an async generator's chunks) on an HTTP/2 stream.
Task<> send_streamed_h2(H2Connection& c, const std::shared_ptr<H2Stream>& s, const Body& body, Deadline total,
                        const std::string& url) {
    if (body.form) {
        for (const auto& f : body.form->fields()) {
            std::string head = part_head(*body.form, f);
            co_await put_h2(c, s, std::move(head), total, url);
            if (!f.is_file) {
                co_await put_h2(c, s, f.value, total, url);
            } else {
                std::uint64_t offset = 0;
                while (true) {
                    std::string chunk = co_await aio::to_thread(read_file_chunk, f.value, offset);
                    if (chunk.empty()) break;
                    offset += chunk.size();
                    co_await put_h2(c, s, std::move(chunk), total, url);
                }
            }
            std::string crlf(kCRLF);
            co_await put_h2(c, s, std::move(crlf), total, url);
        }
        std::string last = "--" + body.form->boundary() + "--\r\n";
        co_await put_h2(c, s, std::move(last), total, url);
    } else if (body.stream) {
        while (true) {
            std::optional<std::string> chunk = co_await body.stream->next();
            if (!chunk) break;
            co_await put_h2(c, s, std::move(*chunk), total, url);
        }
    }
}

}  // namespace

/// One request as one stream of an HTTP/2 connection.
Task<ClientResponse> send_h2(SessionCore& core, const std::string& method, const URL& url,
                             std::shared_ptr<const RequestInfo> info, const std::string& target, const Body& body,
                             Deadline total, std::unique_ptr<ResponseState> st, std::shared_ptr<H2Connection> c) {
    std::vector<std::pair<std::string, std::string>> nva = h2_fields(method, url, target, info->headers);
    bool has_body = !body.empty() && (body.stream || body.form || !body.bytes.empty());
    --c->reserved;
    std::exception_ptr err;
    bool refused = false;
    try {
        std::shared_ptr<H2Stream> s;
        try {
            s = c->submit(nva, has_body, url.str());
        } catch (...) {
            refused = true;  // never sent
            throw;
        }
        st->h2conn = c;
        st->h2 = s;
        st->stream_id = s->id;
        if (has_body) {
            if (!body.bytes.empty()) co_await put_h2(*c, s, body.bytes, total, url.str());
            if (body.stream || body.form) co_await send_streamed_h2(*c, s, body, total, url.str());
            c->end_body(*s);
        }
        auto sent = SteadyClock::now();
        while (!s->head_done) {
            if (s->finished()) {
                refused = s->refused;
                std::rethrow_exception(h2_stream_error(*s, url.str(), true));
            }
            s->changed.clear();
            Deadline d = earliest(total, deadline_in(st->sock_read, Phase::sock_read));
            co_await with_deadline(wait_h2_event(s->changed), d, url.str());
        }
        st->timings.first_byte = SteadyClock::now() - sent;
    } catch (...) {
        err = std::current_exception();
    }
    if (err) {
        st->release(true);
        if (refused) throw H2Refused{err};
        std::rethrow_exception(err);
    }
    H2Stream& s = *st->h2;
    st->head_time = SteadyClock::now();
    st->status = s.status;
    st->reason = std::string(reason_phrase(s.status));
    st->headers = std::move(s.headers);
    st->version = HttpVersion20;
    if (auto cl = st->headers.get(hdrs::CONTENT_LENGTH)) {
        std::uint64_t n = 0;
        bool ok = !cl->empty();
        for (char ch : *cl) {
            if (ch < '0' || ch > '9' || n > (UINT64_MAX - 9) / 10) {
                ok = false;
                break;
            }
            n = n * 10 + static_cast<std::uint64_t>(ch - '0');
        }
        if (ok) st->content_length = n;
    }
    set_decoder(core, *st);
    core.tracer.emit(&TraceConfig::on_request_end, TraceRequestEnd{method, url, info->headers, st->status, s.id});
    co_return ClientResponse(std::move(st));
}

/// One request on one connection. Throws StaleConnection when a pooled
/// connection turned out closed before the server saw the request.
Task<ClientResponse> send_once(SessionCore& core, const std::string& method, const URL& url,
                               std::shared_ptr<const RequestInfo> info, const std::string& target, const Body& body,
                               const ConnKey& key, const ClientTimeout& tmo, Deadline total, bool chunked,
                               bool expect100, bool fresh, bool websocket) {
    auto st = std::make_unique<ResponseState>();
    st->connector = core.connector;
    st->tracer = core.tracer;
    st->total = total;
    st->sock_read = tmo.sock_read;
    st->info = info;
    Deadline connect = earliest(total, deadline_in(tmo.connect, Phase::connect));
    Deadline pool = earliest(connect, deadline_in(tmo.pool, Phase::pool));
    Lease lease = co_await core.connector->acquire(key, pool, connect, tmo.sock_connect, fresh, st->timings,
                                                   core.tracer, url);
    if (lease.h2) co_return co_await send_h2(core, method, url, info, target, body, total, std::move(st), lease.h2);
    st->conn = std::move(lease.h1);
    Conn& c = *st->conn;
    bool reused = c.served > 0;
    c.begin(method);

    std::string out;
    append_request_head(out, method, target, info->headers);
    bool streamed = body.stream || body.form;
    if (!body.bytes.empty() && !expect100) {
        if (chunked) {
            append_chunk(out, body.bytes);
            append_last_chunk(out);
        } else {
            out += body.bytes;
        }
    }
    bool received_any = false;
    std::exception_ptr err;
    bool stale = false;
    try {
        c.writer.write(out);
        // drain() waits only above the high-water mark (a request on an
        // io_uring loop is still buffered here: it leaves with the loop's
        // next poll); a send that fails closes the connection, and the read
        // of the answer reports it.
        if (c.writer.buffer_size() > c.writer.get_write_buffer_limits().second)
            co_await with_deadline(c.writer.drain(), total, url.str());
        if (streamed && !expect100) co_await send_streamed(c.writer, body, chunked, total, url.str());
        auto sent = SteadyClock::now();
        co_await read_head(*st, expect100, received_any);
        if (expect100) {
            if (c.head_ready && c.head.status == 100) {
                c.head_ready = false;
                std::string rest;
                if (!body.bytes.empty()) {
                    if (chunked) {
                        append_chunk(rest, body.bytes);
                        append_last_chunk(rest);
                    } else {
                        rest = body.bytes;
                    }
                }
                c.writer.write(rest);
                if (streamed) co_await send_streamed(c.writer, body, chunked, total, url.str());
                co_await with_deadline(c.writer.drain(), total, url.str());
                co_await read_head(*st, false, received_any);
            } else if (!body.empty()) {
                c.broken = true;  // the body was announced and not sent
            }
        }
        st->timings.first_byte = SteadyClock::now() - sent;
    } catch (const ServerDisconnectedError&) {
        err = std::current_exception();
        stale = reused && !received_any;
    } catch (const HttpProcessingError& e) {
        // A malformed head: aiohttp reports it as a ClientResponseError with status 400.
        err = std::make_exception_ptr(ClientResponseError(info, e.status(), e.message()));
    } catch (const aio::TimeoutError&) {
        err = std::current_exception();
    } catch (const aio::OSError& e) {
        stale = reused && !received_any;
        err = std::make_exception_ptr(ClientSocketError(e.errno_code(), e.what(), url.str()));
    } catch (...) {
        err = std::current_exception();
    }
    if (err) {
        st->release(true);
        if (stale) throw StaleConnection{err};
        std::rethrow_exception(err);
    }
    st->head_time = SteadyClock::now();
    ResponseHead& h = c.head;
    st->status = h.status;
    st->reason = std::move(h.reason);
    st->headers = std::move(h.headers);
    st->version = h.version;
    st->content_length = h.content_length;
    set_decoder(core, *st);
    c.sink = &st->buf;
    c.decoder = st->decoder ? &*st->decoder : nullptr;
    core.tracer.emit(&TraceConfig::on_request_end, TraceRequestEnd{method, url, info->headers, st->status, 0});
    ClientResponse resp(std::move(st));
    // A WebSocket's 101: what follows the head is frames, for the WebSocket.
    if (websocket && resp.status() == 101) co_return resp;
    // Take in what already arrived: a small body completes now and its
    // connection goes back to the pool before the caller reads it. Errors
    // wait for the caller's read.
    auto& s = resp.state();
    try {
        s.feed();  // finishes (and releases) a complete message
    } catch (...) {
    }
    co_return resp;
}

}  // namespace detail

using namespace detail;

namespace {

/// The ssl= setting as aiohttp prints it in ClientConnectorError.
std::string ssl_repr(const aio::SSLOption& ssl) {
    if (const auto* b = std::get_if<bool>(&ssl)) return *b ? "True" : "False";
    if (std::holds_alternative<SSLContext>(ssl)) return "<SSLContext>";
    return "default";
}

/// A context of aio's own, made once per session: verifying or not, offering h2 or not.
SSLContext own_context(SessionCore& core, bool verify, bool h1_only) {
    std::optional<SSLContext>& slot = verify ? (h1_only ? core.default_ctx_h1 : core.default_ctx)
                                             : (h1_only ? core.noverify_ctx_h1 : core.noverify_ctx);
    if (!slot) {
        if (verify) {
            slot = create_default_context();
        } else {
            SSLContext c(false);
            c.set_check_hostname(false);
            c.set_verify_mode(CERT_NONE);
            slot = c;
        }
        if (h1_only)
            slot->set_alpn_protocols({"http/1.1"});
        else
            slot->set_alpn_protocols({"h2", "http/1.1"});
    }
    return *slot;
}

ConnKey make_key(SessionCore& core, const URL& url, const aio::SSLOption& req_ssl, const std::optional<URL>& proxy,
                 const std::string& proxy_authorization, HttpVersionPolicy policy) {
    ConnKey k;
    k.host = url.host();
    k.port = url.port().value_or(80);
    k.tls = url.scheme() == "https";
    const aio::SSLOption& ssl = std::holds_alternative<std::monostate>(req_ssl) ? core.opts.ssl : req_ssl;
    k.ssl_repr = ssl_repr(ssl);
    std::string ssl_id = "-";
    bool h1_only = policy == HttpVersionPolicy::http1_only;
    if (k.tls) {
        if (const auto* ctx = std::get_if<SSLContext>(&ssl)) {
            k.ssl_context = *ctx;
            // As httpx: a context without an ALPN list of its own gets one.
            if (!h1_only && ctx->alpn_protocols().empty()) k.ssl_context->set_alpn_protocols({"h2", "http/1.1"});
            ssl_id = std::to_string(reinterpret_cast<std::uintptr_t>(ctx->impl().get()));
        } else if (const auto* b = std::get_if<bool>(&ssl); b && !*b) {
            k.ssl_context = own_context(core, false, h1_only);
            ssl_id = "noverify";
        } else {
            k.ssl_context = own_context(core, true, h1_only);
            ssl_id = "default";
        }
    }
    k.id = std::string(url.scheme()) + "://" + url.host_port() + "|" + ssl_id;
    if (policy == HttpVersionPolicy::http1_only) k.id += "|h1";
    if (policy == HttpVersionPolicy::http2_prior_knowledge) k.id += "|h2";
    if (proxy) {
        k.via_proxy = true;
        k.proxy_host = proxy->host();
        k.proxy_port = proxy->port().value_or(80);
        k.tunnel = k.tls;
        k.proxy_authorization = proxy_authorization;
        k.id += "|" + proxy->host_port() + "|" + proxy_authorization;
    }
    // HTTP/2 needs a connection of its own to the server: a plain proxy speaks HTTP/1.1.
    bool own_line = !k.via_proxy || k.tunnel;
    if (own_line && policy == HttpVersionPolicy::automatic) k.h2_alpn = k.tls;
    if (own_line && policy == HttpVersionPolicy::http2_prior_knowledge) {
        k.h2_alpn = k.tls;
        k.h2_required = k.tls;
        k.h2c = !k.tls;
    }
    return k;
}

/// The HTTP/2 stream an error names, else 0.
std::int32_t stream_of(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const ClientHttp2StreamError& s) {
        return s.stream_id();
    } catch (...) {
        return 0;
    }
}

bool retryable(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const PoolTimeoutError&) {
        return false;
    } catch (const ClientSSLError&) {
        return false;
    } catch (const ServerTimeoutError&) {
        return true;
    } catch (const ClientOSError&) {
        return true;
    } catch (const ServerDisconnectedError&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace

// ---------------------------------------------------------------------------
// ClientSession

ClientSession::ClientSession(SessionOptions options) : core_(std::make_shared<SessionCore>()) {
    auto& c = *core_;
    c.opts = std::move(options);
    Connector::Limits limits;
    limits.limit = c.opts.limit;
    limits.limit_per_host = c.opts.limit_per_host;
    limits.keepalive = aio::detail::to_clock_duration(c.opts.keepalive_timeout);
    limits.parser.max_line_size = c.opts.max_line_size;
    limits.parser.max_field_size = c.opts.max_field_size;
    // max_body_size bounds what a response holds in memory (ResponseState::
    // check_buffered), not the bytes that stream through content().
    limits.read_bufsize = c.opts.read_bufsize;
    c.connector = std::make_shared<Connector>(limits, c.opts.ttl_dns_cache);
    c.jar = c.opts.cookie_jar ? c.opts.cookie_jar : std::make_shared<CookieJar>();
    if (!c.opts.cookies.empty()) c.jar->update_cookies(c.opts.cookies);
    if (!c.opts.trace_configs.empty())
        c.tracer.configs = std::make_shared<const std::vector<TraceConfig>>(c.opts.trace_configs);
    if (!c.opts.base_url.empty()) c.base_url.emplace(c.opts.base_url);
    if (c.opts.trust_env) c.env = read_env();
}

ClientSession::~ClientSession() {
    if (!core_) return;
    if (!core_->closed) {
        core_->connector->close_now();
        std::string msg = "Unclosed client session (aio::http::ClientSession destroyed without close())";
        if (auto* loop = running_loop_or_null()) {
            try {
                loop->call_exception_handler(ExceptionContext{msg, nullptr, {}});
            } catch (...) {
            }
        } else {
            std::fprintf(stderr, "%s\n", msg.c_str());
        }
    }
}

Task<> ClientSession::close() {
    auto core = core_;
    if (core->closed) co_return;
    core->closed = true;
    co_await core->connector->close();
}

bool ClientSession::closed() const noexcept { return core_->closed; }
CookieJar& ClientSession::cookie_jar() noexcept { return *core_->jar; }
const Headers& ClientSession::headers() const noexcept { return core_->opts.headers; }
const SessionOptions& ClientSession::options() const noexcept { return core_->opts; }
ClientSession::PoolStats ClientSession::pool_stats() const noexcept { return core_->connector->stats(); }
detail::Connector& ClientSession::connector() noexcept { return *core_->connector; }

Task<ClientResponse> ClientSession::get(std::string url, RequestOptions opts) {
    return request("GET", std::move(url), std::move(opts));
}
Task<ClientResponse> ClientSession::post(std::string url, RequestOptions opts) {
    return request("POST", std::move(url), std::move(opts));
}
Task<ClientResponse> ClientSession::put(std::string url, RequestOptions opts) {
    return request("PUT", std::move(url), std::move(opts));
}
Task<ClientResponse> ClientSession::patch(std::string url, RequestOptions opts) {
    return request("PATCH", std::move(url), std::move(opts));
}
Task<ClientResponse> ClientSession::delete_(std::string url, RequestOptions opts) {
    return request("DELETE", std::move(url), std::move(opts));
}
Task<ClientResponse> ClientSession::head(std::string url, RequestOptions opts) {
    return request("HEAD", std::move(url), std::move(opts));
}
Task<ClientResponse> ClientSession::options(std::string url, RequestOptions opts) {
    return request("OPTIONS", std::move(url), std::move(opts));
}

Task<ClientResponse> ClientSession::request(std::string method, std::string url) {
    return request(std::move(method), std::move(url), RequestOptions{});
}
Task<ClientResponse> ClientSession::get(std::string url) { return request("GET", std::move(url), RequestOptions{}); }
Task<ClientResponse> ClientSession::post(std::string url) { return request("POST", std::move(url), RequestOptions{}); }
Task<ClientResponse> ClientSession::put(std::string url) { return request("PUT", std::move(url), RequestOptions{}); }
Task<ClientResponse> ClientSession::patch(std::string url) { return request("PATCH", std::move(url), RequestOptions{}); }
Task<ClientResponse> ClientSession::delete_(std::string url) { return request("DELETE", std::move(url), RequestOptions{}); }
Task<ClientResponse> ClientSession::head(std::string url) { return request("HEAD", std::move(url), RequestOptions{}); }
Task<ClientResponse> ClientSession::options(std::string url) { return request("OPTIONS", std::move(url), RequestOptions{}); }

Task<ClientResponse> ClientSession::request(std::string method, std::string url_text, RequestOptions opts) {
    return request_impl(std::move(method), std::move(url_text), std::move(opts), false);
}

Task<ClientResponse> ClientSession::request_impl(std::string method, std::string url_text, RequestOptions opts,
                                                 bool websocket) {
    std::shared_ptr<SessionCore> keep = core_;
    SessionCore& core = *keep;
    if (core.closed) throw aio::RuntimeError("Session is closed");
    method = upper(std::move(method));

    URL url(url_text);
    if (core.base_url && !url.is_absolute()) url = core.base_url->join(url);
    if (url.scheme() != "http" && url.scheme() != "https")
        throw InvalidURL(url_text, "the scheme must be http or https");
    if (url.host().empty()) throw InvalidURL(url_text, "no host in the URL");
    if (!opts.params.empty()) url = url.extend_query(opts.params);
    if (!url.raw_fragment().empty()) url = url.with_fragment("");

    std::optional<BasicAuth> auth = opts.auth ? opts.auth : core.opts.auth;
    if (auto from_url = BasicAuth::from_url(url)) {
        if (opts.auth) throw aio::ValueError("Cannot combine AUTH argument with credentials encoded in URL");
        auth = from_url;
        url = url.with_user(std::nullopt);
    }

    ClientTimeout tmo = opts.timeout.value_or(core.opts.timeout);
    Deadline total = deadline_in(tmo.total, Phase::total);
    Body body = make_body(opts);
    bool chunked = opts.chunked || (body.stream != nullptr);
    RetryPolicy policy = opts.retry.value_or(core.opts.retry);
    bool raise = opts.raise_for_status.value_or(core.opts.raise_for_status);

    // The headers every attempt shares: session defaults, the request's own.
    Headers base_headers = core.opts.headers;
    if (!opts.headers.empty()) base_headers.update(opts.headers);
    // An automatic header is added unless the caller gave it or asked to skip it.
    auto wanted = [&](std::string_view name) {
        for (const auto* skip : {&core.opts.skip_auto_headers, &opts.skip_auto_headers})
            for (const std::string& s : *skip)
                if (iequals(s, name)) return false;
        return true;
    };

    // The request's own cookies: sent to its origin only (dropped, with the
    // caller's credentials, when a redirect leaves it).
    MultiDict request_cookies = opts.cookies;

    std::vector<ClientResponse> history;
    int redirects = 0;
    while (true) {
        // Proxy for this URL.
        std::optional<URL> proxy;
        std::optional<BasicAuth> proxy_auth = opts.proxy_auth ? opts.proxy_auth : core.opts.proxy_auth;
        std::string proxy_text = !opts.proxy.empty() ? opts.proxy : core.opts.proxy;
        if (proxy_text.empty() && core.opts.trust_env && !bypass_proxy(core.env, url))
            proxy_text = url.scheme() == "https" ? core.env.https : core.env.http;
        if (!proxy_text.empty()) {
            proxy.emplace(proxy_text);
            if (proxy->scheme() != "http") throw InvalidURL(proxy_text, "only http:// proxies are supported");
            if (auto pa = BasicAuth::from_url(*proxy)) {
                if (!proxy_auth) proxy_auth = pa;
                proxy = proxy->with_user(std::nullopt);
            }
        }
        std::string proxy_authorization = proxy_auth ? proxy_auth->encode() : std::string();
        // A WebSocket upgrades an HTTP/1.1 connection (RFC 8441's HTTP/2 WebSockets are not spoken).
        HttpVersionPolicy version_policy =
            websocket ? HttpVersionPolicy::http1_only : opts.http_version.value_or(core.opts.http_version);
        ConnKey key = make_key(core, url, opts.ssl, proxy, proxy_authorization, version_policy);
        if (websocket && proxy && !key.tunnel) {
            // A WebSocket goes through a proxy in a CONNECT tunnel, ws:// too.
            key.tunnel = true;
            key.id += "|tunnel";
        }
        bool plain_proxy = proxy && !key.tunnel;

        Headers headers;
        headers.reserve(256, 8 + base_headers.size());
        if (!base_headers.contains(hdrs::HOST) && wanted(hdrs::HOST)) headers.add(hdrs::HOST, url.host_port());
        for (auto [k, v] : base_headers) headers.add(k, v);
        if (!headers.contains(hdrs::ACCEPT) && wanted(hdrs::ACCEPT)) headers.add(hdrs::ACCEPT, "*/*");
        if (core.opts.auto_decompress && !headers.contains(hdrs::ACCEPT_ENCODING) && wanted(hdrs::ACCEPT_ENCODING))
            headers.add(hdrs::ACCEPT_ENCODING, "gzip, deflate, br");
        if (!headers.contains(hdrs::USER_AGENT) && wanted(hdrs::USER_AGENT))
            headers.add(hdrs::USER_AGENT, core.opts.user_agent);
        if (auth && !headers.contains(hdrs::AUTHORIZATION)) headers.add(hdrs::AUTHORIZATION, auth->encode());
        {
            std::string cookie = core.jar->filter_cookies(url);
            for (auto [n, v] : request_cookies) {
                if (!cookie.empty()) cookie += "; ";
                cookie.append(n);
                cookie += '=';
                cookie.append(v);
            }
            if (!cookie.empty()) headers.set(hdrs::COOKIE, cookie);
        }
        if (!body.empty()) {
            if (!headers.contains(hdrs::CONTENT_TYPE) && wanted(hdrs::CONTENT_TYPE))
                headers.add(hdrs::CONTENT_TYPE, body.content_type);
            if (chunked) {
                headers.set(hdrs::TRANSFER_ENCODING, "chunked");
                headers.erase(hdrs::CONTENT_LENGTH);
            } else if (!headers.contains(hdrs::CONTENT_LENGTH)) {
                headers.add(hdrs::CONTENT_LENGTH, std::to_string(*body.length));
            }
        } else if (method == "POST" || method == "PUT" || method == "PATCH") {
            if (!headers.contains(hdrs::CONTENT_LENGTH)) headers.add(hdrs::CONTENT_LENGTH, "0");
        }
        if (opts.expect100) headers.set(hdrs::EXPECT, "100-continue");
        if (plain_proxy && !proxy_authorization.empty()) headers.add(hdrs::PROXY_AUTHORIZATION, proxy_authorization);
        std::string target = plain_proxy ? url.str() : url.raw_path_qs();
        auto info = std::make_shared<RequestInfo>(RequestInfo{url, method, std::move(headers), url});

        core.tracer.emit(&TraceConfig::on_request_start, TraceRequestStart{method, url, info->headers});

        // Attempts: the retry policy, and one more for a pooled connection found dead.
        bool can_retry = is_idempotent(method) && body.replayable;
        int attempt = 1;
        bool stale_retried = false;
        bool h2_retried = false;
        bool fresh = false;
        std::string host_key = url.host_port();
        {
            double& tokens = core.budgets.try_emplace(host_key, policy.budget_max).first->second;
            tokens = std::min(policy.budget_max, tokens + policy.budget_ratio);
        }
        std::optional<ClientResponse> got;
        while (!got) {
            std::exception_ptr err;
            try {
                got.emplace(co_await send_once(core, method, url, info, target, body, key, tmo, total, chunked,
                                               opts.expect100, fresh, websocket));
            } catch (const StaleConnection& s) {
                err = s.error;
                if (can_retry && !stale_retried) {
                    stale_retried = true;
                    fresh = true;
                    err = nullptr;
                }
            } catch (const H2Refused& r) {
                // The server did not process it: once more on a new
                // connection, whatever the method, if the body can be sent again.
                err = r.error;
                if (body.replayable && !h2_retried) {
                    h2_retried = true;
                    fresh = true;
                    err = nullptr;
                }
            } catch (...) {
                err = std::current_exception();
            }
            if (!err && !got) {
                core.tracer.emit(&TraceConfig::on_request_retry,
                                 TraceRequestRetry{method, url, attempt, std::chrono::duration<double>(0), 0});
                continue;
            }
            int status = got ? got->status() : 0;
            bool want_retry = err ? retryable(err)
                                  : std::find(policy.statuses.begin(), policy.statuses.end(), status) !=
                                        policy.statuses.end();
            if (want_retry && can_retry && attempt < policy.attempts) {
                double& tokens = core.budgets[host_key];
                double pause = std::min(policy.max_backoff.count(),
                                        policy.backoff.count() * std::pow(policy.multiplier, attempt - 1));
                pause -= pause * policy.jitter * std::uniform_real_distribution<double>(0.0, 1.0)(core.rng);
                if (got) {
                    if (auto ra = got->headers().get("Retry-After")) {
                        char* end = nullptr;
                        std::string ras(*ra);
                        double secs = std::strtod(ras.c_str(), &end);
                        if (end && *end == '\0' && secs > pause) pause = std::min(secs, policy.max_backoff.count());
                    }
                }
                auto resume_at = aio::detail::deadline_after(std::chrono::duration<double>(pause));
                bool in_time = !total.when || resume_at < *total.when;
                if (tokens >= 1.0 && in_time) {
                    tokens -= 1.0;
                    ++attempt;
                    got.reset();  // releases (closes if unread) the failed response
                    core.tracer.emit(&TraceConfig::on_request_retry,
                                     TraceRequestRetry{method, url, attempt, std::chrono::duration<double>(pause), status});
                    co_await aio::sleep(std::chrono::duration<double>(pause));
                    continue;
                }
            }
            if (err) {
                core.tracer.emit(&TraceConfig::on_request_exception,
                                 TraceRequestException{method, url, err, stream_of(err)});
                std::rethrow_exception(err);
            }
        }
        ClientResponse resp = std::move(*got);

        // Cookies of every response, redirects included.
        auto set_cookies = resp.headers().get_all(hdrs::SET_COOKIE);
        if (!set_cookies.empty()) core.jar->update_cookies(set_cookies, url);

        int status = resp.status();
        bool is_redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
        auto location = resp.headers().get(hdrs::LOCATION);
        if (!is_redirect || !opts.allow_redirects || !location) {
            resp.state().history = std::move(history);
            if (raise && status >= 400) resp.raise_for_status();
            co_return resp;
        }
        if (status != 303 && status != 301 && status != 302 && !body.replayable) {
            // 307/308 ask to send the body again, and a stream can be sent only once.
            resp.state().history = std::move(history);
            co_return resp;
        }
        if (++redirects > opts.max_redirects) {
            auto info_copy = resp.state().info;
            std::size_t n = history.size() + 1;
            resp.close();
            throw TooManyRedirects(info_copy, status,
                                   "Exceeded " + std::to_string(opts.max_redirects) + " redirects", n);
        }
        URL next = url.join(std::string(*location));
        core.tracer.emit(&TraceConfig::on_request_redirect, TraceRequestRedirect{method, url, status, next});
        if (next.scheme() != "http" && next.scheme() != "https")
            throw InvalidURL(next.str(), "redirect to a URL that is not http or https");
        if (!next.raw_fragment().empty()) next = next.with_fragment("");
        // Read a short body so that the connection can serve the next request.
        if (resp.content_length().value_or(kDrainLimit + 1) <= kDrainLimit) {
            try {
                co_await resp.read();
            } catch (const ClientError&) {
            }
        }
        resp.release();
        // The method rewrites browsers use (aiohttp's too).
        if ((status == 303 && method != "HEAD") || ((status == 301 || status == 302) && method == "POST")) {
            method = "GET";
            body = Body{};
            chunked = false;
            base_headers.erase(hdrs::CONTENT_TYPE);
            base_headers.erase(hdrs::CONTENT_LENGTH);
            base_headers.erase(hdrs::TRANSFER_ENCODING);
        }
        // Credentials do not follow to another origin (scheme, host or port),
        // as curl and Go's net/http drop them: the caller's Authorization,
        // Proxy-Authorization and Cookie headers and per-request cookies stay
        // behind. The jar's cookies are chosen again for the next URL by its rules.
        if (next.origin() != url.origin()) {
            auth.reset();
            base_headers.erase(hdrs::AUTHORIZATION);
            base_headers.erase(hdrs::PROXY_AUTHORIZATION);
            base_headers.erase(hdrs::COOKIE);
            request_cookies = MultiDict();
        }
        if (auto from_url = BasicAuth::from_url(next)) {
            auth = from_url;
            next = next.with_user(std::nullopt);
        }
        history.push_back(std::move(resp));
        url = std::move(next);
    }
}

}  // namespace aio::http
