#!/usr/bin/env bash
# Installs what aio needs to build, test and benchmark, from Debian's packages.
# Idempotent: when everything is there it only checks (a second or so).
set -euo pipefail
pkgs=(
  cmake ninja-build ccache pkg-config g++ clang-19 libclang-rt-19-dev
  liburing-dev libssl-dev zlib1g-dev libbrotli-dev libsimdjson-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl curl nginx-light wrk socat tinyproxy
  python3 python3-aiohttp python3-pandas python3-uvloop python3-aiofiles
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# nginx-light's package starts a system nginx on port 80; the tests start their own.
