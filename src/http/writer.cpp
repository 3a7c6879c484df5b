// HTTP/1.1 message heads and bodies serialized: chunked encoding, Content-Length, header checks.
#include "aio/http/writer.hpp"

#include "aio/exceptions.hpp"
#include "aio/http/status.hpp"
#include "http/chars.hpp"

#include <algorithm>

namespace aio::http {

namespace {

std::size_t fields_size(const Headers& headers) {
    std::size_t n = 2;
    for (auto [name, value] : headers) {
        if (!detail::is_token(name)) throw aio::ValueError("invalid header name \"" + std::string(name) + "\"");
        if (!detail::all_field_chars(value))
            throw aio::ValueError("header " + std::string(name) +
                                  " contains a newline, carriage return or other control character");
        n += name.size() + value.size() + 4;
    }
    return n;
}

void append_fields(std::string& out, const Headers& headers) {
    for (auto [name, value] : headers) {
        out += name;
        out += ": ";
        out += value;
        out += kCRLF;
    }
    out += kCRLF;
}

void check_version(HttpVersion v) {
    if (v.major < 0 || v.major > 9 || v.minor < 0 || v.minor > 9)
        throw aio::ValueError("invalid HTTP version " + std::to_string(v.major) + "." + std::to_string(v.minor));
}

void append_version(std::string& out, HttpVersion v) {
    out += "HTTP/";
    out += static_cast<char>('0' + v.major);
    out += '.';
    out += static_cast<char>('0' + v.minor);
}

void append_hex(std::string& out, std::size_t n) {
    char buf[2 * sizeof(std::size_t)];
    char* p = buf + sizeof buf;
    do {
        *--p = "0123456789abcdef"[n & 15];
        n >>= 4;
    } while (n);
    out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

}  // namespace

void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         const Headers& headers, HttpVersion version) {
    if (!detail::is_token(method)) throw aio::ValueError("invalid HTTP method \"" + std::string(method) + "\"");
    if (target.empty() || !detail::all_target_chars(target))
        throw aio::ValueError("invalid request-target (empty, or with spaces or control characters)");
    std::size_t n = method.size() + target.size() + 12 + fields_size(headers);
    check_version(version);
    out.reserve(out.size() + n);
    out += method;
    out += ' ';
    out += target;
    out += ' ';
    append_version(out, version);
    out += kCRLF;
    append_fields(out, headers);
}

void append_response_head(std::string& out, int status, std::string_view reason, const Headers& headers,
                          HttpVersion version) {
    if (status < 100 || status > 999) throw aio::ValueError("invalid HTTP status " + std::to_string(status));
    if (reason.empty()) reason = reason_phrase(status);
    if (!detail::all_field_chars(reason))
        throw aio::ValueError("reason phrase contains a newline, carriage return or other control character");
    std::size_t n = reason.size() + 15 + fields_size(headers);
    check_version(version);
    out.reserve(out.size() + n);
    append_version(out, version);
    out += ' ';
    out += static_cast<char>('0' + status / 100);
    out += static_cast<char>('0' + status / 10 % 10);
    out += static_cast<char>('0' + status % 10);
    out += ' ';
    out += reason;
    out += kCRLF;
    append_fields(out, headers);
}

void append_chunk(std::string& out, std::string_view data) {
    if (data.empty()) return;
    append_hex(out, data.size());
    out += kCRLF;
    out += data;
    out += kCRLF;
}

void append_chunk_header(std::string& out, std::size_t size) {
    if (size == 0) throw aio::ValueError("a chunk of size 0 would end the chunked body");
    append_hex(out, size);
    out += kCRLF;
}

void append_last_chunk(std::string& out, const Headers& trailers) {
    fields_size(trailers);
    out += "0\r\n";
    append_fields(out, trailers);
}

}  // namespace aio::http
