/**
 * The peer transport: how members of a cluster carry Raft traffic to each other.
 *
 * Protocol (ours; it need not match etcd's):
 * - Each member listens on its --listen-peer-urls (http://, https://, unix:// or unixs://,
 *   with optional mutual TLS) and dials every peer, twice per direction:
 *   - The message stream is a connection of its own: an HTTP/1.1 POST /raft/stream asking to
 *     upgrade to `tsetcd-raft-stream`, whose headers are the handshake (protocol version,
 *     sender ID, intended recipient ID and cluster ID). The receiver answers 101 and from then
 *     on reads length-delimited raftpb.Message records (proto/raftpb/raft.proto), in order, for
 *     as long as the connection lives; or it refuses (400/403/404/410/412/503) with a reason,
 *     e.g. "cluster ID mismatch (local 7e27652122e8b2ae, remote 1c2b…)", and closes it.
 *   - An HTTP/2 session carries the rest: keepalive pings (a dead peer, and the round-trip
 *     time), a MsgSnap on a POST /raft/snapshot of its own (the message, then the data in
 *     chunks, then its length and SHA-256; the receiver passes the data through to the raft
 *     layer as it arrives and answers when it has all of it), and forwarded requests.
 * - A member that predates upgraded streams answers the upgrade with 404; the sender then
 *   sends its messages on an HTTP/2 POST /raft/stream with the same headers instead (answered
 *   200, or refused as above), and members still take such streams, so members of both kinds
 *   can run side by side while a cluster is upgraded one member at a time.
 * - GET /members and GET /version serve members joining the cluster (HTTP/2 or HTTP/1.1).
 *
 * Why a bare connection for messages: a write to it is handed to the kernel at once, in the
 * turn of the event loop that made it; node's HTTP/2 session sends what is written to a stream
 * from a later turn, after the rest of the raft loop's work (the WAL write, applying), which
 * held an append back from the followers by tens of microseconds. Back-pressure is the
 * socket's: a slow receiver fills the kernel's buffers, `write()` returns false, the bounded
 * queue fills and further messages are dropped, and Raft retransmits.
 * Why HTTP/2 for the rest: one session carries snapshot transfers, pings and requests side by
 * side, and per-stream flow control lets a multi-megabyte snapshot share it with the others;
 * TLS with ALPN, pings for dead-connection detection and clean stream resets come from
 * node:http2 instead of being rebuilt.
 *
 * Sending never blocks or awaits: `send()` appends to a bounded per-peer queue and encodes
 * everything queued for a peer into one buffer and one write. Peers that
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
