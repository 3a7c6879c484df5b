// What the C++ R13 ws-echo load clients share (beast_ws.cpp and aio's
// bench/bench_ws.cpp), so that both send the same message and report the
// same figures as the Python and Node clients: the message, and the RESULT line.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace r13 {

/// `size` printable bytes varied by an LCG, so that the text is no run of one byte.
inline std::string make_message(std::size_t size) {
    std::string s(size, ' ');
    std::uint32_t x = 1;
    for (auto& c : s) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(0x21 + (x >> 24) % 94);
    }
    return s;
}

/// Prints "RESULT msgs_per_s=<x> p99_us=<y>" for the round trips (µs) that
/// finished in a window of `secs`; returns 1 (saying why on stderr) when none did.
inline int print_result(std::vector<double>& rtt_us, double secs) {
    if (rtt_us.empty()) {
        std::fprintf(stderr, "no round trip finished\n");
        return 1;
    }
    std::sort(rtt_us.begin(), rtt_us.end());
    double p99 = rtt_us[static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(rtt_us.size()))) - 1];
    std::printf("RESULT msgs_per_s=%.0f p99_us=%.0f\n", static_cast<double>(rtt_us.size()) / secs, p99);
    return 0;
}

}  // namespace r13
