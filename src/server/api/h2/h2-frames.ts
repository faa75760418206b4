/**
 * HTTP/2 frames as a client sends them (RFC 9113 section 4 and 6): splitting a byte stream
 * into frames, joining HEADERS and CONTINUATION frames into header blocks, and writing a
 * header block back out as HEADERS plus CONTINUATION frames.
 */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
export const FRAME_HEADER_BYTES = 9
/** The SETTINGS_MAX_FRAME_SIZE every endpoint accepts (and node's HTTP/2 server's default). */
export const DEFAULT_MAX_FRAME_SIZE = 16384

export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const
export const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const

export class FrameError extends Error {}

export interface Frame {
  type: number
  flags: number
  streamId: number
  /** The whole frame, header included. */
  raw: Buffer
  payload: Buffer
}

/** Cuts a byte stream into frames; keeps a partial frame until the rest arrives. */
export class FrameSplitter {
  private pending: Buffer | null = null

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** Bytes held back (a partial frame). */
  get buffered(): number {
    return this.pending?.length ?? 0
  }

  /** What is held back, handed out (the splitter is left empty). */
  take(): Buffer | null {
    const p = this.pending
    this.pending = null
    return p
  }

  /**
   * The frames `chunk` completes. `borrowed`: the chunk is lent for this call only (a shared
   * read buffer): a partial frame left over is copied. The frames returned are views of the
   * chunk either way, valid while it is.
   */
  push(chunk: Buffer, borrowed = false): Frame[] {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk])
    const frames: Frame[] = []
    let o = 0
    while (buf.length - o >= FRAME_HEADER_BYTES) {
      const len = buf.readUIntBE(o, 3)
      if (len > this.maxFrameSize) throw new FrameError(`frame of ${len} bytes over the maximum ${this.maxFrameSize}`)
      if (buf.length - o < FRAME_HEADER_BYTES + len) break
      const raw = buf.subarray(o, o + FRAME_HEADER_BYTES + len)
      frames.push({
        type: raw[3]!,
        flags: raw[4]!,
        streamId: raw.readUInt32BE(5) & 0x7fffffff,
        raw,
        payload: raw.subarray(FRAME_HEADER_BYTES),
      })
      o += FRAME_HEADER_BYTES + len
    }
    this.pending = o === buf.length ? null : borrowed && buf === chunk ? Buffer.from(buf.subarray(o)) : buf.subarray(o)
    return frames
  }
}

/** One header block, from a HEADERS frame and the CONTINUATION frames after it. */
export interface HeaderBlockFrames {
  streamId: number
  endStream: boolean
  /** The 5 priority octets of a HEADERS frame with the PRIORITY flag. */
  priority: Buffer | null
  /** The field block, padding removed, fragments joined. */
  fragment: Buffer
  /** The frames as received. */
  raw: Buffer[]
}

/**
 * Joins header block fragments. `add` takes every frame in order and returns the block
 * when a HEADERS or CONTINUATION frame ends one; frames outside header blocks pass by.
 * Throws FrameError where RFC 9113 calls for a connection error.
 */
export class HeaderBlockAssembler {
  private open: {
    streamId: number
    endStream: boolean
    priority: Buffer | null
    parts: Buffer[]
    size: number
    raw: Buffer[]
  } | null = null

  constructor(private readonly maxBlockBytes = 1 << 20) {}

  /** A header block is waiting for CONTINUATION frames. */
  get inBlock(): boolean {
    return this.open !== null
  }

  /** Copies the open block's fragments and frames (they were views of a buffer about to be reused). */
  keep(): void {
    const o = this.open
    if (o === null) return
    o.parts = o.parts.map((b) => Buffer.from(b))
    o.raw = o.raw.map((b) => Buffer.from(b))
    if (o.priority !== null) o.priority = Buffer.from(o.priority)
  }

  add(f: Frame): HeaderBlockFrames | null {
    if (this.open !== null) {
      if (f.type !== T.CONTINUATION || f.streamId !== this.open.streamId)
        throw new FrameError('a header block interrupted by another frame')
      this.open.parts.push(f.payload)
      this.open.raw.push(f.raw)
      this.open.size += f.payload.length
      if (this.open.size > this.maxBlockBytes) throw new FrameError('header block too large')
      return f.flags & F.END_HEADERS ? this.close() : null
    }
    if (f.type === T.CONTINUATION) throw new FrameError('CONTINUATION without a header block')
    if (f.type !== T.HEADERS) return null
    if (f.streamId === 0) throw new FrameError('HEADERS on stream 0')
    let p = f.payload
    let padLength = 0
    if (f.flags & F.PADDED) {
      if (p.length < 1) throw new FrameError('HEADERS too short for its padding')
      padLength = p[0]!
      p = p.subarray(1)
    }
    let priority: Buffer | null = null
    if (f.flags & F.PRIORITY) {
      if (p.length < 5) throw new FrameError('HEADERS too short for its priority')
      priority = p.subarray(0, 5)
      p = p.subarray(5)
    }
    if (padLength > p.length) throw new FrameError('HEADERS padding longer than the frame')
    p = p.subarray(0, p.length - padLength)
    this.open = {
      streamId: f.streamId,
      endStream: (f.flags & F.END_STREAM) !== 0,
      priority,
      parts: [p],
      size: p.length,
      raw: [f.raw],
    }
    return f.flags & F.END_HEADERS ? this.close() : null
  }

  private close(): HeaderBlockFrames {
    const o = this.open!
    this.open = null
    const fragment = o.parts.length === 1 ? o.parts[0]! : Buffer.concat(o.parts)
    return { streamId: o.streamId, endStream: o.endStream, priority: o.priority, fragment, raw: o.raw }
  }
}

export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  return frameBuffer(length, type, flags, streamId, 0)
}

/**
 * A frame of `length` payload bytes in one buffer, its header written and the first `room`
 * payload bytes left for the caller to fill (frameHeader: none, the header alone).
 */
export function frameBuffer(length: number, type: number, flags: number, streamId: number, room = length): Buffer {
  const f = Buffer.allocUnsafe(FRAME_HEADER_BYTES + room)
  writeFrameHeader(f, length, type, flags, streamId)
  return f
}

/** A frame header in the first FRAME_HEADER_BYTES bytes of `f`. */
export function writeFrameHeader(f: Buffer, length: number, type: number, flags: number, streamId: number): void {
  f.writeUIntBE(length, 0, 3)
  f[3] = type
  f[4] = flags
  f.writeUInt32BE(streamId & 0x7fffffff, 5)
}

/**
 * A header block as one HEADERS frame (no padding; END_STREAM and priority kept) and as
 * many CONTINUATION frames as `maxFrameSize` makes it take.
 */
export function headerFrames(
  streamId: number,
  endStream: boolean,
  priority: Buffer | null,
  block: Buffer,
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
): Buffer {
  const pri = priority?.length ?? 0
  const first = Math.min(block.length, maxFrameSize - pri)
  if (pri === 0 && first === block.length) {
    // The usual case (a response's headers or trailers): one frame, one buffer.
    const f = frameBuffer(block.length, T.HEADERS, (endStream ? F.END_STREAM : 0) | F.END_HEADERS, streamId)
    block.copy(f, FRAME_HEADER_BYTES)
    return f
  }
  const parts: Buffer[] = []
  let flags =
    (endStream ? F.END_STREAM : 0) | (priority ? F.PRIORITY : 0) | (first === block.length ? F.END_HEADERS : 0)
  parts.push(frameHeader(pri + first, T.HEADERS, flags, streamId))
  if (priority) parts.push(priority)
  parts.push(block.subarray(0, first))
  for (let o = first; o < block.length; o += maxFrameSize) {
    const n = Math.min(maxFrameSize, block.length - o)
    flags = o + n === block.length ? F.END_HEADERS : 0
    parts.push(frameHeader(n, T.CONTINUATION, flags, streamId), block.subarray(o, o + n))
  }
  return Buffer.concat(parts)
}

/** A SETTINGS frame with this payload (http2.getPackedSettings). */
export function settingsFrame(payload: Buffer): Buffer {
  const f = frameBuffer(payload.length, T.SETTINGS, 0, 0)
  payload.copy(f, FRAME_HEADER_BYTES)
  return f
}

/** RFC 9113 section 7. */
export const ErrorCode = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  FLOW_CONTROL_ERROR: 3,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  COMPRESSION_ERROR: 9,
  ENHANCE_YOUR_CALM: 0xb,
} as const

/**
 * GOAWAY: streams above `lastStreamId` were not processed (last stream 0, the default: none
 * was; NO_ERROR: start again elsewhere), with optional debug data.
 */
export function goaway(errorCode: number, lastStreamId = 0, debug?: Buffer): Buffer {
  const n = 8 + (debug?.length ?? 0)
  const f = frameBuffer(n, T.GOAWAY, 0, 0)
  f.writeUInt32BE(lastStreamId & 0x7fffffff, 9)
  f.writeUInt32BE(errorCode, 13)
  debug?.copy(f, 17)
  return f
}

/** RST_STREAM with this error code. */
export function rstStream(streamId: number, errorCode: number): Buffer {
  const f = frameBuffer(4, T.RST_STREAM, 0, streamId)
  f.writeUInt32BE(errorCode, 9)
  return f
}

/** WINDOW_UPDATE of `increment` on a stream (0: the connection). */
export function windowUpdate(streamId: number, increment: number): Buffer {
  const f = frameBuffer(4, T.WINDOW_UPDATE, 0, streamId)
  f.writeUInt32BE(increment, 9)
  return f
}
