#!/usr/bin/env bash
# Builds aio's Debian packages with scripts/package.sh (lintian must find no
# error) in <build-dir>/package-deb, the build tests/package/check.sh shares,
# then checks them without installing them: their names (the runtime package
# named after the soname), their Depends, their control files and documents,
# no file of Debian's libaio1/libaio-dev; then, unpacked together with dpkg -x
# into a scratch root, `aio --version` and `aio demo` run from there, and the
# downstream program builds against the root with find_package(aio) (shared
# and static) and with pkg-config, and runs.
#   deb_check.sh <build-dir> <source-dir> <c++ compiler>
set -euo pipefail
build=$1 src=$2 cxx=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/tests/package/downstream.sh"
fail() { echo "$*"; exit 1; }

debdir=$build/package-deb
CXX="$cxx" bash "$src/scripts/package.sh" --no-install "$debdir" > "$work/package.log" 2>&1 ||
    { cat "$work/package.log"; exit 1; }
grep '^[EW]:' "$work/package.log" || true  # lintian's warnings, explained in cmake/Packaging.cmake
runtime=$(echo "$debdir"/libaio-cpp[0-9]*.deb) dev=$(echo "$debdir"/libaio-cpp-dev_*.deb) tool=$(echo "$debdir"/aio-cpp_*.deb)
for deb in "$runtime" "$dev" "$tool"; do [ -f "$deb" ] || fail "no package $deb among: $(ls "$debdir"/*.deb)"; done

# 1. Names and versions: the runtime package is named after the soname.
root=$work/root
dpkg -x "$runtime" "$root"
so=$(find "$root" -name 'libaio-cpp.so.*.*.*')
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -L "$(dirname "$so")/$soname" ] || fail "the runtime package has no $soname link"
rname=$(dpkg-deb -f "$runtime" Package) version=$(dpkg-deb -f "$runtime" Version)
[ "$rname" = "${soname/.so./}" ] || fail "the runtime package is $rname for the soname $soname"
echo "packages $rname, $(dpkg-deb -f "$dev" Package), $(dpkg-deb -f "$tool" Package) at $version"

# 2. Depends: dev and tool on the runtime at this version; shared libraries from dpkg-shlibdeps;
#    dev on the -dev packages that aioConfig.cmake and aio-cpp.pc ask for.
depends_on() {  # depends_on DEB REGEX...
    local deb=$1 depends
    depends=$(dpkg-deb -f "$deb" Depends)
    shift
    for dep in "$@"; do
        grep -qE "(^|, )$dep" <<< "$depends" || fail "$(basename "$deb"): Depends lacks '$dep': $depends"
    done
}
same="$rname \(= ${version//./\\.}\)"
depends_on "$runtime" 'libc6 \(>= ' 'libstdc\+\+6 ' 'libssl3' 'libfmt[0-9]+ ' 'liburing2 ' 'libnghttp2-14 ' 'zlib1g ' \
    'libbrotli1 ' 'libpsl5 '
depends_on "$dev" "$same" libfmt-dev 'libssl-dev \(>= 3\)' zlib1g-dev libsimdjson-dev liburing-dev libbrotli-dev \
    libpsl-dev libnghttp2-dev pkg-config
depends_on "$tool" "$same" 'libc6 \(>= '
for deb in "$runtime" "$dev" "$tool"; do echo "  $(dpkg-deb -f "$deb" Package): $(dpkg-deb -f "$deb" Depends)"; done

# 3. Control files: the runtime package's shlibs and ldconfig trigger.
dpkg-deb -e "$runtime" "$work/control"
grep -qxF "libaio-cpp ${soname#libaio-cpp.so.} $rname (>= $version)" "$work/control/shlibs" ||
    fail "shlibs: $(cat "$work/control/shlibs")"
grep -qx 'activate-noawait ldconfig' "$work/control/triggers" || fail "no ldconfig trigger"

# 4. Contents: owned by root, documented, man page compressed, binaries stripped,
#    nothing that Debian's libaio1 or libaio-dev install.
for deb in "$runtime" "$dev" "$tool"; do
    pkg=$(dpkg-deb -f "$deb" Package)
    dpkg-deb -c "$deb" > "$work/$pkg.list"
    ! awk '$2 != "root/root"' "$work/$pkg.list" | grep . || fail "$pkg has files not owned by root"
    for doc in copyright changelog.Debian.gz; do
        grep -q " \./usr/share/doc/$pkg/$doc\$" "$work/$pkg.list" || fail "$pkg lacks /usr/share/doc/$pkg/$doc"
    done
    ! grep -E '/(libaio\.|libaio1|libaio-dev)' "$work/$pkg.list" || fail "$pkg has a file of Debian's libaio"
done
grep -q ' \./usr/share/man/man1/aio\.1\.gz$' "$work/aio-cpp.list" || fail "aio-cpp lacks the man page aio.1.gz"
grep -q ' \./usr/include/aio/aio\.hpp$' "$work/libaio-cpp-dev.list" || fail "libaio-cpp-dev lacks the headers"
for f in libaio-cpp.so libaio-cpp.a pkgconfig/aio-cpp.pc cmake/aio/aioConfig.cmake; do
    grep -q "/usr/lib/[^/]*/$f\$\|/usr/lib/[^/]*/$f -> " "$work/libaio-cpp-dev.list" || fail "libaio-cpp-dev lacks $f"
done
dpkg -x "$dev" "$root"
dpkg -x "$tool" "$root"
for bin in "$so" "$root/usr/bin/aio"; do
    [[ "$(file "$bin")" == *", stripped"* ]] || fail "$bin is not stripped"
done
echo "contents: ok (root-owned, copyright and changelog, stripped, no libaio file)"

# 5. The aio command, run from the scratch root.
libdir=$(dirname "$so")
aio() { LD_LIBRARY_PATH="$libdir" "$root/usr/bin/aio" "$@"; }
libs=$(LD_LIBRARY_PATH="$libdir" ldd "$root/usr/bin/aio")
[[ "$libs" == *"=> $libdir/$soname "* ]] || fail "aio does not load $libdir/$soname: $libs"
v=$(aio --version)
[ "$v" = "aio ${version%-*}" ] || fail "aio --version printed '$v' (package $version)"
status=0
demo=$(aio demo 2>&1) || status=$?
[ $status = 0 ] || fail "aio demo exited with $status: $demo"
i=0
for name in gather lock files csv to_thread run websocket; do
    i=$((i + 1))
    [[ "$demo" == *"== [$i/7] $name: "* && "$demo" == *"ok: $name ("* ]] || fail "aio demo: no '$name' scenario: $demo"
done
for line in "7 of 7 scenarios passed" "shared_counter = 3" $'Task 2 finished\nTask 1 finished' "Client error: 404" \
            $'\nDone\n' $'sent hello  received echo: hello\n' $'closed with code 1000\n'; do
    [[ "$demo" == *"$line"* ]] || fail "aio demo did not print '$line': $demo"
done
[[ "$demo" != *FAILED* ]] || fail "aio demo: $demo"
echo "$v; aio demo: 7 of 7 scenarios passed"

# 6. The development files: a downstream program built against the root.
downstream_cmake cmake "$root/usr" "$libdir"
[[ "$(ldd "$work/cmake/downstream")" == *libaio-cpp.so* ]] || fail "find_package(aio): aio::aio did not link the .so"
downstream_cmake static "$root/usr" "" -DAIO_TARGET=aio::aio_static
[[ "$(ldd "$work/static/downstream")" != *libaio-cpp* ]] || fail "aio::aio_static linked the .so"
pcdir=$libdir/pkgconfig
[ "$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir aio-cpp | xargs realpath)" = "$libdir" ] ||
    fail "aio-cpp.pc does not point into the root"
downstream_pkgconfig pc "$pcdir" "$libdir" PKG_STATIC=
echo "libaio-cpp-dev: find_package(aio) (aio::aio, aio::aio_static) and pkg-config builds ok"
