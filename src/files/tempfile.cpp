// Temporary files and directories (tempfile), created and removed off the loop.
#include "aio/files/tempfile.hpp"

#include <fcntl.h>

#include <cstdlib>
#include <random>
#include <utility>

#include "aio/files/os.hpp"
#include "aio/files/shutil.hpp"
#include "files/file_state.hpp"
#include "files/tree.hpp"

namespace aio::files::tempfile {

namespace {

/// Names tried before giving up (Python's TMP_MAX).
constexpr int kMaxTries = 10000;

/// 8 random characters from Python's alphabet for temporary names.
std::string random_name() {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kChars - 2);
    std::string s(8, 'x');
    for (char& c : s) c = kChars[pick(rng)];
    return s;
}

std::string candidate(const std::string& dir, const std::string& prefix, const std::string& suffix) {
    std::string name = impl::join(dir.empty() ? gettempdir() : dir, prefix + random_name() + suffix);
    aio::detail::check_no_nul(name);  // in dir, prefix or suffix: ValueError, as Python's
    return name;
}

}  // namespace

std::string gettempdir() {
    for (const char* var : {"TMPDIR", "TEMP", "TMP"}) {
        const char* v = std::getenv(var);
        if (v && *v) return v;
    }
    return "/tmp";
}

Task<File> NamedTemporaryFile() {
    NamedTemporaryFileOptions options;
    File f = co_await NamedTemporaryFile(options);
    co_return f;
}

Task<File> NamedTemporaryFile(NamedTemporaryFileOptions options) {
    OpenOptions open_options;
    open_options.buffering = options.buffering;
    open_options.encoding = options.encoding;
    open_options.errors = options.errors;
    for (int i = 0;; ++i) {
        std::string name = candidate(options.dir, options.prefix, options.suffix);
        File f;
        bool taken = false;
        try {
            impl::OpenRequest req;
            req.path = name;
            req.mode = options.mode;
            req.options = open_options;
            req.forced_flags = O_RDWR | O_CREAT | O_EXCL;
            req.perm = 0600;
            f = co_await impl::open_file(&req);
        } catch (const FileExistsError&) {
            if (i + 1 >= kMaxTries) throw;
            taken = true;
        }
        if (taken) continue;
        f.state()->delete_on_close = options.delete_;
        co_return f;
    }
}

Task<TemporaryDirectory> TemporaryDirectory::create() {
    TemporaryDirectoryOptions options;
    TemporaryDirectory d = co_await create(options);
    co_return d;
}

Task<TemporaryDirectory> TemporaryDirectory::create(TemporaryDirectoryOptions options) {
    for (int i = 0;; ++i) {
        std::string name = candidate(options.dir, options.prefix, options.suffix);
        bool taken = false;
        try {
            co_await os::mkdir(name, 0700);
        } catch (const FileExistsError&) {
            if (i + 1 >= kMaxTries) throw;
            taken = true;
        }
        if (taken) continue;
        co_return TemporaryDirectory(std::move(name));
    }
}

TemporaryDirectory::TemporaryDirectory(TemporaryDirectory&& o) noexcept
    : name_(std::exchange(o.name_, {})), removed_(std::exchange(o.removed_, true)) {}

TemporaryDirectory& TemporaryDirectory::operator=(TemporaryDirectory&& o) noexcept {
    if (this != &o) {
        if (!removed_ && !name_.empty()) impl::rmtree_sync(name_, true);
        name_ = std::exchange(o.name_, {});
        removed_ = std::exchange(o.removed_, true);
    }
    return *this;
}

TemporaryDirectory::~TemporaryDirectory() {
    if (!removed_ && !name_.empty()) impl::rmtree_sync(name_, true);
}

Task<> TemporaryDirectory::cleanup() {
    if (removed_ || name_.empty()) co_return;
    bool exists = co_await os::exists(name_);
    if (exists) co_await shutil::rmtree(name_);
    removed_ = true;
}

}  // namespace aio::files::tempfile
