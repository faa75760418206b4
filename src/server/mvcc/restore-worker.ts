/**
 * Worker thread of the index rebuild (restore-scan.ts): scans the key records of a shared
 * RocksDB and posts them packed (record-heads.ts), at most `window` chunks ahead of the thread
 * that builds the index, which sends 'more' for each chunk it takes and 'stop' to end early.
 * It posts { done: true } once its iterator is closed.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SharedRocksReader } from '../backend/shared-rocks.js'
import { chunkBuffers, packHeads } from './record-heads.js'

export interface ScanWorkerData {
  handle: bigint
  gte: Uint8Array
  lt: Uint8Array
  chunkSize: number
  window: number
}

const port = parentPort!
const data = workerData as ScanWorkerData
let credits = data.window
let stopped = false
let wake: (() => void) | null = null
port.on('message', (m: 'more' | 'stop') => {
  if (m === 'stop') stopped = true
  else credits++
  const w = wake
  wake = null
  w?.()
})

const reader = await SharedRocksReader.attach(data.handle)
const gte = Buffer.from(data.gte.buffer, data.gte.byteOffset, data.gte.length)
const lt = Buffer.from(data.lt.buffer, data.lt.byteOffset, data.lt.length)
const scan = reader.scan(gte, lt)
try {
  for (let rows = scan.next(data.chunkSize); rows.length > 0; rows = scan.next(data.chunkSize)) {
    const chunk = packHeads(rows)
    while (credits === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve))
    if (stopped) break
    credits--
    const buffers = chunkBuffers(chunk)
    port.postMessage({ count: chunk.count, buffers }, buffers)
  }
} finally {
  // A failure to close is not reported over the scan's own failure, if any (nor after a scan
  // that succeeded: the iterator is gone with this thread either way).
  await scan.close().catch(() => undefined)
}
port.postMessage({ done: true })
port.unref()
