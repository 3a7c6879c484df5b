#!/usr/bin/env bash
# Builds the API reference (Doxygen HTML of include/aio) and fails, listing
# them, on any warning: every public item must be documented.
#   docs/reference/build.sh [OUTPUT_DIR]     (default: build/docs/reference)
# The `docs` build target and the test `docs.reference` run it.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$src/build/docs/reference}
command -v doxygen >/dev/null || { echo "doxygen is missing: apt-get install doxygen" >&2; exit 1; }
version=$(sed -n 's/^project(aio VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
rm -rf "$out"
mkdir -p "$out"
sed -e "s|@PROJECT_VERSION@|$version|; s|@PROJECT_SOURCE_DIR@|$src|g; s|@AIO_DOCS_OUTPUT@|$out|g" \
    "$src/docs/reference/Doxyfile.in" > "$out/Doxyfile"
doxygen "$out/Doxyfile" >"$out/doxygen.log" 2>&1 || { cat "$out/doxygen.log" >&2; exit 1; }
if [ -s "$out/warnings.log" ]; then
    n=$(grep -c "warning:" "$out/warnings.log" || true)
    echo "docs: $n warnings (an undocumented public item or a broken reference each):" >&2
    sed "s|$src/include/||" "$out/warnings.log" | sort -u >&2
    exit 1
fi
echo "docs: $out/html/index.html (no warnings)"
