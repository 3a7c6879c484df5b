#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then checks what a user of
# the installed aio gets: a downstream project built with find_package(aio) +
# aio::aio, the same program built by a plain Makefile with
# `pkg-config aio-cpp`, the library under its own name (libaio-cpp, so that
# -laio stays Debian's libaio), and the aio command with its man page; then
# the same two builds against the shared library (libaio-cpp.so, built here
# from the source with BUILD_SHARED_LIBS=ON), which must carry a soname and
# export aio's symbols only.
#   check.sh <build-dir> <source-dir> <c++ compiler>
set -euo pipefail
build=$1 src=$2 cxx=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
libdir=$(find "$prefix" -name 'libaio-cpp.a' -printf '%h\n' | head -1)
[ -n "$libdir" ] || { echo "libaio-cpp.a is not installed:"; find "$prefix" -name 'lib*'; exit 1; }
if find "$prefix" -name 'libaio.*' | grep -q .; then echo "a file named libaio.* is installed"; exit 1; fi

# 1. CMake: find_package(aio).
cmake -S "$src/tests/package" -B "$work/build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="${AIO_PACKAGE_CXXFLAGS:-}" \
      -DCMAKE_EXE_LINKER_FLAGS="${AIO_PACKAGE_LDFLAGS:-}" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
out=$("$work/build/downstream")
[ "$out" = "42" ] || { echo "downstream printed '$out'"; exit 1; }
echo "downstream find_package(aio) build: ok"

# 2. A plain Makefile with pkg-config.
PKG_CONFIG_PATH="$libdir/pkgconfig" make -s -C "$src/tests/package" -f Makefile CXX="$cxx" OUT="$work" \
    EXTRA_CXXFLAGS="${AIO_PACKAGE_CXXFLAGS:-}" EXTRA_LDFLAGS="${AIO_PACKAGE_LDFLAGS:-}" > "$work/make.log" 2>&1 ||
    { cat "$work/make.log"; exit 1; }
out=$("$work/downstream-pkgconfig")
[ "$out" = "42" ] || { echo "the pkg-config build printed '$out'"; exit 1; }
echo "downstream pkg-config build: ok"

# 3. The command and its man page.
if [ -x "$build/tools/aio/aio" ]; then
    [ -x "$prefix/bin/aio" ] || { echo "the aio command is not installed"; exit 1; }
    version=$("$prefix/bin/aio" --version)
    [[ "$version" =~ ^aio\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "aio --version printed '$version'"; exit 1; }
    if command -v help2man >/dev/null; then
        [ -s "$prefix/share/man/man1/aio.1.gz" ] || { echo "the aio(1) man page is not installed"; exit 1; }
        zgrep -q "demo" "$prefix/share/man/man1/aio.1.gz" || { echo "the man page does not describe the commands"; exit 1; }
    fi
    echo "installed command: $version, man page: ok"
fi

# 4. The shared library, built from the same source.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src" -B "$work/shared" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
      -DBUILD_SHARED_LIBS=ON -DAIO_UNITY_BUILD=ON -DAIO_BUILD_TESTS=OFF -DAIO_BUILD_EXAMPLES=OFF \
      -DAIO_BUILD_BENCH=OFF -DAIO_BUILD_TOOLS=OFF > "$work/shared-configure.log"
cmake --build "$work/shared" > "$work/shared-build.log" || { tail -30 "$work/shared-build.log"; exit 1; }
sprefix=$work/sprefix
cmake --install "$work/shared" --prefix "$sprefix" > "$work/shared-install.log"
so=$(find "$sprefix" -name 'libaio-cpp.so.*.*.*' | head -1)
[ -n "$so" ] || { echo "libaio-cpp.so is not installed"; exit 1; }
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ "$soname" =~ ^libaio-cpp\.so\.[0-9]+\.[0-9]+$ ]] || { echo "soname is '$soname'"; exit 1; }
foreign=$(nm -D --defined-only -C "$so" | awk '{ $1 = ""; $2 = ""; print }' | grep -v 'aio::' | head -5 || true)
[ -z "$foreign" ] || { echo "libaio-cpp.so exports symbols that are not aio's:"; echo "$foreign"; exit 1; }
slibdir=$(dirname "$so")
cmake -S "$src/tests/package" -B "$work/sbuild" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$sprefix" > "$work/sconfigure.log"
cmake --build "$work/sbuild" > "$work/sbuild.log"
ldd "$work/sbuild/downstream" | grep -q 'libaio-cpp\.so' || { echo "the downstream program did not link the .so"; exit 1; }
out=$(LD_LIBRARY_PATH="$slibdir" "$work/sbuild/downstream")
[ "$out" = "42" ] || { echo "downstream (shared) printed '$out'"; exit 1; }
mkdir -p "$work/spc"
PKG_CONFIG_PATH="$slibdir/pkgconfig" make -s -C "$src/tests/package" -f Makefile CXX="$cxx" OUT="$work/spc" PKG_STATIC= \
    > "$work/smake.log" 2>&1 || { cat "$work/smake.log"; exit 1; }
out=$(LD_LIBRARY_PATH="$slibdir" "$work/spc/downstream-pkgconfig")
[ "$out" = "42" ] || { echo "the pkg-config build (shared) printed '$out'"; exit 1; }
echo "shared library $soname: find_package and pkg-config builds ok, exports aio's symbols only"
