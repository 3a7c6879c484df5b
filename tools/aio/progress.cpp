// The command's progress line (see progress.hpp).
#include "progress.hpp"

#include <aio/exceptions.hpp>
#include <aio/sleep.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <unistd.h>

namespace aio::tool {

std::string human_bytes(double n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (n >= 1024 && u < 4) {
        n /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{:.0f} {}", n, units[u]) : fmt::format("{:.1f} {}", n, units[u]);
}

std::string clock_time(double seconds) {
    auto s = static_cast<long long>(std::ceil(std::max(0.0, seconds)));
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string progress_bar(double fraction, int width) {
    fraction = std::clamp(std::isfinite(fraction) ? fraction : 0.0, 0.0, 1.0);
    int full = static_cast<int>(fraction * width);
    std::string bar = "[";
    bar.append(static_cast<std::size_t>(full), '#');
    bar.append(static_cast<std::size_t>(width - full), '-');
    bar += ']';
    return bar;
}

std::string eta(double left, double rate) {
    if (!(rate > 0) || !std::isfinite(left)) return "";
    return "ETA " + clock_time(left / rate);
}

bool progress_wanted() { return ::isatty(2) != 0; }

void draw_progress(const std::string& line) {
    fmt::print(stderr, "\r\033[K{}", line);
    std::fflush(stderr);
}

void clear_progress() {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
}

ProgressTicker::ProgressTicker(std::function<std::string()> line) : line_(std::move(line)) {
    if (progress_wanted()) task_ = aio::create_task(redraw());
}

ProgressTicker::~ProgressTicker() {
    if (task_.valid() && !task_.done()) task_.cancel();
}

Task<> ProgressTicker::redraw() {
    while (true) {
        draw_progress(line_());
        co_await aio::sleep(std::chrono::milliseconds(200));
    }
}

Task<> ProgressTicker::stop(End end) {
    if (!task_.valid()) co_return;
    task_.cancel();
    try {
        co_await std::move(task_);
    } catch (const aio::CancelledError&) {
    }
    if (end != End::erase) draw_progress(line_());
    if (end == End::keep_last) {
        fmt::print(stderr, "\n");
        std::fflush(stderr);
    } else {
        clear_progress();
    }
}

}  // namespace aio::tool
