// The command's progress line: drawn on stderr when it is a terminal, redrawn
// in place ("\r", erase line) by a task every 200 ms, erased at the end.
#pragma once

#include <functional>
#include <string>

#include <aio/task.hpp>

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

/// Redraws `line()` on stderr every 200 ms from a task of the running loop,
/// from construction until stop(); does nothing when stderr is not a
/// terminal. `line` is called on the loop's thread and must stay valid until
/// stop() returns or the ticker is destroyed (which stops it too).
class ProgressTicker {
public:
    /// How stop() leaves the line.
    enum class End {
        erase,            ///< erased as it is (the work failed)
        erase_after_last, ///< the final state drawn, then erased (a summary follows)
        keep_last,        ///< the final state drawn and kept, with a newline
    };
    explicit ProgressTicker(std::function<std::string()> line);
    ~ProgressTicker();
    ProgressTicker(const ProgressTicker&) = delete;
    ProgressTicker& operator=(const ProgressTicker&) = delete;
    /// Stops redrawing at once (the pending 200 ms wait is cancelled, not
    /// waited out), then ends the line as `end` says.
    Task<> stop(End end);

private:
    Task<> redraw();
    std::function<std::string()> line_;
    Task<> task_;
};

}  // namespace aio::tool
