/**
 * The member's Prometheus metrics, with etcd's names, help texts, labels and buckets, and the
 * process and Node.js runtime metrics of prom-client's default collectors.
 *
 * Recording is kept off the request path: what other modules already count (commit and
 * applied index, pending proposals, database size, keys, bytes sent to peers, gRPC calls per
 * method and code) is read when /metrics is scraped, through `MetricSources`. Only durations
 * are observed as they happen, and those are per batch (one WAL fdatasync, one backend commit),
 * per peer probe, or, with `--metrics extensive`, per gRPC call.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** One gRPC method's call counts (`handled` is indexed by status code). */
export interface MethodCounts {
  service: string
  method: string
  type: string
  stats: { started: number; handled: readonly number[] }
}

/** What the metrics read at scrape time. */
export interface MetricSources {
  hasLeader(): boolean
  isLeader(): boolean
  isLearner(): boolean
  memberIdHex(): string
  /** Raft's commit index, applied index. */
  committedIndex(): number
  appliedIndex(): number
  pendingProposals(): number
  failedProposals(): number
  heartbeatSendFailures(): number
  dbTotalSize(): number
  dbSizeInUse(): number
  keys(): number
  /** Bytes handed to each peer's connection, by member ID in hex. */
  peerSentBytes(): { to: string; bytes: number }[]
  grpcMethods(): MethodCounts[]
  serverVersion(): string
}

export type MetricsLevel = 'basic' | 'extensive'

/** grpc-go's names of the status codes, as go-grpc-prometheus puts them in grpc_code. */
export const GRPC_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const

/** Prometheus client_golang's ExponentialBuckets. */
function exponential(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i)
}

/** Prometheus client_golang's DefBuckets, which go-grpc-prometheus uses. */
const DEF_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export class MemberMetrics {
  readonly registry = new Registry()
  private readonly leaderChanges: Counter
  private readonly walFsync: Histogram
  private readonly backendCommit: Histogram
  private readonly peerRtt: Histogram<'To'>
  private readonly handling: Histogram<'grpc_type' | 'grpc_service' | 'grpc_method'> | undefined
  private readonly grpcCalls = new GrpcCallFamilies()

  constructor(
    private readonly sources: MetricSources,
    readonly level: MetricsLevel = 'basic',
  ) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    // prom-client counts CPU time from here on; the process' total is what etcd reports.
    const used = process.cpuUsage()
    const cpu: [string, number][] = [
      ['process_cpu_user_seconds_total', used.user],
      ['process_cpu_system_seconds_total', used.system],
      ['process_cpu_seconds_total', used.user + used.system],
    ]
    for (const [name, micros] of cpu) (this.registry.getSingleMetric(name) as Counter | undefined)?.inc(micros / 1e6)
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value())
        },
      })
    const counter = (name: string, help: string, value: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset()
          this.inc(value())
        },
      })
    gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', () =>
      sources.hasLeader() ? 1 : 0,
    )
    gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', () =>
      sources.isLeader() ? 1 : 0,
    )
    gauge('etcd_server_is_learner', 'Whether or not this member is a learner. 1 if is, 0 otherwise.', () =>
      sources.isLearner() ? 1 : 0,
    )
    new Gauge({
      name: 'etcd_server_id',
      help: "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
      labelNames: ['server_id'],
      registers,
      collect() {
        this.reset()
        this.set({ server_id: sources.memberIdHex() }, 1)
      },
    })
    new Gauge({
      name: 'etcd_server_version',
      help: "Which version is running. 1 for 'server_version' label with current version.",
      labelNames: ['server_version'],
      registers,
      collect() {
        this.reset()
        this.set({ server_version: sources.serverVersion() }, 1)
      },
    })
    this.leaderChanges = new Counter({
      name: 'etcd_server_leader_changes_seen_total',
      help: 'The number of leader changes seen.',
      registers,
    })
    counter(
      'etcd_server_heartbeat_send_failures_total',
      'The total number of leader heartbeat send failures (likely overloaded from slow disk).',
      () => sources.heartbeatSendFailures(),
    )
    gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.', () =>
      sources.committedIndex(),
    )
    gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.', () =>
      sources.appliedIndex(),
    )
    gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.', () =>
      sources.pendingProposals(),
    )
    counter('etcd_server_proposals_failed_total', 'The total number of failed proposals seen.', () =>
      sources.failedProposals(),
    )
    this.walFsync = new Histogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of fsync called by WAL.',
      buckets: exponential(0.001, 2, 14),
      registers,
    })
    this.backendCommit = new Histogram({
      name: 'etcd_disk_backend_commit_duration_seconds',
      help: 'The latency distributions of commit called by backend.',
      buckets: exponential(0.001, 2, 14),
      registers,
    })
    gauge(
      'etcd_mvcc_db_total_size_in_bytes',
      'Total size of the underlying database physically allocated in bytes.',
      () => sources.dbTotalSize(),
    )
    gauge(
      'etcd_mvcc_db_total_size_in_use_in_bytes',
      'Total size of the underlying database logically in use in bytes.',
      () => sources.dbSizeInUse(),
    )
    gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.', () => sources.keys())
    this.peerRtt = new Histogram({
      name: 'etcd_network_peer_round_trip_time_seconds',
      help: 'Round-Trip-Time histogram between peers',
      buckets: exponential(0.0001, 2, 16),
      labelNames: ['To'],
      registers,
    })
    new Counter({
      name: 'etcd_network_peer_sent_bytes_total',
      help: 'The total number of bytes sent to peers.',
      labelNames: ['To'],
      registers,
      collect() {
        this.reset()
        for (const p of sources.peerSentBytes()) this.inc({ To: p.to }, p.bytes)
      },
    })
    this.handling =
      level === 'extensive'
        ? new Histogram({
            name: 'grpc_server_handling_seconds',
            help: 'Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.',
            labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
            buckets: DEF_BUCKETS,
            registers,
          })
        : undefined
  }

  /** A new leader was seen (not: the leader was lost). */
  leaderChanged(): void {
    this.leaderChanges.inc()
  }

  walFsyncDone(seconds: number): void {
    this.walFsync.observe(seconds)
  }

  backendCommitDone(seconds: number): void {
    this.backendCommit.observe(seconds)
  }

  peerRoundTrip(toHex: string, seconds: number): void {
    this.peerRtt.observe({ To: toHex }, seconds)
  }

  /**
   * With `--metrics extensive`, the recorder of one method's call durations (a bound child of
   * grpc_server_handling_seconds); undefined otherwise.
   */
  handlingTimer(type: string, service: string, method: string): ((seconds: number) => void) | undefined {
    if (this.handling === undefined) return undefined
    const labels = { grpc_type: type, grpc_service: service, grpc_method: method }
    this.handling.zero(labels)
    const child = this.handling.labels(labels)
    return (seconds) => child.observe(seconds)
  }

  /** The /metrics page. */
  async page(): Promise<{ contentType: string; body: string }> {
    const body = await this.registry.metrics()
    return { contentType: this.registry.contentType, body: body + this.grpcCalls.render(this.sources.grpcMethods()) }
  }
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/**
 * grpc_server_started_total and grpc_server_handled_total, written straight from the call
 * counts. As in etcd (go-grpc-prometheus), every method has a series for every status code
 * from the start: 799 series for etcd's 47 methods, for which prom-client's counters made a
 * label object and its hash each, and then formatted each label set again, on every scrape
 * (2.7 ms and several megabytes of garbage a page). The series' names and labels are made
 * once per method.
 */
class GrpcCallFamilies {
  /** By the method's counts object, which lives as long as its method (the list is made anew). */
  private readonly series = new WeakMap<MethodCounts['stats'], { started: string; handled: string[] }>()

  render(methods: readonly MethodCounts[]): string {
    let started =
      '# HELP grpc_server_started_total Total number of RPCs started on the server.\n' +
      '# TYPE grpc_server_started_total counter\n'
    let handled =
      '# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.\n' +
      '# TYPE grpc_server_handled_total counter\n'
    for (const m of methods) {
      const names = this.namesOf(m)
      started += names.started + m.stats.started + '\n'
      for (let i = 0; i < names.handled.length; i++) handled += names.handled[i] + (m.stats.handled[i] ?? 0) + '\n'
    }
    // After the registry's page, which ends in a newline; families apart by an empty line, as there.
    return '\n' + started + '\n' + handled
  }

  private namesOf(m: MethodCounts): { started: string; handled: string[] } {
    let names = this.series.get(m.stats)
    if (names === undefined) {
      const base = `grpc_method="${labelValue(m.method)}",grpc_service="${labelValue(m.service)}",grpc_type="${labelValue(m.type)}"`
      names = {
        started: `grpc_server_started_total{${base}} `,
        handled: GRPC_CODE_NAMES.map((code) => `grpc_server_handled_total{grpc_code="${code}",${base}} `),
      }
      this.series.set(m.stats, names)
    }
    return names
  }
}
