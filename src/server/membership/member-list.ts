/**
 * The cluster's members as MemberList reports them: the replicated member store, with what a
 * member announces about itself (name, client URLs) once it has published it through raft.
 * Until then this member fills in its own from its flags, and another's is asked from it over
 * the peer port (GET /members) and kept once known. A member that cannot be reached and has
 * not published is listed without name and client URLs, as etcd lists an unstarted member.
 */
import type { MemberInit } from '../../gen/etcdserverpb.js'
import { fetchMembers, type MemberInfo, type PeerTlsOptions } from '../peer/index.js'
import type { Member } from './member.js'
import type { MemberStore } from './store.js'

export class MemberList {
  private readonly announced = new Map<bigint, { name: string; clientURLs: string[] }>()

  constructor(
    private readonly store: MemberStore,
    private readonly self: { id: bigint; name: string; clientURLs: string[] },
    private readonly tls?: PeerTlsOptions,
  ) {}

  /** The members with what is known of them without asking anyone (GET /members answers this). */
  known(): MemberInfo[] {
    return this.store.members().map((m) => {
      const a = this.fill(m)
      return { id: m.id, name: a.name, peerURLs: m.peerURLs, clientURLs: a.clientURLs }
    })
  }

  private fill(m: Member): { name: string; clientURLs: string[] } {
    if (m.id === this.self.id) return { name: this.self.name, clientURLs: this.self.clientURLs }
    if (m.clientURLs.length > 0) return { name: m.name, clientURLs: m.clientURLs }
    const a = this.announced.get(m.id)
    return { name: m.name || (a?.name ?? ''), clientURLs: a?.clientURLs ?? [] }
  }

  async list(): Promise<MemberInit[]> {
    const members = this.store.members()
    const unknown = members.filter(
      (m) => m.id !== this.self.id && m.clientURLs.length === 0 && !this.announced.has(m.id),
    )
    await Promise.all(
      unknown.map(async (m) => {
        try {
          const remote = await fetchMembers(m.peerURLs, this.tls, { timeoutMs: 500 })
          const self = remote.members.find((x) => x.id === m.id)
          if (self && self.clientURLs.length > 0)
            this.announced.set(m.id, { name: self.name, clientURLs: self.clientURLs })
        } catch {
          // unreachable now: listed as the store has it
        }
      }),
    )
    return members.map((m) => {
      const a = this.fill(m)
      return { ID: m.id, name: a.name, peerURLs: m.peerURLs, clientURLs: a.clientURLs, isLearner: m.isLearner }
    })
  }
}
