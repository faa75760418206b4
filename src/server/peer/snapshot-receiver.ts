/**
 * The receiving side of a snapshot request: reads the MsgSnap that heads the body, then hands
 * the data on as it arrives, as an async iterable that checks the length and SHA-256 at the
 * end and throws if they do not match or the stream stopped short. The data is never gathered
 * here (unless the raft layer has no `onSnapshot`): its pieces are views of the received
 * chunks, and the sender is held back by flow control while the consumer is busy.
 */
import { createHash } from 'node:crypto'
import type { Message, NodeId } from '../../raft/types.js'
import { EMPTY } from '../../proto/wire.js'
import { decodeMessage } from './codec.js'
import { idHex } from './handshake.js'
import { END_PAYLOAD_BYTES, FRAME_DATA, FRAME_END, FRAME_HEADER_BYTES, FRAME_META } from './snapshot-frames.js'
import type { RaftHandler } from './types.js'

export class SnapshotStreamError extends Error {}

/** Pulls bytes from an async iterator of chunks, in exact or bounded amounts. */
class ChunkReader {
  private cur: Buffer = EMPTY
  private pos = 0
  private done = false

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    while (this.pos >= this.cur.length) {
      if (this.done) return false
      const r = await this.it.next()
      if (r.done) {
        this.done = true
        return false
      }
      this.cur = r.value
      this.pos = 0
    }
    return true
  }

  async readExact(n: number): Promise<Buffer> {
    if (n === 0) return EMPTY
    if (!(await this.fill())) throw new SnapshotStreamError('snapshot stream ended early')
    if (this.cur.length - this.pos >= n) {
      const b = this.cur.subarray(this.pos, this.pos + n)
      this.pos += n
      return b
    }
    const out = Buffer.allocUnsafe(n)
    let off = 0
    while (off < n) {
      if (!(await this.fill())) throw new SnapshotStreamError('snapshot stream ended early')
      const take = Math.min(n - off, this.cur.length - this.pos)
      this.cur.copy(out, off, this.pos, this.pos + take)
      off += take
      this.pos += take
    }
    return out
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async readSome(max: number): Promise<Buffer | undefined> {
    if (!(await this.fill())) return undefined
    const take = Math.min(max, this.cur.length - this.pos)
    const b = this.cur.subarray(this.pos, this.pos + take)
    this.pos += take
    return b
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill())
  }
}

export class SnapshotReader {
  private readonly r: ChunkReader
  private verified = false
  private started = false

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly maxMetaBytes = 16 << 20,
  ) {
    this.r = new ChunkReader(source[Symbol.asyncIterator]())
  }

  /** The data was read to its end and matched the sender's length and checksum. */
  get complete(): boolean {
    return this.verified
  }

  async readMessage(): Promise<Message> {
    const h = await this.r.readExact(FRAME_HEADER_BYTES)
    const len = h.readUInt32BE(1)
    if (h[0] !== FRAME_META)
      throw new SnapshotStreamError(`snapshot stream: expected the message first, got frame kind ${h[0]}`)
    if (len > this.maxMetaBytes)
      throw new SnapshotStreamError(`snapshot stream: message of ${len} bytes exceeds ${this.maxMetaBytes}`)
    return decodeMessage(await this.r.readExact(len))
  }

  /** The snapshot data, as it arrives. Iterate once, after readMessage(). */
  async *body(): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.started) throw new SnapshotStreamError('snapshot body can be read only once')
    this.started = true
    const hash = createHash('sha256')
    let size = 0
    for (;;) {
      const h = await this.r.readExact(FRAME_HEADER_BYTES)
      const kind = h[0]
      let left = h.readUInt32BE(1)
      if (kind === FRAME_DATA) {
        while (left > 0) {
          const piece = await this.r.readSome(left)
          if (piece === undefined) throw new SnapshotStreamError('snapshot stream ended early')
          hash.update(piece)
          size += piece.length
          left -= piece.length
          yield piece
        }
      } else if (kind === FRAME_END) {
        if (left !== END_PAYLOAD_BYTES) throw new SnapshotStreamError('snapshot stream: malformed end frame')
        const p = await this.r.readExact(left)
        const want = Number(p.readBigUInt64BE(0))
        if (want !== size)
          throw new SnapshotStreamError(`snapshot stream: received ${size} bytes of data, sender sent ${want}`)
        if (!hash.digest().equals(p.subarray(8, 40)))
          throw new SnapshotStreamError('snapshot stream: SHA-256 mismatch, the data was corrupted')
        if (!(await this.r.atEnd())) throw new SnapshotStreamError('snapshot stream: data after the end frame')
        this.verified = true
        return
      } else {
        throw new SnapshotStreamError(`snapshot stream: unexpected frame kind ${kind}`)
      }
    }
  }
}

/**
 * Reads a whole snapshot request from `from`: the data goes to `handler.onSnapshot` (or into
 * the message, without one). Resolves with the MsgSnap to step, once the data is verified.
 */
export async function receiveSnapshot(
  source: AsyncIterable<Buffer>,
  from: NodeId,
  handler: RaftHandler,
): Promise<Message> {
  const reader = new SnapshotReader(source)
  const msg = await reader.readMessage()
  if (msg.type !== 'MsgSnap' || msg.snapshot === undefined)
    throw new SnapshotStreamError(`snapshot stream carried a ${msg.type}, not a MsgSnap with a snapshot`)
  if (msg.from !== from)
    throw new SnapshotStreamError(`snapshot from ${idHex(msg.from)} arrived on a stream from ${idHex(from)}`)
  if (handler.onSnapshot !== undefined) {
    await handler.onSnapshot(msg, reader.body())
    if (!reader.complete) throw new SnapshotStreamError('the snapshot data was not read to its end')
  } else {
    const parts: Uint8Array[] = []
    let n = 0
    for await (const piece of reader.body()) {
      parts.push(piece)
      n += piece.byteLength
    }
    msg.snapshot = { metadata: msg.snapshot.metadata, data: Buffer.concat(parts, n) }
  }
  return msg
}
