// aio/detail/frame_allocator.hpp — where coroutine frames come from.
//
// Every aio coroutine frame (Task, Generator, AsyncGenerator) is allocated here.
// Frames are recycled through per-thread free lists in 16-byte size classes, so
// spawning a task in steady state costs a list pop instead of a malloc. A frame
// freed on another thread than the one that allocated it simply joins that
// thread's lists; memory is never handed back to a particular thread.
#pragma once

#include <cstddef>

namespace aio::detail {

/// Frames up to this size are recycled; larger ones go straight to ::operator new.
/// 8 KiB covers the frames of ordinary async functions and of the protocol
/// coroutines that keep a request, its headers and a parser as locals
/// (ClientSession::request's frame: 3,152 bytes with clang 19 -O3), which
/// would otherwise each take fresh heap pages on a first burst of connections.
inline constexpr std::size_t kMaxRecycledFrame = 8192;

/// Allocates `size` bytes for a coroutine frame (aligned for any scalar type).
/// Throws std::bad_alloc when memory is exhausted.
void* frame_alloc(std::size_t size);

/// Returns a frame obtained from frame_alloc(size) with the same size.
void frame_free(void* p, std::size_t size) noexcept;

/// Whether frames are recycled at all: false in a library built with
/// AddressSanitizer, where every frame goes to ::operator new and back so that
/// a use after free is seen.
bool frames_recycled() noexcept;

}  // namespace aio::detail
