/**
 * Splits a byte stream of length-delimited frames (varint length, then that many bytes) into
 * frames, whatever the chunk boundaries. A frame that lies within one chunk is handed out as a
 * view of it; only a frame that straddles chunks is copied, once, when its last byte arrives.
 */
export class FrameTooLargeError extends Error {}

export class FrameDecoder {
  /** Length of the frame being gathered, or -1 while reading its length prefix. */
  private need = -1
  private parts: Buffer[] = []
  private partsLen = 0
  /** Bytes of a length prefix cut by a chunk boundary. */
  private prefix: Buffer | undefined

  constructor(private readonly maxFrameBytes: number) {}

  /** True when no partial frame is pending. */
  get idle(): boolean {
    return this.need < 0 && this.prefix === undefined
  }

  push(chunk: Buffer, emit: (frame: Buffer) => void): void {
    let buf = chunk
    if (this.prefix !== undefined) {
      buf = Buffer.concat([this.prefix, chunk])
      this.prefix = undefined
    }
    let pos = 0
    const end = buf.length
    while (pos < end) {
      if (this.need < 0) {
        // varint length prefix
        let len = 0
        let mul = 1
        let p = pos
        let done = false
        while (p < end) {
          const b = buf[p++]
          len += (b & 0x7f) * mul
          if (b < 0x80) {
            done = true
            break
          }
          mul *= 128
          if (p - pos >= 8) throw new FrameTooLargeError('peer stream: malformed frame length')
        }
        if (!done) {
          this.prefix = Buffer.from(buf.subarray(pos))
          return
        }
        if (len > this.maxFrameBytes)
          throw new FrameTooLargeError(`peer stream: frame of ${len} bytes exceeds the limit of ${this.maxFrameBytes}`)
        pos = p
        if (len === 0) {
          emit(buf.subarray(pos, pos))
          continue
        }
        this.need = len
      }
      const avail = end - pos
      if (this.partsLen === 0 && avail >= this.need) {
        const frame = buf.subarray(pos, pos + this.need)
        pos += this.need
        this.need = -1
        emit(frame)
        continue
      }
      const take = Math.min(this.need - this.partsLen, avail)
      this.parts.push(buf.subarray(pos, pos + take))
      this.partsLen += take
      pos += take
      if (this.partsLen === this.need) {
        const frame = Buffer.concat(this.parts, this.need)
        this.parts = []
        this.partsLen = 0
        this.need = -1
        emit(frame)
      }
    }
  }
}
