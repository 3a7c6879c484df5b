// aio/http/writer.hpp — writing HTTP/1.1 messages: heads and chunked bodies.
//
// What the client and the server put on the wire, appended to a caller's
// std::string (reuse one buffer per connection: appending then costs no
// allocation once it has grown). aiohttp's http_writer (StreamWriter's
// chunking, _serialize_headers).
//
//     std::string out;
//     aio::http::append_response_head(out, 200, "", headers);   // "HTTP/1.1 200 OK\r\n...\r\n\r\n"
//     aio::http::append_chunk(out, "hello");                     // "5\r\nhello\r\n"
//     aio::http::append_last_chunk(out);                         // "0\r\n\r\n"
//
// The head writers refuse what the parser would refuse, so that aio never
// sends a message a strict peer rejects and no value can inject a header
// (CR, LF): a method or header name that is not a token, a target or reason
// with control characters, a header value with control characters other than
// HTAB. They throw aio::ValueError naming the culprit and leave `out` as it was.
#pragma once

#include <aio/http/headers.hpp>
#include <aio/http/message.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace aio::http {

/// The line ending of HTTP/1.1, also what follows chunk data.
inline constexpr std::string_view kCRLF = "\r\n";

/// Appends "METHOD target HTTP/x.y\r\n", the fields "Name: value\r\n" in order,
/// and the empty line. The fields are written as given: the caller adds Host,
/// Content-Length or Transfer-Encoding. Throws aio::ValueError.
void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         const Headers& headers, HttpVersion version = HttpVersion11);

/// Appends "HTTP/x.y status reason\r\n", the fields and the empty line. An
/// empty `reason` means the standard phrase of the status (reason_phrase()).
/// Throws aio::ValueError (also for a status outside 100..999).
void append_response_head(std::string& out, int status, std::string_view reason, const Headers& headers,
                          HttpVersion version = HttpVersion11);

/// Appends one chunk of chunked transfer coding: "<hex size>\r\n<data>\r\n".
/// Empty data appends nothing (an empty chunk would end the body).
void append_chunk(std::string& out, std::string_view data);

/// Appends only a chunk's size line "<hex size>\r\n", for writing the data
/// from elsewhere without a copy (writev): the caller then sends `size` bytes
/// and kCRLF. Throws aio::ValueError for a size of 0.
void append_chunk_header(std::string& out, std::size_t size);

/// Appends the end of a chunked body: "0\r\n", the trailer fields, "\r\n".
/// Throws aio::ValueError for a bad trailer field.
void append_last_chunk(std::string& out, const Headers& trailers = {});

}  // namespace aio::http
