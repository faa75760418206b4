/**
 * `snapshot restore` of a large etcd snapshot: tsetcd against the real etcdctl, same file,
 * same machine, one after the other. Reports wall time and peak RSS (GNU time's %M) of each.
 *
 *   npm run build && node dist/bench/restore-bench.js [MiB=220] [dir]
 *
 * The snapshot is written in etcd's layout (bbolt, sha256 trailer): keys of 1 KiB values,
 * a tenth of them overwritten once and a few deleted, plus leases. It is built once and kept
 * in `dir` (default: the system temp dir) for later runs.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { writeEtcdSnapshot, type MvccRecord } from '../src/bbolt/index.js'

const mib = Number(process.argv[2] ?? 220)
const dir = process.argv[3] ?? path.join(os.tmpdir(), 'tsetcd-restore-bench')
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..')
const VALUE = 1024

function* records(n: number): Generator<MvccRecord> {
  let rev = 1
  const value = Buffer.alloc(VALUE, 'v')
  const key = (i: number) => `/registry/bench/${String(i).padStart(10, '0')}`
  for (let i = 0; i < n; i++) yield { main: ++rev, key: key(i), value, createRevision: rev, version: 1 }
  for (let i = 0; i < n; i += 10)
    yield { main: ++rev, key: key(i), value, createRevision: i + 2, version: 2, lease: i % 20 === 0 ? 1000 + (i % 7) : 0 }
  for (let i = 5; i < n; i += 1000) yield { main: ++rev, key: key(i), tombstone: true }
}

function leases(): [Buffer, Buffer][] {
  const out: [Buffer, Buffer][] = []
  for (let id = 1000; id < 1007; id++) {
    const k = Buffer.alloc(8)
    k.writeBigInt64BE(BigInt(id))
    // leasepb.Lease{ID: id, TTL: 3600}
    out.push([k, Buffer.from([0x08, ...varint(id), 0x10, ...varint(3600)])])
  }
  return out
}

function varint(n: number): number[] {
  const b: number[] = []
  while (n > 127) {
    b.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  b.push(n)
  return b
}

function timed(cmd: string, args: string[]): { seconds: number; peakMiB: number } {
  const t0 = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`)
  const lines = r.stderr.trim().split('\n')
  return { seconds, peakMiB: Number(lines[lines.length - 1]) / 1024 }
}

fs.mkdirSync(dir, { recursive: true })
const snap = path.join(dir, `bench-${mib}MiB.snap`)
const n = Math.floor((mib * 1024 * 1024) / (VALUE * 1.2))
if (!fs.existsSync(snap)) {
  const t0 = Date.now()
  writeEtcdSnapshot(snap, { records: records(n), consistentIndex: n, buckets: { lease: leases() } })
  console.log(`wrote ${snap} (${n} keys) in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}
console.log(`snapshot: ${(fs.statSync(snap).size / 1024 / 1024).toFixed(1)} MiB`)

const flags = ['--name', 'b', '--initial-cluster', 'b=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380']
const runs: [string, string, string[]][] = [
  ['etcdctl 3.4', '/usr/bin/etcdctl', ['snapshot', 'restore', snap, ...flags]],
  ['tsetcd', process.execPath, [path.join(REPO, 'bin', 'run.js'), 'snapshot', 'restore', snap, ...flags]],
]
for (const [name, cmd, args] of runs) {
  const out = path.join(dir, `restored-${name.replace(/\W+/g, '-')}`)
  fs.rmSync(out, { recursive: true, force: true })
  const r = timed(cmd, [...args, '--data-dir', out])
  console.log(`${name.padEnd(12)} ${r.seconds.toFixed(1).padStart(6)} s   peak RSS ${r.peakMiB.toFixed(0).padStart(5)} MiB`)
  fs.rmSync(out, { recursive: true, force: true })
}
