/**
 * The schemes of peer URLs: http://, https://, and unix:// and unixs:// as etcd takes them:
 * the socket file is the URL's address, so `unix://localhost:2380` is the file
 * "localhost:2380" (relative to the working directory); `unix:///run/etcd/peer.sock` names
 * an absolute path. unixs:// is TLS over the socket. On a socket, peers speak what they
 * speak on http:// and https:// URLs.
 */
import { lstat, unlink } from 'node:fs/promises'
import http2 from 'node:http2'
import net from 'node:net'
import tls from 'node:tls'

export function isUnixUrl(u: URL): boolean {
  return u.protocol === 'unix:' || u.protocol === 'unixs:'
}

/** https: and unixs: URLs carry TLS. */
export function isSecureUrl(u: URL): boolean {
  return u.protocol === 'https:' || u.protocol === 'unixs:'
}

/** The socket file a unix:// or unixs:// URL names. */
export function unixSocketPath(u: URL): string {
  const path = u.pathname === '/' ? '' : u.pathname
  return u.host + path
}

/** Where a unix socket URL listens: a stale socket file of an earlier process is removed first. */
export async function listenUnix(server: net.Server, u: URL): Promise<void> {
  const path = unixSocketPath(u)
  await removeStaleSocket(path)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** Removes `path` if it is a socket nobody listens on (a live one makes listen fail, as it should). */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined)
  if (st === undefined || !st.isSocket()) return
  const live = await new Promise<boolean>((resolve) => {
    const s = net.connect(path)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
  if (!live) await unlink(path).catch(() => {})
}

/**
 * A connection to a peer URL: TCP for http:, TLS for https:, a unix socket for unix: (with
 * TLS for unixs:), offering `alpn` in the TLS handshake. Nagle's algorithm is off: raft's small
 * messages (an append, its acknowledgement) must not wait for the previous segment's ACK.
 */
export function dialPeer(u: URL, tlsOptions: tls.ConnectionOptions, alpn: string): net.Socket {
  let sock: net.Socket
  if (!isUnixUrl(u)) {
    const secure = u.protocol === 'https:'
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname
    const port = Number(u.port || (secure ? 443 : 80))
    sock = secure
      ? tls.connect({
          ...tlsOptions,
          host,
          port,
          servername: tlsOptions.servername ?? (net.isIP(host) === 0 ? host : undefined),
          ALPNProtocols: [alpn],
        })
      : net.connect({ host, port })
  } else {
    const path = unixSocketPath(u)
    const servername = net.isIP(u.hostname) === 0 && u.hostname !== '' ? u.hostname : undefined
    sock =
      u.protocol === 'unixs:'
        ? tls.connect({ ...tlsOptions, path, servername, ALPNProtocols: [alpn] })
        : net.connect(path)
  }
  sock.setNoDelay(true)
  return sock
}

/** An HTTP/2 session to a peer URL over `dialPeer`'s connection. */
export function connectPeer(
  u: URL,
  tlsOptions: tls.ConnectionOptions,
  options: http2.ClientSessionOptions,
): http2.ClientHttp2Session {
  const authority = isUnixUrl(u) ? (isSecureUrl(u) ? 'https://localhost' : 'http://localhost') : u.origin
  return http2.connect(authority, { ...options, createConnection: () => dialPeer(u, tlsOptions, 'h2') })
}
