/**
 * tsetcd's own KV and Maintenance handlers (kv-service.ts, maintenance-service.ts, written
 * for grpc-js) served unchanged by GrpcServer, over a Map-backed Core, as ClientServer
 * wires them: same definitions, same limits.
 */
import assert from 'node:assert/strict'
import * as grpc from '@grpc/grpc-js'
import {
  KVService,
  MaintenanceService,
  type DeleteRangeRequest,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type StatusResponse,
} from '../../../src/gen/etcdserverpb.js'
import type { CoreKv, CoreMaintenance, CoreSnapshot, DatabaseSnapshot } from '../../../src/server/etcdserver/core.js'
import { kvService } from '../../../src/server/api/kv-service.js'
import { maintenanceService } from '../../../src/server/api/maintenance-service.js'
import { GRPC_OVERHEAD_BYTES } from '../../../src/server/api/limits.js'
import { serviceDefinition } from '../../../src/server/api/unary.js'
import { GrpcServer } from '../../../src/server/api/h2/index.js'
import { call, ETCDCTL, failure, grpcJsClient, haveBinary, run } from '../../helpers/h2-harness.js'

/** Just enough of a member: a sorted Map with revisions. */
class MapCore implements CoreKv, CoreMaintenance, CoreSnapshot {
  snapshot(): Promise<DatabaseSnapshot> {
    return Promise.reject(new Error('no database here'))
  }

  readonly data = new Map<string, { value: Buffer; create: number; mod: number; version: number }>()
  revision = 1

  header() {
    return { cluster_id: 0xc1n, member_id: 0xa1n, revision: this.revision, raft_term: 2n }
  }

  private keys(key: Buffer, end: Buffer): string[] {
    const k = key.toString()
    if (end.length === 0) return this.data.has(k) ? [k] : []
    const e = end.toString()
    return [...this.data.keys()].filter((x) => x >= k && (e === '\0' || x < e)).sort()
  }

  async range(req: RangeRequest) {
    const keys = this.keys(req.key, req.range_end)
    const kvs = keys.map((k) => {
      const v = this.data.get(k)!
      return { key: Buffer.from(k), value: v.value, create_revision: v.create, mod_revision: v.mod, version: v.version }
    })
    return { kvs: req.count_only ? [] : kvs, count: keys.length, header: { revision: this.revision } }
  }

  async put(req: PutRequest) {
    const k = req.key.toString()
    const old = this.data.get(k)
    this.revision++
    this.data.set(k, {
      value: Buffer.from(req.value),
      create: old?.create ?? this.revision,
      mod: this.revision,
      version: (old?.version ?? 0) + 1,
    })
    return { header: { revision: this.revision } }
  }

  async deleteRange(req: DeleteRangeRequest) {
    const keys = this.keys(req.key, req.range_end)
    if (keys.length > 0) this.revision++
    for (const k of keys) this.data.delete(k)
    return { deleted: keys.length, header: { revision: this.revision } }
  }

  async txn() {
    return { succeeded: true, responses: [] }
  }

  async compact() {
    return {}
  }

  async status() {
    return {
      version: '3.5.0',
      dbSize: 4096,
      leader: 0xa1n,
      raftIndex: 9n,
      raftTerm: 2n,
      raftAppliedIndex: 9n,
      dbSizeInUse: 4096,
    }
  }

  async hashKV() {
    return { hash: 1, compact_revision: 0 }
  }

  async alarm() {
    return { alarms: [] }
  }

  async hash() {
    return { hash: 2 }
  }

  async moveLeader() {
    return {}
  }

  async defragment() {
    return {}
  }
}

describe("h2 GrpcServer hosting tsetcd's grpc-js handlers unchanged", function () {
  this.timeout(30_000)
  const limits = { maxRequestBytes: 1024, maxTxnOps: 128 }
  const core = new MapCore()
  let server: GrpcServer
  let port: number
  let kv: grpc.Client & Record<string, never>

  before(async () => {
    server = new GrpcServer({ maxReceiveMessageBytes: limits.maxRequestBytes + GRPC_OVERHEAD_BYTES })
    server.addService(serviceDefinition(KVService), kvService(core, limits))
    server.addService(serviceDefinition(MaintenanceService), maintenanceService(core, limits))
    port = await server.listen('http://127.0.0.1:0')
    kv = grpcJsClient(KVService, 'KV', port) as typeof kv
  })
  after(async () => {
    kv.close()
    await server.tryShutdown(1000)
  })

  it('Put and Range with the member’s header', async () => {
    const put = await call<PutResponse>(kv, 'Put', { key: Buffer.from('a'), value: Buffer.from('1') })
    assert.equal(put.header?.member_id, 0xa1n)
    assert.equal(put.header?.revision, core.revision)
    const got = await call<RangeResponse>(kv, 'Range', { key: Buffer.from('a') })
    assert.equal(got.kvs[0].value.toString(), '1')
  })

  it('etcd’s validation errors and --max-request-bytes come back as etcd sends them', async () => {
    const empty = await failure(call(kv, 'Put', { key: Buffer.alloc(0), value: Buffer.from('x') }))
    assert.deepEqual([empty.code, empty.details], [grpc.status.INVALID_ARGUMENT, 'etcdserver: key is not provided'])
    const large = await failure(call(kv, 'Put', { key: Buffer.from('big'), value: Buffer.alloc(4096) }))
    assert.deepEqual([large.code, large.details], [grpc.status.INVALID_ARGUMENT, 'etcdserver: request is too large'])
  })

  it('Maintenance.Status', async () => {
    const m = grpcJsClient(MaintenanceService, 'Maintenance', port)
    try {
      const s = await call<StatusResponse>(m, 'Status', {})
      assert.equal(s.version, '3.5.0')
      assert.equal(s.header?.cluster_id, 0xc1n)
    } finally {
      m.close()
    }
  })

  it('etcdctl put, get --prefix, del and endpoint status', async function () {
    if (!haveBinary(ETCDCTL)) {
      console.log(`      skipped: ${ETCDCTL} missing (apt-get install etcd-client)`)
      this.skip()
    }
    const etcdctl = (...args: string[]) => run(ETCDCTL, [`--endpoints=127.0.0.1:${port}`, ...args])
    assert.equal((await etcdctl('put', 'dir/x', 'X')).stdout, 'OK\n')
    assert.equal((await etcdctl('put', 'dir/y', 'Y')).stdout, 'OK\n')
    assert.equal((await etcdctl('get', '--prefix', 'dir/')).stdout, 'dir/x\nX\ndir/y\nY\n')
    assert.equal((await etcdctl('del', 'dir/x')).stdout, '1\n')
    assert.equal((await etcdctl('get', '--prefix', 'dir/')).stdout, 'dir/y\nY\n')
    const empty = await etcdctl('put', '', 'v')
    assert.notEqual(empty.code, 0)
    const status = JSON.parse((await etcdctl('endpoint', 'status', '-w', 'json')).stdout)
    assert.equal(status[0].Status.version, '3.5.0')
    assert.equal(status[0].Status.header.member_id, 0xa1)
  })
})
