// The loop's table of pending tasks (all_tasks): slots in 2 MiB chunks of huge-page memory.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "aio/detail/task_core.hpp"

namespace aio::detail {

/// Each pending task sits in a slot it knows (TaskCore::loop_index), so
/// removal touches no other task. A free slot holds (next free slot << 1) | 1.
///
/// Why chunks of 2 MiB and not a vector: a vector that doubles faults in
/// twice its final size of fresh 4 KiB pages and copies itself at each step,
/// which on a million new tasks cost more than the tasks themselves. A chunk
/// is asked to be one huge page, never moves, and is kept when the table
/// empties, for the next burst.
class TaskTable {
public:
    static constexpr std::size_t kChunkBytes = std::size_t(2) << 20;
    static constexpr std::uint32_t kPerChunk = kChunkBytes / sizeof(std::uintptr_t);

    TaskTable() = default;
    TaskTable(const TaskTable&) = delete;
    TaskTable& operator=(const TaskTable&) = delete;
    ~TaskTable() {
        for (std::uintptr_t* c : chunks_) std::free(c);
    }

    /// Lists `t`; its slot number. Throws std::bad_alloc (and changes nothing)
    /// when no slot can be made.
    std::uint32_t add(TaskCore* t) {
        std::uint32_t i = free_;
        if (i != kNone) {
            free_ = static_cast<std::uint32_t>(at(i) >> 1);
        } else {
            if (used_ == kNone) throw std::bad_alloc();
            if (used_ == chunks_.size() * std::size_t(kPerChunk)) grow();
            i = used_++;
        }
        at(i) = reinterpret_cast<std::uintptr_t>(t);
        ++live_;
        return i;
    }
    /// Takes `t` out of slot `i`; false when it is not listed there.
    bool remove(const TaskCore* t, std::uint32_t i) noexcept {
        if (i >= used_ || at(i) != reinterpret_cast<std::uintptr_t>(t)) return false;
        if (--live_ == 0) {
            used_ = 0;  // the chunks stay for the next burst
            free_ = kNone;
            return true;
        }
        at(i) = (std::uintptr_t(free_) << 1) | 1;
        free_ = i;
        return true;
    }
    std::size_t live() const noexcept { return live_; }
    /// Slots handed out so far (listed or free): the range to walk.
    std::uint32_t used() const noexcept { return used_; }
    /// The task in slot i (< used()), or null for a free slot.
    TaskCore* task_at(std::uint32_t i) const noexcept {
        std::uintptr_t s = chunks_[i / kPerChunk][i % kPerChunk];
        return (s & 1) ? nullptr : reinterpret_cast<TaskCore*>(s);
    }

private:
    static constexpr std::uint32_t kNone = UINT32_MAX;
    std::uintptr_t& at(std::uint32_t i) noexcept { return chunks_[i / kPerChunk][i % kPerChunk]; }
    void grow() {
        chunks_.reserve(chunks_.size() + 1);  // may throw: nothing changed yet
        void* c = std::aligned_alloc(kChunkBytes, kChunkBytes);
        if (!c) throw std::bad_alloc();
        ::madvise(c, kChunkBytes, MADV_HUGEPAGE);  // a hint: 4 KiB pages still work
        chunks_.push_back(static_cast<std::uintptr_t*>(c));
    }

    std::vector<std::uintptr_t*> chunks_;
    std::uint32_t used_ = 0;
    std::uint32_t free_ = kNone;
    std::size_t live_ = 0;
};

}  // namespace aio::detail
