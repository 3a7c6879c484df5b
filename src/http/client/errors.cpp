// The client errors that need more than their header.
#include <aio/http/client/request.hpp>
#include <aio/http/errors.hpp>

#include "http/client/util.hpp"

namespace aio::http {

namespace {

std::string describe(const std::shared_ptr<const RequestInfo>& info, int status, const std::string& message) {
    // aiohttp's text: "404, message='Not Found', url=URL('http://h/x')".
    std::string url = info ? info->real_url.str() : std::string();
    return std::to_string(status) + ", message=" + detail::py_repr(message) + ", url=URL(" + detail::py_repr(url) +
           ")";
}

}  // namespace

ClientResponseError::ClientResponseError(std::shared_ptr<const RequestInfo> request_info, int status,
                                         std::string message, std::size_t history_size)
    : aio::Exception(describe(request_info, status, message)),
      ClientError(request_info ? request_info->real_url.str() : std::string()),
      request_info_(std::move(request_info)), status_(status), message_(std::move(message)),
      history_size_(history_size) {}

const RequestInfo& ClientResponseError::request_info() const {
    if (!request_info_) throw aio::InvalidStateError("this ClientResponseError has no request_info");
    return *request_info_;
}

}  // namespace aio::http
