// Reads `perf script -F pid,tid,time,event,trace` output of bench/put-trace.sh and prints, for
// the leader <pid>, the medians (µs after the leader's read of a put request) of: its writes of
// the append to the two followers; the first follower's read of it, its WAL write (started by
// its thread-pool thread, and done: that thread's wake-up of the main thread), its
// acknowledgement written, and the leader's read of it; the leader's own WAL write (started,
// done); the answer written to the client, and the answer's time after the leader's WAL write;
// and how many PING ACKs the leader wrote to the client on their own per 100 puts.
//
//   node bench/put-trace.mjs <calls.txt> <leader pid>
import { readFileSync } from 'node:fs'

const [file, leader] = process.argv.slice(2)
const REQUEST = 0x14a // a 256-byte put as kvbench sends it: HEADERS and DATA in one read
const calls = []
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const m = /^\s*(\d+)\/(\d+)\s+([\d.]+):\s+syscalls:(\S+):\s*(.*)$/.exec(line)
  if (!m) continue
  const [, pid, tid, t, event, rest] = m
  const count = /count: (0x[0-9a-f]+)/.exec(rest)
  const fd = /fd: (0x[0-9a-f]+)/.exec(rest)
  calls.push({
    t: Number(t) * 1e6,
    pid,
    main: pid === tid,
    event,
    fd: fd?.[1],
    size: event === 'sys_exit_read' ? Number(rest.trim()) : count ? Number(count[1]) : -1,
  })
}
const isWrite = (c) => c.event === 'sys_enter_write' || c.event === 'sys_enter_writev'
// The client's connection: where the leader writes most of its smallest frames (PING ACKs, 17 bytes).
const byFd = new Map()
for (const c of calls)
  if (c.pid === leader && c.main && isWrite(c) && c.size === 17) byFd.set(c.fd, (byFd.get(c.fd) ?? 0) + 1)
const clientFd = [...byFd.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]
const requests = []
for (let i = 0; i < calls.length; i++) {
  const c = calls[i]
  if (c.pid === leader && c.main && c.event === 'sys_exit_read' && c.size === REQUEST) requests.push(i)
}
const cols = {
  append1: [],
  append2: [],
  followerRead: [],
  followerWalStart: [],
  followerWal: [],
  followerAck: [],
  ackRead: [],
  ownWalStart: [],
  ownWal: [],
  answer: [],
  afterWal: [],
}
for (let k = 0; k + 1 < requests.length; k++) {
  const t0 = calls[requests[k]].t
  const d = {}
  for (let i = requests[k] + 1; i < requests[k + 1]; i++) {
    const c = calls[i]
    const at = c.t - t0
    if (
      c.pid === leader &&
      c.main &&
      isWrite(c) &&
      c.fd !== clientFd &&
      (c.size >= 0x100 || c.event === 'sys_enter_writev')
    ) {
      if (d.append1 === undefined) d.append1 = at
      else if (d.append2 === undefined) d.append2 = at
    }
    if (
      d.followerRead === undefined &&
      c.pid !== leader &&
      c.main &&
      c.event === 'sys_exit_read' &&
      c.size >= 0x140 &&
      c.size < 0x200
    ) {
      d.followerRead = at
      d.follower = c.pid
    }
    if (c.event === 'sys_enter_pwrite64' && !c.main) {
      if (d.ownWalStart === undefined && c.pid === leader) d.ownWalStart = at
      if (d.followerWalStart === undefined && d.follower !== undefined && c.pid === d.follower) d.followerWalStart = at
    }
    // that follower's WAL write done, its acknowledgement written, and the leader's read of it
    if (
      d.followerWal === undefined &&
      d.follower !== undefined &&
      c.pid === d.follower &&
      !c.main &&
      isWrite(c) &&
      c.size === 8
    )
      d.followerWal = at
    else if (
      d.followerWal !== undefined &&
      d.followerAck === undefined &&
      c.pid === d.follower &&
      c.main &&
      isWrite(c) &&
      c.size < 0x40
    )
      d.followerAck = at
    else if (
      d.followerAck !== undefined &&
      d.ackRead === undefined &&
      c.pid === leader &&
      c.main &&
      c.event === 'sys_exit_read' &&
      c.size > 8
    )
      d.ackRead = at
    // the thread pool tells the main thread a write is done through an eventfd (8 bytes)
    if (d.ownWal === undefined && c.pid === leader && !c.main && isWrite(c) && c.size === 8) d.ownWal = at
    if (d.answer === undefined && c.pid === leader && c.main && isWrite(c) && c.fd === clientFd && c.size > 0x30)
      d.answer = at
  }
  if (Object.keys(d).length < 11) continue
  delete d.follower
  d.afterWal = d.answer - d.ownWal
  for (const key of Object.keys(cols)) cols[key].push(d[key])
}
const median = (v) => {
  const s = [...v].sort((a, b) => a - b)
  return s.length === 0 ? NaN : Math.round(s[s.length >> 1])
}
// PING ACKs written on their own (17 bytes) while puts were served, per 100 puts
const span = [calls[requests[0]]?.t ?? 0, calls[requests[requests.length - 1]]?.t ?? 0]
const acks = calls.filter(
  (c) =>
    c.pid === leader && c.main && isWrite(c) && c.fd === clientFd && c.size === 17 && c.t >= span[0] && c.t <= span[1],
).length
const m = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, median(v)]))
console.log(
  `append ${m.append1} ${m.append2}  follower read ${m.followerRead}  its WAL ${m.followerWalStart}-${m.followerWal}  its ack ${m.followerAck}  ack read ${m.ackRead}  own WAL ${m.ownWalStart}-${m.ownWal}  answer ${m.answer}  answer after WAL ${m.afterWal}  lone PING ACKs ${Math.round((100 * acks) / Math.max(1, requests.length - 1))}/100 puts  (${cols.answer.length} puts)`,
)
