/**
 * What recording metrics costs per put, measured in isolation: the work a put adds with
 * `--metrics basic` (its gRPC method's started and handled counts) and with `--metrics
 * extensive` (two clock reads and a histogram observation more), and what each apply batch
 * adds (two clock reads and a backend-commit observation) and each WAL write (one
 * fdatasync observation). Compare with the CPU time a put costs the server (kvbench runs:
 * docs/performance.md).
 *
 *   npx tsc -p . && node dist/bench/metrics-cost.js
 */
import { newMethodStats } from '../src/server/api/h2/call.js'
import { MemberMetrics, type MetricSources } from '../src/server/metrics/index.js'

const sources: MetricSources = {
  hasLeader: () => true,
  isLeader: () => true,
  isLearner: () => false,
  memberIdHex: () => '1',
  committedIndex: () => 0,
  appliedIndex: () => 0,
  pendingProposals: () => 0,
  failedProposals: () => 0,
  heartbeatSendFailures: () => 0,
  dbTotalSize: () => 0,
  dbSizeInUse: () => 0,
  keys: () => 0,
  peerSentBytes: () => [],
  grpcMethods: () => [],
  serverVersion: () => '3.5.0',
}

function nsPer(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < 100_000; i++) fn(i) // warm up
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - t0) / n
}

const N = 5_000_000
const basic = new MemberMetrics(sources, 'basic')
const extensive = new MemberMetrics(sources, 'extensive')
const stats = newMethodStats()
const perCallBasic = nsPer(N, () => {
  stats.started++
  const t = stats.timed === undefined ? 0 : performance.now()
  stats.handled[0]++
  if (stats.timed !== undefined) stats.timed(performance.now() - t, 0)
})
const timed = extensive.handlingTimer('unary', 'etcdserverpb.KV', 'Put')!
const xstats = newMethodStats()
xstats.timed = (s) => timed(s)
const perCallExtensive = nsPer(N, () => {
  xstats.started++
  const t = performance.now()
  xstats.handled[0]++
  xstats.timed!((performance.now() - t) / 1000, 0)
})
const perBatch = nsPer(N / 5, () => {
  const t = performance.now()
  basic.backendCommitDone((performance.now() - t) / 1000)
  basic.walFsyncDone(0.0005)
})
const out = {
  per_call_basic_ns: Number(perCallBasic.toFixed(1)),
  per_call_extensive_ns: Number(perCallExtensive.toFixed(1)),
  per_batch_ns: Number(perBatch.toFixed(1)),
}
process.stdout.write(JSON.stringify(out) + '\n')
void extensive
