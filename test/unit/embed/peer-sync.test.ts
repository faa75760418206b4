import { strict as assert } from 'node:assert'
import { syncPeers, type PeerTable } from '../../../src/server/embed/peer-sync.js'
import type { Member } from '../../../src/server/membership/member.js'

class Table implements PeerTable {
  readonly peers = new Map<bigint, readonly string[]>()
  peerIds(): bigint[] {
    return [...this.peers.keys()]
  }
  addPeer(id: bigint, urls: readonly string[]): void {
    this.peers.set(id, urls)
  }
  removePeer(id: bigint): void {
    this.peers.delete(id)
  }
}

const member = (id: bigint, url: string): Member => ({
  id,
  name: '',
  peerURLs: [url],
  clientURLs: [],
  isLearner: false,
})

describe('syncPeers: the transport follows an installed snapshot’s membership', () => {
  it('adds members it did not know, drops removed ones, updates URLs, never adds itself', () => {
    const t = new Table()
    t.addPeer(2n, ['http://a:2'])
    t.addPeer(3n, ['http://a:3'])
    const r = syncPeers(t, [member(1n, 'http://a:1'), member(2n, 'http://b:2'), member(4n, 'http://a:4')], 1n)
    assert.deepEqual(r, { added: [4n], removed: [3n] })
    assert.deepEqual(
      [...t.peers].sort((a, b) => Number(a[0] - b[0])),
      [
        [2n, ['http://b:2']],
        [4n, ['http://a:4']],
      ],
    )
  })

  it('changes nothing when the lists agree', () => {
    const t = new Table()
    t.addPeer(2n, ['http://a:2'])
    assert.deepEqual(syncPeers(t, [member(1n, 'http://a:1'), member(2n, 'http://a:2')], 1n), { added: [], removed: [] })
    assert.deepEqual(t.peerIds(), [2n])
  })
})
