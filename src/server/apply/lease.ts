/**
 * The lessor's layer of the apply stack (etcdserver's LeaseGrant/LeaseRevoke/LeaseCheckpoint):
 * applies lease requests itself, passes the others down, and tells the lessor which keys the
 * changes of every applied request attach to or detach from leases.
 */
import type { LeaseGrantResponseInit } from '../../gen/etcdserverpb.js'
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { Lessor } from '../lease/lessor.js'
import type { StoreBatch } from '../mvcc/batch.js'
import { responseHeader } from '../mvcc/range.js'
import { compactionApplier, kvApplier } from './kv.js'
import { dispatcher, type Applier, type ApplyResult } from './applier.js'

function applyLease(lessor: Lessor, b: StoreBatch, r: InternalRequest): ApplyResult | undefined {
  if (r.lease_grant !== undefined) {
    const l = lessor.grant(b, r.lease_grant)
    const res: LeaseGrantResponseInit = { header: responseHeader(b.revision), ID: l.id, TTL: l.ttl, error: '' }
    return { res }
  }
  if (r.lease_revoke !== undefined) {
    lessor.revoke(b, r.lease_revoke.ID)
    return { res: { header: responseHeader(b.revision) } }
  }
  if (r.lease_checkpoint !== undefined) {
    lessor.checkpoint(b, r.lease_checkpoint)
    return { res: { header: responseHeader(b.revision) } }
  }
  return undefined
}

export function leaseApplier(lessor: Lessor, next: Applier): Applier {
  return {
    apply(b, r, index) {
      const from = b.changes.length
      const result = applyLease(lessor, b, r) ?? next.apply(b, r, index)
      if (b.changes.length > from) lessor.track(b.changes, from)
      return result
    },
  }
}

/** The member's stack: leases around the KV and compaction appliers (which check that a put's lease exists). */
export function applierStack(lessor: Lessor): Applier {
  return leaseApplier(lessor, dispatcher([kvApplier({ leaseExists: (id) => lessor.exists(id) }), compactionApplier]))
}
