/**
 * Lease calls with clientv3's semantics, for the lease commands and for programs: KeepAliveOnce
 * (a TTL of 0 or less is "requested lease not found"), and the unary calls with their retry rules.
 */
import * as grpc from '@grpc/grpc-js'
import {
  LeaseService,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  type LeaseLeasesResponse,
  type LeaseRevokeResponse,
  type LeaseTimeToLiveResponse,
} from '../gen/etcdserverpb.js'
import { Errors } from '../errors/rpctypes.js'
import { ClientError, toClientError, type EtcdClient } from './client.js'

/** Wait before another attempt after an "unavailable" error (clientv3's retryConnWait). */
export const RETRY_CONN_WAIT_MS = 500

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
      if (r.TTL <= 0) throw new ClientError(Errors.LeaseNotFound.message, Errors.LeaseNotFound.code)
      return r
    } catch (err) {
      const code = (err as ClientError).code
      if (!(err instanceof ClientError) || (code !== grpc.status.UNAVAILABLE && code !== grpc.status.INTERNAL))
        throw err
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
