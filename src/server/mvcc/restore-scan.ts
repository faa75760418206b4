/**
 * The scan of the key bucket for the index rebuild, as packed record heads (record-heads.ts)
 * in key (revision) order. When the backend can lend its database to another thread
 * (RocksBackend), a worker thread reads and unpacks the records while this thread builds the
 * index; otherwise (MemoryBackend) the records are read and packed here. Either way the
 * records are packed by the same code and the index is built from the same chunks.
 */
import { Worker } from 'node:worker_threads'
import type { Backend } from '../backend/backend.js'
import { chunkFromBuffers, packHeads, type HeadChunk } from './record-heads.js'
import type { ScanWorkerData } from './restore-worker.js'

/** Chunks the worker may have packed ahead of the index. */
const WINDOW = 4

type WorkerMessage = { done: true } | { done?: undefined; count: number; buffers: ArrayBuffer[] }

export async function* scanHeads(
  backend: Backend,
  gte: Buffer,
  lt: Buffer,
  chunkSize: number,
): AsyncGenerator<HeadChunk> {
  const shared = backend.share?.()
  if (shared === undefined) {
    for await (const entries of backend.iterate(gte, lt, { chunkSize })) yield packHeads(entries.flat())
    return
  }
  const data: ScanWorkerData = { handle: shared.handle, gte, lt, chunkSize, window: WINDOW }
  let worker: Worker
  try {
    worker = new Worker(new URL('./restore-worker.js', import.meta.url), { workerData: data })
  } catch (err) {
    shared.release()
    throw err
  }
  const queue: (HeadChunk | null)[] = []
  let failure: { error: unknown } | undefined
  let exited = false
  let wake: (() => void) | null = null
  const notify = () => {
    const w = wake
    wake = null
    w?.()
  }
  worker.on('message', (m: WorkerMessage) => {
    if (m.done === true) {
      // The worker closed its iterator: the database is no longer read from there.
      shared.release()
      queue.push(null)
    } else {
      queue.push(chunkFromBuffers(m.count, m.buffers))
    }
    notify()
  })
  worker.on('error', (error) => {
    failure ??= { error }
    notify()
  })
  const exit = new Promise<void>((resolve) =>
    worker.on('exit', () => {
      exited = true
      resolve()
      notify()
    }),
  )
  let done = false
  try {
    for (;;) {
      const c = queue.shift()
      if (c === null) {
        done = true
        return
      }
      if (c !== undefined) {
        worker.postMessage('more')
        yield c
        continue
      }
      if (failure !== undefined) {
        const e = failure.error
        throw new Error(`mvcc: scanning the key records failed: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        })
      }
      if (exited) throw new Error('mvcc: the key record scan ended early')
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    if (!done) {
      // Stopped early or failed: the database is lent until the worker has closed its iterator.
      if (!exited) worker.postMessage('stop')
      await exit
      shared.release()
    }
  }
}
