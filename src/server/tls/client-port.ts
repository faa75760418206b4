/**
 * Transport security of the client port from etcd's flags: which listen URLs get TLS
 * (https://, unixs://), with which certificate (--cert-file/--key-file, or --auto-tls), how
 * clients are verified (--trusted-ca-file, --client-cert-auth), --tls-min-version and
 * --cipher-suites; and the certificate re-read when its files change.
 */
import path from 'node:path'
import tls from 'node:tls'
import type { ServerConfig } from '../config/config.js'
import type { Logger } from '../log.js'
import { opensslCiphers, nodeTlsVersion } from './cipher-suites.js'
import { checkPeerCertificate, RevocationList, type PeerCertPolicy } from './cert-checks.js'
import { TlsConfigError } from './errors.js'
import { FileWatcher, stamps } from './file-watch.js'
import { loadKeyPair, type KeyPair, type TlsFiles } from './key-pair.js'
import { selfCert, urlHosts } from './self-cert.js'
import {
  listenOptions,
  secureContextOptions,
  type ServerTlsOptions,
  type ServerTlsPolicy,
} from './server-credentials.js'

export interface ClientPortSecurity {
  /** TLS settings for one --listen-client-urls entry: for https:// and unixs://; undefined (plain) otherwise. */
  tlsFor(u: URL): ServerTlsOptions | undefined
  /** Told the settings to serve from now on when the certificate files change. */
  onReload(listener: (options: ServerTlsOptions) => void): void
  close(): void
}

export interface ClientPortOptions {
  /** How often the certificate files are checked for changes. */
  reloadIntervalMs?: number
}

export const isSecureUrl = (u: URL): boolean => u.protocol === 'https:' || u.protocol === 'unixs:'
const urlText = (u: URL): string => u.href.replace(/\/$/, '')
const describeCert = (p: KeyPair) => ({
  subject: p.leaf.subject.replace(/\n/g, ','),
  'not-after': new Date(p.leaf.validTo).toISOString(),
})

/** The certificate files to serve, making the --auto-tls ones when that is what is asked. */
async function certificateFiles(cfg: ServerConfig, log: Logger, secure: URL[]): Promise<TlsFiles | undefined> {
  const t = cfg.tls
  if ((t.certFile === '') !== (t.keyFile === '')) {
    throw new TlsConfigError(
      `--cert-file and --key-file must be given together (cert-file "${t.certFile}", key-file "${t.keyFile}")`,
    )
  }
  const caFile = t.trustedCaFile === '' ? undefined : t.trustedCaFile
  if (t.certFile !== '') {
    if (t.autoTls) log.warn('ignoring client auto TLS since certs given')
    return { certFile: t.certFile, keyFile: t.keyFile, caFile }
  }
  if (!t.autoTls || secure.length === 0) return undefined
  const dir = path.join(cfg.dataDir, 'fixtures', 'client')
  const made = await selfCert(dir, urlHosts(cfg.listenClientUrls), {
    clientAuth: false,
    validityYears: cfg.selfSignedCertValidity,
  })
  log.info(
    made.created ? 'generated self-signed client TLS certificate' : 'using existing self-signed client TLS certificate',
    { 'cert-file': made.certFile },
  )
  return { certFile: made.certFile, keyFile: made.keyFile, caFile }
}

function policyOf(cfg: ServerConfig, checks: PeerCertPolicy, log: Logger): ServerTlsPolicy {
  const checked = checks.crl !== undefined || checks.allowedHostname !== undefined
  return {
    ...(checked
      ? {
          checkPeer: (socket) => {
            const reason = checkPeerCertificate(checks, socket)
            if (reason !== undefined)
              log.warn('rejected connection', { 'remote-addr': socket.remoteAddress, error: reason })
            return reason
          },
        }
      : {}),
    // etcd requires and verifies client certificates when a trusted CA is given, too
    requireClientCert: cfg.tls.clientCertAuth || cfg.tls.trustedCaFile !== '',
    minVersion: nodeTlsVersion(cfg.tls.minVersion),
    ...(cfg.tls.maxVersion === '' ? {} : { maxVersion: nodeTlsVersion(cfg.tls.maxVersion) }),
    ciphers: opensslCiphers(cfg.tls.cipherSuites, cfg.tls.minVersion),
  }
}

/** Loads and checks the client port's TLS settings; any problem stops start-up with a message naming it. */
export async function clientPortSecurity(
  cfg: ServerConfig,
  log: Logger,
  opts: ClientPortOptions = {},
): Promise<ClientPortSecurity> {
  const secure = cfg.listenClientUrls.filter(isSecureUrl)
  const checks: PeerCertPolicy = {}
  if (cfg.tls.clientCrlFile !== '') checks.crl = await RevocationList.open(cfg.tls.clientCrlFile, log)
  if (cfg.tls.clientCertAllowedHostname !== '') checks.allowedHostname = cfg.tls.clientCertAllowedHostname
  const policy = policyOf(cfg, checks, log)
  const files = await certificateFiles(cfg, log, secure)
  for (const u of cfg.listenClientUrls) {
    if (isSecureUrl(u) && files === undefined) {
      throw new TlsConfigError(
        `TLS key/cert (--cert-file, --key-file) must be provided for client url ${urlText(u)} with HTTPS scheme`,
      )
    }
    if (!isSecureUrl(u) && files !== undefined && cfg.tls.certFile !== '') {
      log.warn('scheme is HTTP while key and cert files are present; ignoring key and cert files', {
        'client-url': urlText(u),
      })
    }
  }
  if (files === undefined || secure.length === 0) return { tlsFor: () => undefined, onReload() {}, close() {} }

  const pair = await loadKeyPair(files)
  try {
    tls.createSecureContext(secureContextOptions(pair, policy))
  } catch (err) {
    throw new TlsConfigError(`client TLS (${files.certFile}): ${(err as Error).message}`)
  }
  log.info('client TLS', {
    'cert-file': files.certFile,
    'key-file': files.keyFile,
    'trusted-ca-file': files.caFile ?? '',
    'client-cert-auth': policy.requireClientCert,
    'min-version': policy.minVersion,
    'max-version': policy.maxVersion ?? '',
    ...describeCert(pair),
  })
  if (new Date(pair.leaf.validTo) < new Date())
    log.warn('client TLS certificate has expired; clients will refuse it', {
      'cert-file': files.certFile,
      ...describeCert(pair),
    })
  let current = listenOptions(pair, policy)
  const listeners: ((o: ServerTlsOptions) => void)[] = []
  const watched = [files.certFile, files.keyFile, ...(files.caFile ? [files.caFile] : [])]
  const watcher = new FileWatcher(
    watched,
    await stamps(watched),
    async () => {
      try {
        const next = await loadKeyPair(files)
        tls.createSecureContext(secureContextOptions(next, policy))
        current = listenOptions(next, policy)
        for (const l of listeners) l(current)
        log.info('reloaded client TLS certificate', { 'cert-file': files.certFile, ...describeCert(next) })
      } catch (err) {
        log.warn('client TLS files changed but cannot be used; still serving the previous certificate', {
          error: (err as Error).message,
        })
      }
    },
    opts.reloadIntervalMs ?? 1000,
  )
  return {
    tlsFor: (u) => (isSecureUrl(u) ? current : undefined),
    onReload: (l) => listeners.push(l),
    close: () => watcher.close(),
  }
}
