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
    /// The mode the file is opened with, as open() takes it; "w+b" (binary read and write) by default.
    std::string mode = "w+b";
    /// Buffering, as OpenOptions::buffering (-1: the default buffer).
    int buffering = -1;
    /// Text modes only: the encoding, as OpenOptions::encoding.
    std::string encoding{};
    /// Text modes only: the error handling, as OpenOptions::errors.
    std::string errors{};
    /// Appended to the random part of the name (e.g. ".csv").
    std::string suffix{};
    /// Put before the random part of the name.
    std::string prefix = "tmp";
    /// The directory to create the file in; empty: gettempdir().
    std::string dir{};
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
    /// Appended to the random part of the name.
    std::string suffix{};
    /// Put before the random part of the name.
    std::string prefix = "tmp";
    /// The directory to create the new directory in; empty: gettempdir().
    std::string dir{};
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

    /// Takes over the other object's directory; that object then owns nothing (its destructor removes
    /// nothing).
    TemporaryDirectory(TemporaryDirectory&& o) noexcept;
    /// Removes the directory this object owned (synchronously, as the destructor does, ignoring errors) if
    /// cleanup() did not, then takes over the other object's directory.
    TemporaryDirectory& operator=(TemporaryDirectory&& o) noexcept;
    /// Removes the tree if cleanup() did not: synchronously, on the destroying
    /// thread (a destructor cannot await), ignoring errors.
    ~TemporaryDirectory();

    /// The directory's path (what `async with ... as name` gives in Python).
    const std::string& name() const noexcept { return name_; }
    /// The directory's path, as a std::filesystem::path.
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
