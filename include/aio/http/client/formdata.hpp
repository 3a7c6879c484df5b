// aio/http/client/formdata.hpp — HTML form bodies (aiohttp.FormData).
//
//     aio::http::FormData form;
//     form.add_field("name", "Zoë");
//     form.add_file("upload", "/tmp/report.csv", {.content_type = "text/csv"});
//     co_await session.post(url, {.data = std::move(form)});
//
// A form of plain fields is sent as application/x-www-form-urlencoded; one
// with a file, a filename or a content type is sent as multipart/form-data
// (RFC 7578), as aiohttp decides. Files are not read into memory: their
// bytes are streamed from disk in chunks while the request is sent, read on
// the loop's thread pool so that the loop never blocks on the disk. The size
// of every part is known in advance, so the body has a Content-Length.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aio::http {

/// What FormData::add_field / add_file take besides the name and value.
struct FormFieldOptions {
    /// The part's Content-Type (makes the form multipart).
    std::string content_type{};
    /// The part's filename (makes the form multipart).
    std::string filename{};
};

/// The fields of a form (aiohttp.FormData). Copyable; files are read when the
/// request is sent (and again on a redirect or a retry that resends it).
class FormData {
public:
    /// The options of add_field / add_file (FormFieldOptions).
    using FieldOptions = FormFieldOptions;

    /// An empty form; it turns multipart once a file, filename or content type is added.
    FormData() = default;
    /// Sends the form as multipart even with plain fields only
    /// (aiohttp's FormData(..., default_to_multipart=True)).
    explicit FormData(bool multipart) : multipart_(multipart) {}

    /// A field with a value given in memory (aiohttp's add_field).
    void add_field(std::string name, std::string value, FieldOptions opts = {});
    /// A field whose value is the content of the file at `path`, streamed when
    /// sent. The filename defaults to the path's last component, the content
    /// type to application/octet-stream. The file must exist when the request
    /// is sent (else aio::FileNotFoundError from the request). Throws
    /// aio::ValueError for a path holding a NUL byte.
    void add_file(std::string name, std::string path, FieldOptions opts = {});

    /// Whether the form is sent as multipart/form-data.
    bool is_multipart() const noexcept { return multipart_; }
    /// The boundary between parts (random, fixed per form).
    const std::string& boundary() const;

    /// One field, as added.
    struct Field {
        /// The field's name (the form key).
        std::string name;
        /// The value, or the file's path when `is_file`.
        std::string value;
        /// The part's Content-Type ("" when none was given; add_file sets application/octet-stream).
        std::string content_type;
        /// The part's filename ("" when none; add_file defaults it to the path's last component).
        std::string filename;
        /// Whether `value` is the path of a file whose content is sent (add_file).
        bool is_file = false;
    };
    /// The fields in the order they were added. The reference is valid until the next add_*.
    const std::vector<Field>& fields() const noexcept { return fields_; }

private:
    std::vector<Field> fields_;
    bool multipart_ = false;
    mutable std::string boundary_;
};

}  // namespace aio::http
