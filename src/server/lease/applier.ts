/** The lessor's part of the apply path (etcdserver's LeaseGrant/LeaseRevoke/LeaseCheckpoint). */
import type { InternalRequest } from '../../gen/tsetcdpb.js'
import type { LeaseApplier } from '../etcdserver/kv-state.js'
import type { StoreBatch } from '../mvcc/batch.js'
import { responseHeader } from '../mvcc/range.js'
import type { Lessor } from './lessor.js'

export function leaseApplier(lessor: Lessor): LeaseApplier {
  return {
    exists: (id) => lessor.exists(id),
    track: (changes, from) => lessor.track(changes, from),
    apply(b: StoreBatch, r: InternalRequest) {
      if (r.lease_grant !== undefined) {
        const l = lessor.grant(b, r.lease_grant)
        return { header: responseHeader(b.revision), ID: l.id, TTL: l.ttl, error: '' }
      }
      if (r.lease_revoke !== undefined) {
        lessor.revoke(b, r.lease_revoke.ID)
        return { header: responseHeader(b.revision) }
      }
      if (r.lease_checkpoint !== undefined) {
        lessor.checkpoint(b, r.lease_checkpoint)
        return { header: responseHeader(b.revision) }
      }
      return undefined
    },
  }
}
