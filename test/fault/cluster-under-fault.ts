/**
 * Three `tsetcd serve` members on loopback, their peer links through a PeerProxy, and the
 * process faults: kill -9, SIGTERM, SIGSTOP/SIGCONT, restart. Everything a member prints is
 * kept (every incarnation), and two things count as failures wherever they happen: a member
 * that exits when nobody asked it to, and a member that logs `raft loop failed` (alive but no
 * longer applying).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { TSETCD, freePorts } from '../helpers/procs.js'
import { PeerProxy } from './proxy.js'

export interface Member {
  index: number
  name: string
  clientPort: number
  /** The port the member listens on for peers. */
  peerPort: number
  /** The port the other members dial (the proxy). */
  proxyPort: number
  dataDir: string
  endpoint: string
  proc?: ChildProcess
  /** We sent it a signal that ends it (kill -9, SIGTERM). */
  stopping: boolean
  paused: boolean
  incarnation: number
  log: string
}

export interface ClusterOptions {
  dir: string
  snapshotCount: number
  maxSnapshots: number
  maxWals: number
  /** WAL segment size in bytes (TSETCD_WAL_SEGMENT_BYTES); 0 for the default. */
  walSegmentBytes: number
  /** Called with every failure as it happens (the cluster keeps them too). */
  onFailure?: (msg: string) => void
}

const RAFT_LOOP_FAILED = 'raft loop failed'

/**
 * Every member process started here, until it exits: if the test process ends while a run is
 * still going (a mocha timeout with --exit), they are killed on the way out, paused or not.
 */
const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
})

/** Clusters not destroyed yet, for an `after` hook that cleans up after a timed-out run. */
const clusters = new Set<FaultCluster>()

export async function destroyAllClusters(): Promise<void> {
  await Promise.all([...clusters].map((c) => c.destroy()))
}
const START_TIMEOUT_MS = 20000
const EXIT_TIMEOUT_MS = 15000

export class FaultCluster {
  readonly failures: string[] = []
  /** Members whose raft loop failed: they can never catch up, so nothing waits for them. */
  readonly raftLoopFailed = new Set<string>()
  readonly proxy: PeerProxy

  private constructor(
    readonly members: Member[],
    private readonly opts: ClusterOptions,
  ) {
    this.proxy = new PeerProxy(
      members.map((m) => ({ proxyPort: m.proxyPort, realPort: m.peerPort })),
      (i) =>
        members[i].proc?.exitCode === null && members[i].proc?.signalCode === null ? members[i].proc?.pid : undefined,
    )
  }

  static async create(opts: ClusterOptions): Promise<FaultCluster> {
    const ports = await freePorts(9)
    const members: Member[] = [0, 1, 2].map((i) => ({
      index: i,
      name: `etcd${i + 1}`,
      clientPort: ports[3 * i],
      peerPort: ports[3 * i + 1],
      proxyPort: ports[3 * i + 2],
      dataDir: path.join(opts.dir, `etcd${i + 1}`),
      endpoint: `127.0.0.1:${ports[3 * i]}`,
      stopping: false,
      paused: false,
      incarnation: 0,
      log: '',
    }))
    const c = new FaultCluster(members, opts)
    clusters.add(c)
    await c.proxy.start()
    await Promise.all(members.map((m) => c.start(m)))
    return c
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint)
  }

  isRunning(m: Member): boolean {
    return m.proc !== undefined && m.proc.exitCode === null && m.proc.signalCode === null
  }

  private fail(msg: string): void {
    this.failures.push(msg)
    this.opts.onFailure?.(msg)
  }

  private args(m: Member): string[] {
    const initial = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.proxyPort}`).join(',')
    return [
      TSETCD,
      'serve',
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      `http://127.0.0.1:${m.clientPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${m.clientPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${m.proxyPort}`,
      '--initial-cluster',
      initial,
      '--initial-cluster-token',
      'fault-cluster',
      '--initial-cluster-state',
      'new',
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '500',
      '--snapshot-count',
      String(this.opts.snapshotCount),
      '--max-snapshots',
      String(this.opts.maxSnapshots),
      '--max-wals',
      String(this.opts.maxWals),
    ]
  }

  /** Starts the member and waits until its client port accepts connections. */
  async start(m: Member): Promise<void> {
    if (this.isRunning(m)) throw new Error(`${m.name} is already running`)
    m.incarnation++
    m.stopping = false
    m.paused = false
    const env =
      this.opts.walSegmentBytes > 0
        ? { ...process.env, TSETCD_WAL_SEGMENT_BYTES: String(this.opts.walSegmentBytes) }
        : process.env
    const proc = spawn(process.execPath, this.args(m), { stdio: ['ignore', 'pipe', 'pipe'], env })
    m.proc = proc
    live.add(proc)
    m.log += `\n===== ${m.name} incarnation ${m.incarnation} (pid ${proc.pid}) =====\n`
    let partial = ''
    const onData = (d: Buffer) => {
      const text = d.toString()
      m.log += text
      partial += text
      const lines = partial.split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (!line.includes(RAFT_LOOP_FAILED)) continue
        this.raftLoopFailed.add(m.name)
        this.fail(`${m.name} (incarnation ${m.incarnation}) logged: ${line}`)
      }
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', onData)
    proc.on('exit', (code, signal) => {
      live.delete(proc)
      m.log += `===== ${m.name} incarnation ${m.incarnation} exited: code ${code} signal ${signal} =====\n`
      if (!m.stopping)
        this.fail(`${m.name} (incarnation ${m.incarnation}) exited on its own: code ${code}, signal ${signal}`)
    })
    const deadline = Date.now() + START_TIMEOUT_MS
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`${m.name} exited while starting (code ${proc.exitCode})`)
      if (await canConnect(m.clientPort)) return
      if (Date.now() > deadline)
        throw new Error(`${m.name} did not listen on its client port within ${START_TIMEOUT_MS} ms`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async kill9(m: Member): Promise<void> {
    if (!this.isRunning(m)) return
    m.stopping = true
    m.proc!.kill('SIGKILL')
    await exited(m.proc!, EXIT_TIMEOUT_MS)
    m.paused = false
  }

  /** SIGTERM; a member that does not exit within the bound is a failure (and is killed). */
  async term(m: Member): Promise<void> {
    if (!this.isRunning(m)) return
    m.stopping = true
    if (m.paused) this.resume(m)
    m.proc!.kill('SIGTERM')
    if (!(await exited(m.proc!, EXIT_TIMEOUT_MS))) {
      this.fail(`${m.name} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM`)
      m.proc!.kill('SIGKILL')
      await exited(m.proc!, EXIT_TIMEOUT_MS)
    }
  }

  pause(m: Member): void {
    if (!this.isRunning(m) || m.paused) return
    m.proc!.kill('SIGSTOP')
    m.paused = true
  }

  resume(m: Member): void {
    if (!this.isRunning(m) || !m.paused) return
    m.proc!.kill('SIGCONT')
    m.paused = false
  }

  /** Heals every link, resumes paused members and starts stopped ones. */
  async healAll(): Promise<void> {
    this.proxy.healAll()
    for (const m of this.members) this.resume(m)
    for (const m of this.members) if (!this.isRunning(m)) await this.start(m)
  }

  /** Kills every process we started and closes the proxy. */
  async destroy(): Promise<void> {
    clusters.delete(this)
    for (const m of this.members) {
      if (!this.isRunning(m)) continue
      m.stopping = true
      m.proc!.kill('SIGCONT')
      m.proc!.kill('SIGKILL')
    }
    await Promise.all(this.members.map((m) => (m.proc ? exited(m.proc, EXIT_TIMEOUT_MS) : true)))
    await this.proxy.close()
  }

  /** The lines of a member's log worth showing: warnings, errors and what surrounds `raft loop failed`. */
  excerpt(m: Member, maxLines = 25): string {
    const lines = m.log
      .split('\n')
      .filter(
        (l) =>
          l.startsWith('=====') ||
          /"level":"(warn|error|panic|fatal)"/.test(l) ||
          (l.trim() !== '' && !l.startsWith('{')),
      )
    const shown = lines.slice(-maxLines).map((l) => (l.length > 400 ? l.slice(0, 400) + '…' : l))
    return `--- ${m.name} (${lines.length} notable lines, last ${shown.length}) ---\n${shown.join('\n')}`
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** Resolves true once the process exited, false if it is still running after `timeoutMs`. */
function exited(proc: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs)
    proc.once('exit', () => {
      clearTimeout(t)
      resolve(true)
    })
  })
}
