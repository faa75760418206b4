/**
 * A fault schedule drawn from a seed: the members' settings (--snapshot-count,
 * --max-snapshots) and a sequence of faults, each held for a while and then healed.
 * The same seed gives the same schedule (the timing of the run around it is not replayed).
 */
import { Rng } from '../helpers/rng.js'
import type { CutMode } from './proxy.js'

/** Whom a fault hits: the member that is leader when the fault starts, or a fixed one. */
export type Target = { leader: true } | { member: number }

export type Fault =
  | { kind: 'kill9'; target: Target }
  | { kind: 'term'; target: Target }
  | { kind: 'pause'; target: Target }
  /** Cuts from→to, or both directions. */
  | { kind: 'cut'; from: number; to: number; both: boolean; mode: CutMode }
  /** Cuts every link to and from the member. */
  | { kind: 'isolate'; target: Target; mode: CutMode }
  /** kill -9 of a member while another one is isolated (no quorum for a while). */
  | { kind: 'kill9-while-isolated'; target: Target; isolated: number; mode: CutMode }

export interface Step {
  fault: Fault
  /** How long the fault is held while the load runs. */
  holdMs: number
  /** How long the load runs after healing, before the next fault. */
  gapMs: number
}

export interface Schedule {
  seed: number
  snapshotCount: number
  maxSnapshots: number
  /** TSETCD_WAL_SEGMENT_BYTES (0: the default, 64 MiB) and --max-wals. */
  walSegmentBytes: number
  maxWals: number
  steps: Step[]
}

export function makeSchedule(seed: number, steps: number): Schedule {
  const rng = new Rng(seed)
  const snapshotCount = rng.pick([5, 10, 25, 50, 100, 200])
  const maxSnapshots = rng.pick([1, 2, 5])
  const walSegmentBytes = rng.pick([16384, 262144, 0])
  const maxWals = rng.pick([1, 2, 5])
  const target = (): Target => (rng.next() < 0.4 ? { leader: true } : { member: rng.int(3) })
  const mode = (): CutMode => (rng.next() < 0.5 ? 'drop' : 'blackhole')
  const out: Step[] = []
  for (let i = 0; i < steps; i++) {
    const r = rng.next()
    let fault: Fault
    if (r < 0.3) fault = { kind: 'kill9', target: target() }
    else if (r < 0.42) fault = { kind: 'term', target: target() }
    else if (r < 0.57) fault = { kind: 'pause', target: target() }
    else if (r < 0.75) {
      const from = rng.int(3)
      fault = { kind: 'cut', from, to: (from + 1 + rng.int(2)) % 3, both: rng.next() < 0.5, mode: mode() }
    } else if (r < 0.92) fault = { kind: 'isolate', target: target(), mode: mode() }
    else fault = { kind: 'kill9-while-isolated', target: { member: rng.int(3) }, isolated: rng.int(3), mode: mode() }
    if (fault.kind === 'kill9-while-isolated' && fault.isolated === (fault.target as { member: number }).member)
      fault.isolated = (fault.isolated + 1) % 3
    out.push({ fault, holdMs: rng.range(300, 3000), gapMs: rng.range(300, 2000) })
  }
  return { seed, snapshotCount, maxSnapshots, walSegmentBytes, maxWals, steps: out }
}

export function describeFault(f: Fault): string {
  const t = (x: Target) => ('leader' in x ? 'leader' : `etcd${x.member + 1}`)
  switch (f.kind) {
    case 'kill9':
      return `kill -9 ${t(f.target)}, restart`
    case 'term':
      return `SIGTERM ${t(f.target)}, restart`
    case 'pause':
      return `SIGSTOP ${t(f.target)}, SIGCONT`
    case 'cut':
      return `cut etcd${f.from + 1} ${f.both ? '<->' : '->'} etcd${f.to + 1} (${f.mode})`
    case 'isolate':
      return `isolate ${t(f.target)} (${f.mode})`
    case 'kill9-while-isolated':
      return `isolate etcd${f.isolated + 1} (${f.mode}) and kill -9 ${t(f.target)}`
  }
}

export function describeSchedule(s: Schedule): string {
  return [
    `seed ${s.seed}: --snapshot-count ${s.snapshotCount} --max-snapshots ${s.maxSnapshots} --max-wals ${s.maxWals} WAL segments ${s.walSegmentBytes || 'default'}`,
    ...s.steps.map((st, i) => `  ${i + 1}. ${describeFault(st.fault)} for ${st.holdMs} ms, then ${st.gapMs} ms healed`),
  ].join('\n')
}
