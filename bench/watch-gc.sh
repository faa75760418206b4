#!/usr/bin/env bash
# V8's young-generation collections during kvbench's watch run on one tsetcd member, and the
# run's delivery latency. For each build given (a directory holding bin/run.js, built), in
# alternating rounds: a fresh member started with bin/tsetcd's flags and --trace-gc-nvp, a
# 10,000-put warm-up (100 clients), then the watch run twice (100 watchers, 10 connections,
# 2,000 puts). Prints one line per member:
#
#   <build> p99 <first run> <second run> ms  scavenges <n>  pause <mean> ms  sweep <mean> ms
#
# n counts the collections during both watch runs; pause is their mean pause, sweep the mean of
# its part spent freeing dead ArrayBuffers (scavenge.sweep_array_buffers).
#
#   npm run build && bash bench/watch-gc.sh [rounds (3)] [build dir ...] (default: this tree)
#
# Needs etcdctl (Debian etcd-client) and kvbench (../shared/bench/build.sh /tmp/kvbench, or
# KVBENCH). Ports 23379-23380.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-3}"
shift || true
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=("$here")
kvbench="${KVBENCH:-/tmp/kvbench}"
. "$here/bench/one-member.sh"
flags=(--interrupt-budget=8448 --max-semi-space-size=8)
[ "$(nproc)" -le 2 ] && flags+=(--single-threaded-gc)

one() { # build
  local build=$1
  start_member 23379 23380 node "${flags[@]}" --trace-gc-nvp "$build/bin/run.js" serve
  "$kvbench" -endpoints "$ep" -op put -conns 10 -clients 100 -total 10000 -val-size 256 >/dev/null
  local from to p1 p2
  from=$(wc -l <"$work/log")
  p1=$("$kvbench" -endpoints "$ep" -op watch-latency -conns 10 -clients 100 -total 2000 | sed 's/.*"p99_ms":\([0-9.]*\).*/\1/')
  p2=$("$kvbench" -endpoints "$ep" -op watch-latency -conns 10 -clients 100 -total 2000 | sed 's/.*"p99_ms":\([0-9.]*\).*/\1/')
  to=$(wc -l <"$work/log")
  stop_member
  sed -n "$((from + 1)),${to}p" "$work/log" | grep 'gc=s ' | awk -v b="$build" -v p1="$p1" -v p2="$p2" '
    { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == "pause") p += a[2]; if (a[1] == "scavenge.sweep_array_buffers") s += a[2] } n++ }
    END { printf "%s p99 %s %s ms  scavenges %d  pause %.2f ms  sweep %.2f ms\n", b, p1, p2, n, n ? p / n : 0, n ? s / n : 0 }'
}

for _ in $(seq 1 "$rounds"); do
  for b in "${builds[@]}"; do one "$b"; done
done
