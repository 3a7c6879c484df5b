# Sourced by scripts/deps.sh and scripts/package.sh: what aio's own build needs
# from Debian, what its Debian packages need, and apt-get of those missing.

# The library and the aio command (help2man writes aio(1)); the build presets
# link with lld (a third of the time of ld.bfd for the sanitizer builds' tests).
aio_build_packages=(
  cmake ninja-build ccache pkg-config g++ clang-19 lld
  liburing-dev libssl-dev zlib1g-dev libbrotli-dev libsimdjson-dev libfmt-dev libcli11-dev libpsl-dev
  libnghttp2-dev help2man
)
# The Debian packages (scripts/package.sh): CPack calls file, readelf
# (binutils) and dpkg-shlibdeps (dpkg-dev); lintian checks the result.
aio_deb_packages=(dpkg-dev file binutils gzip lintian)

# missing_packages PACKAGE...: prints those not installed, on one line.
missing_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[*]}"
}

# install_missing PACKAGE...: apt-get installs those not installed (as root, or with sudo).
install_missing() {
  local missing
  missing=$(missing_packages "$@")
  [ -n "$missing" ] || return 0
  echo "deps: installing $missing"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  # A fresh machine often runs apt itself at boot (apt-daily, unattended
  # upgrades, a provisioning script): wait for its lock instead of failing.
  local wait=(-o DPkg::Lock::Timeout=900)
  $sudo apt-get "${wait[@]}" update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive $sudo apt-get "${wait[@]}" install -y -qq --no-install-recommends $missing >/dev/null
}
