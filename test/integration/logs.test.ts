/**
 * etcd's log lines, in zap's JSON shape, for the events operators grep for. (Leader loss and
 * late heartbeats are in metrics.test.ts, with the cluster that causes them.)
 */
import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { TSETCD, removeDir, run, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { waitFor } from '../helpers/wait.js'

interface Line {
  level: string
  ts: string
  caller: string
  msg: string
  [field: string]: unknown
}

function lines(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line)
}

async function put(s: ServerProc, key: string): Promise<void> {
  const c = await EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 2000 })
  try {
    await c.call(KVService.Put, { key: Buffer.from(key), value: Buffer.from('v') })
  } finally {
    c.close()
  }
}

describe("etcd's log lines", function () {
  this.timeout(60000)
  const servers: ServerProc[] = []
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      await s.kill9()
      removeDir(s.dataDir)
    }
  })

  it('start-up, election, readiness and slow applies, each line {level, ts, caller, msg, fields}', async () => {
    const s = await startTsetcd({ extraArgs: ['--experimental-warning-apply-duration', '1ns'] })
    servers.push(s)
    await waitFor(() => s.log().includes('"enabled capabilities for version"'), 10000, 'readiness lines')
    await put(s, 'slow')
    await waitFor(() => s.log().includes('"apply request took too long"'), 10000, 'the slow apply warning')

    const all = lines(s.log())
    for (const l of all) {
      assert.deepEqual(Object.keys(l).slice(0, 4), ['level', 'ts', 'caller', 'msg'], JSON.stringify(l))
      assert.match(l.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.ok(['debug', 'info', 'warn', 'error'].includes(l.level))
    }
    const index = (msg: string | RegExp) =>
      all.findIndex((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)))
    const elected = index(/^raft\.node: [0-9a-f]+ elected leader [0-9a-f]+ at term \d+$/)
    const published = index('published local member to cluster through raft')
    const ready = index('ready to serve client requests')
    const insecure = index('serving client traffic insecurely; this is strongly discouraged!')
    const capabilities = index('enabled capabilities for version')
    for (const [name, i] of Object.entries({ elected, published, ready, insecure, capabilities }))
      assert.ok(i >= 0, `${name} logged:\n${s.log()}`)
    assert.ok(elected < published && published < ready && ready < insecure, 'in the order etcd logs them')
    assert.equal(all[insecure].address, s.endpoint)
    assert.equal(all[capabilities]['cluster-version'], '3.5')
    const slow = all[index('apply request took too long')]
    assert.equal(slow.level, 'warn')
    assert.equal(slow['expected-duration'], '1ns')
    assert.match(String(slow.took), /^[\d.]+(ns|µs|ms|s)$/)
  })

  it('--log-level warn leaves out info lines', async () => {
    const s = await startTsetcd({
      extraArgs: ['--log-level', 'warn', '--experimental-warning-apply-duration', '1ns'],
    })
    servers.push(s)
    await put(s, 'slow')
    await waitFor(() => s.log().includes('"apply request took too long"'), 10000, 'the slow apply warning')
    const all = lines(s.log())
    assert.deepEqual(
      all.filter((l) => l.level !== 'warn' && l.level !== 'error'),
      [],
    )
  })

  it('--log-outputs systemd/journal is refused, saying why and what to use', async () => {
    const r = await run(process.execPath, [TSETCD, 'serve', '--log-outputs', 'systemd/journal'], { timeoutMs: 15000 })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^--log-outputs=systemd\/journal is not supported by tsetcd: .*use --log-outputs=stderr/)
  })
})
