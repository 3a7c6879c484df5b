// aio/http.hpp — HTTP (aiohttp): the protocol layer — headers, URLs, form
// encoding, the HTTP/1.1 parser and writers — that the client and the server
// stand on.
#pragma once

#include "aio/http/client.hpp"
#include "aio/http/errors.hpp"
#include "aio/http/headers.hpp"
#include "aio/http/message.hpp"
#include "aio/http/multidict.hpp"
#include "aio/http/parser.hpp"
#include "aio/http/status.hpp"
#include "aio/http/url.hpp"
#include "aio/http/urlencoded.hpp"
#include "aio/http/websocket.hpp"
#include "aio/http/writer.hpp"
