/**
 * The peer transport's TLS settings from etcd's --peer-* flags, for the cluster code to
 * hand to src/server/peer. --peer-auto-tls makes a self-signed certificate in
 * <data-dir>/fixtures/peer; as in etcd, peers then do not verify each other's certificates.
 */
import path from 'node:path'
import type { ServerConfig } from '../config/config.js'
import type { Logger } from '../log.js'
import type { PeerTlsOptions } from './peer-options.js'
import { TlsConfigError } from './errors.js'
import { nodeTlsVersion, opensslCiphers } from './cipher-suites.js'
import { checkAllowedFlags } from './cert-checks.js'
import { selfCert, urlHosts } from './self-cert.js'

const isSecure = (u: URL): boolean => u.protocol === 'https:' || u.protocol === 'unixs:'

/** undefined: plain peer traffic. Errors name the flags, as etcd's do. */
export async function peerTlsOptions(cfg: ServerConfig, log: Logger): Promise<PeerTlsOptions | undefined> {
  const t = cfg.tls
  if ((t.peerCertFile === '') !== (t.peerKeyFile === '')) {
    throw new TlsConfigError(
      `--peer-cert-file and --peer-key-file must be given together (peer-cert-file "${t.peerCertFile}", peer-key-file "${t.peerKeyFile}")`,
    )
  }
  let options: PeerTlsOptions | undefined
  if (t.peerCertFile !== '') {
    if (t.peerAutoTls) log.warn('ignoring peer auto TLS since certs given')
    options = {
      certFile: t.peerCertFile,
      keyFile: t.peerKeyFile,
      trustedCAFile: t.peerTrustedCaFile === '' ? undefined : t.peerTrustedCaFile,
      clientCertAuth: t.peerClientCertAuth || t.peerTrustedCaFile !== '',
    }
  } else if (t.peerAutoTls && cfg.listenPeerUrls.some(isSecure)) {
    const made = await selfCert(path.join(cfg.dataDir, 'fixtures', 'peer'), urlHosts(cfg.listenPeerUrls), {
      clientAuth: true,
      validityYears: cfg.selfSignedCertValidity,
    })
    log.info(
      made.created ? 'generated self-signed peer TLS certificate' : 'using existing self-signed peer TLS certificate',
      { 'cert-file': made.certFile },
    )
    options = { certFile: made.certFile, keyFile: made.keyFile, insecureSkipVerify: true }
  }
  const unsecured = options === undefined ? cfg.listenPeerUrls.find(isSecure) : undefined
  if (unsecured) {
    throw new TlsConfigError(
      `TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url ${unsecured.href.replace(/\/$/, '')} with HTTPS scheme`,
    )
  }
  if (options === undefined) return undefined
  // --tls-min-version, --tls-max-version and --cipher-suites apply to both ports, as in etcd.
  const ciphers = opensslCiphers(t.cipherSuites, t.minVersion)
  checkAllowedFlags(
    t.peerCertAllowedCn,
    t.peerCertAllowedHostname,
    '--peer-cert-allowed-cn, --peer-cert-allowed-hostname',
  )
  return {
    ...options,
    ...(t.peerCrlFile !== '' ? { crlFile: t.peerCrlFile } : {}),
    ...(t.peerCertAllowedCn !== '' ? { allowedCN: t.peerCertAllowedCn } : {}),
    ...(t.peerCertAllowedHostname !== '' ? { allowedHostname: t.peerCertAllowedHostname } : {}),
    minVersion: nodeTlsVersion(t.minVersion),
    ...(t.maxVersion === '' ? {} : { maxVersion: nodeTlsVersion(t.maxVersion) }),
    ...(ciphers === undefined ? {} : { ciphers }),
  }
}
