/**
 * A minimal HTTP/2 client that writes frames itself, for what node's client cannot do:
 * reset a stream without half-closing it first, or leave the server's pings unanswered.
 * Header blocks use HPACK literals without Huffman coding; received header blocks are not
 * decoded (tests look at frame types, flags and payloads).
 */
import net from 'node:net'

export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
} as const
export const Flag = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const

export interface Frame {
  type: number
  flags: number
  streamId: number
  payload: Buffer
}

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')

function hpackInt(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1
  if (value < max) return [firstByte | value]
  const out = [firstByte | max]
  value -= max
  while (value >= 128) {
    out.push((value & 127) | 128)
    value >>= 7
  }
  out.push(value)
  return out
}

export function hpackLiteral(name: string, value: string): Buffer {
  const n = Buffer.from(name)
  const v = Buffer.from(value)
  return Buffer.concat([
    Buffer.from([0]),
    Buffer.from(hpackInt(n.length, 7, 0)),
    n,
    Buffer.from(hpackInt(v.length, 7, 0)),
    v,
  ])
}

export class RawH2Client {
  readonly frames: Frame[] = []
  readonly closed: Promise<void>
  private buf = Buffer.alloc(0)
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = []

  private constructor(
    private readonly socket: net.Socket,
    private readonly ackPings: boolean,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
    socket.on('data', (d: Buffer) => this.onData(d))
  }

  static async connect(port: number, opts: { ackPings?: boolean } = {}): Promise<RawH2Client> {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    const c = new RawH2Client(socket, opts.ackPings ?? true)
    socket.write(PREFACE)
    c.send(FrameType.SETTINGS, 0, 0, Buffer.alloc(0))
    return c
  }

  send(type: number, flags: number, streamId: number, payload: Buffer): void {
    const h = Buffer.alloc(9)
    h.writeUIntBE(payload.length, 0, 3)
    h[3] = type
    h[4] = flags
    h.writeUInt32BE(streamId, 5)
    this.socket.write(Buffer.concat([h, payload]))
  }

  headers(streamId: number, headers: [string, string][], endStream = false): void {
    const block = Buffer.concat(headers.map(([k, v]) => hpackLiteral(k, v)))
    this.send(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block)
  }

  /** A gRPC request's headers for `path` on a new stream. */
  grpcRequest(streamId: number, path: string, port: number): void {
    this.headers(streamId, [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', path],
      [':authority', `127.0.0.1:${port}`],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ])
  }

  data(streamId: number, payload: Buffer, endStream = false): void {
    this.send(FrameType.DATA, endStream ? Flag.END_STREAM : 0, streamId, payload)
  }

  rst(streamId: number, code: number): void {
    const p = Buffer.alloc(4)
    p.writeUInt32BE(code)
    this.send(FrameType.RST_STREAM, 0, streamId, p)
  }

  ping(opaque = Buffer.alloc(8)): void {
    this.send(FrameType.PING, 0, 0, opaque)
  }

  waitFor(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('frame not received in time')), timeoutMs)
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f)
        },
      })
    })
  }

  destroy(): void {
    this.socket.destroy()
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d])
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3)
      if (this.buf.length < 9 + len) return
      const f: Frame = {
        type: this.buf[3],
        flags: this.buf[4],
        streamId: this.buf.readUInt32BE(5) & 0x7fffffff,
        payload: this.buf.subarray(9, 9 + len),
      }
      this.buf = this.buf.subarray(9 + len)
      this.onFrame(f)
    }
  }

  private onFrame(f: Frame): void {
    this.frames.push(f)
    if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK))
      this.send(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(0))
    if (f.type === FrameType.PING && !(f.flags & Flag.ACK) && this.ackPings)
      this.send(FrameType.PING, Flag.ACK, 0, f.payload)
    for (const w of this.waiters.splice(0)) {
      if (w.pred(f)) w.resolve(f)
      else this.waiters.push(w)
    }
  }
}
