// add_static: files under a directory, and nothing outside it.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "aio/http/urlencoded.hpp"
#include "aio/web/app.hpp"
#include "aio/web/exceptions.hpp"
#include "web/resource.hpp"

namespace aio::web::detail {

namespace {

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

struct StaticConfig {
    std::string prefix;
    std::filesystem::path root;  // canonical
    StaticOptions opts;
};

bool inside(const std::filesystem::path& p, const std::filesystem::path& root) {
    auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
    return r == root.end();
}

Task<StreamResponse> serve_static(std::shared_ptr<StaticConfig> cfg, Request& req) {
    std::string_view rel = req.match_info().at("filename");
    // Refuse what could name something outside the root before touching the disk.
    if (!rel.empty() && rel.front() == '/') throw HTTPForbidden();
    if (rel.find('\\') != std::string_view::npos || rel.find('\0') != std::string_view::npos) throw HTTPForbidden();
    std::string_view rest = rel;
    while (!rest.empty()) {
        std::size_t slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        if (seg == "..") throw HTTPForbidden();
        rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    }
    std::filesystem::path full = cfg->root / std::filesystem::path(std::string(rel));
    std::error_code ec;
    std::filesystem::path real = std::filesystem::canonical(full, ec);
    if (ec) throw HTTPNotFound();
    if (!cfg->opts.follow_symlinks && !inside(real, cfg->root)) throw HTTPNotFound();
    auto st = std::filesystem::status(real, ec);
    if (ec) throw HTTPNotFound();
    if (std::filesystem::is_directory(st)) {
        if (!cfg->opts.show_index) throw HTTPForbidden();
        std::string title = "Index of /" + html_escape(rel);
        std::string body = "<html>\n<head>\n<title>" + title + "</title>\n</head>\n<body>\n<h1>" + title +
                           "</h1>\n<ul>\n";
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(real, ec))
            names.push_back(e.path().filename().string() + (e.is_directory() ? "/" : ""));
        std::sort(names.begin(), names.end());
        std::string base = cfg->prefix + "/" + (rel.empty() ? "" : std::string(rel) + (rel.back() == '/' ? "" : "/"));
        for (const auto& n : names)
            body += "<li><a href=\"" + html_escape(http::quote(base + n, "/")) + "\">" + html_escape(n) + "</a></li>\n";
        body += "</ul>\n</body>\n</html>";
        co_return Response({.text = std::move(body), .content_type = "text/html"});
    }
    if (!std::filesystem::is_regular_file(st)) throw HTTPNotFound();
    co_return FileResponse(real, cfg->opts.chunk_size);
}

class StaticFiles final : public Resource {
public:
    explicit StaticFiles(std::shared_ptr<StaticConfig> cfg) : cfg_(std::move(cfg)) {
        Handler h = [cfg = cfg_](Request& r) { return serve_static(cfg, r); };
        routes.emplace_back("GET", h);
        routes.emplace_back("HEAD", h);
    }
    bool match(std::string_view path, MatchInfo& m) const override {
        const std::string& p = cfg_->prefix;
        if (path.size() < p.size() + 1 || path.compare(0, p.size(), p) != 0 || path[p.size()] != '/') return false;
        RouteMatch::add(m, "filename", std::string(path.substr(p.size() + 1)));
        return true;
    }
    std::string url_for(const std::vector<std::pair<std::string, std::string>>& params) const override {
        for (const auto& [k, v] : params)
            if (k == "filename") return http::quote(cfg_->prefix + "/" + (v.empty() || v[0] != '/' ? v : v.substr(1)), "/");
        throw aio::ValueError("url_for of a static route needs 'filename'");
    }

private:
    std::shared_ptr<StaticConfig> cfg_;
};

}  // namespace

std::unique_ptr<Resource> make_static_resource(std::string prefix, std::filesystem::path directory, StaticOptions opts) {
    std::error_code ec;
    std::filesystem::path root = std::filesystem::canonical(directory, ec);
    if (ec || !std::filesystem::is_directory(root)) throw aio::ValueError("no such directory: " + directory.string());
    auto cfg = std::make_shared<StaticConfig>(StaticConfig{std::move(prefix), root, std::move(opts)});
    return std::make_unique<StaticFiles>(cfg);
}

}  // namespace aio::web::detail
