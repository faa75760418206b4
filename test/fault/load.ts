/**
 * The client load of a fault run: a few concurrent clients, each with its own EtcdClient on
 * one member, doing linearizable gets, puts, compare-and-set txns and deletes on a few keys
 * with values unique in the run, each request with a deadline. Every invocation and response
 * goes to the HistoryRecorder; a request that fails in any way has an unknown outcome. A
 * client whose request failed moves to another member.
 */
import { EtcdClient } from '../../src/client/client.js'
import { KVService, type TxnRequestInit } from '../../src/gen/etcdserverpb.js'
import { HistoryRecorder, type Input } from './history.js'
import type { Rng } from '../helpers/rng.js'

export interface LoadOptions {
  clients: number
  keys: string[]
  opTimeoutMs: number
  rng: Rng
}

const COMPARE_EQUAL = 0
const TARGET_CREATE = 1
const TARGET_VALUE = 3

export class Load {
  private stopped = false
  private loops: Promise<void>[] = []
  private waiters: { n: number; resolve: () => void }[] = []
  completed = 0
  failed = 0

  constructor(
    private readonly rec: HistoryRecorder,
    private readonly endpoints: string[],
    private readonly o: LoadOptions,
  ) {}

  start(): void {
    for (let c = 0; c < this.o.clients; c++) this.loops.push(this.client(c))
  }

  /** Resolves once `n` more operations completed, or after `timeoutMs` (false). */
  progress(n: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const w = { n: this.completed + n, resolve: () => resolve(true) }
      this.waiters.push(w)
      setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w)
        resolve(false)
      }, timeoutMs).unref()
    })
  }

  /** Stops issuing requests and waits for those in flight (each is bounded by its deadline). */
  async stop(): Promise<void> {
    this.stopped = true
    await Promise.all(this.loops)
  }

  private done(ok: boolean): void {
    if (!ok) {
      this.failed++
      return
    }
    this.completed++
    for (const w of this.waiters.filter((x) => x.n <= this.completed)) w.resolve()
    this.waiters = this.waiters.filter((x) => x.n > this.completed)
  }

  private async client(c: number): Promise<void> {
    const rng = this.o.rng.fork()
    let target = c % this.endpoints.length
    let client: EtcdClient | undefined
    let seq = 0
    const lastSeen = new Map<string, string | null>()
    try {
      while (!this.stopped) {
        if (!client) {
          try {
            client = await EtcdClient.connect({ endpoints: [this.endpoints[target]], dialTimeoutMs: 1000 })
          } catch {
            target = (target + 1) % this.endpoints.length
            continue
          }
        }
        const key = rng.pick(this.o.keys)
        const value = `c${c}-${seq++}`
        const r = rng.next()
        const input: Input =
          r < 0.4
            ? { kind: 'get' }
            : r < 0.65
              ? { kind: 'put', value }
              : r < 0.93
                ? { kind: 'cas', expect: lastSeen.has(key) && rng.next() < 0.9 ? lastSeen.get(key)! : null, value }
                : { kind: 'delete' }
        const op = this.rec.invoke(c, key, input, this.endpoints[target])
        const k = Buffer.from(key)
        try {
          switch (input.kind) {
            case 'get': {
              const res = await client.call(KVService.Range, { key: k }, this.o.opTimeoutMs)
              const v = res.kvs.length > 0 ? res.kvs[0].value.toString() : null
              this.rec.ok(op, { kind: 'get', value: v }, res.header?.revision)
              lastSeen.set(key, v)
              break
            }
            case 'put': {
              const res = await client.call(
                KVService.Put,
                { key: k, value: Buffer.from(input.value) },
                this.o.opTimeoutMs,
              )
              this.rec.ok(op, { kind: 'put' }, res.header?.revision)
              lastSeen.set(key, input.value)
              break
            }
            case 'cas': {
              const txn: TxnRequestInit = {
                compare: [
                  input.expect === null
                    ? { result: COMPARE_EQUAL, target: TARGET_CREATE, key: k, create_revision: 0 }
                    : { result: COMPARE_EQUAL, target: TARGET_VALUE, key: k, value: Buffer.from(input.expect) },
                ],
                success: [{ request_put: { key: k, value: Buffer.from(input.value) } }],
                failure: [],
              }
              const res = await client.call(KVService.Txn, txn, this.o.opTimeoutMs)
              this.rec.ok(op, { kind: 'cas', succeeded: res.succeeded }, res.header?.revision)
              if (res.succeeded) lastSeen.set(key, input.value)
              break
            }
            case 'delete': {
              const res = await client.call(KVService.DeleteRange, { key: k }, this.o.opTimeoutMs)
              this.rec.ok(op, { kind: 'delete', deleted: res.deleted }, res.header?.revision)
              lastSeen.set(key, null)
              break
            }
          }
          this.done(true)
        } catch (err) {
          this.rec.unknown(op, (err as Error).message.split('\n')[0].slice(0, 120))
          this.done(false)
          client.close()
          client = undefined
          target = (target + 1 + rng.int(this.endpoints.length - 1)) % this.endpoints.length
        }
      }
    } finally {
      client?.close()
    }
  }
}
