// aio/aio.hpp — everything: asyncio, aiohttp, aiofiles and pandas.read_csv for C++20.
#pragma once

#include "aio/as_completed.hpp"
#include "aio/async_generator.hpp"
#include "aio/events.hpp"
#include "aio/exceptions.hpp"
#include "aio/gather.hpp"
#include "aio/generator.hpp"
#include "aio/http.hpp"
#include "aio/locks.hpp"
#include "aio/queues.hpp"
#include "aio/runners.hpp"
#include "aio/sleep.hpp"
#include "aio/task.hpp"
#include "aio/taskgroups.hpp"
#include "aio/threads.hpp"
#include "aio/timeouts.hpp"
#include "aio/wait.hpp"
