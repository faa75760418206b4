/**
 * Lease calls with clientv3's semantics, for the lease commands and for programs: argument
 * parsing as etcdctl's (IDs in hex, TTLs in decimal), KeepAliveOnce (a TTL of 0 or less is
 * "requested lease not found"), and the unary calls with their retry rules.
 */
import * as grpc from '@grpc/grpc-js'
import {
  LeaseService, type LeaseGrantResponse, type LeaseKeepAliveResponse, type LeaseLeasesResponse, type LeaseRevokeResponse,
  type LeaseTimeToLiveResponse,
} from '../gen/etcdserverpb.js'
import { parseInt64 } from '../go/strconv.js'
import { ClientError, toClientError, type EtcdClient } from './client.js'

/** clientv3's rpctypes.ErrLeaseNotFound. */
export const LEASE_NOT_FOUND = 'etcdserver: requested lease not found'

/** Wait before another attempt after an "unavailable" error (clientv3's retryConnWait). */
export const RETRY_CONN_WAIT_MS = 500

/** etcdctl's leaseFromArgs: a hex int64; the error text when it is not one. */
export function parseLeaseId(arg: string): { id: bigint } | { error: string } {
  const r = parseInt64(arg, 16)
  if (r.err !== undefined) return { error: `bad lease ID arg (${r.err}), expecting ID in Hex` }
  return { id: r.value }
}

/** `lease grant`'s TTL: a decimal int64. */
export function parseTTL(arg: string): { ttl: number } | { error: string } {
  const r = parseInt64(arg, 10)
  if (r.err !== undefined) return { error: `bad TTL (${r.err})` }
  return { ttl: Number(r.value) }
}

export function grant(client: EtcdClient, ttl: number, timeoutMs: number): Promise<LeaseGrantResponse> {
  return client.call(LeaseService.LeaseGrant, { TTL: ttl }, timeoutMs)
}

export function revoke(client: EtcdClient, id: bigint, timeoutMs: number): Promise<LeaseRevokeResponse> {
  return client.call(LeaseService.LeaseRevoke, { ID: id }, timeoutMs, true)
}

/** No deadline, as etcdctl calls it with context.TODO(). */
export function timeToLive(client: EtcdClient, id: bigint, keys: boolean): Promise<LeaseTimeToLiveResponse> {
  return client.call(LeaseService.LeaseTimeToLive, { ID: id, keys }, Infinity, true)
}

export function leases(client: EtcdClient): Promise<LeaseLeasesResponse> {
  return client.call(LeaseService.LeaseLeases, {}, Infinity, true)
}

/** One renewal on a stream of its own; retried while the server is unavailable. */
export async function keepAliveOnce(client: EtcdClient, id: bigint): Promise<LeaseKeepAliveResponse> {
  for (;;) {
    try {
      const r = await renewOnce(client, id)
      if (r.TTL <= 0) throw new ClientError(LEASE_NOT_FOUND, grpc.status.NOT_FOUND)
      return r
    } catch (err) {
      const code = (err as ClientError).code
      if (!(err instanceof ClientError) || (code !== grpc.status.UNAVAILABLE && code !== grpc.status.INTERNAL)) throw err
      await new Promise((r) => setTimeout(r, RETRY_CONN_WAIT_MS))
    }
  }
}

function renewOnce(client: EtcdClient, id: bigint): Promise<LeaseKeepAliveResponse> {
  return new Promise((resolve, reject) => {
    const call = client.duplex(LeaseService.LeaseKeepAlive)
    let settled = false
    call.on('data', (r: LeaseKeepAliveResponse) => {
      if (settled) return
      settled = true
      resolve(r)
      call.cancel()
    })
    call.on('error', (err: grpc.ServiceError) => {
      if (settled) return
      settled = true
      reject(toClientError(err))
    })
    call.on('end', () => {
      if (settled) return
      settled = true
      reject(new ClientError('EOF', grpc.status.UNAVAILABLE))
    })
    call.write({ ID: id })
  })
}
