/** The peer port's TLS settings, from etcd's --peer-* flags (built by peerTlsOptions). */
export interface PeerTlsOptions {
  /** --peer-cert-file */
  certFile: string
  /** --peer-key-file */
  keyFile: string
  /** --peer-trusted-ca-file: verifies peers' certificates; without it, the system CAs. */
  trustedCAFile?: string
  /** --peer-client-cert-auth: the listener requires a client certificate signed by the trusted CA. */
  clientCertAuth?: boolean
  /** --peer-cert-allowed-cn: a peer's certificate must carry this common name. */
  allowedCN?: string
  /** --peer-cert-allowed-hostname: a peer's certificate must be valid for this host name. */
  allowedHostname?: string
  /** --peer-crl-file: certificates it revokes are refused by the listener. */
  crlFile?: string
  /** Dial peers without verifying their certificate (tests, --peer-auto-tls). */
  insecureSkipVerify?: boolean
  /** --tls-min-version / --tls-max-version, in Node's names. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3'
  maxVersion?: 'TLSv1.2' | 'TLSv1.3'
  /** --cipher-suites as an OpenSSL cipher string. */
  ciphers?: string
}
