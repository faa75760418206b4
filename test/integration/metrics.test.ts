/**
 * /metrics on the client port and on --listen-metrics-urls, read with a text-format parser:
 * the values move with what the members do.
 */
import assert from 'node:assert/strict'
import { EtcdClient } from '../../src/client/client.js'
import { KVService } from '../../src/gen/etcdserverpb.js'
import { TestCluster, type ClusterMember } from '../helpers/cluster.js'
import { freePorts, removeDir, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { samples, scrape, value, type Exposition } from '../helpers/prom-text.js'
import { sleep, waitFor } from '../helpers/wait.js'

const PUT = { grpc_type: 'unary', grpc_service: 'etcdserverpb.KV', grpc_method: 'Put' }

/** Scrapes until the member has applied everything committed (nothing in flight). */
async function settled(url: string): Promise<Exposition> {
  let e: Exposition | undefined
  await waitFor(
    async () => {
      e = await scrape(url)
      return (
        value(e, 'etcd_server_proposals_applied_total') === value(e, 'etcd_server_proposals_committed_total') &&
        value(e, 'etcd_server_proposals_pending') === 0
      )
    },
    10000,
    'applied to reach committed',
    50,
  )
  return e!
}

describe('/metrics', function () {
  this.timeout(120000)

  describe('one member, --metrics extensive', () => {
    let server: ServerProc
    let metricsUrl: string
    before(async () => {
      const [cp, pp, mp] = await freePorts(3)
      metricsUrl = `http://127.0.0.1:${mp}/metrics`
      server = await startTsetcd({
        clientPort: cp,
        peerPort: pp,
        extraArgs: ['--listen-metrics-urls', `http://127.0.0.1:${mp}`, '--metrics', 'extensive'],
      })
    })
    after(async () => {
      await server?.kill9()
      if (server) removeDir(server.dataDir)
    })

    it('committed and applied proposals grow by the puts made; calls, keys, fsyncs and commits are counted', async () => {
      // Ready: the member's own start-up entries (its announcement to the cluster) are in.
      await waitFor(() => server.log().includes('"ready to serve client requests"'), 10000, 'ready')
      const before = await settled(metricsUrl)
      assert.equal(value(before, 'etcd_server_has_leader'), 1)
      assert.equal(value(before, 'etcd_server_is_leader'), 1)
      const puts = 20
      const c = await EtcdClient.connect({ endpoints: [server.endpoint], dialTimeoutMs: 2000 })
      try {
        for (let i = 0; i < puts; i++)
          await c.call(KVService.Put, { key: Buffer.from(`metrics-key-${i}`), value: Buffer.from('v') })
      } finally {
        c.close()
      }
      const after = await settled(metricsUrl)
      const delta = (name: string, labels: Record<string, string> = {}) =>
        value(after, name, labels) - value(before, name, labels)
      assert.equal(delta('etcd_server_proposals_committed_total'), puts)
      assert.equal(delta('etcd_server_proposals_applied_total'), puts)
      assert.equal(delta('etcd_debugging_mvcc_keys_total'), puts)
      assert.equal(delta('grpc_server_started_total', PUT), puts)
      assert.equal(delta('grpc_server_handled_total', { ...PUT, grpc_code: 'OK' }), puts)
      assert.equal(delta('grpc_server_handling_seconds_count', PUT), puts)
      assert.ok(delta('etcd_disk_wal_fsync_duration_seconds_count') >= 1)
      assert.ok(delta('etcd_disk_backend_commit_duration_seconds_count') >= 1)
      assert.ok(value(after, 'etcd_mvcc_db_total_size_in_bytes') > 0)
      assert.equal(value(after, 'etcd_server_proposals_failed_total'), 0)
      for (const name of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'process_open_fds',
        'process_start_time_seconds',
      ])
        assert.ok(value(after, name) > 0, name)
      assert.ok(samples(after, 'nodejs_heap_size_used_bytes').length === 1)
    })

    it('is served on the client port too, and /health on the metrics port', async () => {
      const e = await scrape(`${server.clientUrl}/metrics`)
      assert.equal(value(e, 'etcd_server_has_leader'), 1)
      assert.equal(e.types.get('etcd_server_leader_changes_seen_total'), 'counter')
      const health = await fetch(metricsUrl.replace('/metrics', '/health'))
      assert.equal(health.status, 200)
      assert.deepEqual(await health.json(), { health: 'true', reason: '' })
    })
  })

  describe('three members', () => {
    let c: TestCluster
    before(async () => {
      c = await TestCluster.create(3)
      await Promise.all(c.members.map((m) => c.ready(m)))
    })
    after(async () => {
      await c?.stopAll()
      c?.remove()
    })
    const url = (m: ClusterMember) => `http://${m.endpoint}/metrics`

    it('one leader, every member has one; round trips with each peer; bytes between leader and followers', async () => {
      const leader = await c.leader()
      const ids = new Map<ClusterMember, string>()
      for (const m of c.members) {
        const e = await scrape(url(m))
        ids.set(m, samples(e, 'etcd_server_id')[0].labels.server_id)
        assert.equal(value(e, 'etcd_server_has_leader'), 1, m.name)
        assert.equal(value(e, 'etcd_server_is_leader'), m === leader ? 1 : 0, m.name)
        assert.ok(value(e, 'etcd_server_leader_changes_seen_total') >= 1, m.name)
        assert.equal(samples(e, 'grpc_server_handling_seconds_count').length, 0, '--metrics basic has no histograms')
      }
      for (const m of c.members) {
        const others = c.members.filter((o) => o !== m)
        // Followers talk to the leader (and to each other only in elections).
        const sentTo = m === leader ? others : [leader]
        await waitFor(
          async () => {
            const e = await scrape(url(m))
            // A peer's series appears with its first sample.
            const at = (name: string, o: ClusterMember) => samples(e, name, { To: ids.get(o)! })[0]?.value ?? 0
            return (
              others.every((o) => at('etcd_network_peer_round_trip_time_seconds_count', o) > 0) &&
              sentTo.every((o) => at('etcd_network_peer_sent_bytes_total', o) > 0)
            )
          },
          10000,
          `${m.name}'s peer metrics`,
          100,
        )
      }
    })

    it('a leader held up past two heartbeats counts and logs it', async () => {
      const leader = await c.leader()
      const warnings = () => leader.proc!.log().split('leader failed to send out heartbeat on time').length - 1
      const failures = async () => value(await scrape(url(leader)), 'etcd_server_heartbeat_send_failures_total')
      // A loaded machine may have held the leader up already: count from here.
      const [warnedBefore, failedBefore] = [warnings(), await failures()]
      // Held for 5 heartbeat intervals (50 ms), well within the election timeout (500 ms).
      leader.proc!.proc.kill('SIGSTOP')
      await sleep(250)
      leader.proc!.proc.kill('SIGCONT')
      await waitFor(() => warnings() > warnedBefore, 10000, 'the late heartbeat warning', 50)
      assert.ok((await failures()) > failedBefore)
    })

    it('has_leader falls to 0 on a member that lost quorum, and its proposals fail', async () => {
      const leader = await c.leader()
      const [survivor, other] = c.members.filter((m) => m !== leader)
      await Promise.all([leader.proc!.kill9(), other.proc!.kill9()])
      await waitFor(
        async () => value(await scrape(url(survivor)), 'etcd_server_has_leader') === 0,
        20000,
        'has_leader 0 on the survivor',
        100,
      )
      assert.match(survivor.proc!.log(), /"msg":"raft\.node: [0-9a-f]+ lost leader [0-9a-f]+ at term \d+"/)
      const cl = await c.client(survivor)
      try {
        await assert.rejects(cl.call(KVService.Put, { key: Buffer.from('k'), value: Buffer.from('v') }, 500))
      } finally {
        cl.close()
      }
      await waitFor(
        async () => value(await scrape(url(survivor)), 'etcd_server_proposals_failed_total') >= 1,
        20000,
        'the failed proposal to be counted',
        100,
      )
    })
  })
})
