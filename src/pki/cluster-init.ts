import { isIP } from 'node:net'
import { join } from 'node:path'
import { barePaths, checkKeysWritable, writeBare, type BarePaths } from './bare-files.js'
import { emptyCsrRequest, type CsrRequest } from './csr-request.js'
import { PkiError } from './errors.js'
import { makeCa, makeLeaf, type CertBundle } from './gencert.js'
import { uniqueHosts } from './hosts.js'
import type { KeySpec } from './key-spec.js'
import { BUILTIN_CONFIG, FIVE_YEARS_MS } from './signing-config.js'
import type { NameEntry } from './subject.js'

/** One cluster member: its name and the address (IP or DNS name) peers and clients reach it on. */
export interface Member {
  name: string
  host: string
}

export interface ClusterInitOptions {
  members: Member[]
  /** Extra SANs on every member certificate (a VIP, a load balancer name …). */
  extraHosts: string[]
  outDir: string
  key: KeySpec
  caKey: KeySpec
  expiryMs?: number
  caExpiryMs?: number
  caCn: string
  clientCn: string
  names: NameEntry[]
  force: boolean
  now?: Date
}

export interface WrittenCert {
  role: 'ca' | 'member' | 'client'
  /** Member name, "ca" or the client CN. */
  label: string
  paths: BarePaths
  bundle: CertBundle
}

export const RESERVED_BARE_NAMES = ['ca', 'client']

/** Parses `--member name=ip,name2=ip2` (the flag may repeat). */
export function parseMembers(values: readonly string[]): Member[] {
  const members: Member[] = []
  for (const item of values.flatMap((v) => v.split(','))) {
    const text = item.trim()
    if (text === '') continue
    const eq = text.indexOf('=')
    const name = eq < 0 ? '' : text.slice(0, eq).trim()
    const host = eq < 0 ? '' : text.slice(eq + 1).trim()
    if (name === '' || host === '')
      throw new PkiError(`invalid member "${text}": expected NAME=IP, e.g. infra1=10.0.0.1`)
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      throw new PkiError(
        `invalid member name "${name}": use letters, digits, ".", "_" and "-" (it becomes a file name)`,
      )
    }
    if (RESERVED_BARE_NAMES.includes(name))
      throw new PkiError(`member name "${name}" clashes with ${name}.pem; choose another name`)
    if (members.some((m) => m.name === name)) throw new PkiError(`member "${name}" is listed twice`)
    members.push({ name, host })
  }
  if (members.length === 0) throw new PkiError('no members given: use --member name=ip,name2=ip2')
  return members
}

/** The SANs on a member's certificate: its address, loopback, its name, then the extras. */
export function memberHosts(member: Member, extraHosts: readonly string[]): string[] {
  return uniqueHosts([member.host, '127.0.0.1', 'localhost', member.name, ...extraHosts])
}

/**
 * Makes a CA, one certificate per member that serves as both its client-port (server)
 * and peer certificate (server auth + client auth), and a client certificate; writes
 * them as ca.pem, NAME.pem, client.pem with their -key.pem and .csr files.
 */
export async function initCluster(options: ClusterInitOptions): Promise<WrittenCert[]> {
  const plan = [
    { role: 'ca' as const, label: 'ca', paths: barePaths(options.outDir, 'ca') },
    ...options.members.map((m) => ({
      role: 'member' as const,
      label: m.name,
      paths: barePaths(options.outDir, m.name),
      member: m,
    })),
    { role: 'client' as const, label: options.clientCn, paths: barePaths(options.outDir, 'client') },
  ]
  await checkKeysWritable(
    plan.map((p) => p.paths),
    options.force,
  )

  const generate = { now: options.now }
  const caRequest: CsrRequest = { ...emptyCsrRequest(options.caCn), names: options.names, key: options.caKey }
  const ca = await makeCa(caRequest, { ...generate, expiryMs: options.caExpiryMs ?? FIVE_YEARS_MS })
  const issuer = { cert: ca.cert, key: ca.key }
  const leafRequest = (cn: string, hosts: string[]): CsrRequest => ({
    cn,
    names: options.names,
    hosts,
    key: options.key,
  })

  const written: WrittenCert[] = []
  for (const item of plan) {
    let bundle: CertBundle
    if (item.role === 'ca') bundle = ca
    else if (item.role === 'member') {
      bundle = await makeLeaf(
        leafRequest(item.member.name, memberHosts(item.member, options.extraHosts)),
        issuer,
        BUILTIN_CONFIG,
        'peer',
        { ...generate, expiryMs: options.expiryMs },
      )
    } else {
      bundle = await makeLeaf(leafRequest(options.clientCn, []), issuer, BUILTIN_CONFIG, 'client', {
        ...generate,
        expiryMs: options.expiryMs,
      })
    }
    await writeBare(item.paths, bundle, options.force)
    written.push({ role: item.role, label: item.label, paths: item.paths, bundle })
  }
  return written
}

/** The etcd flags that start `member` of `members` with TLS for clients and peers, using files in `dir`. */
export function etcdFlagsFor(member: Member, members: readonly Member[], dir: string): string[] {
  const url = (m: Member, port: number): string => `https://${hostForUrl(m.host)}:${port}`
  const listenHost = isIP(member.host) !== 0 ? hostForUrl(member.host) : '0.0.0.0'
  return [
    `--name=${member.name}`,
    `--cert-file=${join(dir, `${member.name}.pem`)}`,
    `--key-file=${join(dir, `${member.name}-key.pem`)}`,
    `--trusted-ca-file=${join(dir, 'ca.pem')}`,
    '--client-cert-auth',
    `--peer-cert-file=${join(dir, `${member.name}.pem`)}`,
    `--peer-key-file=${join(dir, `${member.name}-key.pem`)}`,
    `--peer-trusted-ca-file=${join(dir, 'ca.pem')}`,
    '--peer-client-cert-auth',
    `--listen-client-urls=${uniqueHosts([`https://${listenHost}:2379`, 'https://127.0.0.1:2379']).join(',')}`,
    `--advertise-client-urls=${url(member, 2379)}`,
    `--listen-peer-urls=https://${listenHost}:2380`,
    `--initial-advertise-peer-urls=${url(member, 2380)}`,
    `--initial-cluster=${members.map((m) => `${m.name}=${url(m, 2380)}`).join(',')}`,
    '--initial-cluster-state=new',
  ]
}

/** The etcdctl flags that reach the cluster with the client certificate. */
export function etcdctlFlags(members: readonly Member[], dir: string): string[] {
  return [
    `--endpoints=${members.map((m) => `https://${hostForUrl(m.host)}:2379`).join(',')}`,
    `--cacert=${join(dir, 'ca.pem')}`,
    `--cert=${join(dir, 'client.pem')}`,
    `--key=${join(dir, 'client-key.pem')}`,
  ]
}

function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}
