/**
 * A new member's identity from the bootstrap flags. With --initial-cluster-state=new, a
 * member whose peers already run a cluster with other IDs (another token, other members)
 * refuses to start, naming the difference, instead of forming a cluster of its own.
 */
import type { ServerConfig } from '../config/config.js'
import type { Logger } from '../log.js'
import { fetchMembers } from '../peer/index.js'
import { bootstrapIdentity, BootstrapError, type Identity } from './identity.js'

export async function bootstrapMember(cfg: ServerConfig, log: Logger): Promise<Identity> {
  const identity = bootstrapIdentity(cfg.name, cfg.initialCluster, cfg.initialClusterToken, cfg.initialAdvertisePeerUrls.map((u) => u.href))
  if (cfg.initialClusterState === 'existing') {
    throw new BootstrapError('--initial-cluster-state=existing: joining a running cluster needs `member add`, which this build does not support yet')
  }
  const peers = identity.members.filter((m) => m.id !== identity.memberId)
  for (const p of peers) {
    let remote
    try {
      remote = await fetchMembers(p.peerUrls, undefined, { timeoutMs: 500 })
    } catch {
      continue // not up yet: normal while a new cluster starts
    }
    if (remote.clusterId !== identity.clusterId) {
      throw new BootstrapError(
        `member ${p.name} at ${p.peerUrls.join(',')} belongs to cluster ${remote.clusterId.toString(16)}, but --initial-cluster and --initial-cluster-token give cluster ${identity.clusterId.toString(16)}: check --initial-cluster-token and --initial-cluster on every member`,
      )
    }
    log.debug('peer agrees on the cluster ID', { peer: p.name })
  }
  return identity
}
