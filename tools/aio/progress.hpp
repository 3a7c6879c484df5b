// The command's progress line: drawn on stderr when it is a terminal, redrawn
// in place ("\r", erase line) by a task every 200 ms, erased at the end.
#pragma once

#include <optional>
#include <string>

namespace aio::tool {

/// "1.5 MiB", "312 B".
std::string human_bytes(double n);
/// "0:07", "12:03", "1:02:03" for a number of seconds (rounded up).
std::string clock_time(double seconds);
/// "[##########----------]" for `fraction` (clamped to 0..1) in `width` cells.
std::string progress_bar(double fraction, int width = 24);
/// "ETA 0:07" from the work left and the rate so far; "" when the rate is 0.
std::string eta(double left, double rate);

/// Whether progress is drawn: stderr is a terminal.
bool progress_wanted();
/// Draws `line` over the previous one (stderr, flushed).
void draw_progress(const std::string& line);
/// Erases the progress line.
void clear_progress();

}  // namespace aio::tool
