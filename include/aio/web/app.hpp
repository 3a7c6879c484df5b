// aio/web/app.hpp — the application and its router (aiohttp.web.Application, UrlDispatcher).
//
//     aio::web::Application app;
//     app.router().add_get("/", index);
//     app.router().add_get("/users/{id:\\d+}", get_user, "user");   // a named route
//     app.router().add_post("/users", create_user);
//     app.router().add_static("/static", "/srv/static");
//     app.middlewares().push_back(timing_middleware);
//     app.on_startup().push_back(open_db);
//     app["db"] = std::make_shared<Db>();                          // app-wide state
//     app.router().url_for("user", {{"id", "42"}});                // "/users/42"
//
// Routing (aiohttp's): resources are tried in the order they were added; the
// first whose path matches answers. A path that matches a resource but none
// of its methods gets 405 with Allow; no match gets 404. A route for GET also
// answers HEAD. `{name}` matches one segment ([^{}/]+), `{name:regex}` the
// regex (std::regex ECMAScript, anchored); parameters are percent-decoded.
// Paths are compared decoded, so "/a%20b" matches the route "/a b".
//
// Handlers are `aio::Task<StreamResponse>(Request&)` callables (a function,
// or a lambda: a coroutine lambda's captures live as long as the router,
// which keeps the lambda). Returning Task<Response> or Task<FileResponse> is
// accepted too. Middlewares (aiohttp's new-style middlewares) wrap the
// handler: `Task<StreamResponse>(Request&, const Handler& next)`; the first
// in the list is the outermost. A middleware may answer without calling
// next (short-circuit), change the request state before and the response
// after.
#pragma once

#include <aio/task.hpp>
#include <aio/web/request.hpp>
#include <aio/web/response.hpp>

#include <any>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace aio::web {

/// What answers a request.
using Handler = std::function<Task<StreamResponse>(Request&)>;
/// What wraps a handler (aiohttp's @middleware).
using Middleware = std::function<Task<StreamResponse>(Request&, const Handler&)>;
/// A startup/shutdown/cleanup hook (aiohttp's on_startup signal receivers).
using AppHook = std::function<Task<>(Application&)>;

namespace detail {
template <class R>
struct is_response_task : std::false_type {};
template <class R>
struct is_response_task<Task<R>> : std::is_base_of<StreamResponse, R> {};

/// Wraps handlers returning Task<Response>/Task<FileResponse> as Handlers.
template <class F>
Handler to_handler(F f) {
    using R = std::invoke_result_t<F&, Request&>;
    static_assert(is_response_task<R>::value, "a handler returns aio::Task<StreamResponse> (or of a subclass)");
    if constexpr (std::is_same_v<R, Task<StreamResponse>>) {
        return Handler(std::move(f));
    } else {
        return [f = std::move(f)](Request& r) -> Task<StreamResponse> {
            auto t = f(r);
            co_return co_await std::move(t);
        };
    }
}
class Resource;
class StaticResource;
}  // namespace detail

/// Methods of add_route that match every method.
inline constexpr std::string_view METH_ANY = "*";

/// Options of add_static (aiohttp's keyword arguments).
struct StaticOptions {
    /// The route's name, for url_for (with {"filename", ...}); "" for none. Throws ValueError if taken.
    std::string name{};
    /// Answer a directory with an HTML listing of it (aiohttp's show_index).
    bool show_index = false;
    /// Serve symlinks whose target is outside the root (aiohttp's follow_symlinks).
    bool follow_symlinks = false;
    /// Bytes per read when a file cannot go by sendfile (under TLS); see FileResponse.
    std::size_t chunk_size = 256 * 1024;
};

/// The router (aiohttp.web.UrlDispatcher). Routes can be added until the
/// application starts (RuntimeError after). Throws ValueError for a bad path
/// pattern and for a name already given to another path (aiohttp's
/// "Duplicate 'name'"); a route with the name and path of an earlier one adds
/// its method to that resource.
class Router {
public:
    Router();
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// Adds a route for `method` ("GET", ..., or METH_ANY) on `path`; `handler` is a Handler-like
    /// callable (see the file's notes), kept by the router. `name` is for url_for ("" for none).
    /// Throws RuntimeError once frozen, and when the resource (the last one added with that plain
    /// path, or the one of that name) has that method already; ValueError when `name` belongs to
    /// another path.
    template <class F>
    void add_route(std::string_view method, std::string_view path, F handler, std::string name = {}) {
        add(method, path, detail::to_handler(std::move(handler)), std::move(name));
    }
    /// add_route("GET", ...) (aiohttp's add_get); the route also answers HEAD.
    template <class F>
    void add_get(std::string_view path, F h, std::string name = {}) { add_route("GET", path, std::move(h), std::move(name)); }
    /// add_route("POST", ...) (aiohttp's add_post).
    template <class F>
    void add_post(std::string_view path, F h, std::string name = {}) { add_route("POST", path, std::move(h), std::move(name)); }
    /// add_route("PUT", ...) (aiohttp's add_put).
    template <class F>
    void add_put(std::string_view path, F h, std::string name = {}) { add_route("PUT", path, std::move(h), std::move(name)); }
    /// add_route("PATCH", ...) (aiohttp's add_patch).
    template <class F>
    void add_patch(std::string_view path, F h, std::string name = {}) { add_route("PATCH", path, std::move(h), std::move(name)); }
    /// add_route("DELETE", ...) (aiohttp's add_delete).
    template <class F>
    void add_delete(std::string_view path, F h, std::string name = {}) { add_route("DELETE", path, std::move(h), std::move(name)); }
    /// add_route("HEAD", ...) (aiohttp's add_head).
    template <class F>
    void add_head(std::string_view path, F h, std::string name = {}) { add_route("HEAD", path, std::move(h), std::move(name)); }
    /// add_route("OPTIONS", ...) (aiohttp's add_options).
    template <class F>
    void add_options(std::string_view path, F h, std::string name = {}) { add_route("OPTIONS", path, std::move(h), std::move(name)); }

    /// Serves the files under `directory` at `prefix` (GET and HEAD); the
    /// bare prefix ("/static") names the directory itself, like "/static/".
    /// Nothing outside the directory is ever served: ".." segments (also
    /// encoded), absolute paths, NUL and backslashes answer 400/403/404, and
    /// unless follow_symlinks no symlink is followed (404), even one leading
    /// inside the root. Files are sent as FileResponse sends them (ranges,
    /// conditional requests, a precompressed name.br / name.gz beside the
    /// file to clients that accept it). Throws ValueError when `directory`
    /// does not exist.
    void add_static(std::string_view prefix, std::filesystem::path directory, StaticOptions opts = {});

    /// The URL of the named route with `params` filled in, percent-encoded
    /// (aiohttp's router[name].url_for(**params)); `query` is appended.
    /// For a static route, pass {"filename", "a/b.txt"}. Throws
    /// std::out_of_range for an unknown name, ValueError for a missing or
    /// non-matching parameter.
    std::string url_for(std::string_view name, const std::vector<std::pair<std::string, std::string>>& params = {},
                        const http::MultiDict& query = {}) const;
    /// Whether a route of that name exists.
    bool has_route(std::string_view name) const noexcept;

    /// Finds the handler for a request; fills match_info. Never throws for a
    /// miss: it returns a handler that throws HTTPNotFound / HTTPMethodNotAllowed.
    const Handler& resolve(std::string_view method, std::string_view path, MatchInfo& match) const;

    /// No more routes may be added (called when the application starts).
    void freeze() noexcept { frozen_ = true; }

private:
    void add(std::string_view method, std::string_view path, Handler handler, std::string name);
    std::vector<std::unique_ptr<detail::Resource>> resources_;
    std::map<std::string, detail::Resource*, std::less<>> named_;
    Handler not_found_;
    bool frozen_ = false;
};

/// Options of an Application (aiohttp's constructor keywords).
struct ApplicationOptions {
    /// The largest body read(), text(), json() and post() accept (aiohttp's
    /// client_max_size): 1 MiB, aiohttp's default. 0: no limit, as aiohttp's.
    std::size_t client_max_size = 1024 * 1024;
    /// The most parts post() accepts in a multipart/form-data body
    /// (HTTPRequestEntityTooLarge, 413, past it). 1,000: real forms have tens;
    /// each part costs a header parse and, for a file, a temporary file, so a
    /// body of tiny parts must not cost the server thousands of each.
    std::size_t max_form_parts = 1000;
};

/// A web application: the router, middlewares, lifecycle hooks and state
/// (aiohttp.web.Application). Not copyable; it must outlive its runner.
class Application {
public:
    /// An application with no route, middleware or hook yet (aiohttp's web.Application(...)).
    explicit Application(ApplicationOptions opts = {});
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    /// The router, to add routes to until the application starts (aiohttp's app.router).
    Router& router() noexcept { return router_; }
    /// The router, read-only (url_for, has_route).
    const Router& router() const noexcept { return router_; }
    /// The middlewares, outermost first (aiohttp's middlewares=[...]); append to it.
    std::vector<Middleware>& middlewares() noexcept { return middlewares_; }
    /// Called in order when the runner starts (aiohttp's on_startup).
    std::vector<AppHook>& on_startup() noexcept { return on_startup_; }
    /// Called when the runner begins to shut down, before connections close.
    std::vector<AppHook>& on_shutdown() noexcept { return on_shutdown_; }
    /// Called last, after the server stopped (aiohttp's on_cleanup).
    std::vector<AppHook>& on_cleanup() noexcept { return on_cleanup_; }
    /// App-wide state (aiohttp's app[key]).
    std::any& operator[](const std::string& key) { return state_[key]; }
    /// The state under `key` as T; throws std::out_of_range when absent,
    /// std::bad_any_cast for another type.
    template <class T>
    T& get(const std::string& key) {
        return std::any_cast<T&>(state_.at(key));
    }
    /// The options the application was made with.
    const ApplicationOptions& options() const noexcept { return opts_; }

    /// The handler with the middlewares around it, for `request`'s route.
    /// (What the server calls; also handy for tests.)
    Task<StreamResponse> handle(Request& request);

    /// Runs the hooks (AppRunner calls these). startup() first freezes the application and its
    /// router, then awaits each on_startup hook in order; a hook's exception propagates and the
    /// later hooks do not run.
    Task<> startup();
    /// Awaits each on_shutdown hook in order (a hook's exception propagates).
    Task<> shutdown();
    /// Awaits each on_cleanup hook in order (a hook's exception propagates).
    Task<> cleanup();
    /// Whether startup() has run: no routes may be added any more (aiohttp's app.frozen).
    bool frozen() const noexcept { return frozen_; }

private:
    ApplicationOptions opts_;
    Router router_;
    std::vector<Middleware> middlewares_;
    std::vector<AppHook> on_startup_, on_shutdown_, on_cleanup_;
    std::map<std::string, std::any> state_;
    std::vector<Handler> chain_;  // built at startup: chain_[i] runs middleware i, then i+1
    bool frozen_ = false;
};

}  // namespace aio::web
