/**
 * The peer transport: how members of a cluster carry Raft traffic to each other.
 *
 * Protocol (ours; it need not match etcd's):
 * - Each member listens on its --listen-peer-urls (http://, https://, unix:// or unixs://,
 *   with optional mutual TLS) and dials every peer: one HTTP/2 session per peer and direction. On that session a
 *   long POST /raft/stream carries the member's messages to the peer, length-delimited
 *   raftpb.Message records (proto/raftpb/raft.proto), in order. The request headers are the
 *   handshake: protocol version, sender ID, intended recipient ID and cluster ID. The receiver
 *   answers 200 and reads the body for as long as the session lives, or refuses (400/403/412)
 *   with a reason, e.g. "cluster ID mismatch (local 7e27652122e8b2ae, remote 1c2b…)".
 * - A MsgSnap travels on a POST /raft/snapshot of its own on the same session: the message,
 *   then the data in chunks, then its length and SHA-256. The receiver passes the data through
 *   to the raft layer as it arrives and answers when it has all of it.
 * - GET /members and GET /version serve members joining the cluster (HTTP/2 or HTTP/1.1).
 *
 * Why HTTP/2 rather than raw sockets with our own framing: one port and one connection carry
 * the message stream, snapshot transfers and the discovery API side by side; per-stream flow
 * control lets a multi-megabyte snapshot share the connection with heartbeats without either
 * starving the other, and gives the sender back-pressure for free (a slow receiver stops
 * granting window, `write()` returns false, the bounded queue fills and further messages are
 * dropped, and Raft retransmits); TLS with ALPN, pings for dead-connection detection and
 * clean stream resets come from node:http2 instead of being rebuilt.
 *
 * Sending never blocks or awaits: `send()` appends to a bounded per-peer queue, and a
 * microtask encodes everything queued for a peer into one buffer and one write. Peers that
 * drop off are redialled with jittered exponential backoff; only transitions are logged.
 */
export { PeerTransport, type PeerTransportOptions } from './transport.js'
export { fetchMembers, type ClusterMembers, type PostAnswer, type PostHandler, type PostRoutes } from './http-api.js'
export type { PeerTlsOptions } from './tls.js'
export type { PeerState, PeerStatus } from './peer.js'
export type { BackoffOptions, MemberInfo, QueueLimits, RaftHandler, TransportLogger, VersionInfo } from './types.js'
export {
  decodeBatch,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeBatch,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from './codec.js'
