import assert from 'node:assert/strict'
import { clusterHealth, decodeHealth } from '../../../src/ctl/cluster-health.js'

const answers =
  (table: Record<string, string | Error>) =>
  async (url: string): Promise<Buffer> => {
    const a = table[url]
    if (a instanceof Error) throw a
    if (a === undefined) throw new Error(`Get "${url}/health": dial tcp: connect: connection refused`)
    return Buffer.from(a)
  }

describe('cluster-health (etcdctl 3.3)', () => {
  it('decodes /health as etcdctl: a string or a bool, any case of the field name', () => {
    assert.equal(decodeHealth(Buffer.from('{"health":"true","reason":""}')), true)
    assert.equal(decodeHealth(Buffer.from('{"health":"false"}')), false)
    assert.equal(decodeHealth(Buffer.from('{"Health":true}')), true)
    assert.equal(decodeHealth(Buffer.from('{}')), false)
    assert.throws(() => decodeHealth(Buffer.from('404 page not found')), /invalid character '4'|invalid character/)
    assert.throws(() => decodeHealth(Buffer.from('')), /unexpected end of JSON input/)
  })

  it('all healthy', async () => {
    const r = await clusterHealth(
      [{ id: 'a1', clientURLs: ['http://h1:2379'] }],
      answers({ 'http://h1:2379': '{"health":"true"}' }),
    )
    assert.deepEqual(r, {
      lines: ['member a1 is healthy: got healthy result from http://h1:2379', 'cluster is healthy'],
      healthy: true,
    })
  })

  it('one unhealthy, one unreachable, one without URLs: degraded', async () => {
    const r = await clusterHealth(
      [
        { id: 'a1', clientURLs: ['http://h1:1', 'http://h1:2379'] },
        { id: 'b2', clientURLs: ['http://h2:2379'] },
        { id: 'c3', clientURLs: ['http://h3:2379', 'http://h3:4001'] },
        { id: 'd4', clientURLs: [] },
      ],
      answers({ 'http://h1:2379': '{"health":"true"}', 'http://h2:2379': '{"health":"false"}' }),
    )
    assert.deepEqual(r.lines, [
      'failed to check the health of member a1 on http://h1:1: Get "http://h1:1/health": dial tcp: connect: connection refused',
      'member a1 is healthy: got healthy result from http://h1:2379',
      'member b2 is unhealthy: got unhealthy result from http://h2:2379',
      'failed to check the health of member c3 on http://h3:2379: Get "http://h3:2379/health": dial tcp: connect: connection refused',
      'failed to check the health of member c3 on http://h3:4001: Get "http://h3:4001/health": dial tcp: connect: connection refused',
      'member c3 is unreachable: [http://h3:2379 http://h3:4001] are all unreachable',
      'member d4 is unreachable: no available published client urls',
      'cluster is degraded',
    ])
    assert.equal(r.healthy, false)
  })

  it('none healthy: unavailable', async () => {
    const r = await clusterHealth(
      [{ id: 'a1', clientURLs: ['http://h1:2379'] }],
      answers({ 'http://h1:2379': '{"health":"false"}' }),
    )
    assert.deepEqual(r.lines.at(-1), 'cluster is unavailable')
  })
})
