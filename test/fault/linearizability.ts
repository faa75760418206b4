/**
 * A linearizability checker for key-value histories (Wing & Gong's search with Lowe's
 * memoization, as porcupine does it).
 *
 * Model: every key is an independent register (string value, or null for absent), so the
 * history is checked key by key (P-compositionality). Operations: put, get, compare-and-set
 * (a txn: if value == expect, or the key is absent when expect is null, then put) and delete.
 *
 * Search: the invocations and responses of one key's operations are put in a doubly linked
 * list sorted by time (an invocation before a response at the same instant, so touching
 * operations count as concurrent). Walking the list, an invocation is a candidate to take
 * effect now: if the model accepts it from the current state and the pair (set of operations
 * already linearized, new state) was not seen before, it is linearized — removed from the
 * list with its response — and the walk restarts at the head. Meeting a response means the
 * operation had to take effect before this point and could not: undo the last choice and try
 * the next candidate after it. The history is linearizable when the list empties, and is not
 * when there is nothing left to undo. The set of linearized operations is a bitset hashed
 * incrementally (Zobrist), and the cache compares the bitsets so a hash collision never prunes.
 *
 * An operation with unknown outcome has response time +Infinity and no output: the model
 * applies its effect without checking a result, and since its response is the last event it
 * can take effect at any moment after its invocation, or (equivalently, as nothing observes
 * anything after the end) never. A get with unknown outcome constrains nothing and is dropped.
 */
import { describeOp, type Operation } from './history.js'

export type State = string | null

/** The register's transition: is the operation's recorded result possible from `state`, and the state after it. */
export function step(state: State, op: Operation): { ok: boolean; next: State } {
  const i = op.input
  const o = op.output
  switch (i.kind) {
    case 'put':
      return { ok: o === undefined || o.kind === 'put', next: i.value }
    case 'get':
      return { ok: o === undefined || (o.kind === 'get' && o.value === state), next: state }
    case 'cas': {
      const match = state === i.expect
      return { ok: o === undefined || (o.kind === 'cas' && o.succeeded === match), next: match ? i.value : state }
    }
    case 'delete':
      return { ok: o === undefined || (o.kind === 'delete' && o.deleted === (state === null ? 0 : 1)), next: null }
  }
}

export interface CheckOptions {
  /** State every key starts in (default: absent). */
  initial?: State
  /** Give up after this many search steps on one key (default 50 million). */
  maxSteps?: number
}

export type KeyVerdict =
  | { key: string; result: 'ok'; ops: number; steps: number }
  | { key: string; result: 'violation'; ops: number; steps: number; explanation: string; prefixLength: number }
  | { key: string; result: 'gave-up'; ops: number; steps: number; explanation: string }

export interface CheckResult {
  ok: boolean
  keys: KeyVerdict[]
  /** Empty when ok. */
  explanation: string
}

/** Checks a whole history, key by key. */
export function checkHistory(ops: Operation[], opts: CheckOptions = {}): CheckResult {
  const byKey = new Map<string, Operation[]>()
  for (const op of ops) {
    let list = byKey.get(op.key)
    if (!list) byKey.set(op.key, (list = []))
    list.push(op)
  }
  const keys = [...byKey.keys()].sort().map((k) => checkKey(k, byKey.get(k)!, opts))
  const bad = keys.filter((k) => k.result !== 'ok')
  return {
    ok: bad.length === 0,
    keys,
    explanation: bad.map((k) => ('explanation' in k ? k.explanation : '')).join('\n\n'),
  }
}

class Xorshift {
  constructor(private s: number) {}
  next(): number {
    let x = this.s
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.s = x >>> 0
    return this.s
  }
}

/** Checks the operations of one key. */
export function checkKey(key: string, all: Operation[], opts: CheckOptions = {}): KeyVerdict {
  const initial: State = opts.initial ?? null
  const maxSteps = opts.maxSteps ?? 50_000_000
  const ops = all.filter((op) => !(op.input.kind === 'get' && op.output === undefined))
  const n = ops.length
  // known outcomes and unknown ones are numbered apart: k-bits and u-bits
  const slot = new Int32Array(n)
  const isUnknown = ops.map((op) => op.output === undefined)
  let nk = 0
  let nu = 0
  for (let i = 0; i < n; i++) slot[i] = isUnknown[i] ? nu++ : nk++

  // events: 2i = invocation of ops[i], 2i+1 = its response; index 2n is the list head
  const order = Array.from({ length: 2 * n }, (_, e) => e)
  const time = (e: number) => ((e & 1) === 0 ? ops[e >> 1].call : ops[e >> 1].ret)
  order.sort((a, b) => time(a) - time(b) || (a & 1) - (b & 1) || a - b)
  const head = 2 * n
  const next = new Int32Array(2 * n + 1).fill(-1)
  const prev = new Int32Array(2 * n + 1).fill(-1)
  let last = head
  for (const e of order) {
    next[last] = e
    prev[e] = last
    last = e
  }
  const lift = (c: number) => {
    for (const e of [c, c + 1]) {
      next[prev[e]] = next[e]
      if (next[e] !== -1) prev[next[e]] = prev[e]
    }
  }
  const unlift = (c: number) => {
    for (const e of [c + 1, c]) {
      next[prev[e]] = e
      if (next[e] !== -1) prev[next[e]] = e
    }
  }
  /** The operations that may take effect next: invoked before the first pending response; known outcomes first. */
  const candidates = (): number[] => {
    const known: number[] = []
    const unknown: number[] = []
    for (let e = next[head]; e !== -1 && (e & 1) === 0; e = next[e]) (isUnknown[e >> 1] ? unknown : known).push(e >> 1)
    return known.concat(unknown)
  }

  const rng = new Xorshift(0x9e3779b9)
  const z1 = Uint32Array.from({ length: nk }, () => rng.next())
  const z2 = Uint32Array.from({ length: nk }, () => rng.next())
  const kbits = new Uint32Array((nk + 31) >>> 5)
  const ubits = new Uint32Array((nu + 31) >>> 5)
  let h1 = 0
  let h2 = 0
  const flip = (i: number) => {
    const s = slot[i]
    if (isUnknown[i]) {
      ubits[s >>> 5] ^= 1 << (s & 31)
      return
    }
    kbits[s >>> 5] ^= 1 << (s & 31)
    h1 = (h1 ^ z1[s]) >>> 0
    h2 = (h2 ^ z2[s]) >>> 0
  }
  // Seen configurations: (known ops linearized, state) → the sets of unknown ops linearized with them.
  // A configuration is dominated by a seen one with the same known set and state and fewer unknown
  // ops linearized: whatever the bigger one can still do, the smaller one can do too (the unknown
  // operations it left out can take effect last, where nothing observes them).
  const cache = new Map<string, { k: Uint32Array; u: Uint32Array }[]>()
  const visit = (state: State): boolean => {
    const key = `${h1}:${h2}:${state === null ? '' : 'v' + state}`
    let bucket = cache.get(key)
    if (!bucket) cache.set(key, (bucket = []))
    for (const b of bucket) {
      let same = true
      for (let w = 0; w < kbits.length && same; w++) same = b.k[w] === kbits[w]
      if (!same) continue
      let subset = true
      for (let w = 0; w < ubits.length && subset; w++) subset = (b.u[w] & ~ubits[w]) === 0
      if (subset) return false
    }
    bucket.push({ k: kbits.slice(), u: ubits.slice() })
    return true
  }

  interface Frame {
    /** The operation whose linearization led here (-1 at the root) and the state before it. */
    op: number
    before: State
    cands: number[]
    idx: number
  }
  let state = initial
  let knownDone = 0
  const stack: Frame[] = [{ op: -1, before: state, cands: candidates(), idx: 0 }]
  let best: number[] = []
  let bestKnown = -1
  let steps = 0
  while (knownDone < nk) {
    if (++steps > maxSteps) {
      return {
        key,
        result: 'gave-up',
        ops: n,
        steps,
        explanation: `key ${JSON.stringify(key)}: the linearizability search gave up after ${maxSteps} steps (${n} operations, ${nu} with unknown outcome); longest linearizable prefix found: ${best.length} operations`,
      }
    }
    const top = stack[stack.length - 1]
    if (top.idx >= top.cands.length) {
      stack.pop()
      if (top.op === -1) {
        return {
          key,
          result: 'violation',
          ops: n,
          steps,
          prefixLength: best.length,
          explanation: explain(key, ops, best, initial),
        }
      }
      state = top.before
      flip(top.op)
      unlift(2 * top.op)
      if (!isUnknown[top.op]) knownDone--
      continue
    }
    const i = top.cands[top.idx++]
    const r = step(state, ops[i])
    if (!r.ok) continue
    flip(i)
    if (!visit(r.next)) {
      flip(i)
      continue
    }
    lift(2 * i)
    if (!isUnknown[i]) knownDone++
    stack.push({ op: i, before: state, cands: candidates(), idx: 0 })
    state = r.next
    if (knownDone > bestKnown) {
      bestKnown = knownDone
      best = stack.slice(1).map((f) => f.op)
    }
  }
  return { key, result: 'ok', ops: n, steps }
}

function show(s: State): string {
  return s === null ? 'absent' : JSON.stringify(s)
}

/** What a failure report says: the longest linearizable prefix and the operations where it got stuck. */
function explain(key: string, ops: Operation[], best: number[], initial: State): string {
  const lines: string[] = []
  const done = new Set(best)
  const states: State[] = []
  let s = initial
  for (const i of best) {
    s = step(s, ops[i]).next
    states.push(s)
  }
  lines.push(`key ${JSON.stringify(key)} is not linearizable (${ops.length} operations).`)
  lines.push(
    `Longest linearizable prefix: ${best.length} operations, leaving the key ${show(s)}. Its last operations, in linearization order:`,
  )
  const from = Math.max(0, best.length - 8)
  if (from > 0) lines.push(`  … ${from} earlier`)
  for (let j = from; j < best.length; j++) lines.push(`  ${describeOp(ops[best[j]])}   ⇒ ${show(states[j])}`)
  const rest = ops.map((_, i) => i).filter((i) => !done.has(i))
  const stuck = rest.reduce((a, b) => (ops[b].ret < ops[a].ret ? b : a), rest[0])
  const deadline = ops[stuck].ret
  lines.push(
    `No operation can come next: ${describeOp(ops[stuck])} returned at ${deadline.toFixed(1)} ms, so it (or something concurrent) had to take effect by then.`,
  )
  lines.push(`Operations invoked by then and not linearized, and what each would need:`)
  const candidates = rest.filter((i) => ops[i].call <= deadline).sort((a, b) => ops[a].call - ops[b].call)
  for (const i of candidates.slice(0, 12)) {
    const r = step(s, ops[i])
    lines.push(`  ${describeOp(ops[i])}${r.ok ? '' : `   ✗ inconsistent with ${show(s)}`}`)
  }
  if (candidates.length > 12) lines.push(`  … ${candidates.length - 12} more`)
  const before = ops
    .map((_, i) => i)
    .filter((i) => ops[i].ret <= ops[stuck].call)
    .sort((a, b) => ops[b].ret - ops[a].ret)
    .slice(0, 5)
    .reverse()
  if (before.length > 0) {
    lines.push(`The last operations that completed before it was invoked (real-time order):`)
    for (const i of before) lines.push(`  ${describeOp(ops[i])}`)
  }
  return lines.join('\n')
}
