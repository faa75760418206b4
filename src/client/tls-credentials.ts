/**
 * gRPC channel credentials that do the TLS handshake themselves, so that its failures are
 * kept (grpc-js reports them only as UNAVAILABLE) and can be explained, and so that no SNI is
 * sent for an IP address (Node warns on that; Go's clients do not send it either).
 *
 * The server is verified as Go's crypto/tls verifies it: the chain against --cacert (or the
 * system's CAs), then the name against the certificate's SANs; --insecure-skip-tls-verify
 * skips both. In TLS 1.3 the server checks the client's certificate after the client has
 * finished its part of the handshake, so the connection counts as established only when
 * the server shows it accepted (a session ticket) or, failing that, after a short wait.
 */
import * as grpc from '@grpc/grpc-js'
import { isIP, type Socket } from 'node:net'
import tls, { type DetailedPeerCertificate, type TLSSocket } from 'node:tls'
import type { ClientTlsMaterial } from './tls-material.js'

/** One failed (or broken-off) handshake, as seen by the client. */
export interface TlsFailure {
  /** Node's / OpenSSL's code: UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, ECONNRESET … */
  code: string
  message: string
  /** server-certificate: we refused the server's certificate; handshake / after-handshake: the server refused us, or the connection broke. */
  stage: 'server-certificate' | 'handshake' | 'after-handshake'
  /** The server's certificate chain, when it got that far. */
  serverCert?: DetailedPeerCertificate
  /** The server answered in TLS (keys were exchanged): it is a TLS server. */
  serverSpokeTls: boolean
  /** The host the certificate was checked against. */
  host: string
  at: Date
}

/** Gets each failure, and undefined when a handshake succeeds. */
export type FailureSink = (f: TlsFailure | undefined) => void

/** How long a TLS 1.3 connection waits for a session ticket before it is taken as accepted. */
export const TICKET_WAIT_MS = 1000

function errorCode(err: unknown): string {
  if (typeof err === 'string') return err
  const e = err as { code?: string; message?: string } | undefined
  return e?.code ?? e?.message ?? 'UNKNOWN'
}

/**
 * The verdict on the server's certificate once the handshake is done (Node checked the chain
 * and, through the `host` option, the name); undefined: accepted.
 */
function checkServer(sock: TLSSocket, m: ClientTlsMaterial): Pick<TlsFailure, 'code' | 'message'> | undefined {
  if (m.skipVerify || sock.authorized) return undefined
  const code = errorCode(sock.authorizationError)
  return { code, message: String((sock.authorizationError as unknown as Error)?.message ?? code) }
}

/** The TLS handshake on an open socket; settles once the connection can carry HTTP/2 or has failed. */
export function handshake(socket: Socket, host: string, m: ClientTlsMaterial, sink: FailureSink): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      socket,
      host, // the name Node checks the certificate against
      secureContext: m.secureContext,
      ALPNProtocols: ['h2'],
      servername: isIP(host) === 0 ? host : undefined,
      rejectUnauthorized: false,
    })
    let spokeTls = false
    let handshakeDone = false
    let settled = false
    sock.on('keylog', () => (spokeTls = true))
    const record = (code: string, message: string, ours = false): TlsFailure => {
      const serverCert = sock.getPeerCertificate(true) as DetailedPeerCertificate | null
      const f: TlsFailure = {
        code,
        message,
        host,
        at: new Date(),
        serverSpokeTls: spokeTls || handshakeDone,
        stage: ours ? 'server-certificate' : handshakeDone ? 'after-handshake' : 'handshake',
        serverCert: serverCert && serverCert.raw ? serverCert : undefined,
      }
      sink(f)
      return f
    }
    const fail = (f: TlsFailure) => {
      if (settled) return
      settled = true
      sock.destroy()
      reject(Object.assign(new Error(f.message), { code: f.code }))
    }
    const succeed = () => {
      if (settled) return
      settled = true
      sink(undefined)
      resolve(sock)
    }
    sock.on('error', (err) => {
      const code = errorCode(err)
      // once connected, only TLS errors (alerts) are worth keeping; resets are ordinary
      if (!settled || code.startsWith('ERR_SSL_')) fail(record(code, err.message))
    })
    sock.once('close', () => {
      if (!settled)
        fail(
          record(
            'ECONNRESET',
            handshakeDone
              ? 'the server closed the connection after the TLS handshake'
              : 'the server closed the connection during the TLS handshake',
          ),
        )
    })
    sock.once('secureConnect', () => {
      handshakeDone = true
      const refused = checkServer(sock, m)
      if (refused) return fail(record(refused.code, refused.message, true))
      if (sock.getProtocol() !== 'TLSv1.3') return succeed()
      const timer = setTimeout(succeed, TICKET_WAIT_MS)
      sock.once('session', () => {
        clearTimeout(timer)
        succeed()
      })
      sock.once('close', () => clearTimeout(timer))
    })
  })
}

/** Channel credentials for one endpoint: TLS to `host` with `material`, failures reported to `sink`. */
export class RecordingTlsCredentials extends grpc.ChannelCredentials {
  constructor(
    private readonly host: string,
    private readonly material: ClientTlsMaterial,
    private readonly sink: FailureSink,
  ) {
    super()
  }

  override _isSecure(): boolean {
    return true
  }

  override _equals(other: grpc.ChannelCredentials): boolean {
    return other === this
  }

  override _createSecureConnector(
    _target: grpc.experimental.GrpcUri,
    _options: grpc.ChannelOptions,
    callCredentials?: grpc.CallCredentials,
  ): grpc.experimental.SecureConnector {
    const creds = callCredentials ?? grpc.CallCredentials.createEmpty()
    return {
      connect: async (socket: Socket) => ({
        socket: await handshake(socket, this.host, this.material, this.sink),
        secure: true,
      }),
      waitForReady: async () => {},
      getCallCredentials: () => creds,
      destroy: () => {},
    }
  }
}
