/**
 * `watch` interop: the real etcdctl against tsetcd must print what it prints against a real
 * etcd, and tsetcd's `watch` against a real etcd must print what etcdctl prints.
 *
 * Each case starts a watcher (which runs until killed), waits until it is watching, makes
 * writes, waits for the last one in the output, then interrupts it (SIGINT) and keeps its
 * stdout, the lines of its stderr a user reads, and how it ended. The cases run in the same
 * order on every server, so revisions match.
 */
import assert from 'node:assert/strict'
import { interopSuite } from '../helpers/interop.js'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { ETCDCTL, TSETCD, startEtcd, startTsetcd, userStderr } from '../helpers/procs.js'

const b = (s: string): Buffer => Buffer.from(s)

type Client = (args: string[]) => [string, string[]]
const etcdctl: Client = (args) => [ETCDCTL, args]
const tsetcdClient: Client = (args) => [process.execPath, [TSETCD, ...args]]

interface Step {
  /** A write through the API. */
  write?: (c: EtcdClient) => Promise<unknown>
  /** A line on the watcher's stdin (interactive mode). */
  line?: string
  sleepMs?: number
  /** Wait until the output holds this. */
  waitFor?: string
}

interface WatchCase {
  name: string
  /** The arguments after the global flags; `rev` is the server's revision when the case starts. */
  args: (rev: number) => string[]
  steps: Step[]
  /** Output that says the last write arrived; absent when the watcher ends by itself. */
  marker?: string
  /** Wait for the watcher to connect before the first step (false: it ends by itself). */
  connects?: boolean
  env?: NodeJS.ProcessEnv
}

interface CaseResult {
  name: string
  stdout: string
  stderr: string
  code: number | null
  signal: NodeJS.Signals | null
}

const put = (k: string, v: string): Step => ({ write: (c) => c.call(KVService.Put, { key: b(k), value: b(v) }) })
const del = (k: string, end?: string): Step => ({
  write: (c) => c.call(KVService.DeleteRange, { key: b(k), range_end: end === undefined ? undefined : b(end) }),
})
const txnPuts = (pairs: [string, string][]): Step => ({
  write: (c) =>
    c.call(KVService.Txn, { success: pairs.map(([k, v]) => ({ request_put: { key: b(k), value: b(v) } })) }),
})
const compactAtCurrent: Step = {
  write: async (c) => {
    const r = await c.call(KVService.Range, { key: b('x') })
    await c.call(KVService.Compact, { revision: r.header!.revision, physical: true })
  },
}
const sleep = (ms: number): Step => ({ sleepMs: ms })
/** A first write a `--rev` watcher gets either way; once printed, the watcher is live. */
const probe = (k: string): Step[] => [put(k, 'probe'), { waitFor: 'probe' }]
const EXEC = [
  '--',
  'sh',
  '-c',
  'echo "[$ETCD_WATCH_REVISION $ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE]"',
]

const WATCH_CASES: WatchCase[] = [
  {
    name: 'plain key',
    args: () => ['watch', 'k1'],
    steps: [put('k1', 'a'), put('k1x', 'not watched'), put('k1', 'b'), del('k1'), put('k1', 'END1')],
    marker: 'END1',
  },
  {
    name: '--prefix, a txn and a range delete',
    args: (rev) => ['watch', 'p/', '--prefix', '--rev', String(rev + 1)],
    steps: [
      ...probe('p/0'),
      put('p/a', '1'),
      txnPuts([
        ['p/b', '2'],
        ['p/c', '3'],
        ['q', 'no'],
      ]),
      del('p/', 'p0'),
      put('p/z', 'END2'),
    ],
    marker: 'END2',
  },
  {
    name: '--rev in the past, -w json',
    args: () => ['watch', 'k1', '--rev', '2', '-w', 'json'],
    // The history first (its last event is END1), then a live event.
    steps: [{ waitFor: b('END1').toString('base64') }, put('k1', 'END3')],
    marker: b('END3').toString('base64'),
  },
  {
    name: '--prev-kv',
    args: (rev) => ['watch', 'k1', '--prev-kv', '--rev', String(rev + 1)],
    steps: [...probe('k1'), put('k1', 'x'), put('k1', 'y'), del('k1'), put('k1', 'END4')],
    marker: 'END4',
  },
  {
    name: '--prefix --prev-kv -w fields',
    args: (rev) => ['watch', 'p/', '--prefix', '--prev-kv', '-w', 'fields', '--rev', String(rev + 1)],
    steps: [...probe('p/0'), put('p/a', 'v1'), put('p/a', 'v2'), put('p/z', 'END5')],
    marker: 'END5',
  },
  {
    name: 'exec command after --',
    args: (rev) => ['watch', 'e/', '--prefix', '--rev', String(rev + 1), ...EXEC],
    steps: [...probe('e/0'), put('e/1', 'one'), put('e/2', 'two words'), del('e/1'), put('e/3', 'END6')],
    marker: 'END6',
  },
  {
    name: 'ETCDCTL_WATCH_KEY and ETCDCTL_WATCH_RANGE_END',
    args: (rev) => ['watch', '--rev', String(rev + 1)],
    env: { ETCDCTL_WATCH_KEY: 'r/a', ETCDCTL_WATCH_RANGE_END: 'r/m' },
    steps: [...probe('r/a'), put('r/b', '1'), put('r/z', 'out of range'), put('r/c', 'END7')],
    marker: 'END7',
  },
  {
    name: 'watch -i: watch lines, progress, invalid lines',
    args: () => ['watch', '-i'],
    steps: [
      { line: 'watch i1' },
      { line: 'watch i/ --prefix --prev-kv' },
      { line: 'bogus' },
      { line: 'watch a b --prefix' },
      sleep(700),
      put('i1', 'one'),
      sleep(300),
      put('i/x', 'two'),
      put('i/x', 'three'),
      sleep(300),
      { line: 'progress' },
      sleep(500),
      put('i1', 'END8'),
    ],
    marker: 'END8',
  },
  {
    name: 'a compacted start revision',
    args: () => ['watch', 'k1', '--rev', '2'],
    connects: false,
    steps: [],
  },
]

/** Whether the process has an established TCP connection to 127.0.0.1:port (/proc/net/tcp). */
function connectedTo(pid: number, port: number): boolean {
  const inodes = new Set<string>()
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }))
      if (m) inodes.add(m[1])
    }
  } catch {
    return false
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const f = line.trim().split(/\s+/)
      return f[2] === remote && f[3] === '01' && inodes.has(f[9])
    })
}

/** Runs one case; the compaction case compacts first (a step before the watcher starts). */
async function runCase(client: Client, endpoint: string, api: EtcdClient, c: WatchCase): Promise<CaseResult> {
  if (c.name === 'a compacted start revision') await compactAtCurrent.write!(api)
  const rev = (await api.call(KVService.Range, { key: b('x') })).header!.revision
  const [cmd, args] = client(['--endpoints', endpoint, ...c.args(rev)])
  const child = spawn(cmd, args, {
    env: { ...process.env, ETCDCTL_API: '3', ...c.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (code, signal) => resolve([code, signal])),
  )
  let done = false
  void ended.then(() => (done = true))
  const waitFor = async (text: string): Promise<void> => {
    const deadline = Date.now() + 15000
    while (!stdout.includes(text) && !done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  }
  if (c.connects !== false) {
    const port = Number(endpoint.split(':')[1])
    const deadline = Date.now() + 15000
    while (!connectedTo(child.pid!, port) && !done && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    // Connected: the watch request follows at once.
    await new Promise((r) => setTimeout(r, 500))
  }
  for (const s of c.steps) {
    if (s.write) await s.write(api)
    if (s.line !== undefined) child.stdin.write(s.line + '\n')
    if (s.sleepMs) await new Promise((r) => setTimeout(r, s.sleepMs))
    if (s.waitFor !== undefined) await waitFor(s.waitFor)
  }
  if (c.marker !== undefined) {
    await waitFor(c.marker)
    await new Promise((r) => setTimeout(r, 300))
    child.kill('SIGINT')
  } else {
    setTimeout(() => child.kill('SIGKILL'), 15000).unref()
  }
  const [code, signal] = await ended
  return { name: c.name, stdout, stderr: userStderr(stderr), code, signal }
}

async function runAll(client: Client, endpoint: string): Promise<CaseResult[]> {
  const api = await EtcdClient.connect({ endpoints: [endpoint] })
  try {
    const out: CaseResult[] = []
    for (const c of WATCH_CASES) out.push(await runCase(client, endpoint, api, c))
    return out
  } finally {
    api.close()
  }
}

function compare(expected: CaseResult[], actual: CaseResult[], who: string): void {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `${who}: ${expected[i].name}`)
}

describe('watch interop: etcdctl and tsetcd, against etcd and tsetcd', function () {
  this.timeout(240000)
  const servers = interopSuite()

  it('etcdctl watch prints the same against tsetcd as against etcd, and tsetcd watch prints what etcdctl prints', async () => {
    const [etcdA, ours] = await Promise.all([servers().start(startEtcd, true), servers().start(startTsetcd, false)])
    const [reference, etcdctlOnOurs] = await Promise.all([
      runAll(etcdctl, etcdA.endpoint),
      runAll(etcdctl, ours.endpoint),
    ])
    await etcdA.kill9()
    const etcdB = await servers().start(startEtcd, true)
    const oursOnEtcd = await runAll(tsetcdClient, etcdB.endpoint)
    // The reference itself shows what each case is about.
    assert.match(reference[0].stdout, /^PUT\nk1\na\nPUT\nk1\nb\nDELETE\nk1\n\nPUT\nk1\nEND1\n$/)
    assert.match(
      reference.at(-1)!.stderr,
      /watch was canceled \(etcdserver: mvcc: required revision has been compacted\)\nError: watch is canceled by the server/,
    )
    assert.equal(reference.at(-1)!.code, 5)
    assert.match(reference[7].stdout, /progress notify: \d+\nprogress notify: \d+\n/)
    compare(reference, etcdctlOnOurs, 'etcdctl against tsetcd')
    compare(reference, oursOnEtcd, 'tsetcd watch against etcd')
  })
})
