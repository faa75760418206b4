#!/usr/bin/env bash
# Scale benchmark: one member holding N keys (default 1,000,000), a real etcd and tsetcd
# started fresh with the same flags on this machine in the same run, alternately, RUNS times
# each (default 3). Per run and server, one JSON line:
#   load_s        loading N distinct keys (256-byte values; dist/bench/scale-load.js:
#                 transactions of 100 puts, 8 in flight)
#   rss_mb        the server's resident memory once loaded
#   get_p99_range_ms / get_p50_range_ms
#                 small gets (kvbench -op range, 10 clients) while another client (etcdctl)
#                 ranges the first 500,000 keys over and over
#   ranges_ok / ranges_failed
#                 those ranges answered in full (etcdctl exit 0) or failed, in that window
#   rss_range_mb  the server's resident memory right after that window
#   get_p99_compact_ms / get_p50_compact_ms
#                 the same while another client compacts over and over (etcdctl put, then
#                 compact --physical at that revision: each pass goes over every key)
#   compactions_ok / compactions_failed
#                 those passes that succeeded or failed, in that window
#   restart_s     from starting the stopped member to its first answered get
#   rss_restart_mb  resident memory after the restart
# then the median of each figure per server.
#
#   npm run build && bash bench/scale.sh [keys] [runs] [kvbench binary]
#
# TSETCD is the command that runs tsetcd (default: bin/tsetcd, as installed; TSETCD="node
# bin/run.js" for node's defaults).
#
# Needs: etcd and etcdctl (Debian etcd-server, etcd-client), kvbench
# (../shared/bench/build.sh /tmp/kvbench). Ports 21400-21401 (etcd), 22400-22401 (tsetcd).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
keys="${1:-1000000}"
runs="${2:-3}"
kvbench="${3:-/tmp/kvbench}"
window="${WINDOW:-10s}"
work=$(mktemp -d)
pid=""
loop=""
cleanup() {
  [ -n "$loop" ] && stop_loop
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start() { # name base datadir cmd...
  local name=$1 base=$2 dir=$3; shift 3
  "$@" --name m1 --data-dir "$dir" \
    --listen-client-urls "http://127.0.0.1:$base" --advertise-client-urls "http://127.0.0.1:$base" \
    --listen-peer-urls "http://127.0.0.1:$((base + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((base + 1))" \
    --initial-cluster "m1=http://127.0.0.1:$((base + 1))" --initial-cluster-token "scale-$name" \
    >>"$work/$name.log" 2>&1 &
  pid=$!
}

# Waits until a get answers; prints the seconds since $1 (date +%s.%N). The port is polled
# first: an etcdctl that starts before the port listens waits out gRPC's reconnect backoff
# (1 s), which would round the time up by as much.
ready() {
  local t0=$1 ep=$2
  until (exec 3<>"/dev/tcp/${ep%:*}/${ep##*:}") 2>/dev/null; do sleep 0.01; done
  until etcdctl --endpoints "$ep" --dial-timeout 60s --command-timeout 60s get key/00000000 >/dev/null 2>&1; do
    sleep 0.01
  done
  echo "$(date +%s.%N) - $t0" | bc
}

# Stops the background loop and the etcdctl it is running (left alone, that one would go on
# into the next window or the restart).
stop_loop() {
  kill -STOP "$loop" 2>/dev/null || true
  pkill -P "$loop" 2>/dev/null || true
  kill -9 "$loop" 2>/dev/null || true
  wait "$loop" 2>/dev/null || true
  loop=""
}

rss_mb() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

small_gets() { # endpoint: kvbench JSON line
  "$kvbench" -endpoints "$1" -op range -conns 2 -clients 10 -total 100000000 -key-space 2000 -max-time "$window"
}

one() { # name base cmd...
  local name=$1 base=$2; shift 2
  local ep="127.0.0.1:$base" dir="$work/$name.data"
  rm -rf "$dir"
  start "$name" "$base" "$dir" "$@"
  ready "$(date +%s.%N)" "$ep" >/dev/null 2>&1 || true
  local load rss g1 g2 restart rss2
  load=$(node "$here/dist/bench/scale-load.js" "$ep" "$keys" | sed 's/.*"seconds":\([0-9.]*\).*/\1/')
  rss=$(rss_mb "$pid")
  # Small gets while another client ranges 500,000 keys, over and over.
  : >"$work/ranges"
  (while :; do
    if etcdctl --endpoints "$ep" --command-timeout 120s get key/ --prefix --limit 500000 >/dev/null 2>>"$work/loops.log"
    then echo ok; else echo failed; fi >>"$work/ranges"
  done) &
  loop=$!
  g1=$(small_gets "$ep")
  local rss_range; rss_range=$(rss_mb "$pid")
  stop_loop
  # Small gets while another client compacts, over and over.
  : >"$work/compactions"
  (while :; do
    rev=$(etcdctl --endpoints "$ep" put compact-marker x -w json | sed 's/.*"revision":\([0-9]*\).*/\1/')
    if etcdctl --endpoints "$ep" --command-timeout 120s compact --physical "$rev" >/dev/null 2>>"$work/loops.log"
    then echo ok; else echo failed; fi >>"$work/compactions"
  done) &
  loop=$!
  g2=$(small_gets "$ep")
  stop_loop
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local t0; t0=$(date +%s.%N)
  start "$name" "$base" "$dir" "$@"
  restart=$(ready "$t0" "$ep")
  rss2=$(rss_mb "$pid")
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  rm -rf "$dir"
  local p99r p50r p99c p50c
  p99r=$(echo "$g1" | sed 's/.*"p99_ms":\([0-9.]*\).*/\1/'); p50r=$(echo "$g1" | sed 's/.*"p50_ms":\([0-9.]*\).*/\1/')
  p99c=$(echo "$g2" | sed 's/.*"p99_ms":\([0-9.]*\).*/\1/'); p50c=$(echo "$g2" | sed 's/.*"p50_ms":\([0-9.]*\).*/\1/')
  local rok rfail cok cfail
  rok=$(grep -c '^ok' "$work/ranges" || true); rfail=$(grep -c '^failed' "$work/ranges" || true)
  cok=$(grep -c '^ok' "$work/compactions" || true); cfail=$(grep -c '^failed' "$work/compactions" || true)
  printf '{"server":"%s","keys":%s,"load_s":%s,"rss_mb":%s,"get_p99_range_ms":%s,"get_p50_range_ms":%s,"ranges_ok":%s,"ranges_failed":%s,"rss_range_mb":%s,"get_p99_compact_ms":%s,"get_p50_compact_ms":%s,"compactions_ok":%s,"compactions_failed":%s,"restart_s":%s,"rss_restart_mb":%s}\n' \
    "$name" "$keys" "$load" "$rss" "$p99r" "$p50r" "$rok" "$rfail" "$rss_range" "$p99c" "$p50c" "$cok" "$cfail" "$restart" "$rss2" | tee -a "$work/results"
}

for _ in $(seq 1 "$runs"); do
  one etcd 21400 etcd --quota-backend-bytes 8589934592
  # shellcheck disable=SC2086
  one tsetcd 22400 ${TSETCD:-$here/bin/tsetcd} serve --quota-backend-bytes 8589934592
done
python3 - "$work/results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for server in ("etcd", "tsetcd"):
    mine = [r for r in rows if r["server"] == server]
    med = {k: statistics.median(r[k] for r in mine) for k in mine[0] if k not in ("server", "keys")}
    print(json.dumps({"server": server, "median_of": len(mine), **med}))
PY
