import { GrpcServer } from '../../../src/server/api/h2/index.js'
import type { ClientPortSecurity } from '../../../src/server/tls/index.js'
/** A raw node:tls client for the server-side tests: did the server accept the handshake? */
import fs from 'node:fs'
import tls from 'node:tls'

export interface Outcome {
  accepted: boolean
  /** CN of the certificate the server presented. */
  serverCn?: string
  cipher?: string
  protocol?: string
  error?: string
}

export interface ClientSide {
  ca?: string
  cert?: string
  key?: string
  maxVersion?: tls.SecureVersion
  minVersion?: tls.SecureVersion
  ciphers?: string
}

/** Connects and reports whether the server kept the connection (TLS 1.3: it sent a session ticket). */
export function tryHandshake(port: number, c: ClientSide): Promise<Outcome> {
  const read = (f?: string) => (f ? fs.readFileSync(f) : undefined)
  return new Promise((resolve) => {
    const sock = tls.connect({
      host: '127.0.0.1',
      port,
      ca: read(c.ca),
      cert: read(c.cert),
      key: read(c.key),
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
      maxVersion: c.maxVersion,
      minVersion: c.minVersion,
      ciphers: c.ciphers,
    })
    let outcome: Outcome = { accepted: false }
    const done = () => {
      sock.destroy()
      resolve(outcome)
    }
    sock.once('secureConnect', () => {
      outcome = {
        accepted: true,
        serverCn: sock.getPeerCertificate().subject?.CN as string | undefined,
        cipher: sock.getCipher().name,
        protocol: sock.getProtocol() ?? undefined,
      }
      if (outcome.protocol !== 'TLSv1.3') return done()
      outcome.accepted = false
      sock.once('session', () => {
        outcome.accepted = true
        done()
      })
    })
    sock.on('error', (err: Error & { code?: string }) => {
      outcome = { ...outcome, accepted: false, error: err.code ?? err.message }
      done()
    })
    sock.once('close', done)
  })
}

/**
 * The client port's gRPC server with no services, on a free port: TLS with `security`'s
 * settings for the https URL (following its certificate reloads), or plain without them.
 */
export async function grpcServer(
  security?: ClientPortSecurity,
  url = 'https://127.0.0.1:2379',
): Promise<{ port: number; stop: () => void }> {
  const server = new GrpcServer()
  const tls = security?.tlsFor(new URL(url))
  security?.onReload((o) => server.setSecureContext(o))
  const port = await server.listen(tls ? 'https://127.0.0.1:0' : 'http://127.0.0.1:0', { tls })
  return { port, stop: () => server.forceShutdown() }
}
