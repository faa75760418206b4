/**
 * The TLS settings of the client port, from a key pair and etcd's policy flags. The server
 * serves a new pair by replacing the secure context of its listeners (new connections get
 * the new certificate, open ones keep theirs); a pair is checked before it is served, and
 * the last good one stays otherwise.
 */
import type { SecureContextOptions } from 'node:tls'
import type { TLSSocket } from 'node:tls'
import type { KeyPair } from './key-pair.js'

export interface ServerTlsPolicy {
  /** Require a client certificate and verify it against the CA (--client-cert-auth, --trusted-ca-file). */
  requireClientCert: boolean
  minVersion: 'TLSv1.2' | 'TLSv1.3'
  /** --tls-max-version; undefined: the highest Node supports. */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3'
  /** OpenSSL cipher string; undefined: Node's defaults. */
  ciphers?: string
  /** Checks after the handshake (revocation, allowed host name): why to refuse, or undefined. */
  checkPeer?: (socket: TLSSocket) => string | undefined
}

/** The secure-context options for a key pair under a policy (all of them: setSecureContext replaces the whole context). */
export function secureContextOptions(pair: KeyPair, policy: ServerTlsPolicy): SecureContextOptions {
  const o: SecureContextOptions = { cert: pair.cert, key: pair.key, minVersion: policy.minVersion }
  if (pair.ca !== undefined) o.ca = pair.ca
  if (policy.maxVersion !== undefined) o.maxVersion = policy.maxVersion
  if (policy.ciphers !== undefined) o.ciphers = policy.ciphers
  return o
}

/** Everything a TLS listener needs: the secure context and how clients are verified. */
export type ServerTlsOptions = SecureContextOptions & {
  requestCert: boolean
  rejectUnauthorized: boolean
  checkPeer?: (socket: TLSSocket) => string | undefined
}

export function listenOptions(pair: KeyPair, policy: ServerTlsPolicy): ServerTlsOptions {
  const o: ServerTlsOptions = {
    ...secureContextOptions(pair, policy),
    requestCert: policy.requireClientCert,
    rejectUnauthorized: policy.requireClientCert,
  }
  if (policy.checkPeer) o.checkPeer = policy.checkPeer
  return o
}
