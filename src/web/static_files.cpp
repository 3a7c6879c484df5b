// add_static: files under a directory, and nothing outside it.
#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include "aio/http/urlencoded.hpp"
#include "aio/threads.hpp"
#include "aio/web/app.hpp"
#include "aio/web/exceptions.hpp"
#include "web/resource.hpp"
#include "web/util.hpp"

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

/// What a static path names, found on the thread pool: canonicalising,
/// opening and listing a directory all touch the disk and must not block the
/// loop. A file is opened here, in the same pool call, and handed to its
/// FileResponse: the connection does not open it again.
struct Lookup {
    enum Kind { not_found, forbidden, directory, file } kind = not_found;
    std::filesystem::path real;
    std::vector<std::string> names;      // a directory's entries, sorted ("sub/" for directories)
    std::shared_ptr<OpenedFile> opened;  // a file (its err set when it could not be opened)
};

Lookup look_up(const StaticConfig& cfg, const std::string& rel) {
    Lookup out;
    std::filesystem::path full = cfg.root / std::filesystem::path(rel);
    std::error_code ec;
    out.real = std::filesystem::canonical(full, ec);
    if (ec) return out;
    if (!cfg.opts.follow_symlinks && !inside(out.real, cfg.root)) return out;
    auto opened = std::make_shared<OpenedFile>(OpenedFile::open(out.real));
    if (opened->err == 0 && S_ISDIR(opened->st.st_mode)) {
        if (!cfg.opts.show_index) {
            out.kind = Lookup::forbidden;
            return out;
        }
        for (const auto& e : std::filesystem::directory_iterator(out.real, ec))
            out.names.push_back(e.path().filename().string() + (e.is_directory() ? "/" : ""));
        std::sort(out.names.begin(), out.names.end());
        out.kind = Lookup::directory;
        return out;
    }
    if (opened->err == 0 && !S_ISREG(opened->st.st_mode)) return out;
    // A file, or a path that cannot be opened (the connection answers 403
    // for EACCES, 404 otherwise, as for any FileResponse).
    out.kind = Lookup::file;
    out.opened = std::move(opened);
    return out;
}

Task<StreamResponse> serve_static(std::shared_ptr<StaticConfig> cfg, Request& req) {
    std::string rel(req.match_info().at("filename"));
    // Refuse what could name something outside the root before touching the disk.
    if (!rel.empty() && rel.front() == '/') throw HTTPForbidden();
    if (rel.find('\\') != std::string::npos || rel.find('\0') != std::string::npos) throw HTTPForbidden();
    std::string_view rest = rel;
    while (!rest.empty()) {
        std::size_t slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        if (seg == "..") throw HTTPForbidden();
        rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    }
    auto lookup = [cfg, rel] { return look_up(*cfg, rel); };  // named: g++ 12 miscopies lambdas built inside co_await
    Lookup found = co_await aio::to_thread(lookup);
    switch (found.kind) {
        case Lookup::not_found: throw HTTPNotFound();
        case Lookup::forbidden: throw HTTPForbidden();
        case Lookup::file: {
            FileResponse file(found.real, cfg->opts.chunk_size);
            OpenedFile::attach(file, std::move(found.opened));
            co_return std::move(file);
        }
        case Lookup::directory: break;
    }
    std::string title = "Index of /" + html_escape(rel);
    std::string body = "<html>\n<head>\n<title>" + title + "</title>\n</head>\n<body>\n<h1>" + title +
                       "</h1>\n<ul>\n";
    std::string base = cfg->prefix + "/" + (rel.empty() ? "" : rel + (rel.back() == '/' ? "" : "/"));
    for (const auto& n : found.names)
        body += "<li><a href=\"" + html_escape(http::quote(base + n, "/")) + "\">" + html_escape(n) + "</a></li>\n";
    body += "</ul>\n</body>\n</html>";
    ResponseOptions ro{.text = std::move(body), .content_type = "text/html"};
    co_return Response(std::move(ro));
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
