/** etcd 3.6's /livez and /readyz on the client port: checks, `?verbose`, `?exclude`, and a member without quorum. */
import assert from 'node:assert/strict'
import { TestCluster } from '../helpers/cluster.js'

async function get(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(url)
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() }
}

describe('/livez and /readyz', function () {
  this.timeout(120000)
  let c: TestCluster
  before(async () => {
    c = await TestCluster.create(3)
    await Promise.all(c.members.map((m) => c.ready(m)))
  })
  after(async () => {
    await c?.stopAll()
    c?.remove()
  })

  it('answer ok, listing the checks with ?verbose, skipping ?exclude', async () => {
    const base = `http://${c.members[0].endpoint}`
    assert.deepEqual(await get(`${base}/livez`), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' })
    assert.deepEqual(await get(`${base}/readyz`), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' })
    assert.equal((await get(`${base}/livez?verbose`)).body, '[+]serializable_read ok\nok\n')
    assert.equal(
      (await get(`${base}/readyz?verbose`)).body,
      '[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nok\n',
    )
    assert.equal(
      (await get(`${base}/readyz?verbose&exclude=linearizable_read`)).body,
      '[+]data_corruption ok\n[+]serializable_read ok\nok\n',
    )
  })

  it('a member that lost quorum is live but not ready', async () => {
    const [m1, m2, m3] = c.members
    await m2.proc!.stop()
    await m3.proc!.stop()
    const base = `http://${m1.endpoint}`
    assert.equal((await get(`${base}/livez`)).status, 200)
    const ready = await get(`${base}/readyz`)
    assert.equal(ready.status, 503)
    assert.match(
      ready.body,
      /^\[\+\]data_corruption ok\n\[\+\]serializable_read ok\n\[-\]linearizable_read failed: .+\n\n$/,
    )
    assert.equal((await get(`${base}/readyz?exclude=linearizable_read`)).status, 200)
  })
})
