/**
 * What etcdctl's endpoint commands ask of each endpoint: its status, and whether it answers
 * a linearizable read (its health). With --cluster the endpoints are every member's client
 * URLs from the member list.
 */
import type { EtcdClient } from './client.js'
import {
  ClusterService,
  KVService,
  MaintenanceService,
  type HashKVResponse,
  type StatusResponse,
} from '../gen/etcdserverpb.js'
import { formatDuration } from '../go/duration.js'
import { Errors } from '../errors/rpctypes.js'

/** One `endpoint health` probe (etcdctl's epHealth). */
export interface EndpointHealth {
  endpoint: string
  health: boolean
  /** time.Duration.String() of the probe, e.g. "1.692518ms". */
  took: string
  error?: string
}

/** Every member's client URLs, in member-list order. */
export async function clusterEndpoints(client: EtcdClient, timeoutMs: number): Promise<string[]> {
  const res = await client.call(ClusterService.MemberList, {}, timeoutMs, true)
  return res.members.flatMap((m) => m.clientURLs)
}

export async function endpointStatus(client: EtcdClient, timeoutMs: number): Promise<StatusResponse> {
  return client.call(MaintenanceService.Status, {}, timeoutMs)
}

/** The endpoint's hash of its key space up to `revision` (0: all of it). */
/** Maintenance.Defragment on the member the client is connected to. */
export async function endpointDefragment(client: EtcdClient, timeoutMs: number): Promise<void> {
  await client.call(MaintenanceService.Defragment, {}, timeoutMs)
}

export async function endpointHashKV(client: EtcdClient, revision: number, timeoutMs: number): Promise<HashKVResponse> {
  return client.call(MaintenanceService.HashKV, { revision }, timeoutMs)
}

/** Reads the key "health": the endpoint is healthy when that succeeds (or is refused by auth). */
export async function endpointHealth(
  endpoint: string,
  connect: () => Promise<EtcdClient>,
  timeoutMs: number,
): Promise<EndpointHealth> {
  let client: EtcdClient | undefined
  try {
    client = await connect()
  } catch (err) {
    return { endpoint, health: false, took: '', error: (err as Error).message }
  }
  const start = process.hrtime.bigint()
  try {
    await client.call(KVService.Range, { key: Buffer.from('health') }, timeoutMs)
    return { endpoint, health: true, took: formatDuration(process.hrtime.bigint() - start) }
  } catch (err) {
    const took = formatDuration(process.hrtime.bigint() - start)
    const message = (err as Error).message
    if (message === Errors.PermissionDenied.message) return { endpoint, health: true, took }
    return { endpoint, health: false, took, error: message }
  } finally {
    client.close()
  }
}
