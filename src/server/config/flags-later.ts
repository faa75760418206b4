/**
 * The member flags etcd 3.5 and 3.6 added to 3.4's (see flags.ts for the shared ones), with
 * their names, types and defaults. 3.6's un-prefixed names (`--compaction-batch-limit`) and
 * 3.5's `--experimental-*` names are both accepted; when both are given the experimental one
 * wins, as in etcd 3.6.
 */
import type { FlagDef, FlagType } from './flags.js'

const f = (name: string, type: FlagType, def: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type, default: def, usage, ...extra })
const only = { defaultOnly: true }

/** 3.6's names of 3.5's experimental flags: un-prefixed name → experimental name. */
export const RENAMED: Record<string, string> = {
  'corrupt-check-time': 'experimental-corrupt-check-time',
  'compact-hash-check-time': 'experimental-compact-hash-check-time',
  'compaction-batch-limit': 'experimental-compaction-batch-limit',
  'compaction-sleep-interval': 'experimental-compaction-sleep-interval',
  'watch-progress-notify-interval': 'experimental-watch-progress-notify-interval',
  'downgrade-check-time': 'experimental-downgrade-check-time',
  'warning-apply-duration': 'experimental-warning-apply-duration',
  'warning-unary-request-duration': 'experimental-warning-unary-request-duration',
  'memory-mlock': 'experimental-memory-mlock',
  'bootstrap-defrag-threshold-megabytes': 'experimental-bootstrap-defrag-threshold-megabytes',
  'max-learners': 'experimental-max-learners',
  'snapshot-catchup-entries': 'experimental-snapshot-catchup-entries',
  'peer-skip-client-san-verification': 'experimental-peer-skip-client-san-verification',
  'enable-distributed-tracing': 'experimental-enable-distributed-tracing',
  'distributed-tracing-address': 'experimental-distributed-tracing-address',
  'distributed-tracing-service-name': 'experimental-distributed-tracing-service-name',
  'distributed-tracing-instance-id': 'experimental-distributed-tracing-instance-id',
  'distributed-tracing-sampling-rate': 'experimental-distributed-tracing-sampling-rate',
}

export const LATER_FLAGS: FlagDef[] = [
  // etcd 3.5
  f('listen-client-http-urls', 'urls', '', 'List of URLs to listen on for http only client traffic.', only),
  f('backend-bbolt-freelist-type', 'string', 'map', 'BackendFreelistType specifies the type of freelist that boltdb backend uses(array and map are supported types). (tsetcd stores in RocksDB: no bbolt freelist)'),
  f('client-cert-file', 'string', '', 'Path to an explicit peer client TLS cert file otherwise cert file will be used when client auth is required.', only),
  f('client-key-file', 'string', '', 'Path to an explicit peer client TLS key file otherwise key file will be used when client auth is required.', only),
  f('peer-client-cert-file', 'string', '', 'Path to an explicit peer client TLS cert file otherwise peer cert file will be used when client auth is required.', only),
  f('peer-client-key-file', 'string', '', 'Path to an explicit peer client TLS key file otherwise peer key file will be used when client auth is required.', only),
  f('log-format', 'string', 'json', 'Configures log format. Only supports json, console.', { defaultOnly: true, choices: ['json', 'console'] }),
  f('enable-log-rotation', 'bool', 'false', 'Enable log rotation of a single log-outputs file target.', only),
  f('log-rotation-config-json', 'string', '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}', 'Configures log rotation if enabled with a JSON logger config (used only with --enable-log-rotation).'),
  f('v2-deprecation', 'string', 'not-yet', 'v2store deprecation stage (tsetcd has no v2 store: every stage behaves as "gone" with --enable-v2=false).', { choices: ['not-yet', 'write-only', 'write-only-drop-data', 'gone'] }),
  f('experimental-compact-hash-check-enabled', 'bool', 'false', 'Enable leader to periodically check followers compaction hashes.', only),
  f('experimental-compact-hash-check-time', 'duration', '1m0s', 'Duration of time between leader checks followers compaction hashes (used only with the check enabled).'),
  f('experimental-compaction-sleep-interval', 'duration', '10ms', 'Sets the sleep interval between each compaction batch.', only),
  f('experimental-downgrade-check-time', 'duration', '5s', 'Duration of time between two downgrade status checks.', only),
  f('experimental-warning-unary-request-duration', 'duration', '0s', 'Time duration after which a warning is generated if a unary request takes more time.', { defaultOnly: true, alsoDefault: ['300ms'] }),
  f('experimental-memory-mlock', 'bool', 'false', 'Enable to enforce etcd pages (in particular bbolt) to stay in RAM.', only),
  f('experimental-bootstrap-defrag-threshold-megabytes', 'uint', '0', 'Enable the defrag during etcd server bootstrap on condition that it will free at least the provided threshold of disk space.', only),
  f('experimental-max-learners', 'int', '1', 'Sets the maximum number of learners that can be available in the cluster membership.', only),
  f('experimental-snapshot-catchup-entries', 'uint', '5000', 'Number of entries for a slow follower to catch up after compacting the raft storage entries.', only),
  f('experimental-txn-mode-write-with-shared-buffer', 'bool', 'true', 'Enable the write transaction to use a shared buffer in its readonly check operations (a bbolt read optimisation: both values behave the same in tsetcd).'),
  f('experimental-stop-grpc-service-on-defrag', 'bool', 'false', 'Enable etcd gRPC service to stop serving client requests on defragmentation.', only),
  f('experimental-wait-cluster-ready-timeout', 'duration', '5s', 'Maximum duration to wait for the cluster to be ready.', only),
  f('experimental-enable-distributed-tracing', 'bool', 'false', 'Enable experimental distributed tracing using OpenTelemetry Tracing.', only),
  f('experimental-distributed-tracing-address', 'string', 'localhost:4317', 'Address for distributed tracing (used only with tracing enabled).'),
  f('experimental-distributed-tracing-service-name', 'string', 'etcd', 'Service name for distributed tracing (used only with tracing enabled).'),
  f('experimental-distributed-tracing-instance-id', 'string', '', 'Service instance ID for distributed tracing (used only with tracing enabled).'),
  f('experimental-distributed-tracing-sampling-rate', 'int', '0', 'Number of samples to collect per million spans (used only with tracing enabled).'),
  // etcd 3.6
  f('feature-gates', 'string', '', 'A set of key=value pairs that describe server level feature gates for alpha/experimental features.', only),
  f('raft-read-timeout', 'duration', '5s', 'Read timeout set on each rafthttp connection', only),
  f('raft-write-timeout', 'duration', '5s', 'Write timeout set on each rafthttp connection', only),
  f('discovery-endpoints', 'list', '', 'V3 discovery: List of gRPC endpoints of the discovery service.', only),
  f('discovery-token', 'string', '', 'V3 discovery: discovery token for the etcd cluster to be bootstrapped.', only),
  f('discovery-dial-timeout', 'duration', '2s', 'V3 discovery: dial timeout for client connections.', only),
  f('discovery-request-timeout', 'duration', '5s', 'V3 discovery: timeout for discovery requests (excluding dial timeout).', only),
  f('discovery-keepalive-time', 'duration', '2s', 'V3 discovery: keepalive time for client connections.', only),
  f('discovery-keepalive-timeout', 'duration', '6s', 'V3 discovery: keepalive timeout for client connections.', only),
  f('discovery-insecure-transport', 'bool', 'true', 'V3 discovery: disable transport security for client connections.', only),
  f('discovery-insecure-skip-tls-verify', 'bool', 'false', 'V3 discovery: skip server certificate verification.', only),
  f('discovery-cert', 'string', '', 'V3 discovery: identify secure client using this TLS certificate file.', only),
  f('discovery-key', 'string', '', 'V3 discovery: identify secure client using this TLS key file.', only),
  f('discovery-cacert', 'string', '', 'V3 discovery: verify certificates of TLS-enabled secure servers using this CA bundle.', only),
  f('discovery-user', 'string', '', 'V3 discovery: username[:password] for authentication.', only),
  f('discovery-password', 'string', '', 'V3 discovery: password for authentication.', only),
  f('disable-log-sampling', 'bool', 'false', 'Disable log sampling (tsetcd never samples its log: both values behave as true).'),
  f('experimental-set-member-localaddr', 'bool', 'false', 'Enable to have etcd use the first specified and non-loopback local address from initial-advertise-peer-urls as the local address when communicating with a peer.', only),
]
