#!/bin/bash
# Put throughput and server CPU per put of a build without metrics (BASE: another checkout,
# built) against this one with --metrics basic and extensive, interleaved per round.
#
#   bash bench/metrics-ab.sh BASE_DIR [ROUNDS] [KVBENCH] [PORT]
#
# One line per run: round, variant, server CPU per put (µs), kvbench's JSON.
set -u
BASE=$1
ROUNDS=${2:-5}
KVBENCH=${3:-/tmp/kvbench}
P=${4:-44379}
HERE=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TICK_US=$((1000000 / $(getconf CLK_TCK)))
for r in $(seq 1 "$ROUNDS"); do
  for v in base basic extensive; do
    d=$TMP/data-$v
    rm -rf "$d"
    if [ $v = base ]; then root=$BASE; extra=(); else root=$HERE; extra=(--metrics $v); fi
    node "$root/bin/run.js" serve --data-dir "$d" \
      --listen-client-urls http://127.0.0.1:$P --advertise-client-urls http://127.0.0.1:$P \
      --listen-peer-urls http://127.0.0.1:$((P + 1)) --initial-advertise-peer-urls http://127.0.0.1:$((P + 1)) \
      --initial-cluster default=http://127.0.0.1:$((P + 1)) --log-level warn "${extra[@]}" >"$TMP/log-$v" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
      ETCDCTL_API=3 etcdctl --endpoints 127.0.0.1:$P get x >/dev/null 2>&1 && break
      sleep 0.1
    done
    "$KVBENCH" -endpoints 127.0.0.1:$P -op put -conns 10 -clients 100 -total 5000 -val-size 256 >/dev/null
    t0=$(awk '{print $14+$15}' /proc/$pid/stat)
    res=$("$KVBENCH" -endpoints 127.0.0.1:$P -op put -conns 10 -clients 100 -total 40000 -val-size 256)
    t1=$(awk '{print $14+$15}' /proc/$pid/stat)
    echo "$r $v cpu_us_per_put=$(echo "scale=1; ($t1 - $t0) * $TICK_US / 40000" | bc) $res"
    kill $pid
    wait $pid 2>/dev/null
  done
done
