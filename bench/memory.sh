#!/usr/bin/env bash
# Memory and CPU per put of one member, for a real etcd and for tsetcd, started fresh in the
# same run on free ports. For each server, prints one line:
#
#   server rest_rss_kb put_rss_kb watch_rss_kb settled_rss_kb cpu_us_per_put [heap_total/used/external MB]
#
# rest: after start and a 2000-put warm-up; put: after 30000 puts (10 conns, 100 clients,
# 256-byte values); watch: after 2000 watch-latency rounds; settled: SETTLE seconds (default
# 30) after that, with no requests. Each of the first three is read 2 s after its step. CPU is
# the member's utime+stime (from /proc/<pid>/stat) across the 30000 puts, divided by 30000.
#
#   npm run build && bash bench/memory.sh [runs] [which: both|etcd|tsetcd] [kvbench binary]
#
# TSETCD is the command that runs tsetcd (default: bin/tsetcd, as installed; TSETCD="node
# bin/run.js" for node's defaults); it and extra environment (NODE_OPTIONS, MALLOC_ARENA_MAX...)
# choose what is measured as tsetcd.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-1}"
which="${2:-both}"
kvbench="${3:-/tmp/kvbench}"
. "$here/bench/one-member.sh"
tick=$(getconf CLK_TCK)

freeports() { # two free TCP ports
  node -e '
    const net = require("node:net")
    const take = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => ok(s)) })
    Promise.all([take(), take()]).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()) })'
}

cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

metrics() { # heap total/used and external memory in MB, from /metrics
  curl -s "http://127.0.0.1:$1/metrics" | awk '
    /^nodejs_heap_size_total_bytes / {t=$2} /^nodejs_heap_size_used_bytes / {u=$2}
    /^nodejs_external_memory_bytes / {e=$2}
    END {if (t) printf "heap %.0f/%.0f ext %.0f", t/1048576, u/1048576, e/1048576}'
}

one() { # name
  local name=$1 cp pp
  read -r cp pp < <(freeports)
  if [ "$name" = etcd ]; then
    start_member "$cp" "$pp" etcd
  else
    # shellcheck disable=SC2086
    start_member "$cp" "$pp" ${TSETCD:-$here/bin/tsetcd} serve
  fi
  "$kvbench" -endpoints "$ep" -op put -conns 10 -clients 100 -total 2000 -val-size 256 >/dev/null
  sleep 2
  local rest m0="" m1="" m2=""
  rest=$(rss "$pid")
  [ "$name" = etcd ] || m0=$(metrics "$cp")
  local t0 t1
  t0=$(cpu "$pid")
  "$kvbench" -endpoints "$ep" -op put -conns 10 -clients 100 -total 30000 -val-size 256 >/dev/null
  t1=$(cpu "$pid")
  sleep 2
  local put
  put=$(rss "$pid")
  [ "$name" = etcd ] || m1=$(metrics "$cp")
  "$kvbench" -endpoints "$ep" -op watch-latency -conns 10 -clients 100 -total 2000 >/dev/null
  sleep 2
  local watch
  watch=$(rss "$pid")
  [ "$name" = etcd ] || m2=$(metrics "$cp")
  sleep "${SETTLE:-30}"
  local settled m3=""
  settled=$(rss "$pid")
  [ "$name" = etcd ] || m3=$(metrics "$cp")
  local us=$(((t1 - t0) * 1000000 / tick / 30000))
  printf '%-7s rest %6d put %6d watch %6d settled %6d cpu/put %4dus  %s | %s | %s | %s\n' \
    "$name" "$rest" "$put" "$watch" "$settled" "$us" "$m0" "$m1" "$m2" "$m3"
  stop_member
}

for _ in $(seq 1 "$runs"); do
  case "$which" in
    both) one etcd; one tsetcd ;;
    *) one "$which" ;;
  esac
done
