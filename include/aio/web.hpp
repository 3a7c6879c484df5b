// aio/web.hpp — the HTTP server (aiohttp.web): applications, routing,
// requests, responses, HTTP exceptions and runners.
//
//     #include <aio/web.hpp>
//     aio::Task<aio::web::StreamResponse> hello(aio::web::Request& req) {
//         co_return aio::web::Response({.text = "Hello, world"});
//     }
//     int main() {
//         aio::web::Application app;
//         app.router().add_get("/", hello);
//         aio::web::run_app(app, {.port = 8080});
//     }
#pragma once

#include "aio/json.hpp"
#include "aio/web/app.hpp"
#include "aio/web/exceptions.hpp"
#include "aio/web/request.hpp"
#include "aio/web/response.hpp"
#include "aio/web/runner.hpp"
#include "aio/web/websocket.hpp"
