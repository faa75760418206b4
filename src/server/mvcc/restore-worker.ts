/**
 * Worker thread of the index rebuild (restore-scan.ts): scans the key records of a shared
 * RocksDB and posts them packed (record-heads.ts), at most `window` chunks ahead of the thread
 * that builds the index, which sends 'more' for each chunk it takes and 'stop' to end early.
 * It posts { done: true } once its iterator is closed.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SharedRocksReader } from '../backend/shared-rocks.js'
import { HeadPacker, chunkBuffers } from './record-heads.js'

/**
 * Records read from RocksDB at a time. The binding hands out two Buffers per record, and each
 * young-generation collection copies those of the read in progress: small reads keep that
 * cheap (a 1M-key scan: 1.8 s with reads of 256 records, 2.2 s with reads of 4096).
 */
const READ_ROWS = 256

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
const packer = new HeadPacker(data.chunkSize)
try {
  for (;;) {
    const rows = scan.next(Math.min(READ_ROWS, packer.room))
    if (rows.length > 0) packer.add(rows)
    if (packer.size === 0) break
    if (packer.room > 0 && rows.length > 0) continue
    const chunk = packer.take()
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
