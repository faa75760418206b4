/**
 * A new member's identity from the bootstrap flags.
 *
 * --initial-cluster-state=new: the IDs follow from --initial-cluster and the token; a member
 * whose peers already run a cluster with other IDs (another token, other members) refuses to
 * start, naming the difference, instead of forming a cluster of its own.
 *
 * --initial-cluster-state=existing (after `member add`): the member asks the running peers for
 * the member list, finds itself by its peer URLs (its member ID and the cluster ID come from
 * that list) and checks that the list agrees with --initial-cluster, as etcd's
 * ValidateClusterAndAssignIDs does.
 */
import type { ServerConfig } from '../config/config.js'
import type { Logger } from '../log.js'
import { fetchMembers, type ClusterMembers, type PeerTlsOptions } from '../peer/index.js'
import { bootstrapIdentity, BootstrapError, type Identity } from './identity.js'
import { parseInitialCluster } from './ids.js'

const sameUrls = (a: readonly string[], b: readonly string[]) => [...a].sort().join(',') === [...b].sort().join(',')

export async function bootstrapMember(cfg: ServerConfig, log: Logger, tls?: PeerTlsOptions): Promise<Identity> {
  if (cfg.initialClusterState === 'existing') return joinExisting(cfg, log, tls)
  const identity = bootstrapIdentity(
    cfg.name,
    cfg.initialCluster,
    cfg.initialClusterToken,
    cfg.initialAdvertisePeerUrls.map((u) => u.href),
  )
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

async function joinExisting(cfg: ServerConfig, log: Logger, tls: PeerTlsOptions | undefined): Promise<Identity> {
  const local = parseInitialCluster(cfg.initialCluster)
  const own = cfg.initialAdvertisePeerUrls.map((u) => u.href.replace(/\/$/, ''))
  const self = local.find((m) => m.name === cfg.name)
  if (!self) throw new BootstrapError(`couldn't find local name "${cfg.name}" in the initial cluster configuration`)
  const peerUrls = local.flatMap((m) => m.peerUrls).filter((u) => !own.includes(u))
  if (peerUrls.length === 0)
    throw new BootstrapError('cannot fetch cluster info from peer urls: --initial-cluster names no other member')
  let remote: ClusterMembers
  try {
    remote = await fetchMembers(peerUrls, tls, { timeoutMs: 2000 })
  } catch (err) {
    throw new BootstrapError(`cannot fetch cluster info from peer urls: ${(err as Error).message}`)
  }
  if (remote.members.length !== local.length) {
    throw new BootstrapError(
      `error validating peerURLs ${JSON.stringify(remote.members.map((m) => m.peerURLs))}: member count is unequal`,
    )
  }
  const members: Identity['members'] = []
  for (const l of local) {
    const r = remote.members.find((m) => sameUrls(m.peerURLs, l.peerUrls))
    if (!r)
      throw new BootstrapError(
        `error validating peerURLs: unmatched member while checking PeerURLs (${JSON.stringify(l.peerUrls)} of ${l.name} is not a member's peer URLs in the running cluster)`,
      )
    members.push({ id: r.id, name: r.name || l.name, peerUrls: r.peerURLs })
  }
  const me = members.find((m) => sameUrls(m.peerUrls, own))
  if (!me)
    throw new BootstrapError(
      `--initial-advertise-peer-urls=${own.join(',')} is not the peer URLs of a member of the running cluster: add it with \`member add\` first`,
    )
  log.info('joining existing cluster', {
    'member-id': me.id.toString(16),
    'cluster-id': remote.clusterId.toString(16),
    members: members.map((m) => m.id.toString(16)),
  })
  return {
    name: cfg.name,
    memberId: me.id,
    clusterId: remote.clusterId,
    members: members.map((m) => (m.id === me.id ? { ...m, name: cfg.name } : m)),
    joined: true,
  }
}
