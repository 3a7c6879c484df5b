#!/usr/bin/env bash
# Builds aio's Debian packages (cmake/Packaging.cmake): a shared Release build
# of the library and the aio command in build/package, `cpack -G DEB`, then
# lintian, which must find no error. First installs what is missing (Debian 12,
# as root or with sudo), as scripts/deps.sh does. Prints the packages' paths.
#   bash scripts/package.sh [--no-install] [--build-only] [build-dir]
#     --no-install  never apt-get: name what is missing and fail
#     --build-only  configure and build only (tests/package/check.sh's shared build)
# The compiler is $CXX (and $CC), else clang++-19, else g++; ccache if present;
# $CMAKE_BUILD_PARALLEL_LEVEL caps the build's jobs.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/scripts/apt.sh"
install=1 build_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --no-install) install=0 ;;
    --build-only) build_only=1 ;;
    -*) echo "package.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
build=${1:-$src/build/package}
needed=("${aio_build_packages[@]}")
[ $build_only = 1 ] || needed+=("${aio_deb_packages[@]}")
if [ $install = 1 ]; then
  install_missing "${needed[@]}"
else
  missing=$(missing_packages "${needed[@]}")
  [ -z "$missing" ] || { echo "package.sh: missing Debian packages: $missing (bash scripts/deps.sh)" >&2; exit 1; }
fi

if [ -z "${CXX:-}" ]; then
  if command -v clang++-19 >/dev/null; then CXX=clang++-19 CC=${CC:-clang-19}; else CXX=g++ CC=${CC:-gcc}; fi
fi
args=(-DCMAKE_CXX_COMPILER="$CXX")
[ -z "${CC:-}" ] || args+=(-DCMAKE_C_COMPILER="$CC")
if command -v ccache >/dev/null; then
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros}
fi
# Debian's hardening, as dpkg-buildflags gives a package: stack protector and
# clash protection, control-flow protection, checked libc calls, relocations
# read-only and bound at start.
cflags="-fstack-protector-strong -fstack-clash-protection -fcf-protection -D_FORTIFY_SOURCE=2"
ldflags="-Wl,-z,relro -Wl,-z,now"
# The date of the last commit for the Debian changelog and the man page, so
# that the same commit makes the same packages.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)}

mkdir -p "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DBUILD_SHARED_LIBS=ON -DAIO_ALSO_STATIC=ON -DAIO_UNITY_BUILD=ON -DAIO_BUILD_TOOLS=ON \
      -DAIO_BUILD_TESTS=OFF -DAIO_BUILD_EXAMPLES=OFF -DAIO_BUILD_BENCH=OFF -DAIO_BUILD_FUZZ=OFF "${args[@]}" \
      -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cflags" \
      -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" > "$build/build.log" 2>&1 || { tail -50 "$build/build.log"; exit 1; }
[ $build_only = 0 ] || exit 0

rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB) > "$build/cpack.log" 2>&1 || { cat "$build/cpack.log"; exit 1; }
debs=("$build"/*.deb)
# No error; the warnings left are explained in cmake/Packaging.cmake.
status=0
lintian --tag-display-limit 0 "${debs[@]}" > "$build/lintian.log" 2>&1 || status=$?
cat "$build/lintian.log"
if [ $status != 0 ] || grep -q '^E:' "$build/lintian.log"; then
  echo "package.sh: lintian found errors (exit $status)" >&2
  exit 1
fi
printf '%s\n' "${debs[@]}"
