/**
 * Asynchronous reads that share backend calls: every read requested during one turn of the
 * event loop goes out in one multi-get, so concurrent Range requests cost one threadpool
 * round trip together instead of one each.
 */
import type { Backend } from '../backend/backend.js'

class Waiter {
  constructor(
    readonly start: number,
    readonly count: number,
    readonly resolve: (values: (Buffer | undefined)[]) => void,
    readonly reject: (err: unknown) => void,
  ) {}
}

export class SharedReads {
  private keys: Buffer[] = []
  private waiters: Waiter[] = []

  constructor(private readonly backend: Backend) {}

  /** The values of `keys`, in order; undefined where absent. */
  get(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    return new Promise((resolve, reject) => {
      const queued = this.keys
      if (queued.length === 0 && this.waiters.length === 0) setImmediate(this.flush)
      this.waiters.push(new Waiter(queued.length, keys.length, resolve, reject))
      for (const k of keys) queued.push(k)
    })
  }

  private readonly flush = (): void => {
    const keys = this.keys
    const waiters = this.waiters
    this.keys = []
    this.waiters = []
    this.backend.get(keys).then(
      (values) => {
        for (const w of waiters) w.resolve(values.slice(w.start, w.start + w.count))
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err)
      },
    )
  }
}
