import assert from 'node:assert/strict'
import { removeDir, tmpDir } from '../helpers/procs.js'
import { FaultCluster } from './cluster-under-fault.js'
import { findLeader, waitSettled } from './verify.js'

describe('fault runs: the peer-link proxy', function () {
  this.timeout(120000)
  let dir: string | undefined
  let cluster: FaultCluster | undefined
  after(async () => {
    await cluster?.destroy()
    if (dir) removeDir(dir)
  })

  it('knows which member dialed each link, and cutting a leader off makes the others elect another', async () => {
    dir = tmpDir('tsetcd-fault-proxy-')
    cluster = await FaultCluster.create({ dir, snapshotCount: 100000, maxSnapshots: 5, maxWals: 5, walSegmentBytes: 0 })
    await waitSettled(cluster, 30000)
    const leader = (await findLeader(cluster, 10000))!
    assert.ok(leader, 'a leader')
    for (const o of cluster.members) {
      if (o === leader) continue
      cluster.proxy.cut(leader.index, o.index, 'drop')
      cluster.proxy.cut(o.index, leader.index, 'drop')
    }
    // the other two elect a leader among themselves (the old one cannot hear of it)
    const other = await findLeader(
      cluster,
      20000,
      cluster.members.filter((m) => m !== leader),
    )
    assert.ok(other, 'the members cut off from the leader elected another one')
    cluster.proxy.healAll()
    await waitSettled(cluster, 30000)
    assert.equal(cluster.proxy.unidentified, 0, 'every peer connection was traced to the member that dialed it')
    assert.deepEqual(cluster.failures, [])
  })
})
