/**
 * The core's view of a client call (CallContext): a signal that aborts when the call's
 * deadline (grpc-timeout) passes, with Errors.DeadlineExceeded, or when the client goes away
 * first, with Errors.Canceled, so the core drops work still queued for it.
 */
import { Errors } from '../../errors/rpctypes.js'
import type { CallContext } from '../etcdserver/core.js'

/** What a call offers (this server's calls and grpc-js's alike). */
export interface ClientCall {
  getDeadline(): Date | number
  /** The call's metadata (etcd's auth token comes as `token`). */
  readonly metadata?: { get(key: string): unknown[] }
  /** The verified client certificate, if any. */
  getAuthContext?(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } }
  on(event: 'cancelled', listener: () => void): unknown
  removeListener(event: 'cancelled', listener: () => void): unknown
}

/** setTimeout cannot wait longer; a longer deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface OpenCallContext extends CallContext {
  signal: AbortSignal
  /** The call is answered: stop watching its deadline. */
  done(): void
}

export function callContext(call: ClientCall): OpenCallContext {
  const ac = new AbortController()
  const d = call.getDeadline()
  const deadline = d instanceof Date ? d.getTime() : d
  let timer: NodeJS.Timeout | undefined
  const remaining = deadline - Date.now()
  if (remaining <= 0) ac.abort(Errors.DeadlineExceeded)
  else if (remaining <= MAX_TIMER_MS) timer = setTimeout(() => ac.abort(Errors.DeadlineExceeded), remaining)
  const onCancelled = () => ac.abort(Date.now() >= deadline ? Errors.DeadlineExceeded : Errors.Canceled)
  call.on('cancelled', onCancelled)
  return {
    ...callIdentity(call),
    signal: ac.signal,
    done() {
      if (timer !== undefined) clearTimeout(timer)
      call.removeListener('cancelled', onCancelled)
    },
  }
}

/**
 * Who a call says it is: its `token` metadata, and the common name of the client
 * certificate the TLS handshake verified ('' when it has none; absent without one).
 */
export function callIdentity(call: ClientCall): { token?: string; commonName?: string } {
  const out: { token?: string; commonName?: string } = {}
  const t = call.metadata?.get('token')[0] ?? call.metadata?.get('authorization')[0]
  if (typeof t === 'string') out.token = t
  const cert = call.getAuthContext?.().sslPeerCertificate
  if (cert !== undefined) {
    const cn = cert.subject?.CN
    out.commonName = Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? '')
  }
  return out
}
