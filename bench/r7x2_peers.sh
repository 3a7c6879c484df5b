#!/usr/bin/env bash
# R7x2 http-server on two cores: bench/r7_peers.sh with WORKERS=2 (aio with two
# workers against nginx with two workers, hyper on a two-thread runtime and Go;
# wrk -t2 -c128; see there).
#   bench/r7x2_peers.sh [NAME=BINARY ...]   env: REPS (3), SECS (10), PEERS_DIR
WORKERS=${WORKERS:-2} exec "$(dirname "$0")/r7_peers.sh" "$@"
