/**
 * The shared steps of `check perf` and `check datascale`: the clients, the empty-prefix check,
 * and the clean-up (delete, --auto-compact, --auto-defrag) with etcdctl's lines.
 */
import { KVService } from '../gen/etcdserverpb.js'
import type { EtcdClient } from '../client/client.js'
import { ExitCode, exitWithError } from '../output/exit-error.js'
import { prefixEnd } from '../client/kv-ops.js'
import { LOAD_ALIAS } from './check.js'

export interface CheckIo {
  out(text: string): void
}

/** Fails with etcdctl's message when the prefix already holds keys. */
export async function requireEmptyPrefix(c: EtcdClient, prefix: string, timeoutMs: number): Promise<void> {
  const key = Buffer.from(prefix)
  let resp
  try {
    resp = await c.call(KVService.Range, { key, range_end: prefixEnd(key), limit: 1 }, timeoutMs)
  } catch (err) {
    throw exitWithError(ExitCode.Error, `${(err as Error).message}`)
  }
  if (resp.kvs.length > 0)
    throw exitWithError(
      ExitCode.InvalidInput,
      `prefix ${JSON.stringify(prefix)} has keys. Delete with etcdctl del --prefix ${prefix} first`,
    )
}

export async function cleanUp(
  c: EtcdClient,
  prefix: string,
  endpoints: string[],
  o: { autoCompact: boolean; autoDefrag: boolean; defrag: (ep: string) => Promise<void> },
  io: CheckIo,
): Promise<void> {
  const key = Buffer.from(prefix)
  let rev: number
  try {
    const d = await c.call(KVService.DeleteRange, { key, range_end: prefixEnd(key) }, 30000)
    rev = d.header!.revision
  } catch (err) {
    throw exitWithError(ExitCode.Error, `${(err as Error).message}`)
  }
  if (o.autoCompact) {
    io.out(`Compacting with revision ${rev}\n`)
    await c.call(KVService.Compact, { revision: rev, physical: true }, 5000).catch((err: Error) => {
      throw exitWithError(ExitCode.Error, `${err.message}`)
    })
    io.out(`Compacted with revision ${rev}\n`)
  }
  if (o.autoDefrag) {
    for (const ep of endpoints) {
      io.out(`Defragmenting ${JSON.stringify(ep)}\n`)
      await o.defrag(ep).catch((err: Error) => {
        throw exitWithError(ExitCode.Error, `${err.message}`)
      })
      io.out(`Defragmented ${JSON.stringify(ep)}\n`)
    }
  }
}

/** The load named by --load (s, m, l, xl or their long names) in `loads`; etcdctl's error otherwise. */
export function checkLoad<T>(loads: Record<string, T>, load: string): T {
  const model = LOAD_ALIAS[load]
  if (model === undefined) throw exitWithError(ExitCode.BadFeature, `unknown load option ${load}`)
  return loads[model]
}
