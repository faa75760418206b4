#!/usr/bin/env bash
# Runs kvbench (../shared/bench) against a real etcd and against tsetcd on this machine in the
# same run, in alternating rounds (etcd, tsetcd, etcd, tsetcd, ...). Each round starts the
# cluster fresh (new data directories, same flags for both servers) and runs, in this order:
#
#   put                 -op put -conns 10 -clients 100 -total 20000 -val-size 256   (all endpoints)
#   range               -op range -conns 10 -clients 100 -total 20000               (all endpoints)
#   range-serializable  -op range-serializable -conns 10 -clients 100 -total 20000  (all endpoints)
#   txn                 -op txn -conns 10 -clients 100 -total 20000 -val-size 256   (all endpoints)
#   put-1               -op put -conns 1 -clients 1 -total 2000 -val-size 256      (leader)
#   put-1-again         the same again                                               (leader)
#   watch-first         -op watch-latency -conns 10 -clients 100 -total 2000        (leader)
#   watch               the same again                                               (leader)
#
# Before the first row each server takes an unrecorded warm-up of the same put load
# (KV_WARMUP puts, 10,000 by default; 0 skips it). The single-client put and the watch run are
# each recorded twice: the first on the member (put-1, watch-first: tsetcd's JIT compiles the
# paths a lone client's puts and watchers take during it, as on a member that has just started
# serving them) and the second (put-1-again, watch: those paths compiled).
#
# Right after each run it reads VmRSS from /proc/<pid>/status of every member process.
# One JSON line per run goes to stderr (and is appended to $BENCH_LOG if set); at the end a
# markdown table of the medians over the rounds (bench/median.mjs) goes to stdout.
#
#   npm run build && bash bench/compare.sh [members (1 or 3)] [kvbench binary] [rounds (3)]
#
# TSETCD is the command that runs tsetcd (default: bin/tsetcd, as installed), for runs with
# other node flags: TSETCD="node bin/run.js" (node's defaults).
#
# Smaller runs (a smoke test): KV_TOTAL=2000 shrinks the 100-client runs' totals, and the
# single-client put and the watch run use min(2000, KV_TOTAL) unless KV_TOTAL_SEQ is set.
#
# Needs: etcd and etcdctl (Debian etcd-server, etcd-client) and kvbench
# (../shared/bench/build.sh /tmp/kvbench). Ports 21300-21340 (etcd) and 22300-22340 (tsetcd),
# below the range the OS hands out.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
members="${1:-1}"
kvbench="${2:-/tmp/kvbench}"
rounds="${3:-3}"
total="${KV_TOTAL:-20000}"
seq_total="${KV_TOTAL_SEQ:-$((total < 2000 ? total : 2000))}"
warmup="${KV_WARMUP:-10000}"

case "$members" in 1 | 3) ;; *) echo "members must be 1 or 3, not $members" >&2; exit 2 ;; esac
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds must be a positive integer, not $rounds" >&2; exit 2; }
[ -x "$kvbench" ] || { echo "no kvbench at $kvbench (../shared/bench/build.sh $kvbench)" >&2; exit 2; }
command -v etcd >/dev/null || { echo "no etcd on PATH (apt-get install etcd-server)" >&2; exit 2; }
command -v etcdctl >/dev/null || { echo "no etcdctl on PATH (apt-get install etcd-client)" >&2; exit 2; }
[ -f "$here/dist/src/cli/main.js" ] || { echo "tsetcd is not built (npm run build)" >&2; exit 2; }

work=$(mktemp -d)
runs="$work/runs.jsonl"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM
export ETCDCTL_API=3

# start_cluster NAME BASEPORT CMD...: members on BASEPORT+10*i (client) and +1 (peer), fresh
# data directories; returns once every member answers `etcdctl endpoint health`. Sets
# $endpoints (all members) and $leader_ep (the leader's client endpoint).
start_cluster() {
  local name=$1 base=$2; shift 2
  local initial="" eps=""
  for i in $(seq 1 "$members"); do
    initial+="${initial:+,}m$i=http://127.0.0.1:$((base + 10 * i + 1))"
    eps+="${eps:+,}127.0.0.1:$((base + 10 * i))"
  done
  rm -rf "${work:?}/$name"
  for i in $(seq 1 "$members"); do
    for port in $((base + 10 * i)) $((base + 10 * i + 1)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$name: something already listens on 127.0.0.1:$port (another benchmark?)" >&2
        exit 1
      fi
    done
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
  local deadline=$((SECONDS + 60))
  until etcdctl --endpoints "$endpoints" --dial-timeout 1s --command-timeout 2s endpoint health >/dev/null 2>&1; do
    for p in "${pids[@]}"; do
      kill -0 "$p" 2>/dev/null || { echo "$name: member $p exited" >&2; show_logs "$name"; exit 1; }
    done
    if ((SECONDS > deadline)); then
      echo "$name: not healthy after 60 s" >&2; show_logs "$name"; exit 1
    fi
    sleep 0.2
  done
  # The leader is the endpoint whose own member ID is the leader ID it reports (IDs kept as
  # strings: they do not fit a double).
  leader_ep=$(etcdctl --endpoints "$endpoints" endpoint status -w json | node -e '
    const raw = require("node:fs").readFileSync(0, "utf8").replace(/:\s*(\d{15,})/g, ":\"$1\"");
    const st = JSON.parse(raw).find((e) => String(e.Status.header.member_id) === String(e.Status.leader));
    if (!st) { console.error("no endpoint reports itself as the leader"); process.exit(1); }
    console.log(st.Endpoint);')
}

show_logs() { # name: the start and the end of each member's log
  for f in "$work/$1"-m*.log; do
    echo "== $(basename "$f")" >&2
    if [ "$(wc -l <"$f")" -le 30 ]; then cat "$f" >&2; else head -n 10 "$f" >&2; echo "..." >&2; tail -n 15 "$f" >&2; fi
  done
}

stop_all() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# rss: "SUM MAX DEAD" over the member processes' VmRSS (kB); DEAD counts members gone.
rss() {
  local sum=0 max=0 dead=0 kb
  for p in "${pids[@]}"; do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    if [ -z "$kb" ]; then dead=$((dead + 1)); continue; fi
    sum=$((sum + kb))
    if ((kb > max)); then max=$kb; fi
  done
  echo "$sum $max $dead"
}

# run ROUND SERVER ROW ENDPOINTS KVBENCH-ARGS...: one kvbench run, one JSON line.
run() {
  local round=$1 server=$2 row=$3 eps=$4; shift 4
  local out status=0 sum max dead line n=0 a prev=""
  for a in "$@"; do
    if [ "$prev" = -total ]; then n=$a; fi
    prev=$a
  done
  out=$("$kvbench" -endpoints "$eps" "$@" 2>>"$work/kvbench.err") || status=$?
  read -r sum max dead < <(rss)
  line=$(printf '{"round":%d,"server":"%s","members":%d,"row":"%s","total":%d,"rss_kb":%d,"rss_max_kb":%d,"members_gone":%d,"load1":%s,"endpoints":"%s"' \
    "$round" "$server" "$members" "$row" "$n" "$sum" "$max" "$dead" "$(cut -d' ' -f1 /proc/loadavg)" "$eps")
  if [ "$status" -eq 0 ] && [[ "$out" == \{* ]]; then
    line+=",${out#\{}"
  else
    line+=",\"failed\":\"kvbench exit $status: $(tail -n 1 "$work/kvbench.err" | tr -d '"\\[:cntrl:]')\"}"
  fi
  echo "$line" >>"$runs"
  echo "$line" >&2
  if [ -n "${BENCH_LOG:-}" ]; then echo "$line" >>"$BENCH_LOG"; fi
}

bench() { # round server
  local r=$1 s=$2
  # Warm-up, not recorded: the same put load for both servers, so that the first row does not
  # measure tsetcd's JIT compiling and its heap growing (KV_WARMUP=0 skips it).
  if [ "$warmup" -gt 0 ]; then
    "$kvbench" -endpoints "$endpoints" -op put -conns 10 -clients 100 -total "$warmup" -val-size 256 >/dev/null 2>>"$work/kvbench.err" || true
  fi
  run "$r" "$s" put "$endpoints" -op put -conns 10 -clients 100 -total "$total" -val-size 256
  run "$r" "$s" range "$endpoints" -op range -conns 10 -clients 100 -total "$total"
  run "$r" "$s" range-serializable "$endpoints" -op range-serializable -conns 10 -clients 100 -total "$total"
  run "$r" "$s" txn "$endpoints" -op txn -conns 10 -clients 100 -total "$total" -val-size 256
  run "$r" "$s" put-1 "$leader_ep" -op put -conns 1 -clients 1 -total "$seq_total" -val-size 256
  run "$r" "$s" put-1-again "$leader_ep" -op put -conns 1 -clients 1 -total "$seq_total" -val-size 256
  run "$r" "$s" watch-first "$leader_ep" -op watch-latency -conns 10 -clients 100 -total "$seq_total"
  run "$r" "$s" watch "$leader_ep" -op watch-latency -conns 10 -clients 100 -total "$seq_total"
}

read -ra tsetcd_cmd <<<"${TSETCD:-$here/bin/tsetcd}"
for r in $(seq 1 "$rounds"); do
  start_cluster etcd 21300 etcd
  bench "$r" etcd
  stop_all
  start_cluster tsetcd 22300 "${tsetcd_cmd[@]}" serve
  bench "$r" tsetcd
  stop_all
done

node "$here/bench/median.mjs" "$runs"
if grep -q '"failed"' "$runs"; then
  echo "some kvbench runs failed (the \"failed\" JSON lines above); the table leaves them out" >&2
  exit 1
fi
