/**
 * etcdctl's `check perf` and `check datascale`: the workloads, the latency report (etcd's
 * pkg/report: requests per second over the run, slowest, standard deviation, errors by text),
 * the pass/fail lines and the text progress bar etcdctl prints (pb.v1 without a terminal).
 */
import { randomBytes } from 'node:crypto'
import { KVService } from '../gen/etcdserverpb.js'
import type { EtcdClient } from '../client/client.js'

export const LOAD_ALIAS: Record<string, string> = {
  s: 's',
  small: 's',
  m: 'm',
  medium: 'm',
  l: 'l',
  large: 'l',
  xl: 'xl',
  xLarge: 'xl',
}

export const PERF_LOADS: Record<string, { limit: number; clients: number; duration: number }> = {
  s: { limit: 150, clients: 50, duration: 60 },
  m: { limit: 1000, clients: 200, duration: 60 },
  l: { limit: 8000, clients: 500, duration: 60 },
  xl: { limit: 15000, clients: 1000, duration: 60 },
}

export const DATASCALE_LOADS: Record<string, { limit: number; kvSize: number; clients: number }> = {
  s: { limit: 10000, kvSize: 1024, clients: 50 },
  m: { limit: 100000, kvSize: 1024, clients: 200 },
  l: { limit: 1000000, kvSize: 1024, clients: 500 },
  xl: { limit: 3000000, kvSize: 1024, clients: 1000 },
}

export interface Stats {
  rps: number
  slowest: number
  stddev: number
  errors: Map<string, number>
}

/** etcd's pkg/report over the results of one run (times in seconds). */
export class Report {
  private readonly lats: number[] = []
  readonly errors = new Map<string, number>()
  private readonly started = process.hrtime.bigint()

  add(err: Error | undefined, seconds: number): void {
    if (err) this.errors.set(err.message, (this.errors.get(err.message) ?? 0) + 1)
    else this.lats.push(seconds)
  }

  stats(): Stats {
    const total = Number(process.hrtime.bigint() - this.started) / 1e9
    const n = this.lats.length
    const avg = n === 0 ? 0 : this.lats.reduce((a, b) => a + b, 0) / n
    let dev = 0
    for (const l of this.lats) dev += (l - avg) * (l - avg)
    return {
      rps: n / total,
      slowest: n === 0 ? 0 : Math.max(...this.lats),
      stddev: n === 0 ? 0 : Math.sqrt(dev / n),
      errors: this.errors,
    }
  }
}

/** Go's time.Duration.String() for whole seconds. */
function goSeconds(s: number): string {
  if (s === 0) return '0s'
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (h > 0) return `${h}h${m}m${sec}s`
  if (m > 0) return `${m}m${sec}s`
  return `${sec}s`
}

/** pb.v1's bar as etcdctl prints it when stdout is not a terminal: counters, percent, time left. */
export class ProgressBar {
  private current = 0
  private changed = Date.now()
  private readonly started = Date.now()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly total: number,
    private readonly write: (text: string) => void,
  ) {
    this.draw(false)
    this.timer = setInterval(() => this.draw(false), 200)
  }

  /** Entries counted so far. */
  get count(): number {
    return this.current
  }

  add(n = 1): void {
    this.current += n
    this.changed = Date.now()
  }

  finish(): void {
    clearInterval(this.timer)
    this.draw(true)
    this.write('\n')
  }

  private draw(finished: boolean): void {
    const cur = this.current
    const pct = this.total > 0 ? (cur / this.total) * 100 : 0
    let left = ''
    const spent = Date.now() - this.started
    if (cur > 0) {
      if (finished && cur >= this.total) left = ` ${goSeconds(Math.floor(spent / 1000))}`
      else {
        // pb.v1: the time per entry as of the last change, less the time since.
        const sinceChange = Date.now() - this.changed
        const perEntry = (this.changed - this.started) / cur
        const secs = Math.floor(((this.total - cur) * perEntry - sinceChange) / 1000)
        if (secs > 0) {
          const m = Math.floor(secs / 60)
          left = ` ${String(m).padStart(2, '0')}m${String(secs % 60).padStart(2, '0')}s`
        }
      }
    }
    this.write(`\r ${cur} / ${this.total}  ${pct.toFixed(2).padStart(6)}%${left}`)
  }
}

/** A put of key `prefix + varint(random)` padded to `ksize` bytes, and a value of `vsize` zero bytes. */
export function randomKey(prefix: string, ksize: number): Buffer {
  const k = Buffer.alloc(ksize)
  // binary.PutVarint of a random non-negative int63: 9 bytes at most; random bytes do as well.
  randomBytes(8).copy(k)
  return Buffer.concat([Buffer.from(prefix), k])
}

/**
 * Runs `next()`'s puts over the clients, each client one at a time (etcdctl's workers), until
 * `next()` returns undefined. `pace` is awaited before each request is handed out.
 */
export async function runPuts(
  clients: EtcdClient[],
  next: () => Promise<{ key: Buffer; value: Buffer } | undefined>,
  report: Report,
  done: () => void,
): Promise<void> {
  const queue: { key: Buffer; value: Buffer }[] = []
  let ended = false
  const waiters: (() => void)[] = []
  const spaces: (() => void)[] = []
  const wake = (list: (() => void)[]) => list.shift()?.()
  const workers = clients.map(async (c) => {
    for (;;) {
      while (queue.length === 0 && !ended) await new Promise<void>((r) => waiters.push(r))
      const op = queue.shift()
      if (op === undefined) return
      wake(spaces)
      const st = process.hrtime.bigint()
      let err: Error | undefined
      try {
        await c.call(KVService.Put, op, 2 ** 31 - 1)
      } catch (e) {
        err = e as Error
      }
      report.add(err, Number(process.hrtime.bigint() - st) / 1e9)
      done()
    }
  })
  for (;;) {
    const op = await next()
    if (op === undefined) break
    while (queue.length >= clients.length) await new Promise<void>((r) => spaces.push(r))
    queue.push(op)
    wake(waiters)
  }
  ended = true
  while (waiters.length > 0) wake(waiters)
  await Promise.all(workers)
}

/** etcdctl's endpointMemoryMetrics: process_resident_memory_bytes from the endpoint's /metrics; 0 and a line on failure. */
export async function residentMemory(host: string, say: (line: string) => void): Promise<number> {
  const key = 'process_resident_memory_bytes'
  if (!host.startsWith('http://') && !host.startsWith('https://')) host = 'http://' + host
  const url = host + '/metrics'
  let text: string
  try {
    const res = await fetch(url)
    text = await res.text()
  } catch (err) {
    say(`fetch error: ${(err as Error).message}`)
    return 0
  }
  const line = text.split('\n').find((l) => l.startsWith(key))
  if (line === undefined) {
    say(`could not find: ${key}`)
    return 0
  }
  const v = Number(line.slice(key.length).trim())
  if (Number.isNaN(v)) {
    say(`parse error: strconv.ParseFloat: parsing ${JSON.stringify(line.slice(key.length).trim())}: invalid syntax`)
    return 0
  }
  return v
}

/** Go's %f. */
export function goFloat(v: number): string {
  return v.toFixed(6)
}
