// Reads the JSON lines bench/compare.sh writes (one per kvbench run: round, server, members,
// row, rss_kb, rss_max_kb, load1 and kvbench's own fields) from the files named on the command
// line, or stdin, and prints a markdown table of the medians over the rounds, etcd against
// tsetcd, for each member count and row.
//
//   node bench/median.mjs runs.jsonl [more.jsonl ...]
import { readFileSync } from 'node:fs'

const rows = [
  { row: 'put', label: 'put, 100 clients, 10 conns, 256-byte values', kind: 'qps' },
  { row: 'range', label: 'linearizable range, 100 clients, 10 conns', kind: 'qps' },
  { row: 'range-serializable', label: 'serializable range, 100 clients, 10 conns', kind: 'qps' },
  { row: 'txn', label: 'txn (compare mod revision, put), 100 clients, 10 conns, 256-byte values', kind: 'qps' },
  { row: 'put-1', label: 'put, 1 client, p50 latency, first run', leader: true, kind: 'p50' },
  { row: 'put-1-again', label: 'put, 1 client, p50 latency, second run', leader: true, kind: 'p50' },
  {
    row: 'watch-first',
    label: 'watch delivery latency p99 (p50), 100 watchers, 10 conns, first run',
    leader: true,
    kind: 'watch',
  },
  {
    row: 'watch',
    label: 'watch delivery latency p99 (p50), 100 watchers, 10 conns, second run',
    leader: true,
    kind: 'watch',
  },
]
const servers = ['etcd', 'tsetcd']

function median(xs) {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const text =
  process.argv.length > 2
    ? process.argv
        .slice(2)
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n')
    : readFileSync(0, 'utf8')
const runs = text
  .split('\n')
  .filter((l) => l.trim().startsWith('{'))
  .map((l) => JSON.parse(l))

const num = (x) => Math.round(x).toLocaleString('en-US')
const ms = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(3) : x.toFixed(1)} ms` : 'n/a')
const qps = (x) => (Number.isFinite(x) ? `${num(x)} /s` : 'n/a')
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a')
const mib = (kb) => (Number.isFinite(kb) ? `${num(kb / 1024)} MiB` : 'n/a')

// Notes on the runs behind a cell: failures (left out of the median), errors, missed events.
function notes(rs, all) {
  const out = []
  const failed = all.length - rs.length
  if (failed) out.push(`${failed} of ${all.length} runs failed`)
  const errors = rs.reduce((n, r) => n + (r.errors || 0), 0)
  if (errors) out.push(`${errors} errors`)
  const gone = Math.max(0, ...rs.map((r) => r.members_gone || 0))
  if (gone) out.push(`${gone} member(s) exited`)
  const missed = rs.filter((r) => r.op === 'watch-latency' && r.ops < r.total * 100).length
  if (missed) out.push(`${missed} runs missed events`)
  return out.length ? ` (${out.join(', ')})` : ''
}

const memberCounts = [...new Set(runs.map((r) => r.members))].sort((a, b) => a - b)
const lines = [
  '| benchmark (kvbench) | members | etcd | tsetcd | ratio (>1: tsetcd better) | RSS etcd | RSS tsetcd |',
  '| --- | --- | --- | --- | --- | --- | --- |',
]
const rounds = new Set()
const loads = []
for (const members of memberCounts) {
  for (const def of rows) {
    const cell = {}
    for (const server of servers) {
      const all = runs.filter((r) => r.members === members && r.row === def.row && r.server === server)
      const ok = all.filter((r) => !r.failed)
      for (const r of all) rounds.add(r.round)
      for (const r of all) if (Number.isFinite(r.load1)) loads.push(r.load1)
      cell[server] = {
        qps: median(ok.map((r) => r.qps)),
        p50: median(ok.map((r) => r.p50_ms)),
        p99: median(ok.map((r) => r.p99_ms)),
        rss: median(ok.map((r) => r.rss_kb)),
        rssMax: median(ok.map((r) => r.rss_max_kb)),
        notes: notes(ok, all),
        n: all.length,
      }
    }
    if (!cell.etcd.n && !cell.tsetcd.n) continue
    const e = cell.etcd
    const t = cell.tsetcd
    let ev, tv, rv
    if (def.kind === 'qps') {
      ev = qps(e.qps)
      tv = qps(t.qps)
      rv = ratio(t.qps / e.qps)
    } else if (def.kind === 'p50') {
      ev = ms(e.p50)
      tv = ms(t.p50)
      rv = ratio(e.p50 / t.p50)
    } else {
      ev = `${ms(e.p99)} (${ms(e.p50)})`
      tv = `${ms(t.p99)} (${ms(t.p50)})`
      rv = `${ratio(e.p99 / t.p99)} (${ratio(e.p50 / t.p50)})`
    }
    const rss = (c) => (members > 1 ? `${mib(c.rss)} (${mib(c.rssMax)})` : mib(c.rss))
    lines.push(
      `| ${def.label}${def.leader && members > 1 ? ' (leader)' : ''} | ${members} | ${ev}${e.notes} | ${tv}${t.notes} | ${rv} | ${rss(e)} | ${rss(t)} |`,
    )
  }
}
const totals = [...new Set(runs.filter((r) => r.row === 'put').map((r) => r.total))]
const seqTotals = [...new Set(runs.filter((r) => r.row === 'put-1').map((r) => r.total))]
lines.push('')
lines.push(
  `Medians of ${rounds.size} alternating round${rounds.size === 1 ? '' : 's'} (etcd, tsetcd, etcd, ...; each round starts the cluster fresh). ` +
    `Ratio: tsetcd/etcd for throughput, etcd/tsetcd for latency, so above 1.0 tsetcd is better. ` +
    `RSS: VmRSS read from /proc right after the run, summed over the members ` +
    `(three members: the sum, then the largest member in parentheses). ` +
    `${totals.map(num).join('/')} operations per 100-client run, ${seqTotals.map(num).join('/')} puts ` +
    `for the single-client put and for the watch run` +
    (loads.length ? `; load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.` : '.'),
)
console.log(lines.join('\n'))
