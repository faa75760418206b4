/**
 * gRPC message framing on an HTTP/2 stream: each message is a 1-byte compressed flag, a
 * 4-byte big-endian length and the payload. DATA frames split and join messages freely.
 */
import { Status } from './status.js'

export const FRAME_HEADER_BYTES = 5

/** One message, framed, in one buffer (uncompressed). */
export function frameMessage(payload: Uint8Array): Buffer {
  const n = payload.length
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + n)
  out[0] = 0
  out.writeUInt32BE(n, 1)
  out.set(payload, FRAME_HEADER_BYTES)
  return out
}

/** Frames in place the message that fills `buf` after FRAME_HEADER_BYTES free bytes at `at`. */
export function framePrefixed(buf: Buffer, at: number): void {
  buf[at] = 0
  buf.writeUInt32BE(buf.length - at - FRAME_HEADER_BYTES, at + 1)
}

/** Where a MessageReader delivers what it reads. */
export interface MessageSink {
  onMessage(message: Buffer): void
  onReadError(code: number, details: string): void
}

/**
 * Reassembles messages from DATA chunks. Each message gets its own buffer (a copy): the
 * chunks are slices of the connection's read buffers, which decoded requests must not pin.
 * Compressed messages are refused (as a Go server without that decompressor does). After
 * an error it reads nothing more.
 */
export class MessageReader {
  /** A message header that arrived split across chunks (rare: allocated on first need). */
  private header: Buffer | null = null
  private headerHave = 0
  private body: Buffer | null = null
  private bodyHave = 0
  private failed = false

  constructor(
    private readonly maxMessageBytes: number,
    private readonly sink: MessageSink,
    /** The request's grpc-encoding header. */
    private readonly encoding: string | undefined,
  ) {}

  /** True while part of a message has arrived and the rest has not. */
  get partial(): boolean {
    return this.headerHave > 0 || this.body !== null
  }

  push(chunk: Buffer): void {
    const n = chunk.length
    let off = 0
    while (off < n && !this.failed) {
      if (this.body !== null) {
        const take = Math.min(this.body.length - this.bodyHave, n - off)
        chunk.copy(this.body, this.bodyHave, off, off + take)
        this.bodyHave += take
        off += take
        if (this.bodyHave === this.body.length) {
          const msg = this.body
          this.body = null
          this.sink.onMessage(msg)
        }
        continue
      }
      let flag: number
      let len: number
      if (this.headerHave === 0 && n - off >= FRAME_HEADER_BYTES) {
        flag = chunk[off]
        len = chunk.readUInt32BE(off + 1)
        off += FRAME_HEADER_BYTES
      } else {
        const header = (this.header ??= Buffer.allocUnsafe(FRAME_HEADER_BYTES))
        const take = Math.min(FRAME_HEADER_BYTES - this.headerHave, n - off)
        chunk.copy(header, this.headerHave, off, off + take)
        this.headerHave += take
        off += take
        if (this.headerHave < FRAME_HEADER_BYTES) return
        this.headerHave = 0
        flag = header[0]
        len = header.readUInt32BE(1)
      }
      if (!this.acceptable(flag, len)) return
      const msg = Buffer.allocUnsafe(len)
      if (n - off >= len) {
        chunk.copy(msg, 0, off, off + len)
        off += len
        this.sink.onMessage(msg)
      } else {
        this.body = msg
        this.bodyHave = 0
      }
    }
  }

  private acceptable(flag: number, len: number): boolean {
    if (flag !== 0) {
      this.failed = true
      if (flag !== 1) this.sink.onReadError(Status.INTERNAL, `grpc: invalid message flag ${flag}`)
      else if (this.encoding === undefined || this.encoding === 'identity')
        this.sink.onReadError(Status.INTERNAL, 'grpc: compressed flag set with identity or empty encoding')
      else
        this.sink.onReadError(
          Status.UNIMPLEMENTED,
          `grpc: Decompressor is not installed for grpc-encoding "${this.encoding}"`,
        )
      return false
    }
    if (len > this.maxMessageBytes) {
      this.failed = true
      this.sink.onReadError(
        Status.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${len} vs. ${this.maxMessageBytes})`,
      )
      return false
    }
    return true
  }
}
