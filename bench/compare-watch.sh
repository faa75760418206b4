#!/usr/bin/env bash
# Watch delivery latency (kvbench -op watch-latency: 100 watchers on one key over 10
# connections, one writer doing 2000 sequential puts; latency = delivery - put start)
# against a real etcd and against tsetcd, started fresh on the same machine in the same
# run. One warm-up run each (tsetcd's JIT), then three runs each, alternating; one JSON
# line per run.
#
#   npm run build && bash bench/compare-watch.sh [kvbench binary]
#
# Needs: etcd (Debian etcd-server) and kvbench (../shared/bench/build.sh /tmp/kvbench).
# Ports 21360-21361 (etcd) and 22360-22361 (tsetcd), below the range the OS hands out.
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
  --listen-client-urls http://127.0.0.1:21360 --advertise-client-urls http://127.0.0.1:21360 \
  --listen-peer-urls http://127.0.0.1:21361 --initial-advertise-peer-urls http://127.0.0.1:21361 \
  --initial-cluster ref=http://127.0.0.1:21361
start tsetcd node "$here/bin/run.js" serve --name ours --data-dir "$work/tsetcd" \
  --listen-client-urls http://127.0.0.1:22360 --advertise-client-urls http://127.0.0.1:22360 \
  --listen-peer-urls http://127.0.0.1:22361 --initial-advertise-peer-urls http://127.0.0.1:22361 \
  --initial-cluster ours=http://127.0.0.1:22361
sleep 3

bench() { # label server endpoint
  printf '{"run":"%s","server":"%s",' "$1" "$2"
  "$kvbench" -endpoints "$3" -op watch-latency -clients 100 -total 2000 -conns 10 | sed 's/^{//'
}

bench warmup etcd 127.0.0.1:21360
bench warmup tsetcd 127.0.0.1:22360
for i in 1 2 3; do
  bench "$i" etcd 127.0.0.1:21360
  bench "$i" tsetcd 127.0.0.1:22360
done
