import assert from 'node:assert/strict'
import { MemberMetrics, type MetricSources } from '../../../src/server/metrics/index.js'
import { newMethodStats } from '../../../src/server/api/h2/call.js'
import { parsePromText, samples, value } from '../../helpers/prom-text.js'

function sources(over: Partial<MetricSources> = {}): MetricSources {
  return {
    hasLeader: () => true,
    isLeader: () => false,
    isLearner: () => false,
    memberIdHex: () => '8e9e05c52164694d',
    committedIndex: () => 12,
    appliedIndex: () => 11,
    pendingProposals: () => 3,
    failedProposals: () => 2,
    heartbeatSendFailures: () => 0,
    dbTotalSize: () => 4096,
    dbSizeInUse: () => 2048,
    keys: () => 7,
    peerSentBytes: () => [{ to: 'abc', bytes: 1234 }],
    grpcMethods: () => [],
    serverVersion: () => '3.5.0',
    ...over,
  }
}

describe('text format parser (test helper)', () => {
  it('reads names, escaped label values, special values, HELP and TYPE', () => {
    const e = parsePromText(
      [
        '# HELP a_total A counter.',
        '# TYPE a_total counter',
        'a_total{x="q\\"uo\\\\te",y="n\\nl"} 3',
        'b +Inf',
        'c{} -1.5e-3',
        '',
      ].join('\n'),
    )
    assert.equal(e.types.get('a_total'), 'counter')
    assert.equal(e.help.get('a_total'), 'A counter.')
    assert.equal(value(e, 'a_total', { x: 'q"uo\\te', y: 'n\nl' }), 3)
    assert.equal(value(e, 'b'), Infinity)
    assert.equal(value(e, 'c'), -0.0015)
    assert.throws(() => parsePromText('d{x="open} 1'), /unterminated/)
  })
})

describe('MemberMetrics', () => {
  it("reads etcd's gauges and counters from the member at scrape time, with etcd's names and types", async () => {
    let committed = 12
    const cpuBefore = process.cpuUsage()
    const m = new MemberMetrics(sources({ committedIndex: () => committed }))
    let e = parsePromText((await m.page()).body)
    // The process' CPU time since it started, not since the metrics were set up.
    assert.ok(value(e, 'process_cpu_seconds_total') >= (cpuBefore.user + cpuBefore.system) / 1e6)
    assert.equal(value(e, 'etcd_server_has_leader'), 1)
    assert.equal(value(e, 'etcd_server_is_leader'), 0)
    assert.equal(value(e, 'etcd_server_proposals_committed_total'), 12)
    assert.equal(value(e, 'etcd_server_proposals_applied_total'), 11)
    assert.equal(value(e, 'etcd_server_proposals_pending'), 3)
    assert.equal(value(e, 'etcd_server_proposals_failed_total'), 2)
    assert.equal(value(e, 'etcd_mvcc_db_total_size_in_bytes'), 4096)
    assert.equal(value(e, 'etcd_mvcc_db_total_size_in_use_in_bytes'), 2048)
    assert.equal(value(e, 'etcd_debugging_mvcc_keys_total'), 7)
    assert.equal(value(e, 'etcd_network_peer_sent_bytes_total', { To: 'abc' }), 1234)
    assert.equal(value(e, 'etcd_server_id', { server_id: '8e9e05c52164694d' }), 1)
    assert.equal(e.types.get('etcd_server_proposals_committed_total'), 'gauge')
    assert.equal(e.types.get('etcd_server_proposals_failed_total'), 'counter')
    assert.equal(e.types.get('etcd_disk_wal_fsync_duration_seconds'), 'histogram')
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      assert.equal(samples(e, name).length, 1, name)
    committed = 20
    m.leaderChanged()
    m.walFsyncDone(0.003)
    m.backendCommitDone(0.0005)
    m.peerRoundTrip('abc', 0.00015)
    e = parsePromText((await m.page()).body)
    assert.equal(value(e, 'etcd_server_proposals_committed_total'), 20)
    assert.equal(value(e, 'etcd_server_leader_changes_seen_total'), 1)
    assert.equal(value(e, 'etcd_disk_wal_fsync_duration_seconds_bucket', { le: '0.002' }), 0)
    assert.equal(value(e, 'etcd_disk_wal_fsync_duration_seconds_bucket', { le: '0.004' }), 1)
    assert.equal(value(e, 'etcd_disk_backend_commit_duration_seconds_count'), 1)
    assert.equal(value(e, 'etcd_network_peer_round_trip_time_seconds_bucket', { To: 'abc', le: '0.0001' }), 0)
    assert.equal(value(e, 'etcd_network_peer_round_trip_time_seconds_bucket', { To: 'abc', le: '0.0002' }), 1)
  })

  it('counts gRPC calls per method and code as go-grpc-prometheus; handling histograms only when extensive', async () => {
    const stats = newMethodStats()
    stats.started = 5
    stats.handled[0] = 4
    stats.handled[4] = 1
    const methods = () => [{ service: 'etcdserverpb.KV', method: 'Put', type: 'unary', stats }]
    const basic = new MemberMetrics(sources({ grpcMethods: methods }), 'basic')
    const e = parsePromText((await basic.page()).body)
    const put = { grpc_type: 'unary', grpc_service: 'etcdserverpb.KV', grpc_method: 'Put' }
    assert.equal(value(e, 'grpc_server_started_total', put), 5)
    assert.equal(value(e, 'grpc_server_handled_total', { ...put, grpc_code: 'OK' }), 4)
    assert.equal(value(e, 'grpc_server_handled_total', { ...put, grpc_code: 'DeadlineExceeded' }), 1)
    assert.equal(value(e, 'grpc_server_handled_total', { ...put, grpc_code: 'Unavailable' }), 0)
    assert.equal(basic.handlingTimer('unary', 'etcdserverpb.KV', 'Put'), undefined)
    assert.equal(samples(e, 'grpc_server_handling_seconds_count').length, 0)

    const extensive = new MemberMetrics(sources({ grpcMethods: methods }), 'extensive')
    extensive.handlingTimer('unary', 'etcdserverpb.KV', 'Put')!(0.02)
    const x = parsePromText((await extensive.page()).body)
    assert.equal(value(x, 'grpc_server_handling_seconds_count', put), 1)
    assert.equal(value(x, 'grpc_server_handling_seconds_bucket', { ...put, le: '0.01' }), 0)
    assert.equal(value(x, 'grpc_server_handling_seconds_bucket', { ...put, le: '0.025' }), 1)
  })

  it('writes every status code of every method, with counts as they are at each scrape', async () => {
    const stats = newMethodStats()
    const odd = { service: 'a"b\\c', method: 'x\ny', type: 'unary', stats: newMethodStats() }
    const methods = [{ service: 'etcdserverpb.KV', method: 'Range', type: 'unary', stats }, odd]
    // A new list of new objects at each scrape, as the server gives them; the counts stay.
    const m = new MemberMetrics(sources({ grpcMethods: () => methods.map((x) => ({ ...x })) }))
    const range = { grpc_type: 'unary', grpc_service: 'etcdserverpb.KV', grpc_method: 'Range' }
    const first = parsePromText((await m.page()).body)
    assert.equal(samples(first, 'grpc_server_handled_total').length, 2 * 17)
    assert.equal(samples(first, 'grpc_server_started_total').length, 2)
    assert.equal(first.types.get('grpc_server_handled_total'), 'counter')
    assert.equal(value(first, 'grpc_server_handled_total', { ...range, grpc_code: 'Unauthenticated' }), 0)
    const oddLabels = { grpc_type: 'unary', grpc_service: odd.service, grpc_method: odd.method }
    assert.equal(value(first, 'grpc_server_handled_total', { ...oddLabels, grpc_code: 'OK' }), 0)
    stats.started = 3
    stats.handled[16] = 2
    odd.stats.handled[0] = 7
    const body = (await m.page()).body
    const second = parsePromText(body)
    assert.equal(value(second, 'grpc_server_started_total', range), 3)
    assert.equal(value(second, 'grpc_server_handled_total', { ...range, grpc_code: 'Unauthenticated' }), 2)
    assert.equal(value(second, 'grpc_server_handled_total', { ...oddLabels, grpc_code: 'OK' }), 7)
    // Families apart by one empty line, the page ending in one newline, as prom-client writes.
    assert.match(body, /\n\n# HELP grpc_server_started_total /)
    assert.match(body, /\n\n# HELP grpc_server_handled_total /)
    assert.ok(body.endsWith('} 0\n'), JSON.stringify(body.slice(-40)))
  })
})
