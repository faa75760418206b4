/**
 * Real processes for integration and interop tests: tsetcd members, a real etcd, and
 * command runs (etcdctl or our binary) with their stdout, stderr and exit code.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { EtcdClient, type TlsOptions } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..')
export const TSETCD = path.join(REPO, 'bin', 'run.js')
/** `cmd`'s path on $PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, cmd)
    if (dir && fs.existsSync(p)) return p
  }
  return undefined
}

/** The real etcd and etcdctl (Debian's etcd-server and etcd-client), found on $PATH. */
export const ETCD = which('etcd') ?? 'etcd'
export const ETCDCTL = which('etcdctl') ?? 'etcdctl'
/** etcd's Go client under load (the shared bench's build.sh makes it); $KVBENCH names it. */
export const KVBENCH = process.env.KVBENCH ?? which('kvbench') ?? 'kvbench'

/** Whether `p` (a path, or a command name on $PATH) can be run. */
export function haveBinary(p: string): boolean {
  return p.includes('/') ? fs.existsSync(p) : which(p) !== undefined
}

/** The lowest port of the kernel's range for outgoing connections' local ports. */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    if (Number.isInteger(low) && low > 0) return low
  } catch {
    // not Linux: its default range, and IANA's, start at 32768 and 49152
  }
  return 32768
}

const PORTS_FROM = 10000
const PORTS_BELOW = Math.max(PORTS_FROM + 1000, ephemeralLow())

/**
 * Ports free right now (each listened on, then closed), chosen at random below the kernel's
 * range for outgoing connections: a port the OS handed out for listening (port 0) comes from
 * that range, and an outgoing connection could take it as its local port before the server it
 * was chosen for binds it (a real etcd then failed with "address already in use").
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = []
  const ports: number[] = []
  try {
    while (ports.length < n) {
      const port = PORTS_FROM + Math.floor(Math.random() * (PORTS_BELOW - PORTS_FROM))
      if (ports.includes(port)) continue
      const s = net.createServer()
      const ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false))
        s.listen(port, '127.0.0.1', () => resolve(true))
      })
      if (!ok) continue
      servers.push(s)
      ports.push(port)
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  }
  return ports
}

/** Directories made by tmpDir, removed when the test process exits. */
const madeDirs = new Set<string>()
process.on('exit', () => {
  for (const d of madeDirs) {
    try {
      fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 })
    } catch {
      // A process still writing there: the directory stays, as it did before.
    }
  }
})

/**
 * A new directory under the system's temporary directory. It is removed, with whatever is in
 * it, when the test process exits (mocha runs with --exit): members' data dirs are hundreds of
 * megabytes, and a test that fails before its own clean-up would leave them behind.
 */
export function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  madeDirs.add(dir)
  return dir
}

export interface RunResult {
  stdout: string
  stderr: string
  code: number | null
  stdoutBytes: Buffer
}

/** Runs a command to completion (async, so servers in this process keep running). */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ETCDCTL_API: '3', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d) => out.push(d))
    child.stderr.on('data', (d) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const stdoutBytes = Buffer.concat(out)
      resolve({ stdout: stdoutBytes.toString(), stdoutBytes, stderr: Buffer.concat(err).toString(), code })
    })
    // A command that does not read its input may exit before it is written (EPIPE): not a failure.
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** etcdctl's stderr carries clientv3's JSON log lines; the lines a user reads are the rest. */
/** Runs the real etcdctl; its stdout, or an error naming the command line and its stderr. */
export async function etcdctlOk(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(ETCDCTL, args, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60000 })
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** Runs our binary (`bin/run.js ARGS`) to completion. */
export function runTsetcd(
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(process.execPath, [TSETCD, ...args], { timeoutMs: 120000, ...opts })
}

export function userStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('{"level"'))
    .join('\n')
}

export interface ServerProc {
  name: string
  clientUrl: string
  endpoint: string
  peerUrl: string
  dataDir: string
  proc: ChildProcess
  log: () => string
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>
}

async function waitForPort(port: number, proc: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode} before listening:\n${log()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`server did not listen on ${port} within ${timeoutMs} ms:\n${log()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Waits until the server answers a linearizable Range (a leader exists and it applies). */
export async function waitReady(
  endpoint: string,
  proc: ChildProcess,
  log: () => string,
  timeoutMs: number,
  tls?: TlsOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${log()}`)
    let client: EtcdClient | undefined
    try {
      client = await EtcdClient.connect({ endpoints: [endpoint], dialTimeoutMs: 1000, tls })
      await client.call(KVService.Range, { key: Buffer.from('readiness-probe') }, 1000)
      return
    } catch (err) {
      lastErr = err
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      client?.close()
    }
  }
  throw new Error(`server at ${endpoint} not ready within ${timeoutMs} ms (${(lastErr as Error)?.message}):\n${log()}`)
}

function track(proc: ChildProcess): () => string {
  let text = ''
  proc.stdout?.on('data', (d) => (text += d))
  proc.stderr?.on('data', (d) => (text += d))
  return () => text
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode)
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)))
}

export interface StartOptions {
  name?: string
  dataDir?: string
  clientPort?: number
  peerPort?: number
  extraArgs?: string[]
  env?: NodeJS.ProcessEnv
  /** The client URLs' scheme (TLS flags go in extraArgs); http by default. */
  clientScheme?: 'http' | 'https'
  /** Use exactly these args (plus nothing else). */
  args?: string[]
  /** Wait for a linearizable read to succeed (default); false: only for the port. */
  ready?: boolean
  /** startTsetcd: run this `tsetcd` executable (an installed one) instead of the tree's bin/run.js. */
  bin?: string
}

function memberArgs(o: StartOptions, clientPort: number, peerPort: number, dataDir: string): string[] {
  const name = o.name ?? 'default'
  const clientUrl = `${o.clientScheme ?? 'http'}://127.0.0.1:${clientPort}`
  return [
    '--name',
    name,
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    clientUrl,
    '--advertise-client-urls',
    clientUrl,
    '--listen-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-cluster',
    `${name}=http://127.0.0.1:${peerPort}`,
    ...(o.extraArgs ?? []),
  ]
}

async function start(cmd: string, prefixArgs: string[], o: StartOptions): Promise<ServerProc> {
  const [cp, pp] = o.clientPort && o.peerPort ? [o.clientPort, o.peerPort] : await freePorts(2)
  if (o.args && !(o.clientPort && o.peerPort))
    throw new Error('start: with explicit args, give clientPort and peerPort')
  const dataDir = o.dataDir ?? path.join(tmpDir('tsetcd-test-'), 'data')
  const args = o.args ?? memberArgs(o, cp, pp, dataDir)
  const proc = spawn(cmd, [...prefixArgs, ...args], {
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = track(proc)
  await waitForPort(cp, proc, log, 20000)
  if (o.ready !== false) await waitReady(`127.0.0.1:${cp}`, proc, log, 20000)
  return {
    name: o.name ?? 'default',
    clientUrl: `${o.clientScheme ?? 'http'}://127.0.0.1:${cp}`,
    endpoint: `127.0.0.1:${cp}`,
    peerUrl: `http://127.0.0.1:${pp}`,
    dataDir,
    proc,
    log,
    async stop() {
      proc.kill('SIGTERM')
      return exited(proc)
    },
    async kill9() {
      proc.kill('SIGKILL')
      await exited(proc)
    },
  }
}

export function startTsetcd(o: StartOptions = {}): Promise<ServerProc> {
  return o.bin ? start(o.bin, ['serve'], o) : start(process.execPath, [TSETCD, 'serve'], o)
}

export function startEtcd(o: StartOptions = {}): Promise<ServerProc> {
  return start(ETCD, [], o)
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
}

/** Synchronous check used by `describe` blocks to skip when a binary is missing. */
export function etcdVersion(): string | undefined {
  if (!haveBinary(ETCD)) return undefined
  const r = spawnSync(ETCD, ['--version'])
  return r.stdout.toString().split('\n')[0]
}

/** The real `etcdctl snapshot restore` of `snap` into `dataDir`, then a real etcd started on it. */
export async function restoreIntoEtcd(snap: string, dataDir: string): Promise<ServerProc> {
  const [cp, pp] = await freePorts(2)
  const peer = `http://127.0.0.1:${pp}`
  await etcdctlOk(
    ['snapshot', 'restore', snap, '--data-dir', dataDir, '--name', 'default'].concat([
      '--initial-cluster',
      `default=${peer}`,
      '--initial-advertise-peer-urls',
      peer,
    ]),
  )
  return startEtcd({ dataDir, clientPort: cp, peerPort: pp })
}
