/**
 * Leases in the backend: bucket 0x03, keyed by the lease ID as 8 big-endian bytes, each a
 * tsetcdpb.LeaseRecord. Written in the apply batch, read once when the lessor opens.
 */
import type { Backend, BackendWriteBatch } from '../backend/backend.js'
import { Bucket, bucketBounds, bucketKey } from '../backend/buckets.js'
import { decodeLeaseRecord, encodeLeaseRecord, type LeaseRecord } from '../../gen/tsetcdpb.js'
import type { Lease } from './lease.js'

function leaseKey(id: bigint): Buffer {
  const b = Buffer.allocUnsafe(8)
  b.writeBigInt64BE(id)
  return bucketKey(Bucket.Lease, b)
}

export function putLease(w: BackendWriteBatch, l: Lease): void {
  w.put(leaseKey(l.id), encodeLeaseRecord({ ID: l.id, TTL: l.ttl, remaining_TTL: l.remainingTTL }))
}

export function deleteLease(w: BackendWriteBatch, id: bigint): void {
  w.del(leaseKey(id))
}

export async function readLeases(backend: Backend): Promise<LeaseRecord[]> {
  const [gte, lt] = bucketBounds(Bucket.Lease)
  const out: LeaseRecord[] = []
  for await (const chunk of backend.iterate(gte, lt)) for (const [, v] of chunk) out.push(decodeLeaseRecord(v))
  return out
}
