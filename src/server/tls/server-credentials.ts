/**
 * gRPC server credentials for the client port that follow the certificate files.
 *
 * grpc-js's ServerCredentials pass their secure-context options to every listener and call
 * server.setSecureContext() on each when they change, so new connections get the new
 * certificate while open ones keep theirs. That is the mechanism behind grpc-js's own
 * certificate-provider credentials; those cannot carry --cipher-suites or
 * --tls-min-version (they fix the cipher list) and install a half-rotated pair (new
 * certificate, old key) as it is read, refusing every handshake until the next read. So
 * this subclass checks a pair before it serves it and keeps the last good one otherwise.
 */
import * as grpc from '@grpc/grpc-js'
import type { SecureContextOptions } from 'node:tls'
import type { KeyPair } from './key-pair.js'

export interface ServerTlsPolicy {
  /** Require a client certificate and verify it against the CA (--client-cert-auth, --trusted-ca-file). */
  requireClientCert: boolean
  minVersion: 'TLSv1.2' | 'TLSv1.3'
  /** OpenSSL cipher string; undefined: Node's defaults. */
  ciphers?: string
}

/** The secure-context options for a key pair under a policy (all of them: setSecureContext replaces the whole context). */
export function secureContextOptions(pair: KeyPair, policy: ServerTlsPolicy): SecureContextOptions {
  const o: SecureContextOptions = { cert: pair.cert, key: pair.key, minVersion: policy.minVersion }
  if (pair.ca !== undefined) o.ca = pair.ca
  if (policy.ciphers !== undefined) o.ciphers = policy.ciphers
  return o
}

export class ReloadableServerCredentials extends grpc.ServerCredentials {
  constructor(private readonly policy: ServerTlsPolicy, pair: KeyPair) {
    super(
      {
        requestCert: policy.requireClientCert,
        rejectUnauthorized: policy.requireClientCert,
        minVersion: policy.minVersion,
        ...(policy.ciphers === undefined ? {} : { ciphers: policy.ciphers }),
      },
      secureContextOptions(pair, policy),
    )
  }

  /** Serves `pair` on every listener for connections from now on. */
  replace(pair: KeyPair): void {
    this.updateSecureContextOptions(secureContextOptions(pair, this.policy))
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this
  }
}
