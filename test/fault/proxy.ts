/**
 * A TCP proxy in front of every member's peer port, so that links between members can be cut.
 *
 * Members advertise the proxy's port as their peer URL (in --initial-cluster and
 * --initial-advertise-peer-urls) and listen on a port of their own behind it. A member sends
 * its raft messages to a peer over connections it dials itself (src/server/peer: a message
 * stream and an HTTP/2 session), so the link a→b is the set of connections member a dialed to
 * b's proxy port: cutting it stops a's messages to b and leaves b's to a alone. The proxy
 * learns which member dialed a connection from the kernel (Linux): the socket's inode in
 * /proc/net/tcp, found among the fds of the member processes. A connection its dialer has
 * already closed when the proxy looks (a dial abandoned as its twin failed) is closed too.
 *
 * Modes of a cut link:
 * - drop: its connections are reset and new ones are closed as soon as they are accepted;
 * - blackhole: its connections stay open and new ones are accepted, but every byte is
 *   discarded. On heal these connections are closed (their streams lost bytes), so the
 *   members dial again.
 */
import fs from 'node:fs/promises'
import net from 'node:net'

export type CutMode = 'drop' | 'blackhole'

/** `identify`'s answer for a connection its dialer has already closed. */
const GONE = -2

/** The inode of the socket connected from local port `port` to `proxyPort` (/proc/net/tcp). */
async function socketInode(port: number, proxyPort: number): Promise<string | undefined> {
  let table: string
  try {
    table = await fs.readFile('/proc/net/tcp', 'utf8')
  } catch {
    return undefined
  }
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10) continue
    const local = parseInt(f[1].split(':')[1], 16)
    const remote = parseInt(f[2].split(':')[1], 16)
    if (local === port && remote === proxyPort) return f[9]
  }
  return undefined
}

interface Conn {
  from: number
  to: number
  client: net.Socket
  upstream?: net.Socket
  /** Bytes were discarded on this connection: it must not carry traffic again. */
  tainted: boolean
}

export interface ProxyTarget {
  /** The port members dial (advertised). */
  proxyPort: number
  /** The port the member listens on. */
  realPort: number
}

export class PeerProxy {
  private readonly servers: net.Server[] = []
  private readonly conns = new Set<Conn>()
  private readonly cuts = new Map<string, CutMode>()
  /** Connections whose dialer could not be identified (counted, forwarded). */
  unidentified = 0

  constructor(
    private readonly targets: ProxyTarget[],
    /** The pid of member i's current process, if it runs. */
    private readonly pidOf: (i: number) => number | undefined,
  ) {}

  async start(): Promise<void> {
    for (let to = 0; to < this.targets.length; to++) {
      const server = net.createServer({ pauseOnConnect: true }, (socket) => void this.accept(to, socket))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.targets[to].proxyPort, '127.0.0.1', resolve)
      })
      this.servers.push(server)
    }
  }

  mode(from: number, to: number): CutMode | undefined {
    return this.cuts.get(`${from}>${to}`)
  }

  /** Cuts the link from → to (the connections `from` dialed to `to`). */
  cut(from: number, to: number, mode: CutMode): void {
    this.cuts.set(`${from}>${to}`, mode)
    for (const c of this.conns) {
      if (c.from !== from || c.to !== to) continue
      if (mode === 'drop') this.destroy(c)
      else c.tainted = true
    }
  }

  heal(from: number, to: number): void {
    this.cuts.delete(`${from}>${to}`)
    for (const c of this.conns) if (c.from === from && c.to === to && c.tainted) this.destroy(c)
  }

  healAll(): void {
    for (const k of [...this.cuts.keys()]) {
      const [from, to] = k.split('>').map(Number)
      this.heal(from, to)
    }
  }

  /** The links cut now, e.g. ["0>1 drop"]. */
  describe(): string[] {
    return [...this.cuts.entries()].map(([k, m]) => `${k} ${m}`)
  }

  async close(): Promise<void> {
    for (const c of this.conns) this.destroy(c)
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))))
  }

  private destroy(c: Conn): void {
    this.conns.delete(c)
    c.client.destroy()
    c.upstream?.destroy()
  }

  private async accept(to: number, client: net.Socket): Promise<void> {
    client.on('error', () => {})
    const from = await this.identify(client.remotePort ?? 0, this.targets[to].proxyPort)
    if (from === GONE) {
      client.destroy()
      return
    }
    if (from < 0) this.unidentified++
    const c: Conn = { from, to, client, tainted: false }
    const mode = this.mode(from, to)
    if (mode === 'drop' || client.destroyed) {
      client.destroy()
      return
    }
    if (mode === 'blackhole') c.tainted = true
    this.conns.add(c)
    const upstream = net.connect(this.targets[to].realPort, '127.0.0.1')
    c.upstream = upstream
    upstream.on('error', () => {})
    const pass = (src: net.Socket, dst: net.Socket) => {
      src.on('data', (d) => {
        if (!c.tainted && this.mode(from, to) === undefined) dst.write(d)
        else c.tainted = true
      })
      src.on('close', () => this.destroy(c))
    }
    pass(client, upstream)
    pass(upstream, client)
    upstream.once('connect', () => client.resume())
  }

  /**
   * Which member owns the socket connected from local port `port` to `proxyPort`; GONE if no
   * process holds it any more (closed by its dialer), -1 if it is held but by none of them.
   */
  private async identify(port: number, proxyPort: number): Promise<number> {
    const inode = await socketInode(port, proxyPort)
    // A socket its process closed stays in the table for a while (FIN_WAIT, TIME_WAIT) with inode 0.
    if (inode === undefined || inode === '0') return GONE
    const want = `socket:[${inode}]`
    for (let i = 0; i < this.targets.length; i++) {
      const pid = this.pidOf(i)
      if (pid === undefined) continue
      let fds: string[]
      try {
        fds = await fs.readdir(`/proc/${pid}/fd`)
      } catch {
        continue
      }
      for (const fd of fds) {
        try {
          if ((await fs.readlink(`/proc/${pid}/fd/${fd}`)) === want) return i
        } catch {
          // fd closed meanwhile
        }
      }
    }
    // not found: closed while the fds were read, or held by a process that is not a member
    return (await socketInode(port, proxyPort)) === inode ? -1 : GONE
  }
}
