// A 4-ary min-heap of intrusive timer nodes, ordered by (deadline, seq).
//
// 4-ary because a sift-down then touches one cache line of children per level
// and the tree is half as deep as a binary heap: with a million pending timers
// that is 10 levels. Each node knows its index, so cancelling a sleep removes
// it at once in O(log n) instead of leaving a tombstone to fire later.
#pragma once

#include <vector>

#include "aio/detail/task_core.hpp"

namespace aio::detail {

class TimerHeap {
public:
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    TimerNode* top() const noexcept { return heap_.front(); }

    void push(TimerNode* n) {
        AIO_ASSERT(!n->armed(), "a timer was armed twice (it is already in the heap)");
        n->seq = next_seq_++;
        n->heap_index = static_cast<std::uint32_t>(heap_.size());
        heap_.push_back(n);
        sift_up(n->heap_index);
    }

    void remove(TimerNode* n) noexcept {
        std::uint32_t i = n->heap_index;
        if (i == TimerNode::kNotInHeap) return;
        n->heap_index = TimerNode::kNotInHeap;
        TimerNode* last = heap_.back();
        heap_.pop_back();
        if (last == n) return;
        heap_[i] = last;
        last->heap_index = i;
        if (i > 0 && less(last, heap_[(i - 1) / 4]))
            sift_up(i);
        else
            sift_down(i);
    }

    TimerNode* pop() noexcept {
        TimerNode* n = heap_.front();
        remove(n);
        return n;
    }

private:
    static bool less(const TimerNode* a, const TimerNode* b) noexcept {
        return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
    }
    void place(std::uint32_t i, TimerNode* n) noexcept {
        heap_[i] = n;
        n->heap_index = i;
    }
    void sift_up(std::uint32_t i) noexcept {
        TimerNode* n = heap_[i];
        while (i > 0) {
            std::uint32_t parent = (i - 1) / 4;
            if (!less(n, heap_[parent])) break;
            place(i, heap_[parent]);
            i = parent;
        }
        place(i, n);
    }
    void sift_down(std::uint32_t i) noexcept {
        TimerNode* n = heap_[i];
        const auto size = static_cast<std::uint32_t>(heap_.size());
        while (true) {
            std::uint32_t first = i * 4 + 1;
            if (first >= size) break;
            std::uint32_t best = first;
            std::uint32_t end = first + 4 < size ? first + 4 : size;
            for (std::uint32_t c = first + 1; c < end; ++c)
                if (less(heap_[c], heap_[best])) best = c;
            if (!less(heap_[best], n)) break;
            place(i, heap_[best]);
            i = best;
        }
        place(i, n);
    }

    std::vector<TimerNode*> heap_;
    std::uint64_t next_seq_ = 0;
};

}  // namespace aio::detail
