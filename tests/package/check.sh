#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then checks what a user of
# the installed aio gets: a downstream project built with find_package(aio) +
# aio::aio, the same program built by a plain Makefile with
# `pkg-config aio-cpp`, the library under its own name (libaio-cpp, so that
# -laio stays Debian's libaio), and the aio command with its man page; then
# the same two builds against the shared library (libaio-cpp.so, built from
# the source with BUILD_SHARED_LIBS=ON as the Debian packages are: the build
# of scripts/package.sh in <build-dir>/package-deb, which the test package.deb
# shares), which must carry a soname and export aio's symbols only.
#   check.sh <build-dir> <source-dir> <c++ compiler>
set -euo pipefail
build=$1 src=$2 cxx=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/tests/package/downstream.sh"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
libdir=$(find "$prefix" -name 'libaio-cpp.a' -printf '%h\n' | head -1)
[ -n "$libdir" ] || { echo "libaio-cpp.a is not installed:"; find "$prefix" -name 'lib*'; exit 1; }
if find "$prefix" -name 'libaio.*' | grep -q .; then echo "a file named libaio.* is installed"; exit 1; fi

# 1. CMake: find_package(aio).
downstream_cmake build "$prefix" "" -DCMAKE_CXX_FLAGS="${AIO_PACKAGE_CXXFLAGS:-}" \
                 -DCMAKE_EXE_LINKER_FLAGS="${AIO_PACKAGE_LDFLAGS:-}"
echo "downstream find_package(aio) build: ok"

# 2. A plain Makefile with pkg-config.
downstream_pkgconfig pc "$libdir/pkgconfig" "" \
                     EXTRA_CXXFLAGS="${AIO_PACKAGE_CXXFLAGS:-}" EXTRA_LDFLAGS="${AIO_PACKAGE_LDFLAGS:-}"
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
shared=$build/package-deb
CXX="$cxx" bash "$src/scripts/package.sh" --no-install --build-only "$shared" > "$work/shared-build.log" 2>&1 ||
    { tail -30 "$work/shared-build.log"; exit 1; }
sprefix=$work/sprefix
cmake --install "$shared" --prefix "$sprefix" > "$work/shared-install.log"
so=$(find "$sprefix" -name 'libaio-cpp.so.*.*.*' | head -1)
[ -n "$so" ] || { echo "libaio-cpp.so is not installed"; exit 1; }
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ "$soname" =~ ^libaio-cpp\.so\.[0-9]+\.[0-9]+$ ]] || { echo "soname is '$soname'"; exit 1; }
foreign=$(nm -D --defined-only -C "$so" | awk '{ $1 = ""; $2 = ""; print }' | grep -v 'aio::' | head -5 || true)
[ -z "$foreign" ] || { echo "libaio-cpp.so exports symbols that are not aio's:"; echo "$foreign"; exit 1; }
slibdir=$(dirname "$so")
downstream_cmake sbuild "$sprefix" "$slibdir"
[[ "$(ldd "$work/sbuild/downstream")" == *libaio-cpp.so* ]] || { echo "the downstream program did not link the .so"; exit 1; }
downstream_pkgconfig spc "$slibdir/pkgconfig" "$slibdir" PKG_STATIC=
echo "shared library $soname: find_package and pkg-config builds ok, exports aio's symbols only"
