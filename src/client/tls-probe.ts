/**
 * Asks an endpoint that a plain-text client could not reach whether it speaks TLS, so the
 * error can say to use https:// instead of only "context deadline exceeded".
 */
import { isIP } from 'node:net'
import tls from 'node:tls'

/** true: the server answered a TLS ClientHello in TLS (handshake, or an alert). */
export function speaksTls(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = tls.connect({
      host,
      port,
      servername: isIP(host) === 0 ? host : undefined,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    })
    let answered = false
    const done = (yes: boolean) => {
      clearTimeout(timer)
      sock.destroy()
      resolve(yes)
    }
    const timer = setTimeout(() => done(answered), timeoutMs)
    sock.on('keylog', () => (answered = true))
    sock.once('secureConnect', () => done(true))
    sock.once('error', (err: Error & { code?: string }) => done(answered || /_ALERT_/.test(err.code ?? '')))
  })
}
