/**
 * Lease commands in etcdctl's syntax, run step by step against a server by one client
 * binary, after the same leases with fixed IDs were granted through the API. Lease IDs the
 * server picks differ between runs: a step may capture the ID it printed (`capture`), later
 * steps use it as `{id}`, and every output has the captured IDs replaced by `<id1>`, `<id2>` …
 * Remaining TTLs depend on timing: steps marked `ttl` have them replaced by `<ttl>` after
 * checking that each is within `TTL_SLACK_S` below the granted TTL. Everything else must
 * match byte for byte. (etcd lists a lease's keys in map order: no lease here has two.)
 */
import { EtcdClient } from '../../src/client/client.js'
import { KVService, LeaseService } from '../../src/gen/etcdserverpb.js'
import { run, userStderr } from '../helpers/procs.js'

export interface LeaseStep {
  args: string[]
  /** Record the lease ID the output shows, as `{id}` for later steps. */
  capture?: boolean
  /** The output holds remaining TTLs of a lease granted with this TTL. */
  ttl?: number
}

export const TTL_SLACK_S = 120

/** Leases and keys every run starts from (granted through the API, with fixed IDs). */
export const FIXED_LEASES: [id: bigint, ttl: number, keys: string[]][] = [
  [0x1000n, 600, ['a']],
  [0x2000n, 300, []],
  [0x3000n, 900, ['c']],
]

export const LEASE_SCRIPT: LeaseStep[] = [
  { args: ['lease', 'grant', '600'], capture: true },
  { args: ['lease', 'grant', '1'], capture: true },
  { args: ['lease', 'revoke', '{id}'] },
  { args: ['lease', 'grant', '60', '-w', 'json'], capture: true },
  { args: ['lease', 'grant', '60', '-w', 'fields'], capture: true },
  { args: ['lease', 'grant', 'abc'] },
  { args: ['lease', 'grant', '99999999999999999999'] },
  { args: ['lease', 'grant'] },
  { args: ['lease', 'grant', '1', '2'] },
  { args: ['lease', 'grant', '9000000001'] },
  { args: ['lease', 'timetolive', '1000'], ttl: 600 },
  { args: ['lease', 'timetolive', '1000', '--keys'], ttl: 600 },
  { args: ['lease', 'timetolive', '1000', '--keys', '-w', 'json'], ttl: 600 },
  { args: ['lease', 'timetolive', '3000', '--keys', '-w', 'fields'], ttl: 900 },
  { args: ['lease', 'timetolive', '1000', '-w', 'protobuf'] },
  { args: ['lease', 'timetolive', '1000', '-w', 'table'] },
  { args: ['lease', 'timetolive', '2000', '--keys'], ttl: 300 },
  { args: ['lease', 'timetolive', '9999'] },
  { args: ['lease', 'timetolive', '9999', '--keys', '-w', 'json'] },
  { args: ['lease', 'timetolive', 'zz'] },
  { args: ['lease', 'timetolive'] },
  { args: ['lease', 'list'] },
  { args: ['lease', 'list', '-w', 'json'] },
  { args: ['lease', 'list', '-w', 'fields'] },
  { args: ['lease', 'list', '-w', 'protobuf'] },
  { args: ['lease', 'list', '-w', 'table'] },
  { args: ['lease', 'keep-alive', '--once', '1000'] },
  { args: ['lease', 'keep-alive', '--once', '1000', '-w', 'json'] },
  { args: ['lease', 'keep-alive', '--once', '1000', '-w', 'fields'] },
  { args: ['lease', 'keep-alive', '--once', '9999'] },
  { args: ['lease', 'keep-alive', '9999'] },
  { args: ['lease', 'keep-alive', '9999', '-w', 'json'] },
  { args: ['lease', 'keep-alive', 'xyz'] },
  { args: ['lease', 'keep-alive'] },
  { args: ['put', '--lease=2000', 'd', 'v'] },
  { args: ['put', '--lease=9999', 'e', 'v'] },
  { args: ['get', 'd', '-w', 'json'] },
  { args: ['lease', 'timetolive', '2000', '--keys'], ttl: 300 },
  { args: ['lease', 'revoke', '2000'] },
  { args: ['lease', 'revoke', '2000'] },
  { args: ['lease', 'revoke', '1000', '-w', 'json'] },
  { args: ['get', '', '--prefix', '-w', 'json'] },
  { args: ['lease', 'revoke', '{id}', '-w', 'protobuf'] },
  { args: ['lease', 'revoke', '3000', '-w', 'fields'] },
  { args: ['lease', 'revoke'] },
  { args: ['lease', 'revoke', '8000000000000000'] },
  { args: ['lease', 'list'] },
  // Last: its lease ID cannot be captured.
  { args: ['lease', 'grant', '60', '-w', 'protobuf'] },
]

export interface LeaseStepResult {
  args: string
  stdout: string
  stderr: string
  code: number | null
}

export async function grantFixedLeases(endpoint: string): Promise<void> {
  const c = await EtcdClient.connect({ endpoints: [endpoint], dialTimeoutMs: 3000 })
  try {
    for (const [id, ttl, keys] of FIXED_LEASES) {
      await c.call(LeaseService.LeaseGrant, { ID: id, TTL: ttl }, 5000)
      for (const k of keys)
        await c.call(KVService.Put, { key: Buffer.from(k), value: Buffer.from('v'), lease: id }, 5000)
    }
  } finally {
    c.close()
  }
}

const CAPTURE = [/lease ([0-9a-f]{16}) granted/, /"ID":(\d+)/, /"ID" : (\d+)/]
const TTL_FORMS = [/remaining\((\d+)s\)/g, /"ttl":(-?\d+)/g, /"TTL" : (-?\d+)/g]

function captureId(stdout: string): bigint | undefined {
  for (const [i, re] of CAPTURE.entries()) {
    const m = re.exec(stdout)
    if (m) return i === 0 ? BigInt('0x' + m[1]) : BigInt(m[1])
  }
  return undefined
}

/** Replaces captured IDs (hex as printed, and decimal) by their names. */
function normalizeIds(text: string, ids: bigint[]): string {
  let out = text
  ids.forEach((id, i) => {
    out = out
      .split(id.toString(16).padStart(16, '0'))
      .join(`<id${i + 1}>`)
      .split(id.toString())
      .join(`<id${i + 1}>`)
  })
  return out
}

function normalizeTtls(text: string, granted: number): string {
  let out = text
  for (const re of TTL_FORMS) {
    out = out.replace(re, (whole, n: string) => {
      const v = Number(n)
      if (v > granted || v < granted - TTL_SLACK_S)
        throw new Error(`remaining TTL ${v} out of range for a ${granted}s lease: ${text}`)
      return whole.replace(n, '<ttl>')
    })
  }
  return out
}

export async function runLeaseScript(
  client: (args: string[]) => [string, string[]],
  endpoint: string,
  steps: LeaseStep[],
): Promise<LeaseStepResult[]> {
  const ids: bigint[] = []
  const out: LeaseStepResult[] = []
  for (const s of steps) {
    const last = ids[ids.length - 1]
    const args = s.args.map((a) => (a === '{id}' && last !== undefined ? last.toString(16) : a))
    const [cmd, argv] = client(['--endpoints', endpoint, ...args])
    const r = await run(cmd, argv)
    let stdout = r.stdoutBytes.toString('latin1')
    if (s.capture) {
      const id = captureId(stdout)
      if (id === undefined) throw new Error(`no lease ID in the output of ${args.join(' ')}: ${stdout}${r.stderr}`)
      ids.push(id)
    }
    if (s.ttl !== undefined) stdout = normalizeTtls(stdout, s.ttl)
    out.push({
      args: s.args.join(' '),
      stdout: normalizeIds(stdout, ids),
      stderr: normalizeIds(userStderr(r.stderr), ids),
      code: r.code,
    })
  }
  return out
}
