/** Random register histories for the checker's tests (no I/O). */
import type { Input, Operation, Output } from '../../fault/history.js'

/** A random linearizable history: each operation takes effect at a random instant inside its interval. */
export function randomHistory(seed: number, n: number, clients: number, unknownRate: number): Operation[] {
  let s = seed >>> 0
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const ops: (Operation & { at: number; effect: boolean })[] = []
  const free = new Array(clients).fill(0)
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rnd() * clients)
    const call = free[c] + rnd() * 2
    const dur = 0.5 + rnd() * 8
    const unknown = rnd() < unknownRate
    const r = rnd()
    const input: Input =
      r < 0.4
        ? { kind: 'get' }
        : r < 0.7
          ? { kind: 'put', value: `v${i}` }
          : r < 0.95
            ? { kind: 'cas', expect: null, value: `v${i}` }
            : { kind: 'delete' }
    // unknown outcomes: half never take effect, half take effect somewhere after the call
    const effect = !unknown || rnd() < 0.5
    ops.push({
      id: i,
      client: c,
      key: 'k',
      input,
      call,
      ret: unknown ? Infinity : call + dur,
      at: call + rnd() * dur * (unknown ? 3 : 1),
      effect,
    })
    free[c] = call + dur
  }
  // CAS expects whatever a recent put wrote, so that some succeed
  let lastPut: string | null = null
  for (const op of ops) {
    if (op.input.kind === 'put') lastPut = op.input.value
    else if (op.input.kind === 'cas' && lastPut !== null && rnd() < 0.8) op.input = { ...op.input, expect: lastPut }
  }
  let state: string | null = null
  for (const op of [...ops].sort((a, b) => a.at - b.at)) {
    if (!op.effect) continue
    const i = op.input
    let out: Output
    if (i.kind === 'put') {
      state = i.value
      out = { kind: 'put' }
    } else if (i.kind === 'get') out = { kind: 'get', value: state }
    else if (i.kind === 'cas') {
      const ok = state === i.expect
      if (ok) state = i.value
      out = { kind: 'cas', succeeded: ok }
    } else {
      out = { kind: 'delete', deleted: state === null ? 0 : 1 }
      state = null
    }
    if (op.ret !== Infinity) op.output = out
  }
  return ops.map(({ at: _at, effect: _e, ...op }) => op)
}
