/**
 * Raft data to and from its wire form (proto/raftpb/raft.proto), through the generated static
 * codec. Message streams carry messages length-delimited: a varint byte count, then the
 * encoded raftpb.Message. `encodeBatch` lays a whole run of messages out in one buffer, so a
 * Ready's messages to one peer leave in a single write.
 *
 * Decoding does not copy: byte fields of decoded messages (entry data, context) are views
 * into the buffer they were decoded from.
 */
import * as pb from '../../gen/raftpb.js'
import { Int64RangeError } from '../../proto/wire.js'
import { EMPTY, Reader, Writer, sizeVarint } from '../../proto/wire.js'
import type { ConfState, Entry, EntryType, HardState, Message, MessageType, Snapshot } from '../../raft/types.js'

function view(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}

function messageTypeOf(n: number): MessageType {
  const t = pb.MessageTypeNames[n]
  if (t === undefined) throw new RangeError(`raftpb: unknown message type ${n}`)
  return t as MessageType
}

function entryTypeOf(n: number): EntryType {
  if (n === pb.EntryType.EntryNormal) return 'normal'
  if (n === pb.EntryType.EntryConfChange) return 'confChange'
  throw new RangeError(`raftpb: unknown entry type ${n}`)
}

function entryToPb(e: Entry): pb.EntryInit {
  return {
    term: e.term,
    index: e.index,
    type: e.type === 'confChange' ? pb.EntryType.EntryConfChange : pb.EntryType.EntryNormal,
    data: view(e.data),
  }
}

function entryFromPb(e: pb.Entry): Entry {
  return { term: e.term, index: e.index, type: entryTypeOf(e.type), data: e.data }
}

function confStateToPb(c: ConfState): pb.ConfStateInit {
  return { voters: c.voters, learners: c.learners }
}

function confStateFromPb(c: pb.ConfState | undefined): ConfState {
  return c === undefined ? { voters: [], learners: [] } : { voters: c.voters, learners: c.learners }
}

function snapshotToPb(s: Snapshot): pb.SnapshotInit {
  const md = s.metadata
  return {
    metadata: { index: md.index, term: md.term, conf_state: confStateToPb(md.confState) },
    data: view(s.data),
  }
}

function snapshotFromPb(s: pb.Snapshot): Snapshot {
  const md = s.metadata
  return {
    metadata: {
      index: md?.index ?? 0,
      term: md?.term ?? 0,
      confState: confStateFromPb(md?.conf_state),
    },
    data: s.data,
  }
}

export function messageToPb(m: Message): pb.MessageInit {
  return {
    type: pb.MessageType[m.type],
    to: m.to,
    from: m.from,
    term: m.term,
    log_term: m.logTerm,
    index: m.index,
    entries: m.entries.length === 0 ? undefined : m.entries.map(entryToPb),
    commit: m.commit,
    reject: m.reject,
    reject_hint: m.rejectHint,
    snapshot: m.snapshot === undefined ? undefined : snapshotToPb(m.snapshot),
    context: m.context === undefined ? undefined : view(m.context),
  }
}

/**
 * Terms and indexes are kept as JS numbers: a value beyond 2^53 cannot be represented
 * exactly, and no real cluster reaches one. A message carrying one is refused whole.
 */
export class UnrepresentableMessageError extends RangeError {}

function checkSafe(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UnrepresentableMessageError(`raftpb: ${what} ${n} is beyond what tsetcd represents exactly (2^53)`)
}

function checkMessage(p: pb.Message): void {
  checkSafe('term', p.term)
  checkSafe('log term', p.log_term)
  checkSafe('index', p.index)
  checkSafe('commit', p.commit)
  checkSafe('reject hint', p.reject_hint)
  for (const e of p.entries) {
    checkSafe('entry term', e.term)
    checkSafe('entry index', e.index)
  }
  const md = p.snapshot?.metadata
  if (md !== undefined) {
    checkSafe('snapshot term', md.term)
    checkSafe('snapshot index', md.index)
  }
}

export function messageFromPb(p: pb.Message): Message {
  checkMessage(p)
  const m: Message = {
    type: messageTypeOf(p.type),
    to: p.to,
    from: p.from,
    term: p.term,
    logTerm: p.log_term,
    index: p.index,
    entries: p.entries.length === 0 ? [] : p.entries.map(entryFromPb),
    commit: p.commit,
    reject: p.reject,
    rejectHint: p.reject_hint,
  }
  if (p.snapshot !== undefined) m.snapshot = snapshotFromPb(p.snapshot)
  if (p.context !== undefined) m.context = p.context
  return m
}

export function encodeMessage(m: Message): Buffer {
  return pb.encodeMessage(messageToPb(m))
}

export function decodeMessage(buf: Uint8Array): Message {
  return messageFromPb(representable(() => pb.decodeMessage(buf)))
}

/** Numbers the decoder refuses as inexact make the message unrepresentable. */
function representable<T>(decode: () => T): T {
  try {
    return decode()
  } catch (err) {
    if (err instanceof Int64RangeError) throw new UnrepresentableMessageError(`raftpb: ${err.message}`)
    throw err
  }
}

/**
 * Encodes `msgs[from..to)` length-delimited into one buffer. The per-message sizes are
 * computed once and reused for the prefixes.
 */
export function encodeBatch(msgs: readonly Message[], from = 0, to = msgs.length): Buffer {
  const n = to - from
  const inits = new Array<pb.MessageInit>(n)
  const sizes = new Array<number>(n)
  let total = 0
  for (let i = 0; i < n; i++) {
    const init = messageToPb(msgs[from + i])
    const s = pb.sizeMessage(init)
    inits[i] = init
    sizes[i] = s
    total += sizeVarint(s) + s
  }
  const w = new Writer(total)
  for (let i = 0; i < n; i++) {
    w.varint(sizes[i])
    pb.writeMessage(w, inits[i])
  }
  return w.finish()
}

/** Decodes a buffer holding whole length-delimited messages (the inverse of encodeBatch). */
export function decodeBatch(buf: Uint8Array): Message[] {
  const r = new Reader(buf)
  const out: Message[] = []
  while (r.pos < r.len) {
    const len = r.varint()
    if (r.pos + len > r.len) throw new RangeError('raftpb: truncated message in batch')
    out.push(messageFromPb(representable(() => pb.decodeMessage(r, len))))
  }
  return out
}

/** A rough encoded size, for queue accounting: no encoding, one pass over the entries. */
export function approxMessageSize(m: Message): number {
  let n = 48
  const es = m.entries
  for (let i = 0; i < es.length; i++) n += es[i].data.byteLength + 24
  if (m.snapshot !== undefined)
    n +=
      m.snapshot.data.byteLength +
      32 +
      10 * (m.snapshot.metadata.confState.voters.length + m.snapshot.metadata.confState.learners.length)
  if (m.context !== undefined) n += m.context.byteLength + 2
  return n
}

export function encodeHardState(hs: HardState): Buffer {
  return pb.encodeHardState({ term: hs.term, vote: hs.vote, commit: hs.commit })
}

export function decodeHardState(buf: Uint8Array): HardState {
  const p = pb.decodeHardState(buf)
  return { term: p.term, vote: p.vote, commit: p.commit }
}

export function encodeSnapshot(s: Snapshot): Buffer {
  return pb.encodeSnapshot(snapshotToPb(s))
}

export function decodeSnapshot(buf: Uint8Array): Snapshot {
  return snapshotFromPb(pb.decodeSnapshot(buf))
}

export function encodeEntry(e: Entry): Buffer {
  return pb.encodeEntry(entryToPb(e))
}

export function decodeEntry(buf: Uint8Array): Entry {
  return entryFromPb(pb.decodeEntry(buf))
}

/** The message with its snapshot's data left out: what heads a snapshot stream. */
export function withoutSnapshotData(m: Message): Message {
  if (m.snapshot === undefined) return m
  return { ...m, snapshot: { metadata: m.snapshot.metadata, data: EMPTY } }
}
