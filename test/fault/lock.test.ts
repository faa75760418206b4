/**
 * Mutual exclusion of `tsetcd lock` under faults, on three members: workers run a critical
 * section (read a counter, rewrite it, log enter and exit with the lock revision) under the
 * lock, while holders are killed (-9) and stopped, a holder is stopped past its TTL, and the
 * leader member is killed and restarted, then stopped and continued. Never two holders at
 * once (the log alternates enter/exit of one process, lock revisions increase, the counter
 * equals the sections run), and every waiter is served in the end.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { TestCluster } from '../helpers/cluster.js'
import { TSETCD, tmpDir } from '../helpers/procs.js'
import { sleep, waitFor } from '../helpers/wait.js'

const SECTION = `
echo "enter $ETCD_LOCK_REV $$" >> "$LOG"
n=$(cat "$COUNTER")
sleep 0.05
echo $((n + 1)) > "$COUNTER"
echo "exit $ETCD_LOCK_REV $$" >> "$LOG"
`

/** How a lock process ends when its session's lease expired before it held the lock. */
const SESSION_LOST = /Error: (mutex: session is expired|etcdserver: requested lease not found)\n$/

interface LockProc {
  child: ChildProcess
  out: string
  code?: number | null
  exited: Promise<number | null>
}

describe('lock under faults: three members, holders and the leader killed and stopped', function () {
  this.timeout(300000)
  let cluster: TestCluster
  let dir: string
  const procs: LockProc[] = []

  before(async () => {
    cluster = await TestCluster.create(3)
    dir = tmpDir('tsetcd-lock-fault-')
  })
  after(async () => {
    for (const p of procs) if (p.code === undefined) p.child.kill('SIGKILL')
    await cluster.stopAll()
    cluster.remove()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  function lock(args: string[]): LockProc {
    const child = spawn(
      process.execPath,
      [TSETCD, '--endpoints', cluster.endpoints.join(','), 'lock', '--ttl', '2', 'fault-lock', ...args],
      {
        env: { ...process.env, LOG: path.join(dir, 'log'), COUNTER: path.join(dir, 'counter') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const p: LockProc = { child, out: '', exited: Promise.resolve(null) }
    child.stdout!.on('data', (d: Buffer) => (p.out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (p.out += d.toString()))
    p.exited = new Promise((r) =>
      child.on('close', (code) => {
        p.code = code
        r(code)
      }),
    )
    procs.push(p)
    return p
  }

  it('never has two holders, and serves every waiter', async () => {
    fs.writeFileSync(path.join(dir, 'counter'), '0\n')
    fs.writeFileSync(path.join(dir, 'log'), '')
    let running = true
    let served = 0
    const killed = new Set<LockProc>()
    const workers = Array.from({ length: 4 }, async () => {
      while (running) {
        const p = lock(['--', 'sh', '-c', SECTION])
        const code = await p.exited
        if (code === 0) served++
        // A waiter whose lease expired (it could not reach a leader within its TTL) fails
        // without taking the lock, as it must, as etcdctl's: while it waited ("session is
        // expired"), or before its key was put (the put's "requested lease not found"). Any other
        // failure of a process left alone is one.
        else if (!killed.has(p) && !(code === 1 && SESSION_LOST.test(p.out)))
          throw new Error(`a lock process failed (${code}): ${p.out}`)
      }
    })
    const sections = () => fs.readFileSync(path.join(dir, 'log'), 'utf8').split('\n').filter(Boolean).length / 2
    const progress = async (what: string) => {
      const start = Math.floor(sections())
      await waitFor(() => sections() >= start + 3, 60000, what, 50)
    }
    const live = () => procs.filter((p) => p.code === undefined && !killed.has(p))

    await progress('sections before faults')
    // kill -9 and SIGSTOP/SIGCONT lock processes, whatever they are doing.
    for (let i = 0; i < 4; i++) {
      const victims = live()
      const v = victims[i % victims.length]
      if (v === undefined) continue
      if (i % 2 === 0) {
        killed.add(v)
        v.child.kill('SIGKILL')
      } else {
        v.child.kill('SIGSTOP')
        await sleep(300)
        v.child.kill('SIGCONT')
      }
      await progress(`sections after holder fault ${i}`)
    }

    // A holder stopped past its TTL loses the lock; the next waiter gets it.
    const staller = lock([])
    await waitFor(() => staller.out.includes('\n\n'), 60000, 'the staller to hold', 50)
    staller.child.kill('SIGSTOP')
    await progress('sections while the staller is stopped')
    staller.child.kill('SIGCONT')
    assert.equal(await staller.exited, 1)
    assert.match(staller.out, /Error: session expired\n$/)

    // The leader member: kill -9 and restart, then SIGSTOP and SIGCONT.
    let leader = await cluster.leader()
    await leader.proc!.kill9()
    await progress('sections with the leader killed')
    await cluster.start(leader)
    await progress('sections after the leader restarted')
    leader = await cluster.leader()
    leader.proc!.proc.kill('SIGSTOP')
    await progress('sections with the leader stopped')
    leader.proc!.proc.kill('SIGCONT')
    await progress('sections after the leader continued')

    running = false
    await Promise.all(workers)
    await waitFor(() => live().length === 0, 60000, 'every waiter served')

    // Never two holders: enter/exit alternate, one process at a time, revisions increase.
    const lines = fs.readFileSync(path.join(dir, 'log'), 'utf8').split('\n').filter(Boolean)
    let lastRev = 0
    let runs = 0
    for (let i = 0; i < lines.length; i += 2) {
      const [e, rev, pid] = lines[i].split(' ')
      assert.equal(e, 'enter', `line ${i}: ${lines[i]}`)
      assert.equal(lines[i + 1], `exit ${rev} ${pid}`, `line ${i + 1} follows ${lines[i]}`)
      assert.ok(Number(rev) > lastRev, `lock revision ${rev} after ${lastRev}`)
      lastRev = Number(rev)
      runs++
    }
    assert.equal(Number(fs.readFileSync(path.join(dir, 'counter'), 'utf8')), runs)
    assert.ok(served > 10)
  })
})
