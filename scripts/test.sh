#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#   1. clang-19, optimised            (release)  — every test, fuzz targets excluded
#   2. clang-19, ASan + UBSan         (asan)     — every test, plus a short libFuzzer run per parser
#                                                  (the library at -O1, the suites at -O0)
#   3. g++ 12 at -O0, ASan            (gcc-asan) — every suite that runs coroutines (all but those
#                                                  labelled `sync`; the aio command included, the
#                                                  examples left to the other passes): catches g++ 12
#                                                  coroutine bugs and stack growth where symmetric
#                                                  transfer is no tail call. UBSan is the asan pass's:
#                                                  under g++ it took a third of a suite's compile time
#                                                  (14.8 s against 9.4 s)
#   4. clang-19, ThreadSanitizer      (tsan)     — the tests labelled `threads`
# Builds go to build/<preset>; ccache keeps rebuilds short.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
. scripts/configure.sh
jobs=$(nproc)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
presets=${AIO_TEST_PRESETS:-release asan gcc-asan tsan}
status=0
for preset in $presets; do
    echo "=== $preset: configure and build ($SECONDS s in)"
    rm -f "build-$preset.log"
    configure_preset "$preset" "build-$preset.log" || { cat "build-$preset.log"; exit 1; }
    cmake --build --preset "$preset" -j "$jobs" >> "build-$preset.log" 2>&1 || { tail -50 "build-$preset.log"; exit 1; }
    rm -f "build-$preset.log"
    echo "=== $preset: test ($SECONDS s in)"
    if ! ctest --preset "$preset" -j "$jobs" --timeout 600; then
        status=1
        ctest --preset "$preset" --rerun-failed --output-on-failure -j 1 || true
    fi
done
echo "=== done in $SECONDS s"
exit $status
