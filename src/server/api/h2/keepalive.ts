/**
 * Keepalive on one HTTP/2 connection, as grpc-go's server does it: ping the client every
 * interval and drop the connection when an ack does not come within the timeout; answer a
 * client that pings more often than the minimum interval, with nothing else going on, with
 * GOAWAY ENHANCE_YOUR_CALM "too_many_pings". Any activity on the connection since the client's
 * previous ping forgives it: a stream started, a HEADERS or DATA frame sent (Go clients ping to
 * size their windows while data flows, as often as each time DATA arrives).
 */
import type { H2Connection } from './connection.js'
import { ErrorCode } from './h2-frames.js'

export interface KeepaliveOptions {
  /** Ping the client this often; 0 or Infinity: never. */
  intervalMs: number
  /** Drop the connection if a ping is not acked within this. */
  timeoutMs: number
  /** Clients may ping this often. */
  minTimeMs: number
  /** Early pings tolerated in a row before GOAWAY. */
  maxPingStrikes: number
}

export const TOO_MANY_PINGS = 'too_many_pings'

/** What keepalive needs of a connection (an H2Connection). */
type Pingable = Pick<H2Connection, 'isClosed' | 'ping' | 'destroy' | 'goaway' | 'activity'>

export class Keepalive {
  private pingTimer: NodeJS.Timeout | null = null
  private ackTimer: NodeJS.Timeout | null = null
  private lastPeerPing = -Infinity
  private activityAtPeerPing = -1
  private strikes = 0
  private stopped = false

  /** Call `onPeerPing` for each client PING and `stop` when the connection closes. */
  constructor(
    private readonly conn: Pingable,
    private readonly opts: KeepaliveOptions,
  ) {
    if (opts.intervalMs > 0 && opts.intervalMs < 2 ** 31) {
      this.pingTimer = setInterval(() => this.ping(), opts.intervalMs)
      this.pingTimer.unref()
    }
  }

  stop(): void {
    this.stopped = true
    if (this.pingTimer !== null) clearInterval(this.pingTimer)
    if (this.ackTimer !== null) clearTimeout(this.ackTimer)
    this.pingTimer = this.ackTimer = null
  }

  private ping(): void {
    const s = this.conn
    if (this.ackTimer !== null || this.stopped || s.isClosed) return
    let sent: boolean
    try {
      sent = s.ping(() => this.acked())
    } catch {
      return
    }
    if (!sent) return
    this.ackTimer = setTimeout(() => this.ackMissed(), this.opts.timeoutMs)
    this.ackTimer.unref()
  }

  private acked(): void {
    if (this.ackTimer !== null) clearTimeout(this.ackTimer)
    this.ackTimer = null
  }

  private ackMissed(): void {
    this.ackTimer = null
    if (!this.conn.isClosed) this.conn.destroy()
  }

  onPeerPing(): void {
    const now = Date.now()
    const activity = this.conn.activity
    if (activity !== this.activityAtPeerPing) this.strikes = 0
    else if (now - this.lastPeerPing < this.opts.minTimeMs) this.strikes++
    this.activityAtPeerPing = activity
    this.lastPeerPing = now
    if (this.strikes > this.opts.maxPingStrikes) this.calm()
  }

  private calm(): void {
    if (this.stopped || this.conn.isClosed) return
    this.stop()
    this.conn.goaway(ErrorCode.ENHANCE_YOUR_CALM, TOO_MANY_PINGS)
  }
}
