// aio/http/client.hpp — the HTTP client (aiohttp's client): ClientSession,
// its options and timeouts, responses, forms, cookies, retries and tracing.
// The client's errors are in <aio/http/errors.hpp>.
#pragma once

#include "aio/http/client/auth.hpp"
#include "aio/http/client/cookie_jar.hpp"
#include "aio/http/client/formdata.hpp"
#include "aio/http/client/request.hpp"
#include "aio/http/client/response.hpp"
#include "aio/http/client/retry.hpp"
#include "aio/http/client/session.hpp"
#include "aio/http/client/timeout.hpp"
#include "aio/http/client/tracing.hpp"
#include "aio/http/errors.hpp"
