// add_static: files under a directory, and nothing outside it.
//
// Paths are resolved by the kernel beneath a descriptor of the root, never
// by name from "/": openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where the
// kernel has it (5.6+), else one openat(O_NOFOLLOW) per component. Nothing a
// request names can leave the root, through "..", a symlink, or a directory
// renamed between a check and an open (there is no separate check).
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
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

/// Tests set this to exercise the openat fallback on kernels that have openat2.
std::atomic<bool> g_static_without_openat2{false};

namespace {

/// Set once openat2 answered ENOSYS (a kernel before 5.6, or a seccomp filter).
std::atomic<bool> g_no_openat2{false};

/// openat with O_NOFOLLOW one component at a time from `root`: every
/// directory on the way is opened O_PATH | O_DIRECTORY | O_NOFOLLOW, so a
/// symlink anywhere fails (ELOOP / ENOTDIR) instead of being followed.
int open_components(int root, std::string_view rel, int flags) {
    int cur = root;
    std::optional<FileDescriptor> owned;
    while (true) {
        std::size_t slash = rel.find('/');
        std::string comp(rel.substr(0, slash));
        bool slash_follows = slash != std::string_view::npos;
        rel.remove_prefix(slash == std::string_view::npos ? rel.size() : slash + 1);
        bool last = rel.find_first_not_of('/') == std::string_view::npos;
        if (comp.empty() || comp == ".") {
            if (!last) continue;
            comp = ".";
        }
        if (comp == "..") {
            errno = EXDEV;
            return -1;
        }
        // A trailing slash names a directory, as the kernel resolves it for
        // openat2: "file.txt/" is ENOTDIR, not the file.
        if (last) return ::openat(cur, comp.c_str(), flags | O_NOFOLLOW | (slash_follows ? O_DIRECTORY : 0));
        int next = ::openat(cur, comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) return -1;
        owned.reset();  // closes the previous directory
        owned.emplace(next);
        cur = next;
    }
}

/// Opens `rel` beneath the directory `root` without following any symlink
/// and without leaving it. -1 with errno set on failure (ELOOP for a symlink,
/// EXDEV for an escape, ENOENT, EACCES, ...).
int open_beneath(int root, const std::string& rel, int flags) {
    if (!g_static_without_openat2.load(std::memory_order_relaxed) && !g_no_openat2.load(std::memory_order_relaxed)) {
        open_how how{};
        how.flags = static_cast<std::uint64_t>(flags);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
        long fd = ::syscall(SYS_openat2, root, rel.empty() ? "." : rel.c_str(), &how, sizeof how);
        if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
        g_no_openat2.store(true, std::memory_order_relaxed);
    }
    return open_components(root, rel, flags);
}

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
    std::shared_ptr<FileDescriptor> root_fd;  // O_PATH | O_DIRECTORY: what paths are resolved beneath
};

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

/// The entries of an open directory, sorted, "sub/" for directories.
std::vector<std::string> list_directory(int dir_fd) {
    std::vector<std::string> names;
    int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return names;
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return names;
    }
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        bool dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st {};
            dir = ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        names.push_back(n + (dir ? "/" : ""));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

Lookup look_up(const StaticConfig& cfg, const std::string& rel, const std::string& accept_encoding) {
    Lookup out;
    std::shared_ptr<OpenedFile> opened;
    if (cfg.opts.follow_symlinks) {
        // Symlinks may lead anywhere (the owner asked for it): by name.
        std::filesystem::path full = cfg.root / std::filesystem::path(rel);
        std::error_code ec;
        out.real = std::filesystem::canonical(full, ec);
        if (ec) return out;
        opened = std::make_shared<OpenedFile>(OpenedFile::open(out.real));
    } else {
        out.real = cfg.root / std::filesystem::path(rel);
        opened = std::make_shared<OpenedFile>();
        // O_NONBLOCK: a FIFO must not hang the thread.
        opened->file.fd = open_beneath(cfg.root_fd->fd, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (opened->file.fd < 0 || ::fstat(opened->file.fd, &opened->st) != 0) opened->err = errno;
        // A symlink, an escape, a missing file: all "not found", whatever is there.
        if (opened->err == ELOOP || opened->err == EXDEV || opened->err == ENOTDIR || opened->err == ENOENT)
            return out;
    }
    if (opened->err == 0 && S_ISDIR(opened->st.st_mode)) {
        if (!cfg.opts.show_index) {
            out.kind = Lookup::forbidden;
            return out;
        }
        out.names = list_directory(opened->file.fd);
        out.kind = Lookup::directory;
        return out;
    }
    if (opened->err == 0 && !S_ISREG(opened->st.st_mode)) return out;
    // name.br or name.gz beside it, opened as safely as the file itself.
    if (cfg.opts.follow_symlinks) {
        opened->prefer_precompressed_beside(accept_encoding, out.real.string());
    } else {
        opened->prefer_precompressed(accept_encoding, [&](const char* suffix) {
            return open_beneath(cfg.root_fd->fd, rel + suffix, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        });
    }
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
    std::string accept(req.headers().get("Accept-Encoding").value_or(""));
    auto lookup = [cfg, rel, accept] { return look_up(*cfg, rel, accept); };  // named: g++ 12 miscopies lambdas built inside co_await
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
        if (!p.empty() && path == p) {  // the bare prefix names the root, as aiohttp's
            RouteMatch::add(m, "filename", std::string());
            return true;
        }
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
    int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) aio::throw_os_error(errno, "open", root.string());
    auto fd = std::make_shared<FileDescriptor>(root_fd);
    auto cfg = std::make_shared<StaticConfig>(StaticConfig{std::move(prefix), root, std::move(opts), std::move(fd)});
    return std::make_unique<StaticFiles>(cfg);
}

}  // namespace aio::web::detail
