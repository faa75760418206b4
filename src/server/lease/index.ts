/**
 * Leases of one member: the lessor (state, rebuilt from the backend and the store), the
 * leader's expiry and checkpoint timer, and the lease operations the client API and the peer
 * port serve. The lessor's layer of the apply stack is apply/lease.ts.
 */
import type { Backend } from '../backend/backend.js'
import type { Logger } from '../log.js'
import type { MvccStore } from '../mvcc/store.js'
import { LeaseCore, type LeaseHost, type LeasePeers } from './lease-core.js'
import { Lessor } from './lessor.js'
import { PrimaryLoop } from './primary-loop.js'

export { LeaseCore } from './lease-core.js'
export { Lessor } from './lessor.js'

export interface LeaseSettings {
  heartbeatMs: number
  electionMs: number
  requestTimeoutMs: number
  checkpointIntervalMs: number
  /** How a follower reaches the leader (the peer transport's request API). */
  peers: LeasePeers
}

export interface Leases {
  readonly lessor: Lessor
  readonly core: LeaseCore
  stop(): void
}

/** etcd's minimum TTL: 3/2 of an election timeout in whole ticks, rounded up to seconds. */
export function minLeaseTTL(heartbeatMs: number, electionMs: number): number {
  const electionTicks = Math.max(1, Math.round(electionMs / heartbeatMs))
  return Math.ceil((Math.floor((3 * electionTicks) / 2) * heartbeatMs) / 1000)
}

export async function openLeases(
  store: MvccStore,
  backend: Backend,
  host: LeaseHost & { onLeadership(l: (leading: boolean) => void): void },
  s: LeaseSettings,
  log: Logger,
): Promise<Leases> {
  const lessor = await Lessor.open(backend, store, {
    minTTL: minLeaseTTL(s.heartbeatMs, s.electionMs),
    checkpointIntervalMs: s.checkpointIntervalMs,
    expiredRetryMs: s.requestTimeoutMs,
  })
  const core = new LeaseCore(lessor, host, s.peers, { requestTimeoutMs: s.requestTimeoutMs })
  const loop = new PrimaryLoop(lessor, core, log)
  host.onLeadership((leading) => {
    if (leading) lessor.promote(s.electionMs)
    else if (lessor.isPrimary) lessor.demote()
  })
  loop.start()
  return {
    lessor,
    core,
    stop() {
      loop.stop()
      core.close()
    },
  }
}
