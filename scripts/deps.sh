#!/usr/bin/env bash
# Installs what aio needs to build, test and benchmark, from Debian's packages,
# then checks that every program the tests and benchmarks start and every Python
# (and Node) module their peer scripts import is really there, naming the package to
# install for anything missing (exit 1).
# Idempotent: when everything is there it only checks (a second or so).
#   bash scripts/deps.sh          install what is missing, then check
#   bash scripts/deps.sh --check  check only (no apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh
pkgs=(
  "${aio_build_packages[@]}" "${aio_deb_packages[@]}" libclang-rt-19-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  ca-certificates openssl curl nginx-light wrk socat tinyproxy procps
  python3 python3-aiohttp python3-brotli python3-cryptography python3-pandas python3-uvloop python3-aiofiles
  python3-websockets python3-h2 python3-httpx nodejs node-ws systemd doxygen nghttp2-client
)
if [ "${1:-}" != --check ]; then
  install_missing "${pkgs[@]}"
  # nginx-light's package starts a system nginx on port 80; the tests start their own.
fi

# Programs the tests, examples and benchmarks start, each with the package that has it.
programs=(
  cmake:cmake ninja:ninja-build ccache:ccache pkg-config:pkg-config g++:g++ clang++-19:clang-19
  openssl:openssl curl:curl /usr/sbin/nginx:nginx-light wrk:wrk socat:socat /usr/bin/tinyproxy:tinyproxy
  gzip:gzip taskset:util-linux /usr/bin/python3:python3 node:nodejs systemd-socket-activate:systemd doxygen:doxygen
  nghttp:nghttp2-client h2load:nghttp2-client dpkg-shlibdeps:dpkg-dev file:file readelf:binutils lintian:lintian
)
problems=()
for entry in "${programs[@]}"; do
  prog=${entry%%:*} pkg=${entry##*:}
  command -v "$prog" >/dev/null 2>&1 || problems+=("program '$prog' is missing: apt-get install $pkg")
done
# Every module imported by a Python script of the tests or benchmarks, found by
# reading the scripts themselves, so that a new import cannot be forgotten here.
# Debian names a module's package python3-<module>.
if [ -x /usr/bin/python3 ]; then
  while IFS= read -r line; do
    [ -n "$line" ] && problems+=("$line")
  done < <(/usr/bin/python3 - tests bench examples <<'PY'
import ast, importlib.util, pathlib, sys
names = {}
for root in sys.argv[1:]:
    for path in sorted(pathlib.Path(root).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for m in mods:
                if (path.parent / (m.split(".")[0] + ".py")).exists():
                    continue  # a module of the scripts' own folder
                names.setdefault(m.split(".")[0], str(path))
for name, where in sorted(names.items()):
    if importlib.util.find_spec(name) is None:
        print(f"python module '{name}' (imported by {where}) is missing: apt-get install python3-{name}")
PY
)
fi
# The Node modules the peer scripts require, from Debian's node-* packages
# (found through NODE_PATH=/usr/share/nodejs, where Debian puts them).
if command -v node >/dev/null 2>&1; then
  for mod in ws:node-ws; do
    NODE_PATH=/usr/share/nodejs node -e "require.resolve('${mod%%:*}')" >/dev/null 2>&1 ||
      problems+=("node module '${mod%%:*}' is missing: apt-get install ${mod##*:}")
  done
fi
if [ ${#problems[@]} -gt 0 ]; then
  printf 'deps: %s\n' "${problems[@]}" >&2
  exit 1
fi
