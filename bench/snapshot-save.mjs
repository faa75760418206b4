// Snapshot save: time and peak RSS of `tsetcd snapshot save` and `etcdctl snapshot save`
// against a real etcd, and of `tsetcd snapshot save` against `tsetcd serve`, both holding the
// same data; plus the worst put latency on the member while it serves the snapshot.
//
//   npm run build && node bench/snapshot-save.mjs [MB=300]
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EtcdClient } from '../dist/src/client/client.js'
import { KVService } from '../dist/src/gen/etcdserverpb.js'
import { startEtcd, startTsetcd, TSETCD } from '../dist/test/helpers/procs.js'

const MB = Number(process.argv[2] ?? 300)
const VALUE = 2048
const PER_TXN = 100
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapsave-bench-'))
const quota = ['--quota-backend-bytes', String(8 * 1024 ** 3)]

async function load(endpoint) {
  const c = await EtcdClient.connect({ endpoints: [endpoint], dialTimeoutMs: 3000 })
  const txns = Math.ceil((MB * 1e6) / (VALUE * PER_TXN))
  let next = 0
  const value = Buffer.alloc(VALUE, 'v')
  await Promise.all(
    [0, 1, 2, 3].map(async () => {
      for (let t = next++; t < txns; t = next++) {
        const success = []
        for (let i = 0; i < PER_TXN; i++)
          success.push({ request_put: { key: Buffer.from(`k/${String(t * PER_TXN + i).padStart(9, '0')}`), value } })
        await c.call(KVService.Txn, { success }, 30000)
      }
    }),
  )
  c.close()
  return txns * PER_TXN
}

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { env: { ...process.env, ETCDCTL_API: '3' } })
  const line = r.stderr.toString().trim().split('\n').pop()
  const [secs, kb] = line.split(' ').map(Number)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return { secs, rssMB: Math.round(kb / 1024) }
}

/** As timed(), without blocking this process (the latency probe runs in it). */
function timedAsync(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')}: ${err}`))
      const [secs, kb] = err.trim().split('\n').pop().split(' ').map(Number)
      resolve({ secs, rssMB: Math.round(kb / 1024) })
    })
  })
}

function hwm(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(s)[1]) / 1024)
}

/** Sequential puts until stopped: the worst and the median latency. */
async function probe(endpoint) {
  let stop = false
  const lat = []
  const c = await EtcdClient.connect({ endpoints: [endpoint], dialTimeoutMs: 3000 })
  await c.call(KVService.Put, { key: Buffer.from('probe/warm'), value: Buffer.from('x') })
  const done = (async () => {
    for (let i = 0; !stop; i++) {
      const t = process.hrtime.bigint()
      await c.call(KVService.Put, { key: Buffer.from(`probe/${i % 100}`), value: Buffer.from('x') }, 30000)
      lat.push(Number(process.hrtime.bigint() - t) / 1e6)
    }
    c.close()
  })()
  return async () => {
    stop = true
    await done
    lat.sort((a, b) => a - b)
    return { puts: lat.length, p50: lat[Math.floor(lat.length / 2)]?.toFixed(1), max: lat[lat.length - 1]?.toFixed(1) }
  }
}

const etcd = await startEtcd({ dataDir: path.join(dir, 'etcd'), extraArgs: quota })
const ts = await startTsetcd({ dataDir: path.join(dir, 'ts'), extraArgs: quota })
try {
  const [n1] = await Promise.all([load(etcd.endpoint), load(ts.endpoint)])
  console.log(`loaded ${n1} keys of ${VALUE} bytes (${MB} MB of values) into each`)
  const a = timed('/usr/bin/etcdctl', ['--endpoints', etcd.endpoint, 'snapshot', 'save', path.join(dir, 'a.db')])
  console.log(
    `etcdctl snapshot save <- etcd:  ${a.secs}s, peak RSS ${a.rssMB} MB, file ${fs.statSync(path.join(dir, 'a.db')).size} bytes`,
  )
  const b = timed(process.execPath, [TSETCD, '--endpoints', etcd.endpoint, 'snapshot', 'save', path.join(dir, 'b.db')])
  console.log(
    `tsetcd snapshot save  <- etcd:  ${b.secs}s, peak RSS ${b.rssMB} MB, file ${fs.statSync(path.join(dir, 'b.db')).size} bytes`,
  )
  const idle = await probe(ts.endpoint)
  await new Promise((r) => setTimeout(r, 3000))
  const base = await idle()
  const before = hwm(ts.proc.pid)
  const stopProbe = await probe(ts.endpoint)
  const c = await timedAsync(process.execPath, [
    TSETCD,
    '--endpoints',
    ts.endpoint,
    'snapshot',
    'save',
    path.join(dir, 'c.db'),
  ])
  const during = await stopProbe()
  console.log(
    `tsetcd snapshot save  <- tsetcd: ${c.secs}s, peak RSS ${c.rssMB} MB, file ${fs.statSync(path.join(dir, 'c.db')).size} bytes`,
  )
  console.log(`tsetcd serve peak RSS: ${before} MB before the save, ${hwm(ts.proc.pid)} MB after`)
  console.log(`put latency on tsetcd, idle 3s: ${JSON.stringify(base)}; during the save: ${JSON.stringify(during)}`)
} finally {
  await etcd.stop()
  await ts.stop()
  fs.rmSync(dir, { recursive: true, force: true })
}
