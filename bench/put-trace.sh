#!/usr/bin/env bash
# Where a single client's put spends its time at three tsetcd members, from the kernel's side:
# for each build given (a directory holding bin/tsetcd, built), in alternating rounds, three
# fresh members on loopback, a 10,000-put warm-up (100 clients) and 2,000 single-client puts on
# the leader, then 3,000 more while `perf record` takes the members' read and write system
# calls for 1.5 s. bench/put-trace.mjs reads the calls of each put, from the leader's read of
# the request, and prints one line per member set (medians, µs):
#
#   <build> kvbench p50 <ms>  append <µs> <µs>  follower read <µs>  its WAL <µs>-<µs>
#     its ack <µs>  ack read <µs>  own WAL <µs>-<µs>  answer <µs>  answer after WAL <µs>
#     lone PING ACKs <n>/100 puts
#
# append: the leader's writes of the append to the two followers; follower read: the first
# follower's read of it; its WAL: that follower's WAL write, from its thread-pool thread's
# pwrite to that thread's wake-up of the main thread; its ack: the follower's acknowledgement
# written; ack read: the leader's read of it; own WAL: the leader's WAL write, the same way;
# answer: the leader's write of the answer to the client. The disk's time moves from run to
# run on this machine; "answer after WAL" is most of what is left.
#
#   npm run build && bash bench/put-trace.sh [rounds (2)] [build dir ...] (default: this tree)
#
# Needs perf (Debian linux-perf; root), etcdctl, jq and kvbench (../shared/bench/build.sh
# /tmp/kvbench, or KVBENCH). Ports 23410-23431.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-2}"
shift || true
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=("$here")
kvbench="${KVBENCH:-/tmp/kvbench}"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export ETCDCTL_API=3
initial="" eps=""
for i in 1 2 3; do
  initial+="${initial:+,}m$i=http://127.0.0.1:$((23401 + 10 * i))"
  eps+="${eps:+,}127.0.0.1:$((23400 + 10 * i))"
done

for r in $(seq 1 "$rounds"); do
  for b in "${builds[@]}"; do
    rm -rf "${work:?}/m"*
    pids=()
    for i in 1 2 3; do
      cp=$((23400 + 10 * i)) pp=$((23401 + 10 * i))
      "$b/bin/tsetcd" serve --name "m$i" --data-dir "$work/m$i" \
        --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
        --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
        --initial-cluster "$initial" --initial-cluster-token put-trace >"$work/m$i.log" 2>&1 &
      pids+=($!)
    done
    until etcdctl --endpoints "$eps" --dial-timeout 1s endpoint health >/dev/null 2>&1; do sleep 0.2; done
    leader=$(etcdctl --endpoints "$eps" endpoint status | awk -F', ' '$5 == "true" { print $1 }')
    lpid=${pids[$(((${leader##*:} - 23400) / 10 - 1))]}
    "$kvbench" -endpoints "$eps" -op put -conns 10 -clients 100 -total 10000 -val-size 256 >/dev/null
    "$kvbench" -endpoints "$leader" -op put -conns 1 -clients 1 -total 2000 -val-size 256 >/dev/null
    "$kvbench" -endpoints "$leader" -op put -conns 1 -clients 1 -total 3000 -val-size 256 >"$work/kvbench.json" &
    kv=$!
    sleep 0.5
    perf record -q -e syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_pwrite64,syscalls:sys_exit_read \
      -p "$(IFS=,; echo "${pids[*]}")" -o "$work/perf.data" -- sleep 1.5 2>/dev/null
    wait "$kv"
    perf script -i "$work/perf.data" -F pid,tid,time,event,trace 2>/dev/null >"$work/calls.txt"
    echo "$(basename "$b") kvbench p50 $(jq -r .p50_ms "$work/kvbench.json") ms  $(node "$here/bench/put-trace.mjs" "$work/calls.txt" "$lpid")"
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
  done
done
