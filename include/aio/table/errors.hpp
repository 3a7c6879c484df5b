// aio/table/errors.hpp — the errors aio::Table raises: aio::KeyError for a
// column name it does not have (as `df["nope"]`), aio::IndexError for a
// position past the end (as `df.iloc[:, 99]`). Both live in aio/exceptions.hpp.
#pragma once

#include <aio/exceptions.hpp>
