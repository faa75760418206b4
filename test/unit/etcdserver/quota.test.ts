import assert from 'node:assert/strict'
import { BackendQuota, DEFAULT_QUOTA_BYTES, requestCost } from '../../../src/server/etcdserver/quota.js'
import type { InternalRequest } from '../../../src/gen/tsetcdpb.js'

const put = (k: string, v: string) => ({
  key: Buffer.from(k),
  value: Buffer.from(v),
  lease: 0n,
  prev_kv: false,
  ignore_value: false,
  ignore_lease: false,
})
const req = (r: Partial<InternalRequest>) => ({ ID: 0n, ...r }) as InternalRequest

describe('backend quota (etcd quota.go)', () => {
  it('costs: a put its key, value and 256; a txn its costlier branch; a lease grant 64; others nothing', () => {
    assert.equal(requestCost(req({ put: put('ab', 'cde') })), 261)
    const txn = {
      compare: [],
      success: [{ request_put: put('a', 'b') }],
      failure: [{ request_put: put('a', 'bbbb') }, { request_put: put('c', '') }],
    }
    assert.equal(requestCost(req({ txn } as never)), 261 + 257)
    assert.equal(requestCost(req({ lease_grant: { TTL: 5, ID: 0n } })), 64)
    assert.equal(
      requestCost(req({ delete_range: { key: Buffer.from('a'), range_end: Buffer.alloc(0), prev_kv: false } })),
      0,
    )
  })

  it('refuses a costly request once size + cost reaches the quota; 0 is 2 GiB, a negative quota none', () => {
    let size = 1000
    const q = new BackendQuota(1300, () => size)
    assert.equal(q.available(req({ put: put('k', '') })), true) // 1000 + 257 < 1300
    size = 1043
    assert.equal(q.available(req({ put: put('k', '') })), false)
    assert.equal(
      q.available(req({ delete_range: { key: Buffer.from('a'), range_end: Buffer.alloc(0), prev_kv: false } })),
      true,
    )
    size = DEFAULT_QUOTA_BYTES - 100
    assert.equal(new BackendQuota(0, () => size).available(req({ put: put('k', '') })), false)
    assert.equal(new BackendQuota(-1, () => size * 10).available(req({ put: put('k', '') })), true)
  })
})
