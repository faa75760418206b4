# Sourced by the bench scripts that run one member at a time (memory.sh, watch-gc.sh,
# watch-puts.sh): a work directory removed at exit, the member running (pid) killed at exit,
# and starting and stopping that member.
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start_member <client port> <peer port> <command...>: starts the command (etcd, or tsetcd's
# `... serve`) as member m1 of a one-member cluster with a fresh data dir ($work/data), its
# output in $work/log, and waits until `etcdctl endpoint health` answers. Sets pid and ep.
start_member() {
  local cp=$1 pp=$2
  shift 2
  ep="127.0.0.1:$cp"
  rm -rf "$work/data"
  "$@" --name m1 --data-dir "$work/data" \
    --listen-client-urls "http://$ep" --advertise-client-urls "http://$ep" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "m1=http://127.0.0.1:$pp" >"$work/log" 2>&1 &
  pid=$!
  until ETCDCTL_API=3 etcdctl --endpoints "$ep" --dial-timeout 1s --command-timeout 2s endpoint health >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.2
  done
}

# stop_member: kills the member (SIGKILL) and waits for it.
stop_member() {
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
