/**
 * The member's identity in its data dir: its name, member ID and cluster ID, written once
 * at bootstrap (`member/identity.json`, fsynced and renamed into place). On restart the
 * identity on disk wins and `--initial-*` flags are ignored, as in etcd; the members it lists
 * only seed the replicated member store (src/server/membership/store.ts), which wins.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { computeClusterId, computeMemberId, parseInitialCluster, type InitialMember } from './ids.js'
import { mkdirDurable, nodeFs } from '../wal/fs.js'

export interface Identity {
  name: string
  memberId: bigint
  clusterId: bigint
  members: { id: bigint; name: string; peerUrls: string[] }[]
  /** Joined a running cluster (--initial-cluster-state=existing): its log comes from the leader. */
  joined?: boolean
}

interface IdentityFile {
  name: string
  memberId: string
  clusterId: string
  members: { id: string; name: string; peerUrls: string[] }[]
  joined?: boolean
}

export class BootstrapError extends Error {}

export function identityPath(dataDir: string): string {
  return path.join(dataDir, 'member', 'identity.json')
}

export async function readIdentity(dataDir: string): Promise<Identity | undefined> {
  let text: string
  try {
    text = await fs.readFile(identityPath(dataDir), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const f = JSON.parse(text) as IdentityFile
  return {
    name: f.name,
    memberId: BigInt('0x' + f.memberId),
    clusterId: BigInt('0x' + f.clusterId),
    members: f.members.map((m) => ({ id: BigInt('0x' + m.id), name: m.name, peerUrls: m.peerUrls })),
    ...(f.joined ? { joined: true } : {}),
  }
}

/** Computes the identity of a new member from the bootstrap flags. */
export function bootstrapIdentity(
  name: string,
  initialCluster: string,
  token: string,
  advertisePeerUrls: string[],
): Identity {
  const initial: InitialMember[] = parseInitialCluster(initialCluster)
  const self = initial.find((m) => m.name === name)
  if (!self) {
    throw new BootstrapError(`couldn't find local name "${name}" in the initial cluster configuration`)
  }
  const adv = advertisePeerUrls.map((u) => u.replace(/\/$/, '')).sort()
  const listed = [...self.peerUrls].sort()
  if (adv.join(',') !== listed.join(',')) {
    throw new BootstrapError(
      `--initial-cluster has ${name}=${listed.join(',')} but missing from --initial-advertise-peer-urls=${adv.join(',')} ("${listed.join(',')}"(resolved from "${listed.join(',')}") != "${adv.join(',')}"(resolved from "${adv.join(',')}"))`,
    )
  }
  const members = initial.map((m) => ({ id: computeMemberId(m.peerUrls, token), name: m.name, peerUrls: m.peerUrls }))
  const memberId = members.find((m) => m.name === name)!.id
  return { name, memberId, clusterId: computeClusterId(members.map((m) => m.id)), members }
}

export async function writeIdentity(dataDir: string, id: Identity): Promise<void> {
  const file = identityPath(dataDir)
  await mkdirDurable(nodeFs, path.resolve(path.dirname(file)))
  const body: IdentityFile = {
    name: id.name,
    memberId: id.memberId.toString(16),
    clusterId: id.clusterId.toString(16),
    members: id.members.map((m) => ({ id: m.id.toString(16), name: m.name, peerUrls: m.peerUrls })),
    ...(id.joined ? { joined: true } : {}),
  }
  const tmp = file + '.tmp'
  const fh = await fs.open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(JSON.stringify(body, null, 2) + '\n')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fs.rename(tmp, file)
  const dir = await fs.open(path.dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
