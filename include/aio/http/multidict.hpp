// aio/http/multidict.hpp — ordered multimaps of strings: MultiDict and CIMultiDict.
//
// The `multidict` package's types that aiohttp hands out everywhere: query
// parameters (MultiDict, case-sensitive keys) and headers (CIMultiDict, ASCII
// case-insensitive keys; <aio/http/headers.hpp> names it aio::http::Headers).
//
// Made for the handful of entries HTTP messages carry: entries sit in a flat
// vector in insertion order, keys and values are copied into one shared
// character buffer (no allocation per entry), lookups are linear scans that
// compare lengths first. Keys keep the spelling they were added with.
//
// Views: every std::string_view this class returns points into its buffer and
// is invalidated by the next change to the dict (add, set, erase, ...) and by
// its destruction. Copy into a std::string to keep one.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aio::http {

/// Key comparison of MultiDict: byte for byte.
struct CaseSensitiveKeys {
    /// True when `a` and `b` are the same bytes.
    static bool equal(std::string_view a, std::string_view b) noexcept { return a == b; }
};

/// ASCII case-insensitive equality ("Content-Length" == "content-length");
/// bytes outside A-Z/a-z compare exactly. HTTP field names are ASCII tokens.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]);
        unsigned char y = static_cast<unsigned char>(b[i]);
        if (x == y) continue;
        // Equal ignoring case only if they differ in bit 0x20 and are letters.
        unsigned char lx = x | 0x20;
        if ((x ^ y) != 0x20 || lx < 'a' || lx > 'z') return false;
    }
    return true;
}

/// Key comparison of CIMultiDict: ASCII case-insensitive.
struct CaseInsensitiveKeys {
    /// True when `a` and `b` are equal ignoring ASCII case (see iequals()).
    static bool equal(std::string_view a, std::string_view b) noexcept { return iequals(a, b); }
};

/// An ordered multimap of string keys to string values (multidict.MultiDict
/// when `Keys` is CaseSensitiveKeys, multidict.CIMultiDict when it is
/// CaseInsensitiveKeys). Iteration yields (key, value) pairs of views in
/// insertion order. Nothing here throws except std::bad_alloc and
/// std::length_error (more than 4 GiB of keys and values).
template <class Keys>
class BasicMultiDict {
public:
    /// An entry: (key, value) views into the dict's buffer (invalidated by the
    /// dict's next change).
    using value_type = std::pair<std::string_view, std::string_view>;
    /// Sizes and counts of entries.
    using size_type = std::size_t;

    /// Random-access iterator over (key, value) views.
    class const_iterator {
    public:
        /// Random access: the entries sit in a vector.
        using iterator_category = std::random_access_iterator_tag;
        /// The (key, value) pair of views; dereferencing returns it by value.
        using value_type = BasicMultiDict::value_type;
        /// Distance between positions.
        using difference_type = std::ptrdiff_t;
        /// No pointer type: entries are made on dereference, not stored as pairs.
        using pointer = void;
        /// Dereferencing yields a value (a pair of views), not a reference.
        using reference = value_type;

        const_iterator() = default;
        /// The entry at this position (undefined at end()).
        value_type operator*() const { return dict_->item(index_); }
        /// The entry `n` positions from this one.
        value_type operator[](difference_type n) const { return dict_->item(index_ + static_cast<std::size_t>(n)); }
        /// Moves to the next entry.
        const_iterator& operator++() { ++index_; return *this; }
        /// Moves to the next entry; returns the old position.
        const_iterator operator++(int) { auto t = *this; ++index_; return t; }
        /// Moves to the previous entry.
        const_iterator& operator--() { --index_; return *this; }
        /// Moves to the previous entry; returns the old position.
        const_iterator operator--(int) { auto t = *this; --index_; return t; }
        /// Moves `n` entries forward (back when negative).
        const_iterator& operator+=(difference_type n) { index_ += static_cast<std::size_t>(n); return *this; }
        /// Moves `n` entries back (forward when negative).
        const_iterator& operator-=(difference_type n) { index_ -= static_cast<std::size_t>(n); return *this; }
        friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
        friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
        friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
        friend difference_type operator-(const_iterator a, const_iterator b) {
            return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.index_ == b.index_; }
        friend auto operator<=>(const const_iterator& a, const const_iterator& b) { return a.index_ <=> b.index_; }

    private:
        friend class BasicMultiDict;
        const_iterator(const BasicMultiDict* d, std::size_t i) : dict_(d), index_(i) {}
        const BasicMultiDict* dict_ = nullptr;
        std::size_t index_ = 0;
    };
    /// The same as const_iterator: entries are changed through the dict's
    /// members, never through an iterator.
    using iterator = const_iterator;

    BasicMultiDict() = default;
    /// Adds each pair in order: `MultiDict q{{"a", "1"}, {"a", "2"}}`.
    BasicMultiDict(std::initializer_list<std::pair<std::string_view, std::string_view>> items) {
        for (const auto& [k, v] : items) add(k, v);
    }

    /// Appends an entry, keeping the others with the same key (MultiDict.add).
    void add(std::string_view key, std::string_view value) {
        Entry e = append_pair(key, value);
        entries_.push_back(e);
    }

    /// Sets the value of `key` (MultiDict `d[key] = value`): the first entry
    /// with that key takes the value and keeps its place, the others are
    /// removed; a key not present is appended.
    void set(std::string_view key, std::string_view value) {
        std::size_t i = find(key, 0);
        if (i == npos) {
            add(key, value);
            return;
        }
        // `key` and `value` may be views into buffer_, which may move while growing.
        std::string stored(key_at(i));
        Entry e = append_pair(stored, value);
        garbage_ += entries_[i].key_len + entries_[i].value_len;
        entries_[i] = e;
        remove_matching(stored, i + 1);
    }

    /// The value of `key` if absent, else the present first value
    /// (MultiDict.setdefault). Returns the value now stored.
    std::string_view setdefault(std::string_view key, std::string_view value) {
        std::size_t i = find(key, 0);
        if (i == npos) {
            add(key, value);
            return value_at(entries_.size() - 1);
        }
        return value_at(i);
    }

    /// The first value of `key`, or nullopt (MultiDict.get).
    std::optional<std::string_view> get(std::string_view key) const noexcept {
        std::size_t i = find(key, 0);
        if (i == npos) return std::nullopt;
        return value_at(i);
    }

    /// Every value of `key` in order; empty when absent (MultiDict.getall,
    /// which raises KeyError instead).
    std::vector<std::string_view> get_all(std::string_view key) const {
        std::vector<std::string_view> out;
        for (std::size_t i = 0; i < entries_.size(); ++i)
            if (Keys::equal(key_at(i), key)) out.push_back(value_at(i));
        return out;
    }

    /// Whether any entry has `key` (`key in d`).
    bool contains(std::string_view key) const noexcept { return find(key, 0) != npos; }

    /// How many entries have `key`.
    std::size_t count(std::string_view key) const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < entries_.size(); ++i) n += Keys::equal(key_at(i), key);
        return n;
    }

    /// Removes every entry with `key` (`del d[key]`, which raises KeyError when
    /// absent; here the count removed, possibly 0).
    std::size_t erase(std::string_view key) { return remove_matching(key, 0); }

    /// Appends every entry of `other` (MultiDict.extend).
    void extend(const BasicMultiDict& other) {
        if (&other == this) {
            BasicMultiDict copy = other;
            extend(copy);
            return;
        }
        for (auto [k, v] : other) add(k, v);
    }

    /// For each key of `other`: its values replace this dict's values of that
    /// key, the first taking the place of the first old one (MultiDict.update).
    void update(const BasicMultiDict& other) {
        BasicMultiDict copy = other;  // `other` may be *this, and views move on growth
        std::vector<bool> done(copy.entries_.size(), false);
        for (std::size_t j = 0; j < copy.entries_.size(); ++j) {
            if (done[j]) continue;
            std::string_view key = copy.key_at(j);
            std::vector<std::string_view> values;
            for (std::size_t k = j; k < copy.entries_.size(); ++k)
                if (Keys::equal(copy.key_at(k), key)) {
                    values.push_back(copy.value_at(k));
                    done[k] = true;
                }
            set(key, values[0]);
            for (std::size_t k = 1; k < values.size(); ++k) add(key, values[k]);
        }
    }

    /// Removes everything; keeps the capacity.
    void clear() noexcept {
        entries_.clear();
        buffer_.clear();
        garbage_ = 0;
    }

    /// Reserves room for `fields` entries holding `bytes` bytes of keys and values.
    void reserve(std::size_t bytes, std::size_t fields) {
        buffer_.reserve(bytes);
        entries_.reserve(fields);
    }

    /// Number of entries (`len(d)`), counting repeated keys.
    std::size_t size() const noexcept { return entries_.size(); }
    /// True when there is no entry.
    bool empty() const noexcept { return entries_.empty(); }

    /// An iterator at the first entry, in insertion order: `for (auto [key,
    /// value] : d)`. The views it yields are invalidated by the dict's next change.
    const_iterator begin() const noexcept { return {this, 0}; }
    /// Past the last entry.
    const_iterator end() const noexcept { return {this, entries_.size()}; }

    /// The i-th entry in insertion order (i < size()).
    value_type operator[](std::size_t i) const { return item(i); }

    /// Same entries in the same order, keys compared as this dict compares them
    /// and values exactly.
    friend bool operator==(const BasicMultiDict& a, const BasicMultiDict& b) noexcept {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!Keys::equal(a.key_at(i), b.key_at(i)) || a.value_at(i) != b.value_at(i)) return false;
        return true;
    }

private:
    struct Entry {
        std::uint32_t offset;     // key bytes, then value bytes, in buffer_
        std::uint32_t key_len;
        std::uint32_t value_len;
    };
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    /// Garbage (bytes of removed entries) is compacted away once it is both
    /// over this size and over half the buffer: small dicts never pay for it,
    /// and a long-lived dict edited in a loop stays bounded.
    static constexpr std::size_t kCompactThreshold = 1024;

    bool in_buffer(std::string_view s) const noexcept {
        std::less<const char*> before;
        return !s.empty() && !before(s.data(), buffer_.data()) && before(s.data(), buffer_.data() + buffer_.size());
    }
    // Copies key then value to the end of buffer_; either may be a view into buffer_.
    Entry append_pair(std::string_view key, std::string_view value) {
        if (in_buffer(key) || in_buffer(value)) {
            std::string k(key), v(value);
            return append_pair(k, v);
        }
        std::size_t off = buffer_.size();
        if (off + key.size() + value.size() > UINT32_MAX)
            throw std::length_error("aio::http::MultiDict: more than 4 GiB of keys and values");
        buffer_.append(key);
        buffer_.append(value);
        return Entry{static_cast<std::uint32_t>(off), static_cast<std::uint32_t>(key.size()),
                     static_cast<std::uint32_t>(value.size())};
    }
    std::string_view key_at(std::size_t i) const noexcept {
        return {buffer_.data() + entries_[i].offset, entries_[i].key_len};
    }
    std::string_view value_at(std::size_t i) const noexcept {
        return {buffer_.data() + entries_[i].offset + entries_[i].key_len, entries_[i].value_len};
    }
    value_type item(std::size_t i) const noexcept { return {key_at(i), value_at(i)}; }
    std::size_t find(std::string_view key, std::size_t from) const noexcept {
        for (std::size_t i = from; i < entries_.size(); ++i)
            if (Keys::equal(key_at(i), key)) return i;
        return npos;
    }
    // Removes the entries with `key` at index >= from; the key may point into buffer_.
    std::size_t remove_matching(std::string_view key, std::size_t from) {
        std::size_t out = from, removed = 0;
        for (std::size_t i = from; i < entries_.size(); ++i) {
            if (Keys::equal(key_at(i), key)) {
                garbage_ += entries_[i].key_len + entries_[i].value_len;
                ++removed;
            } else {
                entries_[out++] = entries_[i];
            }
        }
        entries_.resize(out);
        if (garbage_ > kCompactThreshold && garbage_ * 2 > buffer_.size()) compact();
        return removed;
    }
    void compact() {
        std::string fresh;
        fresh.reserve(buffer_.size() - garbage_);
        for (Entry& e : entries_) {
            std::uint32_t off = static_cast<std::uint32_t>(fresh.size());
            fresh.append(buffer_, e.offset, e.key_len + e.value_len);
            e.offset = off;
        }
        buffer_.swap(fresh);
        garbage_ = 0;
    }

    std::vector<Entry> entries_;
    std::string buffer_;
    std::size_t garbage_ = 0;
};

/// Case-sensitive ordered multimap (multidict.MultiDict): query parameters, form fields.
using MultiDict = BasicMultiDict<CaseSensitiveKeys>;
/// ASCII case-insensitive ordered multimap (multidict.CIMultiDict): headers.
using CIMultiDict = BasicMultiDict<CaseInsensitiveKeys>;

}  // namespace aio::http
