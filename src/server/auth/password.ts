/**
 * bcrypt password hashes (etcd stores bcrypt hashes, so snapshots move between etcd and
 * tsetcd with their users). Hashing and comparing at cost 10 take ~100 ms of CPU each, which
 * would stall the event loop even in bcryptjs's async mode, so they run in a worker thread,
 * started on first use.
 */
import { Worker } from 'node:worker_threads'

/** etcd's bounds (golang.org/x/crypto/bcrypt MinCost, MaxCost) and default. */
export const BCRYPT_MIN_COST = 4
export const BCRYPT_MAX_COST = 31
export const BCRYPT_DEFAULT_COST = 10

type Pending = { resolve: (v: string | boolean) => void; reject: (e: Error) => void }

export class PasswordHasher {
  private worker?: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 0

  constructor(readonly cost: number = BCRYPT_DEFAULT_COST) {}

  private run(job: {
    op: 'hash' | 'compare'
    password: string
    cost?: number
    hash?: string
  }): Promise<string | boolean> {
    if (this.worker === undefined) {
      const w = new Worker(new URL('./password-worker.js', import.meta.url))
      w.unref()
      w.on('message', (m: { id: number; result?: string | boolean; error?: string }) => {
        const p = this.pending.get(m.id)
        if (p === undefined) return
        this.pending.delete(m.id)
        if (m.error !== undefined) p.reject(new Error(m.error))
        else p.resolve(m.result!)
        if (this.pending.size === 0) w.unref()
      })
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err)
        this.pending.clear()
        this.worker = undefined
      })
      this.worker = w
    }
    const id = ++this.nextId
    this.worker.ref()
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker!.postMessage({ id, ...job })
    })
  }

  async hash(password: string): Promise<Buffer> {
    return Buffer.from((await this.run({ op: 'hash', password, cost: this.cost })) as string)
  }

  async compare(password: string, hash: string): Promise<boolean> {
    return (await this.run({ op: 'compare', password, hash })) as boolean
  }

  async stop(): Promise<void> {
    const w = this.worker
    this.worker = undefined
    if (w) await w.terminate()
  }
}
