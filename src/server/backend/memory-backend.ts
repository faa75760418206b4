/**
 * In-memory backend: an ordered map from latin1-encoded keys to values.
 * For tests and tools; nothing survives `close()` unless the same instance is reopened with
 * `reopen()` (which simulates a restart in tests).
 */
import type { Backend, BackendWriteBatch, Entry, IterateOptions, WriteOptions } from './backend.js'
import { BTreeMap } from '../btree/btree.js'

const PUT = 0
const DEL = 1

class MemoryWriteBatch implements BackendWriteBatch {
  private readonly ops: number[] = []
  private readonly keys: string[] = []
  private readonly vals: (Buffer | undefined)[] = []
  private done = false

  constructor(private readonly owner: MemoryBackend) {}

  get length(): number {
    return this.ops.length
  }

  put(key: Buffer, value: Buffer): void {
    this.check()
    this.ops.push(PUT)
    this.keys.push(key.toString('latin1'))
    this.vals.push(Buffer.from(value))
  }

  del(key: Buffer): void {
    this.check()
    this.ops.push(DEL)
    this.keys.push(key.toString('latin1'))
    this.vals.push(undefined)
  }

  write(_options?: WriteOptions): void {
    this.check()
    this.done = true
    this.owner.apply(this.ops, this.keys, this.vals)
  }

  discard(): void {
    this.done = true
  }

  private check(): void {
    if (this.done) throw new Error('backend: write batch already written or discarded')
  }
}

export class MemoryBackend implements Backend {
  private map = new BTreeMap<Buffer>()
  private bytes = 0
  private closed = false

  /** For tests: the same data, usable again after close() (simulates a restart). */
  reopen(): MemoryBackend {
    if (!this.closed) throw new Error('backend: reopen() before close()')
    const b = new MemoryBackend()
    b.map = this.map
    b.bytes = this.bytes
    return b
  }

  /** Applies a written batch (called by MemoryWriteBatch.write). */
  apply(ops: readonly number[], keys: readonly string[], vals: readonly (Buffer | undefined)[]): void {
    this.checkOpen()
    const map = this.map
    for (let i = 0; i < ops.length; i++) {
      const k = keys[i]
      const old = map.get(k)
      if (old !== undefined) this.bytes -= k.length + old.length
      if (ops[i] === PUT) {
        const v = vals[i]!
        map.set(k, v)
        this.bytes += k.length + v.length
      } else if (old !== undefined) {
        map.delete(k)
      }
    }
  }

  getSync(keys: readonly Buffer[]): (Buffer | undefined)[] {
    this.checkOpen()
    const out = new Array<Buffer | undefined>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const v = this.map.get(keys[i].toString('latin1'))
      out[i] = v === undefined ? undefined : Buffer.from(v)
    }
    return out
  }

  async get(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    await Promise.resolve()
    return this.getSync(keys)
  }

  async *iterate(gte: Buffer, lt: Buffer, options?: IterateOptions): AsyncIterable<Entry[]> {
    const chunkSize = options?.chunkSize ?? 1000
    const maxBytes = options?.maxChunkBytes ?? Infinity
    const end = lt.toString('latin1')
    let from = gte.toString('latin1')
    let first = true
    for (;;) {
      this.checkOpen()
      const chunk: Entry[] = []
      let last = ''
      let bytes = 0
      let full = false
      this.map.scan(from, end, (k, v) => {
        if (!first && k === from) return true // resume strictly after the previous chunk
        chunk.push([Buffer.from(k, 'latin1'), Buffer.from(v)])
        last = k
        bytes += k.length + v.length
        full = chunk.length >= chunkSize || bytes > maxBytes
        return !full
      })
      first = false
      if (chunk.length === 0) return
      yield chunk
      if (!full) return
      from = last
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }

  batch(): BackendWriteBatch {
    this.checkOpen()
    return new MemoryWriteBatch(this)
  }

  size(): number {
    return this.bytes
  }

  async close(): Promise<void> {
    this.closed = true
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('backend: closed')
  }
}
