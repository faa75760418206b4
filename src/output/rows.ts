// The header and rows etcdctl builds for list-like results; the simple
// printer joins a row with ", ", the table printer draws them.
import type { MemberListResponse, StatusResponse, HashKVResponse } from '../gen/etcdserverpb.js'
import { hex } from '../go/fmt.js'
import type { EndpointHealth } from '../client/endpoints.js'
import { humanizeBytes } from './humanize.js'

export type { EndpointHealth }

/** One `endpoint status` answer (etcdctl's epStatus). */
export interface EndpointStatus {
  endpoint: string
  status: StatusResponse
}

/** One `endpoint hashkv` answer (etcdctl's epHashKV). */
export interface EndpointHashKV {
  endpoint: string
  hashKV: HashKVResponse
}

/** `snapshot status` result (snapshot.Status). */
export interface SnapshotStatus {
  hash: number
  revision: number
  totalKey: number
  totalSize: number
}

export interface Rows {
  header: string[]
  rows: string[][]
}

export function memberListRows(r: MemberListResponse): Rows {
  return {
    header: ['ID', 'Status', 'Name', 'Peer Addrs', 'Client Addrs', 'Is Learner'],
    rows: r.members.map((m) => [
      hex(m.ID),
      m.name.length === 0 ? 'unstarted' : 'started',
      m.name,
      m.peerURLs.join(','),
      m.clientURLs.join(','),
      String(m.isLearner),
    ]),
  }
}

export function endpointHealthRows(list: EndpointHealth[]): Rows {
  return {
    header: ['endpoint', 'health', 'took', 'error'],
    rows: list.map((h) => [h.endpoint, String(h.health), h.took, h.error ?? '']),
  }
}

export function endpointStatusRows(list: EndpointStatus[]): Rows {
  return {
    header: [
      'endpoint',
      'ID',
      'version',
      'db size',
      'is leader',
      'is learner',
      'raft term',
      'raft index',
      'raft applied index',
      'errors',
    ],
    rows: list.map(({ endpoint, status: s }) => {
      const memberId = s.header?.member_id ?? 0n
      return [
        endpoint,
        hex(memberId),
        s.version,
        humanizeBytes(BigInt.asUintN(64, BigInt(s.dbSize))),
        String(s.leader === memberId),
        String(s.isLearner),
        s.raftTerm.toString(),
        s.raftIndex.toString(),
        s.raftAppliedIndex.toString(),
        s.errors.join(', '),
      ]
    }),
  }
}

export function endpointHashKVRows(list: EndpointHashKV[]): Rows {
  return {
    header: ['endpoint', 'hash'],
    rows: list.map((h) => [h.endpoint, String(h.hashKV.hash)]),
  }
}

export function dbStatusRows(ds: SnapshotStatus): Rows {
  return {
    header: ['hash', 'revision', 'total keys', 'total size'],
    rows: [
      [hex(ds.hash), String(ds.revision), String(ds.totalKey), humanizeBytes(BigInt.asUintN(64, BigInt(ds.totalSize)))],
    ],
  }
}
