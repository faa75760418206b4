#!/usr/bin/env bash
# Runs kvbench (../shared/bench) against a real etcd and against tsetcd, each started fresh
# with the same flags on this machine in the same run, one after the other, and prints one
# JSON line per run.
#
#   npm run build && bash bench/compare.sh [members (1 or 3)] [kvbench binary]
#
# Needs: etcd (Debian etcd-server) and kvbench (../shared/bench/build.sh /tmp/kvbench).
# Ports 21300-21340 (etcd) and 22300-22340 (tsetcd), below the range the OS hands out.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
members="${1:-1}"
kvbench="${2:-/tmp/kvbench}"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start_cluster NAME BASEPORT CMD...: members on BASEPORT+10*i (client) and +1 (peer)
start_cluster() {
  local name=$1 base=$2; shift 2
  local initial="" eps=""
  for i in $(seq 1 "$members"); do
    initial+="${initial:+,}m$i=http://127.0.0.1:$((base + 10 * i + 1))"
    eps+="${eps:+,}127.0.0.1:$((base + 10 * i))"
  done
  for i in $(seq 1 "$members"); do
    local cp=$((base + 10 * i)) pp=$((base + 10 * i + 1))
    "$@" --name "m$i" --data-dir "$work/$name/m$i" \
      --listen-client-urls "http://127.0.0.1:$cp" --advertise-client-urls "http://127.0.0.1:$cp" \
      --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
      --initial-cluster "$initial" --initial-cluster-token "bench-$name" >"$work/$name-m$i.log" 2>&1 &
    pids+=($!)
  done
  endpoints=$eps
  sleep 4
}

stop_all() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pids=()
  sleep 1
}

bench() { # server name
  local name=$1 leader_ep=${endpoints%%,*}
  for run in \
    "-op put -conns 10 -clients 100 -total 20000 -val-size 256" \
    "-op range -conns 10 -clients 100 -total 20000" \
    "-op range-serializable -conns 10 -clients 100 -total 20000"; do
    # shellcheck disable=SC2086
    printf '{"server":"%s","members":%s,' "$name" "$members"; "$kvbench" -endpoints "$endpoints" $run | sed 's/^{//'
  done
  printf '{"server":"%s","members":%s,' "$name" "$members"; "$kvbench" -endpoints "$leader_ep" -op put -conns 1 -clients 1 -total 2000 -val-size 256 | sed 's/^{//'
}

start_cluster etcd 21300 etcd
bench etcd
stop_all
start_cluster tsetcd 22300 node "$here/bin/run.js" serve
bench tsetcd
stop_all
