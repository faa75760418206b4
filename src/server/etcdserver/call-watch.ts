/**
 * Requests waiting in the core (a proposal for its result, a linearizable read for its
 * ReadIndex) watch their caller: when the call aborts first (deadline, client gone) the request
 * leaves and fails with the reason. A context that offers `whenAborted` is watched through it,
 * which makes no AbortController and no closure per call; otherwise through its signal.
 */
import type { Applied } from '../apply/applier.js'
import type { AbortWatcher, CallContext } from './core.js'

/** Why the call is already over, or undefined while it is open. */
export function abortReasonOf(ctx?: CallContext): Error | undefined {
  if (ctx === undefined) return undefined
  if (ctx.whenAborted !== undefined) return ctx.abortReason
  const signal = ctx.signal
  return signal?.aborted ? (signal.reason as Error) : undefined
}

abstract class CallWatch implements AbortWatcher {
  private ctx: CallContext | undefined = undefined
  private signal: AbortSignal | undefined = undefined
  private onSignal: (() => void) | undefined = undefined

  /** Watches `ctx` until the request settles. */
  watch(ctx: CallContext | undefined): void {
    if (ctx === undefined) return
    if (ctx.whenAborted !== undefined) {
      this.ctx = ctx
      ctx.whenAborted(this)
      return
    }
    const signal = ctx.signal
    if (signal === undefined) return
    this.signal = signal
    this.onSignal = () => this.aborted(signal.reason as Error)
    signal.addEventListener('abort', this.onSignal, { once: true })
  }

  abstract aborted(reason: Error): void

  protected unwatch(): void {
    if (this.ctx !== undefined) this.ctx.unwatch!(this)
    else if (this.signal !== undefined) this.signal.removeEventListener('abort', this.onSignal!)
  }
}

/** A proposal waiting for its result; a caller that aborts first drops it (`drop`). */
export class ProposalWaiter extends CallWatch {
  constructor(
    readonly id: bigint,
    private readonly res: (res: unknown) => void,
    private readonly rej: (e: Error) => void,
    /** performance.now() after which the proposal fails with a timeout. */
    readonly deadline: number,
    private readonly drop: (id: bigint, reason: Error) => void,
  ) {
    super()
  }

  aborted(reason: Error): void {
    this.drop(this.id, reason)
  }

  /** Settles with the applied response (once what it still waits for is done), or its error. */
  applied(a: Applied): void {
    this.unwatch()
    if (!a.ok) this.rej(a.err)
    else if (a.done === undefined) this.res(a.res)
    else a.done.then(() => this.res(a.res), this.rej)
  }

  reject(e: Error): void {
    this.unwatch()
    this.rej(e)
  }
}

/** A linearizable read waiting for its batch's ReadIndex; a caller that aborts first leaves the batch. */
export class ReadWaiter extends CallWatch {
  constructor(
    private readonly res: () => void,
    private readonly rej: (e: Error) => void,
    /** The ReadIndex batch it waits in. */
    private readonly batch: { waiters: ReadWaiter[] },
  ) {
    super()
  }

  aborted(reason: Error): void {
    this.batch.waiters = this.batch.waiters.filter((w) => w !== this)
    this.rej(reason)
  }

  resolve(): void {
    this.unwatch()
    this.res()
  }

  reject(e: Error): void {
    this.unwatch()
    this.rej(e)
  }
}
