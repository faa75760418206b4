#!/usr/bin/env bash
# Runs kvbench (../shared/bench) against a real etcd and against tsetcd, started fresh on the
# same machine in the same run, one member each, and prints one JSON line per run.
#
#   npm run build && bash bench/compare.sh [kvbench binary]
#
# Needs: etcd (Debian etcd-server) and kvbench (../shared/bench/build.sh /tmp/kvbench).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
kvbench="${1:-/tmp/kvbench}"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start() { # name cmd...
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}

start etcd etcd --name ref --data-dir "$work/etcd" \
  --listen-client-urls http://127.0.0.1:42379 --advertise-client-urls http://127.0.0.1:42379 \
  --listen-peer-urls http://127.0.0.1:42380 --initial-advertise-peer-urls http://127.0.0.1:42380 \
  --initial-cluster ref=http://127.0.0.1:42380
start tsetcd node "$here/bin/run.js" serve --name ours --data-dir "$work/tsetcd" \
  --listen-client-urls http://127.0.0.1:43379 --advertise-client-urls http://127.0.0.1:43379 \
  --listen-peer-urls http://127.0.0.1:43380 --initial-advertise-peer-urls http://127.0.0.1:43380 \
  --initial-cluster ours=http://127.0.0.1:43380
sleep 3

for server in etcd:127.0.0.1:42379 tsetcd:127.0.0.1:43379; do
  name=${server%%:*}
  ep=${server#*:}
  for run in \
    "-op put -conns 10 -clients 100 -total 20000 -val-size 256" \
    "-op range -conns 10 -clients 100 -total 20000" \
    "-op range-serializable -conns 10 -clients 100 -total 20000" \
    "-op put -conns 1 -clients 1 -total 2000 -val-size 256"; do
    # shellcheck disable=SC2086
    printf '{"server":"%s",' "$name"; "$kvbench" -endpoints "$ep" $run | sed 's/^{//'
  done
done
