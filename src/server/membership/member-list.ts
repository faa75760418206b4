/**
 * The cluster's members as MemberList reports them. Names and peer URLs come from the
 * member's identity; each member's client URLs are what that member advertises: its own
 * from its flags, the others' asked from them over the peer port (GET /members) and kept
 * once known. A member that cannot be reached is listed without client URLs, as etcd lists
 * a member that has not published its attributes yet.
 */
import type { MemberInit } from '../../gen/etcdserverpb.js'
import { fetchMembers, type PeerTlsOptions } from '../peer/index.js'
import type { Identity } from './identity.js'

export class MemberList {
  private readonly clientUrls = new Map<bigint, string[]>()

  constructor(private readonly identity: Identity, selfClientUrls: string[], private readonly tls?: PeerTlsOptions) {
    this.clientUrls.set(identity.memberId, selfClientUrls)
  }

  async list(): Promise<MemberInit[]> {
    const unknown = this.identity.members.filter((m) => !this.clientUrls.has(m.id))
    await Promise.all(
      unknown.map(async (m) => {
        try {
          const remote = await fetchMembers(m.peerUrls, this.tls, { timeoutMs: 500 })
          const self = remote.members.find((x) => x.id === m.id)
          if (self && self.clientURLs.length > 0) this.clientUrls.set(m.id, self.clientURLs)
        } catch {
          // unreachable now: listed without client URLs
        }
      }),
    )
    return this.identity.members.map((m) => ({ ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: this.clientUrls.get(m.id) ?? [], isLearner: false }))
  }
}
