/** Reconnect delays: exponential growth from `initialMs` to `maxMs`, each delay jittered. */
import type { BackoffOptions } from './types.js'

export class Backoff {
  private readonly initialMs: number
  private readonly maxMs: number
  private readonly factor: number
  private readonly jitter: number
  private readonly random: () => number
  private base: number

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 100
    this.maxMs = o.maxMs ?? 5000
    this.factor = o.factor ?? 2
    this.jitter = o.jitter ?? 0.2
    this.random = o.random ?? Math.random
    this.base = this.initialMs
  }

  /** The delay before the next attempt; each call grows the following one. */
  next(): number {
    const d = this.base * (1 - this.jitter + 2 * this.jitter * this.random())
    this.base = Math.min(this.maxMs, this.base * this.factor)
    return Math.max(0, Math.min(this.maxMs, Math.round(d)))
  }

  reset(): void {
    this.base = this.initialMs
  }
}
