/**
 * After a snapshot from the leader is installed, the member store holds the snapshot's
 * membership, which may name members this member never heard of (added while it was behind)
 * and lack others (removed meanwhile). The transport is brought to the same list at once:
 * new members are dialled, known ones get their current peer URLs, removed ones are dropped.
 */
import type { Member } from '../membership/member.js'

export interface PeerTable {
  peerIds(): bigint[]
  addPeer(id: bigint, urls: readonly string[]): void
  removePeer(id: bigint): void
}

/** Makes `transport`'s peers the `members` other than `self`; returns what changed. */
export function syncPeers(
  transport: PeerTable,
  members: readonly Member[],
  self: bigint,
): { added: bigint[]; removed: bigint[] } {
  const want = new Map(members.filter((m) => m.id !== self).map((m) => [m.id, m.peerURLs]))
  const have = new Set(transport.peerIds())
  const removed = [...have].filter((id) => !want.has(id))
  for (const id of removed) transport.removePeer(id)
  const added: bigint[] = []
  for (const [id, urls] of want) {
    if (!have.has(id)) added.push(id)
    transport.addPeer(id, urls)
  }
  return { added, removed }
}
