# Sourced by check.sh and deb_check.sh: builds tests/package's downstream
# program against an installed aio, both ways a user would, runs it and checks
# that it prints 42. Needs $src (aio's source), $cxx (the compiler) and $work
# (a scratch folder); LIBDIR is where the program finds libaio-cpp.so at run
# time ("" for a static link).

# downstream_cmake NAME PREFIX LIBDIR [CMAKE ARGS...]: find_package(aio) with
# CMAKE_PREFIX_PATH=PREFIX; the program is $work/NAME/downstream.
downstream_cmake() {
    local name=$1 prefix=$2 libdir=$3
    shift 3
    cmake -S "$src/tests/package" -B "$work/$name" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
          -DCMAKE_PREFIX_PATH="$prefix" "$@" > "$work/$name-configure.log" 2>&1 ||
        { cat "$work/$name-configure.log"; return 1; }
    cmake --build "$work/$name" > "$work/$name-build.log" 2>&1 || { cat "$work/$name-build.log"; return 1; }
    expect_42 "$libdir" "$work/$name/downstream"
}

# downstream_pkgconfig NAME PCDIR LIBDIR [MAKE VARIABLES...]: a plain Makefile
# with `pkg-config aio-cpp` (PKG_CONFIG_PATH=PCDIR); the program is
# $work/NAME/downstream-pkgconfig.
downstream_pkgconfig() {
    local name=$1 pcdir=$2 libdir=$3
    shift 3
    mkdir -p "$work/$name"
    PKG_CONFIG_PATH="$pcdir" make -s -C "$src/tests/package" -f Makefile CXX="$cxx" OUT="$work/$name" "$@" \
        > "$work/$name.log" 2>&1 || { cat "$work/$name.log"; return 1; }
    expect_42 "$libdir" "$work/$name/downstream-pkgconfig"
}

# expect_42 LIBDIR PROGRAM: runs PROGRAM (LD_LIBRARY_PATH=LIBDIR) and checks what it prints.
expect_42() {
    local out
    out=$(LD_LIBRARY_PATH="$1" "$2") || { echo "$2 failed"; return 1; }
    [ "$out" = "42" ] || { echo "$2 printed '$out'"; return 1; }
}
