/**
 * The stream handshake: every raft stream and snapshot request names the protocol version,
 * the sender's member ID, the member it means to reach and the cluster ID, in request
 * headers (HTTP/2 for snapshots, an HTTP/1.1 upgrade for message streams). The receiver
 * accepts (200, or 101 for an upgrade) or refuses with a status and a reason (header and body).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { NodeId } from '../../raft/types.js'

export const PROTOCOL_VERSION = '1'

export const HEADER_PROTOCOL = 'x-tsetcd-peer-protocol'
export const HEADER_FROM = 'x-tsetcd-from'
export const HEADER_TO = 'x-tsetcd-to'
export const HEADER_CLUSTER_ID = 'x-tsetcd-cluster-id'
export const HEADER_MEMBER_ID = 'x-tsetcd-member-id'
export const HEADER_REJECT_REASON = 'x-tsetcd-reject-reason'

/** The status a member removed from the cluster is refused with (as etcd's peers answer 410 Gone). */
export const STATUS_REMOVED = 410
export const REMOVED_REASON = 'the member has been permanently removed from the cluster'

export const PATH_STREAM = '/raft/stream'
/** The `Upgrade` token of a message stream: after the 101, the connection carries messages. */
export const UPGRADE_TOKEN = 'tsetcd-raft-stream'
export const PATH_SNAPSHOT = '/raft/snapshot'

/** Header values must be single-line visible ASCII. */
export function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, ' ').slice(0, 512)
}

export function idHex(id: NodeId): string {
  return id.toString(16)
}

export function parseIdHex(v: string | string[] | undefined): NodeId | undefined {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,16}$/.test(v)) return undefined
  return BigInt('0x' + v)
}

export function handshakeHeaders(path: string, from: NodeId, to: NodeId, clusterId: NodeId): OutgoingHttpHeaders {
  return {
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/octet-stream',
    [HEADER_PROTOCOL]: PROTOCOL_VERSION,
    [HEADER_FROM]: idHex(from),
    [HEADER_TO]: idHex(to),
    [HEADER_CLUSTER_ID]: idHex(clusterId),
  }
}

/** The request headers of a message stream's upgrade (an HTTP/1.1 POST to PATH_STREAM). */
export function upgradeHeaders(from: NodeId, to: NodeId, clusterId: NodeId): OutgoingHttpHeaders {
  return {
    connection: 'Upgrade',
    upgrade: UPGRADE_TOKEN,
    [HEADER_PROTOCOL]: PROTOCOL_VERSION,
    [HEADER_FROM]: idHex(from),
    [HEADER_TO]: idHex(to),
    [HEADER_CLUSTER_ID]: idHex(clusterId),
  }
}

export interface LocalIdentity {
  memberId: NodeId
  clusterId: NodeId
  /** Whether `id` may open streams to this member: in the peer list or explicitly allowed. */
  accepts(id: NodeId): boolean
  /** Whether `id` was removed from the cluster. */
  removed?(id: NodeId): boolean
}

export type HandshakeResult = { ok: true; from: NodeId } | { ok: false; status: number; reason: string }

export function checkHandshake(h: IncomingHttpHeaders, local: LocalIdentity): HandshakeResult {
  const version = h[HEADER_PROTOCOL]
  if (version !== PROTOCOL_VERSION) {
    return {
      ok: false,
      status: 400,
      reason: `unsupported peer protocol version ${JSON.stringify(version ?? '')} (this member speaks ${PROTOCOL_VERSION})`,
    }
  }
  const from = parseIdHex(h[HEADER_FROM])
  const to = parseIdHex(h[HEADER_TO])
  const cluster = parseIdHex(h[HEADER_CLUSTER_ID])
  if (from === undefined || to === undefined || cluster === undefined) {
    return {
      ok: false,
      status: 400,
      reason: `missing or malformed ${HEADER_FROM}, ${HEADER_TO} or ${HEADER_CLUSTER_ID} header`,
    }
  }
  if (cluster !== local.clusterId) {
    return {
      ok: false,
      status: 412,
      reason: `cluster ID mismatch (local ${idHex(local.clusterId)}, remote ${idHex(cluster)})`,
    }
  }
  if (to !== local.memberId) {
    return {
      ok: false,
      status: 412,
      reason: `member ID mismatch (this member is ${idHex(local.memberId)}, remote ${idHex(from)} expected ${idHex(to)})`,
    }
  }
  if (local.removed?.(from)) return { ok: false, status: STATUS_REMOVED, reason: REMOVED_REASON }
  if (!local.accepts(from)) {
    return { ok: false, status: 403, reason: `unknown member ${idHex(from)}: not in this member's peer list` }
  }
  return { ok: true, from }
}

/**
 * The sender's account of a refused handshake, from its own point of view: the receiver's
 * answer carries its member and cluster IDs, so a cluster mismatch is told as
 * "cluster ID mismatch (local <ours>, remote <theirs>)"; other refusals quote the receiver.
 */
export function describeRejection(status: number, h: IncomingHttpHeaders, localClusterId: NodeId): string {
  const theirs = parseIdHex(h[HEADER_CLUSTER_ID])
  if (theirs !== undefined && theirs !== localClusterId)
    return `cluster ID mismatch (local ${idHex(localClusterId)}, remote ${idHex(theirs)})`
  const reason = h[HEADER_REJECT_REASON]
  return typeof reason === 'string' ? reason : `HTTP status ${status}`
}
