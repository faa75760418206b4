/**
 * Loads N distinct keys `key/00000000`.. (256-byte values) into an etcd-compatible server:
 * transactions of 100 puts, 8 in flight, over tsetcd's client library. Prints
 * {"keys":N,"seconds":s}.
 *
 *   node dist/bench/scale-load.js 127.0.0.1:2379 1000000
 */
import { EtcdClient } from '../src/client/client.js'
import { KVService } from '../src/gen/etcdserverpb.js'

const endpoint = process.argv[2] ?? '127.0.0.1:2379'
const total = Number(process.argv[3] ?? 1_000_000)
const PER_TXN = 100
const IN_FLIGHT = 8
const value = Buffer.alloc(256, 'v')

const client = await EtcdClient.connect({ endpoints: [endpoint] })
const started = performance.now()
let next = 0
async function worker(): Promise<void> {
  while (next < total) {
    const from = next
    next = Math.min(total, next + PER_TXN)
    const success = []
    for (let i = from; i < next; i++)
      success.push({ request_put: { key: Buffer.from(`key/${String(i).padStart(8, '0')}`), value } })
    await client.call(KVService.Txn, { success }, 60_000)
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
console.log(JSON.stringify({ keys: total, seconds: (performance.now() - started) / 1000 }))
client.close()
