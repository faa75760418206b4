/**
 * etcdctl's make-mirror: copy the source's keys as of one revision to the destination (one put
 * per key, in ranges of 1000), then watch the source from the next revision and apply each
 * revision's events to the destination in one txn. Keys are renamed by replacing the first
 * occurrence of the source prefix with the destination prefix, as etcdctl does.
 */
import { KVService, type RequestOpInit } from '../gen/etcdserverpb.js'
import { Event_EventType } from '../gen/mvccpb.js'
import { Code, Errors } from '../errors/rpctypes.js'
import { ClientError, neverProcessed, type EtcdClient } from '../client/client.js'
import { FROM_KEY_END, prefixEnd } from '../client/kv-ops.js'
import type { WatchSession } from '../client/watch.js'

/** clientv3/mirror's range size. */
export const MIRROR_BATCH_LIMIT = 1000

/** Requests of the mirror have no deadline (etcdctl passes context.TODO()). */
const NO_DEADLINE_MS = 2 ** 31 - 1

/**
 * clientv3 waits for a connection before it sends (no deadline here), so a member that is away
 * delays the mirror rather than ending it; a request lost in flight is an error.
 */
async function whenConnected<T>(f: () => Promise<T>, retryAnyUnavailable = false): Promise<T> {
  for (let delay = 25; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await f()
    } catch (err) {
      const unavailable = err instanceof ClientError && err.code === Code.UNAVAILABLE
      if (!neverProcessed(err) && !(retryAnyUnavailable && unavailable)) throw err
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}

export interface MirrorOptions {
  prefix: string
  destPrefix: string
  noDestPrefix: boolean
}

export class MirrorArgsError extends Error {}

/** etcdctl's rule: --dest-prefix and --no-dest-prefix exclude each other; no --dest-prefix keeps the prefix. */
export function destinationPrefix(o: MirrorOptions): string {
  if (o.noDestPrefix && o.destPrefix.length > 0)
    throw new MirrorArgsError('`--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose one')
  if (!o.noDestPrefix && o.destPrefix.length === 0) return o.prefix
  return o.destPrefix
}

/** Go's strings.Replace(key, prefix, dest, 1) over byte strings (latin1 keeps bytes as they are). */
export function renameKey(key: Uint8Array, prefix: string, dest: string): Buffer {
  const k = Buffer.from(key).toString('latin1')
  const p = Buffer.from(prefix).toString('latin1')
  const d = Buffer.from(dest).toString('latin1')
  const i = k.indexOf(p)
  if (i < 0) return Buffer.from(key)
  return Buffer.from(k.slice(0, i) + d + k.slice(i + p.length), 'latin1')
}

export interface MirrorHooks {
  /** Called after each key or event is applied to the destination. */
  counted(): void
}

/**
 * Runs until the watch ends; rejects with the first error (of the source's range or of the
 * destination), or with etcd's compaction error when the watch's revision is compacted.
 */
export async function makeMirror(
  src: EtcdClient,
  watches: WatchSession,
  dst: EtcdClient,
  o: MirrorOptions,
  hooks: MirrorHooks,
): Promise<void> {
  // clientv3/mirror takes the current revision from a get of "foo".
  const destPrefix = destinationPrefix(o)
  // Reads are safe to repeat: clientv3 retries them on any unavailable error.
  const head = await whenConnected(
    () => src.call(KVService.Range, { key: Buffer.from('foo') }, NO_DEADLINE_MS, true),
    true,
  )
  const rev = head.header!.revision
  const rename = (key: Uint8Array) => renameKey(key, o.prefix, destPrefix)

  const prefix = Buffer.from(o.prefix)
  let key = prefix.length === 0 ? Buffer.from([0]) : prefix
  const rangeEnd = prefix.length === 0 ? FROM_KEY_END : prefixEnd(prefix)
  for (;;) {
    const r = await whenConnected(
      () =>
        src.call(
          KVService.Range,
          { key, range_end: rangeEnd, limit: MIRROR_BATCH_LIMIT, revision: rev },
          NO_DEADLINE_MS,
          true,
        ),
      true,
    )
    for (const kv of r.kvs) {
      const put = { key: rename(kv.key), value: Buffer.from(kv.value) }
      await whenConnected(() => dst.call(KVService.Put, put, NO_DEADLINE_MS))
      hooks.counted()
    }
    if (!r.more || r.kvs.length === 0) break
    key = Buffer.concat([Buffer.from(r.kvs[r.kvs.length - 1].key), Buffer.from([0])])
  }

  // clientv3's WithPrefix: an empty prefix watches every key.
  const watch = watches.watch({
    key: prefix.length === 0 ? Buffer.from([0]) : prefix,
    rangeEnd: prefix.length === 0 ? FROM_KEY_END : prefixEnd(prefix),
    startRevision: rev + 1,
  })
  const commit = async (ops: RequestOpInit[]) => {
    await whenConnected(() => dst.call(KVService.Txn, { compare: [], success: ops, failure: [] }, NO_DEADLINE_MS))
  }
  for await (const wr of watch) {
    if (wr.compact_revision !== 0) throw new Error(Errors.Compacted.message)
    let lastRev = 0
    let ops: RequestOpInit[] = []
    for (const ev of wr.events) {
      const kv = ev.kv!
      const nextRev = kv.mod_revision
      if (lastRev !== 0 && nextRev > lastRev) {
        await commit(ops)
        ops = []
      }
      lastRev = nextRev
      if (ev.type === Event_EventType.PUT)
        ops.push({ request_put: { key: rename(kv.key), value: Buffer.from(kv.value) } })
      else ops.push({ request_delete_range: { key: rename(kv.key) } })
      hooks.counted()
    }
    if (ops.length !== 0) await commit(ops)
  }
}
