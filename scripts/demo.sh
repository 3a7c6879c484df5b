#!/usr/bin/env bash
# Installs what is missing, builds aio (release, clang-19), and runs the demo:
# `aio demo` once the command exists; until then, the seed's examples in order.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
. scripts/configure.sh
rm -f build-release.log
configure_preset release build-release.log || { cat build-release.log; exit 1; }
cmake --build --preset release -j "$(nproc)" >> build-release.log 2>&1 || { tail -50 build-release.log; exit 1; }
rm -f build-release.log
if [ -x build/release/tools/aio/aio ]; then
    exec build/release/tools/aio/aio demo "$@"
fi
for exe in build/release/examples/seed_*; do
    echo "── $(basename "$exe")"
    "$exe" || true   # §1.1's first example ends, as in Python, with an uncaught StopIteration
done
