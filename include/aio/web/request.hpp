// aio/web/request.hpp — the request a handler receives (aiohttp.web.Request).
//
//     aio::Task<aio::web::StreamResponse> hello(aio::web::Request& req) {
//         std::string name{req.match_info().at("name")};
//         auto page = req.query().get("page").value_or("1");
//         aio::json::Value body = co_await req.json();
//         co_return aio::web::Response({.text = "Hello, " + name});
//     }
//
// Lifetime: a Request belongs to the server's connection and lives until the
// handler's response has been sent; handlers take it by reference and must
// not keep it (or views into it) beyond that. The body is read from the
// socket only when asked for (read(), text(), json(), post() or content()),
// in pieces of at most the connection's buffer limit, so that a large upload
// never sits in memory unless the handler reads it whole. Reading a body
// larger than client_max_size (Application option, 1 MiB by default as
// aiohttp) throws HTTPRequestEntityTooLarge (413); content() streams
// without that limit.
#pragma once

#include <aio/http/headers.hpp>
#include <aio/http/message.hpp>
#include <aio/http/multidict.hpp>
#include <aio/json.hpp>
#include <aio/sockets.hpp>
#include <aio/task.hpp>

#include <any>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aio::web {

class Application;
class StreamResponse;
namespace detail {
class Exchange;
class HttpConnection;
class H2Stream;
struct RouteMatch;
}

/// The path parameters of the matched route (aiohttp's match_info):
/// `{name}` → its decoded value. Also `route_name()`, the name of the route.
class MatchInfo {
public:
    /// The value of parameter `name`; throws std::out_of_range when absent.
    std::string_view at(std::string_view name) const;
    /// The value of parameter `name`, or nullopt (match_info.get(name)).
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    /// Whether the route has parameter `name`.
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    /// The number of parameters.
    std::size_t size() const noexcept { return items_.size(); }
    /// Every (name, decoded value) pair, in the order of the route's pattern.
    const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return items_; }
    /// The route's name ("" when it has none).
    const std::string& route_name() const noexcept { return route_name_; }

private:
    friend class detail::HttpConnection;
    friend class Router;
    friend class Application;
    friend struct detail::RouteMatch;
    friend class Request;
    std::vector<std::pair<std::string, std::string>> items_;
    std::string route_name_;
    std::vector<std::string> allowed_;  // set when the path matched but the method did not
};

/// The request body as a stream (aiohttp's StreamReader of `request.content`).
/// Each read pulls from the socket as needed; "" (or false) at the end of the body.
/// Throws BadHttpMessage subclasses for a malformed body (chunked framing)
/// and ConnectionResetError when the client goes away mid-body.
class BodyReader {
public:
    /// Up to n bytes (n < 0: the rest of the body).
    Task<std::string> read(long n = -1);
    /// What is buffered now, or the next piece from the socket (aiohttp's readany).
    Task<std::string> readany();
    /// One line including "\n" (or the rest at the end of the body).
    Task<std::string> readline();
    /// Exactly n bytes; aio::IncompleteReadError when the body is shorter.
    Task<std::string> readexactly(std::size_t n);
    /// True once the whole body was read.
    bool at_eof() const noexcept;

private:
    friend class Request;
    friend class detail::Exchange;
    explicit BodyReader(detail::Exchange* c) : c_(c) {}
    detail::Exchange* c_;
};

/// One uploaded file of a multipart form (aiohttp's FileField): its bytes
/// were streamed to a temporary file, deleted when the last copy of the
/// FileField goes away.
struct FileField {
    /// The form field's name.
    std::string name;
    /// The filename the client gave, as sent (not a safe path: do not use it as one).
    std::string filename;
    /// The part's Content-Type ("application/octet-stream" when it had none).
    std::string content_type;
    /// The part's header fields.
    http::Headers headers;
    /// Where the bytes are on disk.
    std::filesystem::path path;
    /// The file's size in bytes.
    std::uint64_t size = 0;
    /// Owns the temporary file (removes it on destruction).
    std::shared_ptr<void> owner;
    /// Reads the whole file (blocking: meant for small uploads and tests).
    std::string read() const;
};

/// The result of post(): text fields in order, and uploaded files.
struct Form {
    /// The text fields (parts without a filename), name → value, in order.
    http::MultiDict fields;
    /// The uploaded files (parts with a filename), in order.
    std::vector<FileField> files;
    /// The first text field `name`, or nullopt.
    std::optional<std::string_view> get(std::string_view name) const noexcept { return fields.get(name); }
    /// The first file of field `name`, or nullptr.
    const FileField* file(std::string_view name) const noexcept;
};

/// An HTTP request being handled (aiohttp.web.Request).
class Request {
public:
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

    /// "GET", "POST", ... as sent.
    const std::string& method() const noexcept;
    /// The path, percent-decoded ("/a b" for "/a%20b"); aiohttp's request.path.
    const std::string& path() const noexcept;
    /// The request target as sent: path and query, still encoded (aiohttp's raw_path).
    const std::string& raw_path() const noexcept;
    /// The query string as sent, without '?'.
    std::string_view query_string() const noexcept;
    /// The decoded query parameters (aiohttp's request.query; blank values kept).
    const http::MultiDict& query() const;
    /// The request's header fields (case-insensitive, repeated fields kept).
    const http::Headers& headers() const noexcept;
    /// The HTTP version of the request (aiohttp's request.version).
    http::HttpVersion version() const noexcept;
    /// The parameters of the matched route.
    const MatchInfo& match_info() const noexcept;
    /// The peer's address as text ("127.0.0.1"), aiohttp's remote.
    std::string remote() const;
    /// The peer's address and port (aiohttp's transport peername); an empty SocketAddress when unknown.
    SocketAddress peername() const;
    /// The authority of an absolute-form target ("GET http://h:1/p"), else the
    /// Host header (RFC 9112 §3.2.2), else the server's address.
    std::string host() const;
    /// "http" or "https".
    std::string_view scheme() const noexcept;
    /// Whether the request came over TLS (aiohttp's request.secure).
    bool secure() const noexcept { return scheme() == "https"; }
    /// The Content-Length of the body, if declared.
    std::optional<std::uint64_t> content_length() const noexcept;
    /// Content-Type without parameters ("application/octet-stream" when absent).
    std::string content_type() const;
    /// The charset parameter of Content-Type as sent (quotes removed), if any.
    std::optional<std::string> charset() const;
    /// Whether the request has a body (aiohttp's body_exists).
    bool body_exists() const noexcept;
    /// Whether the connection stays open after this request.
    bool keep_alive() const noexcept;
    /// Cookies sent (the Cookie header, parsed).
    http::MultiDict cookies() const;
    /// The application serving the request.
    Application& app() const noexcept;

    /// The whole body (aiohttp's read). Throws HTTPRequestEntityTooLarge past
    /// client_max_size. A second call returns the same bytes.
    Task<std::string> read();
    /// The body as text (UTF-8 bytes as sent).
    Task<std::string> text();
    /// The body parsed as JSON; throws json::JSONDecodeError (a ValueError).
    Task<json::Value> json();
    /// A form: application/x-www-form-urlencoded or multipart/form-data (file
    /// parts streamed to temporary files, never held in memory whole); other
    /// types give an empty form. Throws HTTPBadRequest for a malformed
    /// multipart body, HTTPRequestEntityTooLarge past client_max_size (text
    /// fields and files together).
    Task<Form> post();
    /// The body as a stream.
    BodyReader& content() noexcept { return content_; }

    /// Per-request storage for middlewares and handlers (aiohttp's request[key]).
    std::any& operator[](const std::string& key) { return state_[key]; }
    /// Everything stored with operator[], by key.
    const std::map<std::string, std::any>& state() const noexcept { return state_; }

private:
    friend class detail::Exchange;
    friend class detail::HttpConnection;
    friend class detail::H2Stream;
    friend class Application;
    friend class StreamResponse;
    friend class WebSocketResponse;
    explicit Request(detail::Exchange* c) : c_(c), content_(c) {}
    void reset();
    MatchInfo& c_match() noexcept;
    detail::Exchange* c_;
    const std::function<Task<StreamResponse>(Request&)>* handler_ = nullptr;
    BodyReader content_;
    std::map<std::string, std::any> state_;
    mutable std::optional<http::MultiDict> query_;
    std::optional<std::string> body_cache_;
};

}  // namespace aio::web
