// Internal: RFC 9113 §6.9.2 for aio's HTTP/2 client and server. A
// SETTINGS_INITIAL_WINDOW_SIZE change that takes an open stream's send window
// past 2^31-1 is a connection error (FLOW_CONTROL_ERROR); nghttp2 resets only
// the streams, so each side notes the widest window as a SETTINGS frame
// begins and ends the session when the frame's change overflows it.
#pragma once

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdint>

namespace aio::http::detail {

class InitialWindowCheck {
public:
    /// From nghttp2's begin-frame callback: for a SETTINGS frame of the peer's,
    /// notes the widest send window of `streams` (keyed by stream id) and the
    /// initial window size in force.
    template <class Streams>
    void frame_begins(nghttp2_session* session, const nghttp2_frame_hd& hd, const Streams& streams) noexcept {
        if (hd.type != NGHTTP2_SETTINGS || (hd.flags & NGHTTP2_FLAG_ACK) != 0) return;
        widest_ = 0;
        for (const auto& [id, stream] : streams)
            widest_ = std::max<std::int64_t>(widest_, nghttp2_session_get_stream_remote_window_size(session, id));
        initial_ = nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE);
    }
    /// From the frame-received callback, after the peer's SETTINGS is applied:
    /// ends the session with FLOW_CONTROL_ERROR when its change overflowed a window.
    void settings_applied(nghttp2_session* session) const noexcept {
        const std::int64_t now = nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE);
        if (widest_ + now - initial_ > NGHTTP2_MAX_WINDOW_SIZE)
            nghttp2_session_terminate_session(session, NGHTTP2_FLOW_CONTROL_ERROR);
    }

private:
    std::int64_t widest_ = 0;
    std::int64_t initial_ = 0;
};

}  // namespace aio::http::detail
