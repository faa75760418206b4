/** etcdserverpb.Maintenance: status, hashes, leadership transfer, alarms, defragmentation and snapshots. */
import crypto from 'node:crypto'
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js'
import type { CoreMaintenance, CoreSnapshot, DatabaseSnapshot } from '../etcdserver/core.js'
import { toGrpcError } from './grpc-errors.js'
import type {
  HashKVRequest,
  AlarmRequest,
  AlarmResponseInit,
  DefragmentRequest,
  DefragmentResponseInit,
  StatusRequest,
  SnapshotResponseInit,
  HashRequest,
  MoveLeaderRequest,
} from '../../gen/etcdserverpb.js'
import { unary } from './unary.js'
import { callIdentity } from './call-context.js'
import type { Limits } from './limits.js'

/** etcd's snapshotSendBufferSize: bytes of the database per SnapshotResponse. */
export const SNAPSHOT_PIECE_BYTES = 32 * 1024

type SnapshotCall = ServerWritableStream<unknown, SnapshotResponseInit>

/** Resolves when the call can take more messages; rejects when it is over. */
function drained(call: SnapshotCall, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      call.off('drain', ok)
      signal.removeEventListener('abort', gone)
      if (err) reject(err)
      else resolve()
    }
    const ok = () => done()
    const gone = () => done(signal.reason)
    if (signal.aborted) return gone()
    call.on('drain', ok)
    signal.addEventListener('abort', gone)
  })
}

/**
 * etcd's v3rpc Snapshot: the database copy in pieces of 32 KiB, each with the bytes that
 * remain after it, then one last message with remaining_bytes 0 and the sha256 of every
 * byte sent. The copy is released when the call ends, however it ends.
 */
async function sendSnapshot(core: CoreSnapshot, call: SnapshotCall): Promise<void> {
  const ac = new AbortController()
  const gone = () => ac.abort(new Error('snapshot: the client went away'))
  call.on('cancelled', gone)
  call.on('close', gone)
  let snap: DatabaseSnapshot | undefined
  try {
    snap = await core.snapshot(ac.signal, callIdentity(call))
    const h = crypto.createHash('sha256')
    let sent = 0
    for await (const blob of snap.chunks(SNAPSHOT_PIECE_BYTES, ac.signal)) {
      sent += blob.length
      h.update(blob)
      if (!call.write({ remaining_bytes: BigInt(snap.size - sent), blob })) await drained(call, ac.signal)
    }
    call.write({ remaining_bytes: 0n, blob: h.digest() })
    call.end()
  } catch (err) {
    if (!ac.signal.aborted) call.destroy(toGrpcError(err) as Error)
  } finally {
    call.off('cancelled', gone)
    call.off('close', gone)
    await snap?.close()
  }
}

export function maintenanceService(core: CoreMaintenance & CoreSnapshot, limits: Limits): UntypedServiceImplementation {
  return {
    Status: unary(limits, async (_req: StatusRequest) => core.status(), core),
    HashKV: unary(limits, async (req: HashKVRequest, ctx) => core.hashKV(req, ctx), core),
    Hash: unary(limits, async (_req: HashRequest, ctx) => core.hash(ctx), core),
    MoveLeader: unary(limits, (req: MoveLeaderRequest, ctx) => core.moveLeader(req, ctx), core),
    Alarm: unary(limits, async (req: AlarmRequest, ctx): Promise<AlarmResponseInit> => core.alarm(req, ctx), core),
    Defragment: unary(
      limits,
      async (_req: DefragmentRequest, ctx): Promise<DefragmentResponseInit> => core.defragment(ctx),
      core,
    ),
    Snapshot: (call: SnapshotCall) => void sendSnapshot(core, call),
  }
}
