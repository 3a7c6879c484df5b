#!/usr/bin/env bash
# Runs the README's two commands as a new user would: in a minimal Debian 12
# made on the spot (debootstrap --variant=minbase bookworm) with nothing but
# this project's clone copied in, as root in a chroot. Prints each command's
# result and exits non-zero if either failed. Slow (a fresh install and a build
# from nothing: half an hour on two cores), so not part of the test suite; run
# it whenever a change adds a dependency.
#
#   bash scripts/fresh-check.sh            both commands, the whole suite
#   AIO_TEST_PRESETS=release bash scripts/fresh-check.sh
#                                          the second command with fewer presets
#   KEEP=1 bash scripts/fresh-check.sh     leave the scratch system behind
#   AIO_FRESH_COMMAND="bash scripts/package.sh" bash scripts/fresh-check.sh
#                                          that one command instead (here: the
#                                          Debian packages, from nothing)
# CMAKE_BUILD_PARALLEL_LEVEL, when set, caps the builds' jobs in there too.
#
# Needs root (debootstrap, chroot, mount). The clone is of the committed HEAD:
# commit first. The scratch system gets what an installed Debian has and
# debootstrap leaves out: /etc/hosts, the host's resolv.conf and apt sources,
# and /proc, /sys, /dev mounted. A policy-rc.d keeps packages from starting
# services (nginx on port 80) inside the chroot, where nothing would stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ "$(id -u)" = 0 ] || { echo "fresh-check: run as root (debootstrap, chroot and mount need it)" >&2; exit 2; }
command -v debootstrap >/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

root=$(mktemp -d /var/tmp/aio-fresh.XXXXXX)
mounts=()
cleanup() {
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then echo "fresh-check: the scratch system stays in $root"; else rm -rf "$root"; fi
}
trap cleanup EXIT

# The host's Debian mirror (its apt sources), so that a machine with a local
# mirror uses it; debootstrap's own default otherwise.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)

start=$SECONDS
echo "fresh-check: debootstrap --variant=minbase bookworm into $root"
debootstrap --variant=minbase bookworm "$root" ${mirror:+"$mirror"} > "$root.debootstrap.log" 2>&1 ||
    { tail -20 "$root.debootstrap.log"; exit 1; }
rm -f "$root.debootstrap.log"

printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
[ -d /etc/apt/sources.list.d ] && cp -r /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"

mount_in() {  # mount_in TARGET ARGS...
    local target=$root$1
    shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounts+=("$target")
}
mount_in /proc -t proc proc
mount_in /sys -t sysfs sysfs
mount_in /dev --bind /dev
mount_in /dev/pts -t devpts devpts
mount_in /dev/shm -t tmpfs tmpfs

git clone -q --no-hardlinks "$repo" "$root/root/aio"
echo "fresh-check: system ready in $((SECONDS - start)) s; cloned $(git -C "$repo" rev-parse --short HEAD)"

run_in_fresh() {  # run_in_fresh COMMAND: runs the README command in the clone, logs to $root/<n>.log
    local command=$1 log=$2 t0=$SECONDS rc=0
    echo "fresh-check: \$ $command"
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        ${AIO_TEST_PRESETS:+AIO_TEST_PRESETS="$AIO_TEST_PRESETS"} \
        ${CMAKE_BUILD_PARALLEL_LEVEL:+CMAKE_BUILD_PARALLEL_LEVEL="$CMAKE_BUILD_PARALLEL_LEVEL"} \
        /bin/bash -c "cd /root/aio && $command" > "$log" 2>&1 < /dev/null || rc=$?
    tail -15 "$log" | sed 's/^/    | /'
    if [ $rc = 0 ]; then
        echo "fresh-check: PASSED \`$command\` in $((SECONDS - t0)) s"
    else
        echo "fresh-check: FAILED \`$command\` (exit $rc) in $((SECONDS - t0)) s; full output in $log"
    fi
    return $rc
}

status=0
logs=$(mktemp -d /var/tmp/aio-fresh-logs.XXXXXX)
if [ -n "${AIO_FRESH_COMMAND:-}" ]; then
    run_in_fresh "$AIO_FRESH_COMMAND" "$logs/command.log" || status=1
    echo "fresh-check: $([ $status = 0 ] && echo "passed" || echo "FAILED") in $((SECONDS - start)) s (log in $logs)"
    exit $status
fi
# The two commands, as the README's first lines give them.
mapfile -t commands < <(awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$repo/README.md")
[ ${#commands[@]} = 2 ] || { echo "fresh-check: the README does not open with two commands" >&2; exit 1; }
run_in_fresh "${commands[0]}" "$logs/first.log" || status=1
run_in_fresh "${commands[1]}" "$logs/second.log" || status=1
echo "fresh-check: $([ $status = 0 ] && echo "both commands passed" || echo "FAILED") in $((SECONDS - start)) s (logs in $logs)"
exit $status
