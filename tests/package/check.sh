#!/usr/bin/env bash
# Installs the build tree into a temporary prefix and builds and runs a
# downstream project that uses find_package(aio) + aio::aio.
#   check.sh <build-dir> <source-dir> <c++ compiler>
set -euo pipefail
build=$1 src=$2 cxx=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$src/tests/package" -B "$work/build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="${AIO_PACKAGE_CXXFLAGS:-}" \
      -DCMAKE_EXE_LINKER_FLAGS="${AIO_PACKAGE_LDFLAGS:-}" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
out=$("$work/build/downstream")
[ "$out" = "42" ] || { echo "downstream printed '$out'"; exit 1; }
echo "downstream find_package(aio) build: ok"
