/**
 * The member flags `tsetcd serve` accepts: etcd's names, types and defaults.
 * Each flag is also read from `ETCD_<NAME_IN_CAPS>` and from the YAML config file
 * (`--config-file`) under its own name.
 */

export type FlagType = 'string' | 'bool' | 'int' | 'uint' | 'duration' | 'urls' | 'list'

export interface FlagDef {
  name: string
  type: FlagType
  default: string
  usage: string
  /**
   * Not supported yet: accepted only at its default (or a value `alsoDefault` lists, which etcd
   * treats the same); any other value stops the member at start-up naming the flag.
   */
  defaultOnly?: boolean
  alsoDefault?: string[]
  choices?: string[]
}

import { LATER_FLAGS, RENAMED } from './flags-later.js'

const f = (name: string, type: FlagType, def: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({
  name,
  type,
  default: def,
  usage,
  ...extra,
})

const BASE_FLAGS: FlagDef[] = [
  // member
  f('name', 'string', 'default', 'Human-readable name for this member.'),
  f('data-dir', 'string', '', 'Path to the data directory (default ${name}.etcd).'),
  f('wal-dir', 'string', '', 'Path to the dedicated wal directory.'),
  f('snapshot-count', 'uint', '100000', 'Number of committed transactions to trigger a snapshot to disk.'),
  f('heartbeat-interval', 'uint', '100', 'Time (in milliseconds) of a heartbeat interval.'),
  f('election-timeout', 'uint', '1000', 'Time (in milliseconds) for an election to timeout.'),
  f(
    'initial-election-tick-advance',
    'bool',
    'true',
    'Whether to fast-forward initial election ticks on boot for faster election.',
  ),
  f('listen-peer-urls', 'urls', 'http://localhost:2380', 'List of URLs to listen on for peer traffic.'),
  f('listen-client-urls', 'urls', 'http://localhost:2379', 'List of URLs to listen on for client traffic.'),
  f('listen-metrics-urls', 'urls', '', 'List of URLs to listen on for the metrics and health endpoints.'),
  f('max-snapshots', 'uint', '5', 'Maximum number of snapshot files to retain (0 is unlimited).'),
  f('max-wals', 'uint', '5', 'Maximum number of wal files to retain (0 is unlimited).'),
  f(
    'quota-backend-bytes',
    'int',
    '0',
    'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).',
  ),
  f(
    'backend-batch-interval',
    'duration',
    '0s',
    'BackendBatchInterval is the maximum time before commit the backend transaction.',
    { defaultOnly: true },
  ),
  f(
    'backend-batch-limit',
    'uint',
    '0',
    'BackendBatchLimit is the maximum operations before commit the backend transaction.',
    { defaultOnly: true },
  ),
  f('max-txn-ops', 'uint', '128', 'Maximum number of operations permitted in a transaction.'),
  f('max-request-bytes', 'uint', '1572864', 'Maximum client request size in bytes the server will accept.'),
  f(
    'grpc-keepalive-min-time',
    'duration',
    '5s',
    'Minimum interval duration that a client should wait before pinging server.',
  ),
  f(
    'grpc-keepalive-interval',
    'duration',
    '2h0m0s',
    'Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).',
  ),
  f(
    'grpc-keepalive-timeout',
    'duration',
    '20s',
    'Additional duration of wait before closing a non-responsive connection (0 to disable).',
  ),
  f('socket-reuse-port', 'bool', 'false', 'Enable to set socket option SO_REUSEPORT on listeners.', {
    defaultOnly: true,
  }),
  f('socket-reuse-address', 'bool', 'false', 'Enable to set socket option SO_REUSEADDR on listeners.', {
    defaultOnly: true,
  }),
  // clustering
  f(
    'initial-advertise-peer-urls',
    'urls',
    'http://localhost:2380',
    "List of this member's peer URLs to advertise to the rest of the cluster.",
  ),
  f(
    'initial-cluster',
    'string',
    '',
    'Initial cluster configuration for bootstrapping (default ${name}=${initial-advertise-peer-urls}).',
  ),
  f('initial-cluster-state', 'string', 'new', "Initial cluster state ('new' or 'existing').", {
    choices: ['new', 'existing'],
  }),
  f('initial-cluster-token', 'string', 'etcd-cluster', 'Initial cluster token for the etcd cluster during bootstrap.'),
  f(
    'advertise-client-urls',
    'urls',
    'http://localhost:2379',
    "List of this member's client URLs to advertise to the public.",
  ),
  f('discovery', 'string', '', 'Discovery URL used to bootstrap the cluster.', { defaultOnly: true }),
  f('discovery-fallback', 'string', 'proxy', "Expected behavior ('exit' or 'proxy') when discovery services fails.", {
    defaultOnly: true,
  }),
  f('discovery-proxy', 'string', '', 'HTTP proxy to use for traffic to discovery service.', { defaultOnly: true }),
  f('discovery-srv', 'string', '', 'DNS domain used to bootstrap initial cluster.', { defaultOnly: true }),
  f('discovery-srv-name', 'string', '', 'Service name to query when using DNS discovery.', { defaultOnly: true }),
  f('strict-reconfig-check', 'bool', 'true', 'Reject reconfiguration requests that would cause quorum loss.'),
  f('pre-vote', 'bool', 'false', 'Enable to run an additional Raft election phase.'),
  f(
    'auto-compaction-retention',
    'string',
    '0',
    'Auto compaction retention for mvcc key value store. 0 means disable auto compaction.',
  ),
  f('auto-compaction-mode', 'string', 'periodic', "Interpret 'auto-compaction-retention' one of: periodic|revision.", {
    choices: ['periodic', 'revision'],
  }),
  f('enable-v2', 'bool', 'false', 'Accept etcd V2 client requests.', { defaultOnly: true }),
  // security
  f('cert-file', 'string', '', 'Path to the client server TLS cert file.'),
  f('key-file', 'string', '', 'Path to the client server TLS key file.'),
  f('client-cert-auth', 'bool', 'false', 'Enable client cert authentication.'),
  f('client-crl-file', 'string', '', 'Path to the client certificate revocation list file.'),
  f('client-cert-allowed-hostname', 'string', '', 'Allowed TLS hostname for client cert authentication.'),
  f('trusted-ca-file', 'string', '', 'Path to the client server TLS trusted CA cert file.'),
  f('auto-tls', 'bool', 'false', 'Client TLS using generated certificates'),
  f('peer-cert-file', 'string', '', 'Path to the peer server TLS cert file.'),
  f('peer-key-file', 'string', '', 'Path to the peer server TLS key file.'),
  f('peer-client-cert-auth', 'bool', 'false', 'Enable peer client cert authentication.'),
  f('peer-trusted-ca-file', 'string', '', 'Path to the peer server TLS trusted CA file.'),
  f('peer-cert-allowed-cn', 'string', '', 'Allowed CN for inter peer authentication.'),
  f('peer-cert-allowed-hostname', 'string', '', 'Allowed TLS hostname for inter peer authentication.'),
  f('peer-auto-tls', 'bool', 'false', 'Peer TLS using generated certificates'),
  f(
    'self-signed-cert-validity',
    'uint',
    '1',
    'The validity period of the client and peer certificates that are automatically generated by etcd when you specify ClientAutoTLS and PeerAutoTLS, the unit is year, and the default is 1',
  ),
  f('peer-crl-file', 'string', '', 'Path to the peer certificate revocation list file.'),
  f(
    'cipher-suites',
    'string',
    '',
    'Comma-separated list of supported TLS cipher suites between client/server and peers (empty will be auto-populated by Go).',
  ),
  f(
    'cors',
    'string',
    '*',
    'Comma-separated white list of origins for CORS, or cross-origin resource sharing, (empty or * means allow all)',
    { defaultOnly: true, alsoDefault: [''] },
  ),
  f(
    'host-whitelist',
    'string',
    '*',
    'Comma-separated acceptable hostnames from HTTP client requests, if server is not secure (empty means allow all).',
    { defaultOnly: true, alsoDefault: [''] },
  ),
  f('tls-min-version', 'string', 'TLS1.2', 'Minimum TLS version supported by etcd.', { choices: ['TLS1.2', 'TLS1.3'] }),
  f('tls-max-version', 'string', '', 'Maximum TLS version supported by etcd (empty will be auto-populated by Go).'),
  // auth
  f('auth-token', 'string', 'simple', 'Specify auth token specific options.'),
  f('bcrypt-cost', 'uint', '10', 'Specify bcrypt algorithm cost factor for auth password hashing.'),
  f('auth-token-ttl', 'uint', '300', 'The lifetime in seconds of the auth token.'),
  // logging
  f('logger', 'string', 'zap', "Currently only supports 'zap' for structured logging.", {
    choices: ['zap', 'capnslog'],
    defaultOnly: true,
  }),
  f(
    'log-outputs',
    'list',
    'default',
    "Specify 'stdout' or 'stderr' to skip journald logging even when running under systemd, or list of comma separated output targets.",
  ),
  f('log-level', 'string', 'info', 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.', {
    choices: ['debug', 'info', 'warn', 'error', 'panic', 'fatal'],
  }),
  f(
    'debug',
    'bool',
    'false',
    "Enable debug-level logging for etcd. [WARN] Will be deprecated in v3.5. Use '--log-level=debug' instead.",
  ),
  f('log-package-levels', 'string', '', 'Specify a particular log level for each etcd package.', { defaultOnly: true }),
  // profiling, metrics
  f('enable-pprof', 'bool', 'false', 'Enable runtime profiling data via HTTP server.', { defaultOnly: true }),
  f(
    'metrics',
    'string',
    'basic',
    "Set level of detail for exported metrics, specify 'extensive' to include server side grpc histogram metrics",
  ),
  // unsafe
  f('force-new-cluster', 'bool', 'false', 'Force to create a new one member cluster.', { defaultOnly: true }),
  f('unsafe-no-fsync', 'bool', 'false', 'Disables fsync, unsafe, will cause data loss.'),
  f(
    'experimental-enable-lease-checkpoint',
    'bool',
    'false',
    'Enable leader to send regular checkpoints to other members to prevent reset of remaining TTL on leader change (tsetcd always checkpoints).',
  ),
  f(
    'experimental-enable-lease-checkpoint-persist',
    'bool',
    'false',
    'Enable persisting remainingTTL to prevent indefinite auto-renewal of long lived leases (tsetcd always persists).',
  ),
  f(
    'experimental-lease-checkpoint-interval',
    'duration',
    '5m0s',
    "Interval of the leader's lease checkpoints (tsetcd always checkpoints and persists remaining TTLs).",
  ),
  f(
    'experimental-watch-progress-notify-interval',
    'duration',
    '10m0s',
    'Duration of periodic watch progress notifications.',
  ),
  // etcd 3.4 flags for features tsetcd has no counterpart of yet
  f('max-concurrent-streams', 'uint', '4294967295', 'Maximum concurrent streams that each client can open at a time.'),
  f('enable-grpc-gateway', 'bool', 'true', 'Enable GRPC gateway.', { defaultOnly: true }),
  f(
    'experimental-initial-corrupt-check',
    'bool',
    'false',
    'Enable to check data corruption before serving any client/peer traffic.',
  ),
  f('experimental-corrupt-check-time', 'duration', '0s', 'Duration of time between cluster corruption check passes.'),
  f('experimental-enable-v2v3', 'string', '', 'Serve v2 requests through the v3 backend under a given prefix.', {
    defaultOnly: true,
  }),
  f(
    'experimental-backend-bbolt-freelist-type',
    'string',
    'array',
    'ExperimentalBackendFreelistType specifies the type of freelist that boltdb backend uses(array and map are supported types). (tsetcd stores in RocksDB: no bbolt freelist)',
  ),
  f(
    'experimental-compaction-batch-limit',
    'int',
    '1000',
    'ExperimentalCompactionBatchLimit sets the maximum revisions deleted in each compaction batch.',
  ),
  f(
    'experimental-peer-skip-client-san-verification',
    'bool',
    'false',
    'Skip verification of SAN field in client certificate for peer connections.',
    { defaultOnly: true },
  ),
  f(
    'experimental-warning-apply-duration',
    'duration',
    '100ms',
    'Warning is generated if requests take more than this duration.',
  ),
  f('proxy', 'string', 'off', "Proxy mode setting ('off', 'readonly' or 'on').", { defaultOnly: true }),
  f('proxy-failure-wait', 'uint', '5000', 'Time (in milliseconds) an endpoint will be held in a failed state.', {
    defaultOnly: true,
  }),
  f('proxy-refresh-interval', 'uint', '30000', 'Time (in milliseconds) of the endpoints refresh interval.', {
    defaultOnly: true,
  }),
  f('proxy-dial-timeout', 'uint', '1000', 'Time (in milliseconds) for a dial to timeout.', { defaultOnly: true }),
  f('proxy-write-timeout', 'uint', '5000', 'Time (in milliseconds) for a write to timeout.', { defaultOnly: true }),
  f('proxy-read-timeout', 'uint', '0', 'Time (in milliseconds) for a read to timeout.', { defaultOnly: true }),
  f('log-output', 'list', 'default', "[TO BE DEPRECATED IN v3.5] use '--log-outputs'."),
  f('version', 'bool', 'false', 'Print the version and exit.'),
  ...LATER_FLAGS,
  // the config file itself
  f(
    'config-file',
    'string',
    '',
    'Path to the server configuration file. Note that if a configuration file is provided, other command line flags and environment variables will be ignored.',
  ),
]

/** Every flag: etcd 3.4's and 3.5's, then 3.6's new names of experimental flags (same type and default). */
export const FLAGS: FlagDef[] = [
  ...BASE_FLAGS,
  ...Object.entries(RENAMED).map(([name, old]) => {
    const d = BASE_FLAGS.find((x) => x.name === old)!
    return { ...d, name, usage: `${d.usage} (etcd 3.6's name for --${old})` }
  }),
]

export const FLAG_BY_NAME: ReadonlyMap<string, FlagDef> = new Map(FLAGS.map((d) => [d.name, d]))

export function envName(flag: string): string {
  return 'ETCD_' + flag.toUpperCase().replace(/-/g, '_')
}
