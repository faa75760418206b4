/**
 * The core's view of a client call (CallContext): a signal that aborts when the call's
 * deadline (grpc-timeout) passes, with Errors.DeadlineExceeded, or when the client goes away
 * first, with Errors.Canceled, so the core drops work still queued for it.
 */
import { Errors } from '../../errors/rpctypes.js'
import type { AbortWatcher, CallContext } from '../etcdserver/core.js'

/** What a call offers (this server's calls and grpc-js's alike). */
export interface ClientCall {
  getDeadline(): Date | number
  /** The call's metadata (etcd's auth token comes as `token`). */
  readonly metadata?: { get(key: string): unknown[] }
  /** The verified client certificate, if any. */
  getAuthContext?(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } }
  on(event: 'cancelled', listener: () => void): unknown
  removeListener(event: 'cancelled', listener: () => void): unknown
  /**
   * Calls that offer it are told of their context directly (told `cancelled()` before their
   * 'cancelled' listeners), which costs no listener and no closure per call.
   */
  setCancelHook?(hook: CancelHook | null): void
  /** A plain request header's first value, read directly (cheaper than `metadata`). */
  firstHeader?(name: string): string | undefined
}

/** What a call tells its context when the client goes away or the deadline passes. */
export interface CancelHook {
  cancelled(): void
}

/** setTimeout cannot wait longer; a longer deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface OpenCallContext extends CallContext {
  signal: AbortSignal
  /** The call is answered: stop watching its deadline. */
  done(): void
}

export function callContext(call: ClientCall): OpenCallContext {
  return new LiveCallContext(call)
}

/**
 * The signal is made only when something asks for it: the core's proposals watch the call
 * through `whenAborted`, which costs no AbortController and no event listener per call.
 */
class LiveCallContext implements OpenCallContext, CancelHook {
  private ac: AbortController | undefined = undefined
  private reason: Error | undefined = undefined
  private watchers: AbortWatcher[] | undefined = undefined
  private timer: NodeJS.Timeout | undefined = undefined
  private readonly deadline: number
  /** The listener, for a call that takes no cancel hook. */
  private readonly onCancelled: (() => void) | undefined = undefined
  /** Who the call says it is, read on first use (only auth asks). */
  private id: { token?: string; commonName?: string } | undefined = undefined

  constructor(private readonly call: ClientCall) {
    const d = call.getDeadline()
    this.deadline = d instanceof Date ? d.getTime() : d
    if (this.deadline !== Infinity) {
      const remaining = this.deadline - Date.now()
      if (remaining <= 0) this.abort(Errors.DeadlineExceeded)
      else if (remaining <= MAX_TIMER_MS) this.timer = setTimeout(onDeadline, remaining, this)
    }
    if (call.setCancelHook !== undefined) call.setCancelHook(this)
    else {
      this.onCancelled = () => this.cancelled()
      call.on('cancelled', this.onCancelled)
    }
  }

  get token(): string | undefined {
    return (this.id ??= callIdentity(this.call)).token
  }

  get commonName(): string | undefined {
    return (this.id ??= callIdentity(this.call)).commonName
  }

  cancelled(): void {
    this.abort(Date.now() >= this.deadline ? Errors.DeadlineExceeded : Errors.Canceled)
  }

  get signal(): AbortSignal {
    if (this.ac === undefined) {
      this.ac = new AbortController()
      if (this.reason !== undefined) this.ac.abort(this.reason)
    }
    return this.ac.signal
  }

  get abortReason(): Error | undefined {
    return this.reason
  }

  whenAborted(w: AbortWatcher): void {
    ;(this.watchers ??= []).push(w)
  }

  unwatch(w: AbortWatcher): void {
    const list = this.watchers
    if (list === undefined) return
    const i = list.indexOf(w)
    if (i >= 0) list.splice(i, 1)
  }

  /** @internal */
  abort(reason: Error): void {
    if (this.reason !== undefined) return
    this.reason = reason
    this.ac?.abort(reason)
    const w = this.watchers
    this.watchers = undefined
    if (w !== undefined) for (const x of w) x.aborted(reason)
  }

  done(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.onCancelled !== undefined) this.call.removeListener('cancelled', this.onCancelled)
    else this.call.setCancelHook!(null)
  }
}

function onDeadline(ctx: LiveCallContext): void {
  ctx.abort(Errors.DeadlineExceeded)
}

/**
 * Who a call says it is: its `token` metadata, and the common name of the client
 * certificate the TLS handshake verified ('' when it has none; absent without one).
 */
export function callIdentity(call: ClientCall): { token?: string; commonName?: string } {
  const out: { token?: string; commonName?: string } = {}
  const t =
    call.firstHeader !== undefined
      ? (call.firstHeader('token') ?? call.firstHeader('authorization'))
      : (call.metadata?.get('token')[0] ?? call.metadata?.get('authorization')[0])
  if (typeof t === 'string') out.token = t
  const cert = call.getAuthContext?.().sslPeerCertificate
  if (cert !== undefined) {
    const cn = cert.subject?.CN
    out.commonName = Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? '')
  }
  return out
}
