/**
 * Shape checks for messages from peers. The core trusts every number it
 * holds to be a non-negative safe integer; a message that breaks that (NaN,
 * a fraction, 2^64 decoded into a double, a negative value, the wrong type)
 * is refused before it can touch any state.
 */
import { MessageType, type Message } from './types.js'

const TYPES: ReadonlySet<string> = new Set(Object.values(MessageType))
const NUMERIC = ['term', 'logTerm', 'index', 'commit', 'rejectHint'] as const

export function isIndex(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}

const isId = (v: unknown): v is bigint => typeof v === 'bigint' && v >= 0n
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array

/** What is wrong with `m`, or undefined if the core can take it. */
export function messageDefect(m: Message): string | undefined {
  if (typeof m !== 'object' || m === null) return 'not a message'
  if (!TYPES.has(m.type)) return `unknown type ${String(m.type)}`
  if (!isId(m.from)) return 'from'
  if (!isId(m.to)) return 'to'
  for (const f of NUMERIC) if (!isIndex(m[f])) return f
  if (typeof m.reject !== 'boolean') return 'reject'
  if (m.context !== undefined && !isBytes(m.context)) return 'context'
  if (!Array.isArray(m.entries)) return 'entries'
  for (let i = 0; i < m.entries.length; i++) {
    const e = m.entries[i]
    if (typeof e !== 'object' || e === null) return `entries[${i}]`
    if (!isIndex(e.term)) return `entries[${i}].term`
    if (!isIndex(e.index)) return `entries[${i}].index`
    if (e.type !== 'normal' && e.type !== 'confChange') return `entries[${i}].type`
    if (!isBytes(e.data)) return `entries[${i}].data`
    // Appended entries follow the entry they are sent after, one by one.
    if (m.type === 'MsgApp' && e.index !== m.index + 1 + i) return `entries[${i}].index does not follow ${m.index}`
  }
  if (m.snapshot !== undefined) {
    const s = m.snapshot
    if (typeof s !== 'object' || s === null || typeof s.metadata !== 'object' || s.metadata === null) return 'snapshot'
    if (!isIndex(s.metadata.index)) return 'snapshot.metadata.index'
    if (!isIndex(s.metadata.term)) return 'snapshot.metadata.term'
    const cs = s.metadata.confState
    if (typeof cs !== 'object' || cs === null || !Array.isArray(cs.voters) || !Array.isArray(cs.learners))
      return 'snapshot.confState'
    if (!cs.voters.every(isId) || !cs.learners.every(isId)) return 'snapshot.confState ids'
    if (!isBytes(s.data)) return 'snapshot.data'
  }
  return undefined
}
