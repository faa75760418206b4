/**
 * TLS for the member's ports, from etcd's flags: the client port's gRPC credentials (with
 * certificate reloading) and the peer transport's settings.
 */
export { clientPortSecurity, isSecureUrl, type ClientPortSecurity, type ClientPortOptions } from './client-port.js'
export type { ServerTlsOptions } from './server-credentials.js'
export { peerTlsOptions } from './peer.js'
export { opensslCiphers, nodeTlsVersion, TLS12_SUITES, TLS13_SUITES } from './cipher-suites.js'
export { selfCert, urlHosts } from './self-cert.js'
export { loadKeyPair, type KeyPair, type TlsFiles } from './key-pair.js'
export { TlsConfigError } from './errors.js'
