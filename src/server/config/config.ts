/**
 * The typed configuration of one member, built from etcd's flags / env / config file and
 * validated at start-up with etcd's messages.
 */
import { FLAGS } from './flags.js'
import { ConfigError, readSettings, type RawValues } from './parse.js'
import { parseGoDuration } from '../../go/duration.js'
import { checkDefaultOnly } from './unsupported.js'
import { parseCompactionRetention } from './compaction.js'
import { RENAMED } from './flags-later.js'

export interface ServerConfig {
  name: string
  dataDir: string
  walDir: string
  snapshotCount: number
  heartbeatMs: number
  electionMs: number
  listenPeerUrls: URL[]
  listenClientUrls: URL[]
  /** --listen-metrics-urls: extra plain HTTP listeners for /metrics and /health. */
  listenMetricsUrls: URL[]
  /** --metrics: `extensive` adds gRPC handling-time histograms. */
  metrics: 'basic' | 'extensive'
  advertiseClientUrls: URL[]
  initialAdvertisePeerUrls: URL[]
  initialCluster: string
  initialClusterState: 'new' | 'existing'
  initialClusterToken: string
  maxSnapshots: number
  maxWals: number
  quotaBackendBytes: number
  maxTxnOps: number
  maxRequestBytes: number
  grpcKeepaliveMinTimeMs: number
  grpcKeepaliveIntervalMs: number
  grpcKeepaliveTimeoutMs: number
  strictReconfigCheck: boolean
  preVote: boolean
  /** Parsed: milliseconds (periodic) or revisions (revision); 0: no auto-compaction. */
  autoCompactionRetention: number
  autoCompactionMode: 'periodic' | 'revision'
  /**
   * How often revision-mode auto-compaction checks (etcd: 5 minutes). Not an etcd flag: set
   * through TSETCD_AUTO_COMPACTION_CHECK_INTERVAL (a Go duration), for tests.
   */
  autoCompactionCheckIntervalMs?: number
  /** --auth-token: `simple` or `jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…`. */
  authToken: string
  /** --auth-token-ttl, seconds (simple tokens). */
  authTokenTtl: number
  /** --bcrypt-cost. */
  bcryptCost: number
  tls: {
    certFile: string
    keyFile: string
    trustedCaFile: string
    clientCertAuth: boolean
    clientCrlFile: string
    clientCertAllowedHostname: string
    autoTls: boolean
    peerCertFile: string
    peerKeyFile: string
    peerTrustedCaFile: string
    peerClientCertAuth: boolean
    peerCrlFile: string
    peerCertAllowedCn: string
    peerCertAllowedHostname: string
    peerAutoTls: boolean
    minVersion: string
    /** '' : the highest this build supports (TLS 1.3). */
    maxVersion: string
    cipherSuites: string
  }
  logLevel: string
  logOutputs: string[]
  unsafeNoFsync: boolean
  /**
   * WAL segment size in bytes (default 64 MiB, as etcd's). Not an etcd flag: set through
   * TSETCD_WAL_SEGMENT_BYTES, for tests that need segment cuts and purges early.
   */
  walSegmentBytes?: number
  watchProgressNotifyIntervalMs: number
  leaseCheckpointIntervalMs: number
  /** --experimental-initial-corrupt-check: a restarted member compares its HashKV with its peers' before it runs raft. */
  initialCorruptCheck: boolean
  /** --experimental-corrupt-check-time: the leader compares every member's HashKV this often (0: never). */
  corruptCheckTimeMs: number
  /** --max-concurrent-streams: HTTP/2 streams each client connection may open at once. */
  maxConcurrentStreams: number
  /** --experimental-compaction-batch-limit: revisions deleted per compaction batch (≤0: all at once, as etcd). */
  compactionBatchLimit: number
  /** --experimental-warning-apply-duration: applying one batch of entries longer than this logs a warning. */
  warningApplyDurationMs: number
  /** --initial-election-tick-advance: a lone member fast-forwards its election ticks at boot. */
  initialElectionTickAdvance: boolean
  /** --self-signed-cert-validity, in years (0 is taken as 1, as etcd does). */
  selfSignedCertValidity: number
  /** Flags that were set (on the command line, in the environment or in the config file). */
  explicit: Set<string>
  warnings: string[]
}

/** Default quota, as etcd: 2 GiB; above 8 GiB etcd warns. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024
const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024
const MAX_ELECTION_MS = 50000

function parseUrls(flag: string, text: string): URL[] {
  if (text === '') return []
  return text.split(',').map((s) => {
    let u: URL
    try {
      u = new URL(s.trim())
    } catch {
      throw new ConfigError(
        `error verifying flags, invalid value "${text}" for flag -${flag}: parse ${s.trim()}: invalid URL. See 'tsetcd serve --help'.`,
      )
    }
    if (!['http:', 'https:', 'unix:', 'unixs:'].includes(u.protocol)) {
      throw new ConfigError(
        `error verifying flags, invalid value "${text}" for flag -${flag}: URL scheme must be http, https, unix, or unixs: ${s.trim()}. See 'tsetcd serve --help'.`,
      )
    }
    if (u.port === '' && (u.protocol === 'http:' || u.protocol === 'https:')) {
      throw new ConfigError(
        `error verifying flags, invalid value "${text}" for flag -${flag}: URL address does not have the form "host:port": ${s.trim()}. See 'tsetcd serve --help'.`,
      )
    }
    return u
  })
}

function isIp(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '')
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(h) || (h.includes(':') && /^[0-9a-fA-F:.]+$/.test(h))
}

function checkBindUrls(flag: string, urls: URL[]): void {
  for (const u of urls) {
    if (u.protocol === 'unix:' || u.protocol === 'unixs:') continue
    if (u.hostname === 'localhost') continue
    if (!isIp(u.hostname))
      throw new ConfigError(`--${flag}: expected IP in URL for binding (${u.toString().replace(/\/$/, '')})`)
  }
}

export function buildConfig(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig & { help: boolean; version: boolean } {
  const parsed = readSettings(argv, env)
  const raw: RawValues = parsed.values
  checkDefaultOnly(raw)
  // 3.6's un-prefixed names set their experimental flag; the experimental one wins (as etcd 3.6).
  for (const [name, old] of Object.entries(RENAMED)) {
    const v = raw.get(name)
    if (v !== undefined && !parsed.explicit.has(old)) {
      raw.set(old, v)
      parsed.explicit.add(old)
    }
  }
  // 3.4's deprecated --log-output, when --log-outputs is not given.
  if (raw.has('log-output') && !raw.has('log-outputs')) raw.set('log-outputs', raw.get('log-output')!)
  const get = (name: string): string => raw.get(name) ?? FLAGS.find((d) => d.name === name)!.default
  const bool = (name: string): boolean => /^(1|t|true)$/i.test(get(name))
  const num = (name: string): number => Number(get(name))
  const dur = (name: string): number => parseGoDuration(get(name))!

  const name = get('name')
  const listenClientUrls = parseUrls('listen-client-urls', get('listen-client-urls'))
  const listenPeerUrls = parseUrls('listen-peer-urls', get('listen-peer-urls'))
  const advertiseClientUrls = parseUrls('advertise-client-urls', get('advertise-client-urls'))
  const initialAdvertisePeerUrls = parseUrls('initial-advertise-peer-urls', get('initial-advertise-peer-urls'))
  checkBindUrls('listen-client-urls', listenClientUrls)
  checkBindUrls('listen-peer-urls', listenPeerUrls)
  const metricsUrlsText = get('listen-metrics-urls')
  const listenMetricsUrls = metricsUrlsText === '' ? [] : parseUrls('listen-metrics-urls', metricsUrlsText)
  checkBindUrls('listen-metrics-urls', listenMetricsUrls)
  for (const u of listenMetricsUrls)
    if (u.protocol !== 'http:')
      throw new ConfigError(
        `--listen-metrics-urls: only http:// URLs are supported yet by tsetcd (given "${u.href.replace(/\/$/, '')}")`,
      )

  if (parsed.explicit.has('listen-client-urls') && !parsed.explicit.has('advertise-client-urls')) {
    throw new ConfigError(
      "error verifying flags, --advertise-client-urls is required when --listen-client-urls is set explicitly. See 'tsetcd serve --help'.",
    )
  }
  const state = get('initial-cluster-state')
  if (state !== 'new' && state !== 'existing')
    throw new ConfigError(
      `error verifying flags, invalid value "${state}" for flag -initial-cluster-state: valid values are new, existing. See 'tsetcd serve --help'.`,
    )
  const mode = get('auto-compaction-mode')
  if (mode !== 'periodic' && mode !== 'revision') throw new ConfigError(`unknown auto-compaction-mode "${mode}"`)
  const heartbeatMs = num('heartbeat-interval')
  const electionMs = num('election-timeout')
  if (heartbeatMs <= 0) throw new ConfigError(`--heartbeat-interval must be >0 (set to ${heartbeatMs}ms)`)
  if (electionMs <= 0) throw new ConfigError(`--election-timeout must be >0 (set to ${electionMs}ms)`)
  if (5 * heartbeatMs > electionMs)
    throw new ConfigError(
      `--election-timeout[${electionMs}ms] should be at least as 5 times as --heartbeat-interval[${heartbeatMs}ms]`,
    )
  if (electionMs > MAX_ELECTION_MS)
    throw new ConfigError(
      `--election-timeout[${electionMs}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`,
    )
  const maxRequestBytes = num('max-request-bytes')
  if (maxRequestBytes <= 0) throw new ConfigError('--max-request-bytes must be >0')
  const v2Stage = get('v2-deprecation')
  if (!['not-yet', 'write-only', 'write-only-drop-data', 'gone'].includes(v2Stage))
    throw new ConfigError(
      `error verifying flags, invalid value "${v2Stage}" for flag -v2-deprecation: valid values are not-yet, write-only, write-only-drop-data, gone. See 'tsetcd serve --help'.`,
    )
  const maxConcurrentStreams = num('max-concurrent-streams')
  if (maxConcurrentStreams > 4294967295)
    throw new ConfigError(
      `error verifying flags, invalid value "${maxConcurrentStreams}" for flag -max-concurrent-streams: value out of range. See 'tsetcd serve --help'.`,
    )
  const compactionBatchLimit = num('experimental-compaction-batch-limit')
  const maxTxnOps = num('max-txn-ops')
  if (maxTxnOps <= 0) throw new ConfigError('--max-txn-ops must be >0')
  const quota = num('quota-backend-bytes')
  for (const level of [get('log-level')]) {
    if (!['debug', 'info', 'warn', 'error', 'panic', 'fatal'].includes(level))
      throw new ConfigError(`unknown log-level "${level}"`)
  }
  const logOutputs = get('log-outputs')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
  if (logOutputs.length > 1 && logOutputs.includes('default'))
    throw new ConfigError('multi logoutput for "default" is not supported yet')
  if (logOutputs.includes('systemd/journal'))
    throw new ConfigError(
      "--log-outputs=systemd/journal is not supported by tsetcd: Node.js cannot send journald's native protocol (datagrams to /run/systemd/journal/socket); use --log-outputs=stderr, which systemd passes to the journal",
    )
  const minTls = get('tls-min-version')
  if (!['TLS1.2', 'TLS1.3'].includes(minTls))
    throw new ConfigError(
      `error verifying flags, invalid value "${minTls}" for flag -tls-min-version: unsupported TLS version. See 'tsetcd serve --help'.`,
    )

  const maxTls = get('tls-max-version')
  if (!['', 'TLS1.2', 'TLS1.3'].includes(maxTls))
    throw new ConfigError(
      `error verifying flags, invalid value "${maxTls}" for flag -tls-max-version: unsupported TLS version. See 'tsetcd serve --help'.`,
    )
  if (maxTls !== '' && minTls > maxTls)
    throw new ConfigError(`min version (${minTls}) is greater than max version (${maxTls})`)

  const autoCompactionRetention = parseCompactionRetention(mode, get('auto-compaction-retention') || '0')
  const checkEnv = env.TSETCD_AUTO_COMPACTION_CHECK_INTERVAL
  const autoCompactionCheckIntervalMs = checkEnv === undefined ? undefined : parseGoDuration(checkEnv)
  if (checkEnv !== undefined && !(autoCompactionCheckIntervalMs! > 0))
    throw new ConfigError(`TSETCD_AUTO_COMPACTION_CHECK_INTERVAL must be a positive duration, got "${checkEnv}"`)

  const segEnv = env.TSETCD_WAL_SEGMENT_BYTES
  const walSegmentBytes = segEnv ? Number(segEnv) : undefined
  if (walSegmentBytes !== undefined && (!Number.isSafeInteger(walSegmentBytes) || walSegmentBytes < 1024)) {
    throw new ConfigError(`TSETCD_WAL_SEGMENT_BYTES must be an integer of at least 1024, got "${segEnv}"`)
  }
  const initialCluster =
    get('initial-cluster') ||
    initialAdvertisePeerUrls.map((u) => `${name}=${u.toString().replace(/\/$/, '')}`).join(',')

  return {
    help: parsed.help,
    version: bool('version'),
    name,
    dataDir: get('data-dir') || `${name}.etcd`,
    walDir: get('wal-dir'),
    snapshotCount: num('snapshot-count'),
    heartbeatMs,
    electionMs,
    listenPeerUrls,
    listenClientUrls,
    listenMetricsUrls,
    metrics: get('metrics') === 'extensive' ? 'extensive' : 'basic',
    advertiseClientUrls,
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState: state,
    initialClusterToken: get('initial-cluster-token'),
    maxSnapshots: num('max-snapshots'),
    maxWals: num('max-wals'),
    quotaBackendBytes: quota === 0 ? DEFAULT_QUOTA_BYTES : quota,
    maxTxnOps,
    maxRequestBytes,
    grpcKeepaliveMinTimeMs: dur('grpc-keepalive-min-time'),
    grpcKeepaliveIntervalMs: dur('grpc-keepalive-interval'),
    grpcKeepaliveTimeoutMs: dur('grpc-keepalive-timeout'),
    strictReconfigCheck: bool('strict-reconfig-check'),
    preVote: bool('pre-vote'),
    autoCompactionRetention,
    autoCompactionMode: mode,
    ...(autoCompactionCheckIntervalMs !== undefined ? { autoCompactionCheckIntervalMs } : {}),
    authToken: get('auth-token'),
    authTokenTtl: num('auth-token-ttl'),
    bcryptCost: num('bcrypt-cost'),
    tls: {
      certFile: get('cert-file'),
      keyFile: get('key-file'),
      trustedCaFile: get('trusted-ca-file'),
      clientCertAuth: bool('client-cert-auth'),
      clientCrlFile: get('client-crl-file'),
      clientCertAllowedHostname: get('client-cert-allowed-hostname'),
      autoTls: bool('auto-tls'),
      peerCertFile: get('peer-cert-file'),
      peerKeyFile: get('peer-key-file'),
      peerTrustedCaFile: get('peer-trusted-ca-file'),
      peerClientCertAuth: bool('peer-client-cert-auth'),
      peerCrlFile: get('peer-crl-file'),
      peerCertAllowedCn: get('peer-cert-allowed-cn'),
      peerCertAllowedHostname: get('peer-cert-allowed-hostname'),
      peerAutoTls: bool('peer-auto-tls'),
      minVersion: minTls,
      maxVersion: maxTls,
      cipherSuites: get('cipher-suites'),
    },
    logLevel: bool('debug') ? 'debug' : get('log-level'),
    logOutputs: logOutputs.length === 0 ? ['default'] : logOutputs,
    unsafeNoFsync: bool('unsafe-no-fsync'),
    ...(walSegmentBytes !== undefined ? { walSegmentBytes } : {}),
    watchProgressNotifyIntervalMs: dur('experimental-watch-progress-notify-interval'),
    leaseCheckpointIntervalMs: dur('experimental-lease-checkpoint-interval'),
    maxConcurrentStreams,
    initialCorruptCheck: bool('experimental-initial-corrupt-check'),
    corruptCheckTimeMs: dur('experimental-corrupt-check-time'),
    compactionBatchLimit,
    warningApplyDurationMs: dur('experimental-warning-apply-duration'),
    initialElectionTickAdvance: bool('initial-election-tick-advance'),
    selfSignedCertValidity: num('self-signed-cert-validity') || 1,
    explicit: parsed.explicit,
    warnings:
      quota > MAX_QUOTA_BYTES
        ? [
            ...parsed.warnings,
            `quota exceeds the maximum value (quota-size-bytes ${quota}, quota-maximum-size-bytes ${MAX_QUOTA_BYTES})`,
          ]
        : parsed.warnings,
  }
}
