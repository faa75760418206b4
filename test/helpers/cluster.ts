/**
 * Multi-member tsetcd clusters for tests, set up as the etcd guides do: one YAML config file
 * per member (etcd1..etcdN), all started with `tsetcd serve --config-file`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { EtcdClient } from '../../src/client/client.js'
import { KVService, MaintenanceService } from '../../src/gen/etcdserverpb.js'
import { freePorts, removeDir, startTsetcd, tmpDir, type ServerProc } from './procs.js'

export interface ClusterMember {
  name: string
  config: string
  clientPort: number
  peerPort: number
  endpoint: string
  proc?: ServerProc
}

export class TestCluster {
  constructor(
    readonly dir: string,
    readonly members: ClusterMember[],
  ) {}

  static async create(n: number, extra: Record<string, string | number> = {}): Promise<TestCluster> {
    const dir = tmpDir('tsetcd-cluster-')
    const ports = await freePorts(2 * n)
    const members: ClusterMember[] = []
    for (let i = 0; i < n; i++)
      members.push({
        name: `etcd${i + 1}`,
        config: '',
        clientPort: ports[2 * i],
        peerPort: ports[2 * i + 1],
        endpoint: `127.0.0.1:${ports[2 * i]}`,
      })
    const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',')
    for (const m of members) {
      m.config = path.join(dir, `${m.name}_conf.yml`)
      const lines = [
        `name: ${m.name}`,
        `data-dir: ${path.join(dir, m.name, 'data')}`,
        `listen-client-urls: http://127.0.0.1:${m.clientPort}`,
        `advertise-client-urls: http://127.0.0.1:${m.clientPort}`,
        `listen-peer-urls: http://127.0.0.1:${m.peerPort}`,
        `initial-advertise-peer-urls: http://127.0.0.1:${m.peerPort}`,
        `initial-cluster: ${initial}`,
        'initial-cluster-token: etcd-cluster-1',
        'initial-cluster-state: new',
        'heartbeat-interval: 50',
        'election-timeout: 500',
        ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
      ]
      fs.writeFileSync(m.config, lines.join('\n') + '\n')
    }
    const c = new TestCluster(dir, members)
    await Promise.all(members.map((m) => c.start(m)))
    return c
  }

  async start(m: ClusterMember, env: NodeJS.ProcessEnv = {}): Promise<ServerProc> {
    m.proc = await startTsetcd({
      args: ['--config-file', m.config],
      clientPort: m.clientPort,
      peerPort: m.peerPort,
      ready: false,
      env,
    })
    return m.proc
  }

  dataDir(m: ClusterMember): string {
    return path.join(this.dir, m.name, 'data')
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint)
  }

  async client(m: ClusterMember | ClusterMember[] = this.members): Promise<EtcdClient> {
    const list = Array.isArray(m) ? m : [m]
    return EtcdClient.connect({ endpoints: list.map((x) => x.endpoint), dialTimeoutMs: 3000 })
  }

  /** The member that reports itself leader, waiting up to `timeoutMs` for one. */
  async leader(
    timeoutMs = 10000,
    among: ClusterMember[] = this.members.filter((m) => m.proc && m.proc.proc.exitCode === null),
  ): Promise<ClusterMember> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      for (const m of among) {
        let c: EtcdClient | undefined
        try {
          c = await this.client(m)
          const s = await c.call(MaintenanceService.Status, {}, 1000)
          if (s.leader !== 0n && s.leader === s.header?.member_id) return m
        } catch {
          // not up or no leader yet
        } finally {
          c?.close()
        }
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`no leader within ${timeoutMs} ms`)
  }

  /** Waits until a linearizable read succeeds through `m`. */
  async ready(m: ClusterMember, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let last: unknown
    while (Date.now() < deadline) {
      let c: EtcdClient | undefined
      try {
        c = await this.client(m)
        await c.call(KVService.Range, { key: Buffer.from('ready') }, 2000)
        return
      } catch (err) {
        last = err
        await new Promise((r) => setTimeout(r, 100))
      } finally {
        c?.close()
      }
    }
    throw new Error(`${m.name} not ready: ${(last as Error)?.message}\n${m.proc?.log()}`)
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((m) => m.proc?.kill9()))
  }

  remove(): void {
    removeDir(this.dir)
  }
}
