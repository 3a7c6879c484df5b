// aio/files/tempfile.hpp — aio::files::tempfile (aiofiles.tempfile, Python's tempfile).
//
//     auto f = co_await aio::files::tempfile::NamedTemporaryFile();   // "w+b"
//     co_await f.write("data"); ... f.name() ...
//     co_await f.close();                                              // removes it
//
//     auto d = co_await aio::files::tempfile::TemporaryDirectory::create();
//     ... d.name() ...
//     co_await d.cleanup();                                            // or let it go
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "aio/files/file.hpp"
#include "aio/task.hpp"

namespace aio::files::tempfile {

/// The directory for temporary files (tempfile.gettempdir): $TMPDIR, $TEMP
/// or $TMP when set, else /tmp.
std::string gettempdir();

/// Options of NamedTemporaryFile, as Python names them.
struct NamedTemporaryFileOptions {
    std::string mode = "w+b";
    int buffering = -1;
    std::string encoding{};  // text modes only
    std::string errors{};    // text modes only
    std::string suffix{};
    std::string prefix = "tmp";
    std::string dir{};       // empty: gettempdir()
    /// Remove the file when it is closed (or its File destroyed).
    bool delete_ = true;
};

/// Makes and opens a new file with a unique name (tempfile.NamedTemporaryFile):
/// <dir>/<prefix><8 random characters><suffix>, created with O_EXCL and mode
/// 0600. File::name() is its path. With delete_ (the default) the file is
/// removed by close(), or synchronously when the File is destroyed unclosed.
/// Throws as open(); FileExistsError only if 10,000 names in a row were taken.
Task<File> NamedTemporaryFile();
/// With options (g++ 12: pass them as a named variable; see open()).
Task<File> NamedTemporaryFile(NamedTemporaryFileOptions options);

/// Options of TemporaryDirectory.
struct TemporaryDirectoryOptions {
    std::string suffix{};
    std::string prefix = "tmp";
    std::string dir{};  // empty: gettempdir()
};

/// A new directory (mode 0700) removed with everything in it by cleanup() or
/// by the destructor (tempfile.TemporaryDirectory; `async with` becomes the
/// object's scope). Move-only; a moved-from object owns nothing.
class TemporaryDirectory {
public:
    /// Makes the directory (tempfile.TemporaryDirectory()).
    static Task<TemporaryDirectory> create();
    /// With options (g++ 12: pass them as a named variable; see open()).
    static Task<TemporaryDirectory> create(TemporaryDirectoryOptions options);

    TemporaryDirectory(TemporaryDirectory&& o) noexcept;
    TemporaryDirectory& operator=(TemporaryDirectory&& o) noexcept;
    /// Removes the tree if cleanup() did not: synchronously, on the destroying
    /// thread (a destructor cannot await), ignoring errors.
    ~TemporaryDirectory();

    /// The directory's path (what `async with ... as name` gives in Python).
    const std::string& name() const noexcept { return name_; }
    std::filesystem::path path() const { return name_; }
    /// Removes the directory and its contents (shutil.rmtree, off the loop's
    /// thread). Idempotent.
    Task<> cleanup();

private:
    explicit TemporaryDirectory(std::string name) : name_(std::move(name)) {}
    std::string name_;
    bool removed_ = false;
};

}  // namespace aio::files::tempfile
