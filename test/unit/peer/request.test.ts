import assert from 'node:assert/strict'
import type { PostHandler } from '../../../src/server/peer/index.js'
import { startCluster, stopAll, type Node } from './harness.js'

describe('peer transport: the request API', function () {
  this.timeout(20_000)
  let nodes: Node[] = []
  afterEach(() => stopAll(nodes))

  it("posts JSON to another member's route on the transport's session and returns its answer", async () => {
    const seen: unknown[] = []
    nodes = await startCluster(2, {
      postRoutes: new Map<string, PostHandler>([
        [
          '/echo',
          async (body: unknown) => {
            seen.push(body)
            return { status: 200, value: { got: body } }
          },
        ],
        ['/gone', async () => ({ status: 404, value: { error: 'lease not found' } })],
      ]),
    })
    const [a] = nodes
    assert.deepEqual(await a.transport.post(2n, '/echo', { ID: '7' }, 2000), {
      status: 200,
      value: { got: { ID: '7' } },
    })
    assert.deepEqual(await a.transport.post(2n, '/gone', {}, 2000), {
      status: 404,
      value: { error: 'lease not found' },
    })
    assert.equal((await a.transport.post(2n, '/nope', {}, 2000)).status, 404)
    assert.deepEqual(seen, [{ ID: '7' }])
  })

  it('rejects a request to a member that is not a connected peer', async () => {
    nodes = await startCluster(2)
    await assert.rejects(nodes[0].transport.post(9n, '/echo', {}, 500), /not connected/)
  })
})
