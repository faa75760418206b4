/**
 * A member whose raft loop fails (here: its WAL's file system fills up) says so in its log
 * and exits with status 1, instead of lingering without serving writes.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { removeDir, startTsetcd, tmpDir, type ServerProc } from '../helpers/procs.js'

/** Mounts a tmpfs of `size` at `dir`; false when this machine does not let us (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(dir: string, size: string): boolean {
  fs.mkdirSync(dir, { recursive: true })
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0
}

describe('a raft loop failure ends the member', function () {
  this.timeout(120000)
  let root: string | undefined
  let walDir: string | undefined
  let proc: ServerProc | undefined
  afterEach(async () => {
    await proc?.kill9()
    if (walDir) spawnSync('umount', [walDir])
    if (root) removeDir(root)
  })

  it('logs "raft loop failed" and exits 1 when the WAL cannot be written', async function () {
    root = tmpDir('tsetcd-fatal-')
    const dir = path.join(root, 'wal-fs')
    if (!mountTmpfs(dir, '256k')) this.skip() // needs root with CAP_SYS_ADMIN (CI runs as root)
    walDir = dir
    proc = await startTsetcd({
      dataDir: path.join(root, 'data'),
      extraArgs: ['--wal-dir', path.join(dir, 'wal'), '--max-wals', '0'],
      env: { TSETCD_WAL_SEGMENT_BYTES: '16384' },
    })
    const exited = new Promise<number | null>((resolve) => proc!.proc.once('exit', (code) => resolve(code)))
    const client = await EtcdClient.connect({ endpoints: [proc.endpoint], dialTimeoutMs: 2000 })
    try {
      // Fill the WAL's file system; writes fail once it is full.
      const value = Buffer.alloc(4096, 1)
      for (let i = 0; i < 200 && proc.proc.exitCode === null; i++) {
        await client.call(KVService.Put, { key: Buffer.from(`k${i}`), value }, 3000).catch(() => undefined)
      }
    } finally {
      client.close()
    }
    assert.equal(await exited, 1, proc.log())
    assert.match(proc.log(), /raft loop failed/)
    assert.match(proc.log(), /ENOSPC|no space/i)
  })
})
