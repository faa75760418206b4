/**
 * Copies the data of the entries kept in the in-memory raft log into shared chunks.
 *
 * The log keeps up to snapshot-count entries (100000 by default), and an entry's data is
 * usually a small slice of a larger buffer: a proposal is encoded into Node's 8 KiB Buffer
 * pool among short-lived buffers, an entry from the leader is a slice of the message it came
 * in. Each slice keeps all of its buffer alive: about 1 KiB per 300-byte put. Copied in log
 * order into chunks of CHUNK bytes, the log holds little more than its own size, and a
 * compaction, which drops a prefix of the log, frees whole chunks.
 */
import type { Entry } from '../../raft/index.js'

const CHUNK = 64 * 1024
/** Data larger than this gets a buffer of its own (a chunk would waste its tail). */
const OWN_BUFFER_OVER = 8 * 1024

export class EntrySlab {
  private chunk: Buffer = Buffer.alloc(0)
  private used = 0

  /** The bytes of `data` in memory owned by the log. */
  copy(data: Uint8Array): Uint8Array {
    const n = data.length
    if (n === 0) return data
    if (n > OWN_BUFFER_OVER) {
      // Already alone in its buffer: nothing else is kept alive by it.
      if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data
      const own = Buffer.allocUnsafeSlow(n)
      own.set(data)
      return own
    }
    if (this.used + n > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(CHUNK)
      this.used = 0
    }
    const at = this.used
    this.chunk.set(data, at)
    this.used = at + n
    return this.chunk.subarray(at, at + n)
  }

  /** The entries with their data copied (new objects; the ones given are not changed). */
  pack(entries: readonly Entry[]): Entry[] {
    const out = new Array<Entry>(entries.length)
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!
      out[i] = { term: e.term, index: e.index, type: e.type, data: this.copy(e.data) }
    }
    return out
  }
}
