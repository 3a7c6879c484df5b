// Application and Router.
#include "aio/web/app.hpp"

#include <cstring>
#include <regex>

#include "aio/http/urlencoded.hpp"
#include "aio/web/exceptions.hpp"
#include "web/resource.hpp"

namespace aio::web {

namespace detail {

class PlainResource final : public Resource {
public:
    explicit PlainResource(std::string path) : path_(std::move(path)) {}
    bool match(std::string_view path, MatchInfo&) const override { return path == path_; }
    std::string url_for(const std::vector<std::pair<std::string, std::string>>&) const override {
        return http::quote(path_, "/");
    }
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

class DynamicResource final : public Resource {
public:
    explicit DynamicResource(std::string_view pattern) {
        std::string re = "^";
        std::size_t i = 0;
        bool in_prefix = true;
        while (i < pattern.size()) {
            if (pattern[i] == '{') {
                std::size_t depth = 1, j = i + 1;
                while (j < pattern.size() && depth) {
                    if (pattern[j] == '{') ++depth;
                    if (pattern[j] == '}') --depth;
                    ++j;
                }
                if (depth) throw aio::ValueError("unbalanced '{' in route " + std::string(pattern));
                std::string_view inside = pattern.substr(i + 1, j - i - 2);
                std::size_t colon = inside.find(':');
                std::string pname(inside.substr(0, colon));
                std::string expr = colon == std::string_view::npos ? "[^{}/]+" : std::string(inside.substr(colon + 1));
                if (pname.empty()) throw aio::ValueError("a path parameter needs a name: " + std::string(pattern));
                for (const auto& p : names_)
                    if (p == pname) throw aio::ValueError("parameter '" + pname + "' appears twice");
                names_.push_back(pname);
                exprs_.emplace_back("^(?:" + expr + ")$");
                re += "(" + expr + ")";
                segments_.push_back({false, pname});
                in_prefix = false;
                i = j;
                continue;
            }
            if (pattern[i] == '}') throw aio::ValueError("unbalanced '}' in route " + std::string(pattern));
            if (in_prefix) prefix_.push_back(pattern[i]);
            if (segments_.empty() || !segments_.back().literal) segments_.push_back({true, ""});
            segments_.back().text.push_back(pattern[i]);
            if (std::strchr("\\^$.|?*+()[]{}", pattern[i])) re.push_back('\\');
            re.push_back(pattern[i]);
            ++i;
        }
        re += "$";
        try {
            re_ = std::regex(re, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& e) {
            throw aio::ValueError("bad regex in route " + std::string(pattern) + ": " + e.what());
        }
    }

    bool match(std::string_view path, MatchInfo& m) const override;
    std::string url_for(const std::vector<std::pair<std::string, std::string>>& params) const override {
        std::string out;
        for (const auto& seg : segments_) {
            if (seg.literal) {
                out += http::quote(seg.text, "/");
                continue;
            }
            const std::string* v = nullptr;
            for (const auto& [k, val] : params)
                if (k == seg.text) v = &val;
            if (!v) throw aio::ValueError("url_for: missing parameter '" + seg.text + "'");
            std::size_t idx = 0;
            while (names_[idx] != seg.text) ++idx;
            if (!std::regex_match(*v, exprs_[idx]))
                throw aio::ValueError("url_for: '" + *v + "' does not match parameter '" + seg.text + "'");
            out += http::quote(*v, "");
        }
        return out;
    }

    std::vector<std::string> names_;

private:
    struct Segment {
        bool literal;
        std::string text;
    };
    std::string prefix_;
    std::vector<Segment> segments_;
    std::vector<std::regex> exprs_;
    std::regex re_;
};

bool DynamicResource::match(std::string_view path, MatchInfo& m) const {
    if (path.substr(0, prefix_.size()) != prefix_) return false;
    std::match_results<std::string_view::const_iterator> res;
    if (!std::regex_match(path.begin(), path.end(), res, re_)) return false;
    for (std::size_t i = 0; i < names_.size(); ++i) RouteMatch::add(m, names_[i], res[i + 1].str());
    return true;
}

}  // namespace detail

Router::Router() {
    not_found_ = [](Request& r) -> Task<StreamResponse> {
        const MatchInfo& m = r.match_info();
        if (!m.allowed_.empty()) throw HTTPMethodNotAllowed(r.method(), m.allowed_);
        throw HTTPNotFound();
        co_return StreamResponse();
    };
}

Router::~Router() = default;

void Router::add(std::string_view method, std::string_view path, Handler handler, std::string name) {
    if (frozen_) throw aio::RuntimeError("routes cannot be added once the application has started");
    if (path.empty() || path[0] != '/') throw aio::ValueError("a route path starts with '/': " + std::string(path));
    if (!name.empty()) {
        auto it = named_.find(name);
        if (it != named_.end()) {
            // Same name, same path: another method of that resource. A name
            // already given to another path is an error (aiohttp: "Duplicate
            // 'name', already handled by ..."): the new route would be lost.
            detail::Resource& res = *it->second;
            if (res.canonical != path)
                throw aio::ValueError("Duplicate '" + name + "', already handled by " + res.canonical +
                                      " (route " + std::string(method) + " " + std::string(path) + ")");
            for (const auto& r : res.routes)
                if (r.first == method)
                    throw aio::RuntimeError("route " + std::string(method) + " " + std::string(path) + " added twice");
            res.routes.emplace_back(std::string(method), std::move(handler));
            return;
        }
    }
    bool dynamic = path.find('{') != std::string_view::npos || path.find('}') != std::string_view::npos;
    // aiohttp joins methods of the same path into the last resource when it has no name.
    if (!resources_.empty() && name.empty()) {
        auto* last = resources_.back().get();
        bool same = false;
        if (auto* p = dynamic_cast<detail::PlainResource*>(last)) same = !dynamic && p->path() == path;
        if (same) {
            for (const auto& r : last->routes)
                if (r.first == method) throw aio::RuntimeError("route " + std::string(method) + " " + std::string(path) + " added twice");
            last->routes.emplace_back(std::string(method), std::move(handler));
            return;
        }
    }
    std::unique_ptr<detail::Resource> res;
    if (dynamic)
        res = std::make_unique<detail::DynamicResource>(path);
    else
        res = std::make_unique<detail::PlainResource>(std::string(path));
    res->name = name;
    res->canonical = std::string(path);
    res->routes.emplace_back(std::string(method), std::move(handler));
    if (!name.empty()) named_.emplace(name, res.get());
    resources_.push_back(std::move(res));
}

void Router::add_static(std::string_view prefix, std::filesystem::path directory, StaticOptions opts) {
    if (frozen_) throw aio::RuntimeError("routes cannot be added once the application has started");
    if (prefix.empty() || prefix[0] != '/') throw aio::ValueError("a static prefix starts with '/'");
    std::string p(prefix);
    while (!p.empty() && p.back() == '/') p.pop_back();  // "/" serves from the root, as aiohttp's prefix ''
    std::string name = opts.name;
    auto res = detail::make_static_resource(p, std::move(directory), std::move(opts));
    res->name = name;
    res->canonical = std::string(prefix);
    if (!name.empty()) {
        if (named_.count(name)) throw aio::ValueError("duplicate route name " + name);
        named_.emplace(name, res.get());
    }
    resources_.push_back(std::move(res));
}

std::string Router::url_for(std::string_view name, const std::vector<std::pair<std::string, std::string>>& params,
                            const http::MultiDict& query) const {
    auto it = named_.find(name);
    if (it == named_.end()) throw std::out_of_range("no route named '" + std::string(name) + "'");
    std::string url = it->second->url_for(params);
    if (!query.empty()) url += "?" + http::urlencode(query);
    return url;
}

bool Router::has_route(std::string_view name) const noexcept { return named_.find(name) != named_.end(); }

const Handler& Router::resolve(std::string_view method, std::string_view path, MatchInfo& m) const {
    for (const auto& res : resources_) {
        std::size_t keep = m.items_.size();
        if (!res->match(path, m)) continue;
        const Handler* found = nullptr;
        for (const auto& [meth, h] : res->routes)
            if (meth == method || meth == METH_ANY) {
                found = &h;
                break;
            }
        if (!found && method == "HEAD")
            for (const auto& [meth, h] : res->routes)
                if (meth == "GET") {
                    found = &h;
                    break;
                }
        if (found) {
            m.route_name_ = res->name;
            m.allowed_.clear();
            return *found;
        }
        for (const auto& r : res->routes) m.allowed_.push_back(r.first);
        m.items_.resize(keep);
    }
    return not_found_;
}

// ---------------------------------------------------------------------------
// Application

Application::Application(ApplicationOptions opts) : opts_(opts) {}

Task<StreamResponse> Application::handle(Request& request) {
    request.handler_ = &router_.resolve(request.method(), request.path(), request.c_match());
    if (middlewares_.empty()) return (*request.handler_)(request);
    if (chain_.size() != middlewares_.size() + 1) {
        // Built once (and again if middlewares were added later).
        chain_.clear();
        chain_.resize(middlewares_.size() + 1);
        for (std::size_t i = 0; i < middlewares_.size(); ++i)
            chain_[i] = [this, i](Request& r) { return middlewares_[i](r, chain_[i + 1]); };
        chain_.back() = [](Request& r) { return (*r.handler_)(r); };
    }
    return chain_[0](request);
}

Task<> Application::startup() {
    frozen_ = true;
    router_.freeze();
    for (auto& hook : on_startup_) co_await hook(*this);
}

Task<> Application::shutdown() {
    for (auto& hook : on_shutdown_) co_await hook(*this);
}

Task<> Application::cleanup() {
    for (auto& hook : on_cleanup_) co_await hook(*this);
}

}  // namespace aio::web
