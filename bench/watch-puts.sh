#!/usr/bin/env bash
# kvbench's watch run on one fresh member, each put followed on its own (bench/watch-puts):
# etcd and tsetcd alternately, ROUNDS times each. Per member: a 10,000-put warm-up (100
# clients) and two single-client runs of 2,000 puts, as in compare.sh before its watch rows, then
# the watch run twice (100 watchers, 10 connections, 2,000 puts). Each watch run prints its p50
# and p99, the first puts one by one (answered, and the first, median and last delivery, in ms
# after the put started), and how many deliveries of each range of puts are above the run's p99.
#
#   npm run build && bash bench/watch-puts.sh [rounds (1)] [etcd|tsetcd|both (both)]
#
# Needs etcd and etcdctl (Debian etcd-server, etcd-client), go and golang-etcd-server-dev (to
# build bench/watch-puts), kvbench (../shared/bench/build.sh /tmp/kvbench, or KVBENCH).
# TSETCD is the command that runs tsetcd (default: bin/tsetcd). Ports 23479-23480.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-1}"
which="${2:-both}"
kvbench="${KVBENCH:-/tmp/kvbench}"
tsetcd="${TSETCD:-$here/bin/tsetcd}"
. "$here/bench/one-member.sh"

mkdir -p "$work/go/src/watch-puts"
cp "$here/bench/watch-puts/main.go" "$work/go/src/watch-puts/"
(cd "$work/go/src/watch-puts" && GO111MODULE=off GOPATH="$work/go:/usr/share/gocode" go build -o "$work/watch-puts" .)

one() { # etcd|tsetcd
  local server=$1 cmd
  if [ "$server" = etcd ]; then cmd=(etcd); else read -r -a cmd <<<"$tsetcd"; cmd+=(serve); fi
  start_member 23479 23480 "${cmd[@]}"
  "$kvbench" -endpoints "$ep" -op put -conns 10 -clients 100 -total 10000 >/dev/null
  "$kvbench" -endpoints "$ep" -op put -conns 1 -clients 1 -total 2000 >/dev/null
  "$kvbench" -endpoints "$ep" -op put -conns 1 -clients 1 -total 2000 >/dev/null
  for run in first second; do
    echo "== $server, $run watch run"
    "$work/watch-puts" -endpoint "$ep"
  done
  stop_member
}

for _ in $(seq 1 "$rounds"); do
  case "$which" in
    etcd) one etcd ;;
    tsetcd) one tsetcd ;;
    *) one etcd; one tsetcd ;;
  esac
done
