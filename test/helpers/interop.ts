/**
 * Servers for interop tests whose outputs are compared byte for byte: every server a pool
 * starts shares the member name and the advertised peer URL, hence etcd's member and cluster
 * IDs. One server listens on that peer URL (`ownPeer`); the others listen on a port of their
 * own while advertising it, which a single-member etcd or tsetcd never dials.
 */
import { ETCD, ETCDCTL, freePorts, haveBinary, removeDir, startEtcd, tmpDir, type ServerProc } from './procs.js'

export class SharedIdServers {
  private readonly servers: ServerProc[] = []
  private readonly dirs: string[] = []

  constructor(readonly peer: number) {}

  static async create(): Promise<SharedIdServers> {
    const [peer] = await freePorts(1)
    return new SharedIdServers(peer)
  }

  async start(start: typeof startEtcd, ownPeer: boolean): Promise<ServerProc> {
    const dir = tmpDir('tsetcd-interop-')
    this.dirs.push(dir)
    const [cp, pp] = await freePorts(2)
    const peerPort = ownPeer ? this.peer : pp
    const s = await start({
      args: [
        '--name',
        'default',
        '--data-dir',
        `${dir}/data`,
        '--listen-client-urls',
        `http://127.0.0.1:${cp}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${cp}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${this.peer}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${this.peer}`,
      ],
      clientPort: cp,
      peerPort,
    })
    this.servers.push(s)
    return s
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill9()))
    for (const d of this.dirs) removeDir(d)
  }
}

/**
 * Registers, in the calling `describe`, the hooks every interop suite needs: skip (saying
 * why) without the real etcd and etcdctl, and a pool of same-ID servers cleaned up after.
 * Returns the pool (available from the suite's first test on).
 */
export function interopSuite(): () => SharedIdServers {
  let pool: SharedIdServers | undefined
  before(async function () {
    const missing = [ETCD, ETCDCTL].filter((b) => !haveBinary(b))
    if (missing.length) {
      console.log(`      skipped: ${missing.join(', ')} not installed (apt-get install etcd-server etcd-client)`)
      this.skip()
    }
    pool = await SharedIdServers.create()
  })
  after(() => pool?.cleanup())
  return () => pool!
}
