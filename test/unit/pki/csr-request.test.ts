import assert from 'node:assert/strict'
import { emptyCsrRequest, parseCsrRequest } from '../../../src/pki/csr-request.js'
import { applyOverrides } from '../../../src/pki/request-overrides.js'
import { parseNameEntry, subjectName } from '../../../src/pki/subject.js'

describe('pki: cfssl CSR JSON', () => {
  it("reads the guide's ca-csr.json, client.json and etcd.json", () => {
    const ca = parseCsrRequest('{"CN": "etcd", "key": {"algo": "rsa", "size": 2048}}', 'ca-csr.json')
    assert.deepEqual(ca, { cn: 'etcd', names: [], hosts: [], key: { algo: 'rsa', size: 2048 }, ca: undefined })

    const client = parseCsrRequest('{"CN": "client", "key": {"algo": "ecdsa", "size": 256}}', 'client.json')
    assert.deepEqual(client.key, { algo: 'ecdsa', size: 256 })

    const etcd = parseCsrRequest(
      JSON.stringify({
        CN: 'etcd',
        hosts: ['127.0.0.1', '192.168.255.131', '192.168.255.132', '192.168.255.133'],
        key: { algo: 'ecdsa', size: 256 },
        names: [{ C: 'CN', L: 'SH', ST: 'SH' }],
      }),
      'etcd.json',
    )
    assert.deepEqual(etcd.hosts, ['127.0.0.1', '192.168.255.131', '192.168.255.132', '192.168.255.133'])
    assert.deepEqual(etcd.names, [{ C: 'CN', L: 'SH', ST: 'SH' }])
  })

  it("defaults to an ECDSA P-256 key like cfssl, and to the algorithm's usual size", () => {
    assert.deepEqual(parseCsrRequest('{"CN": "x"}', 'f').key, { algo: 'ecdsa', size: 256 })
    assert.deepEqual(parseCsrRequest('{"CN": "x", "key": {"algo": "rsa"}}', 'f').key, { algo: 'rsa', size: 2048 })
  })

  it('reads the "ca" block of a CA request', () => {
    const req = parseCsrRequest('{"CN": "ca", "ca": {"expiry": "87600h", "pathlen": 1}}', 'ca.json')
    assert.deepEqual(req.ca, { expiryMs: 87600 * 3_600_000, pathLen: 1 })
  })

  it('names the file and the problem for bad input', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"CN": "x",', /f\.json: not valid JSON/],
      ['[1]', /f\.json: expected a JSON object/],
      ['{"CN": 5}', /"CN" must be a string/],
      ['{"key": {"algo": "dsa", "size": 1024}}', /f\.json: unsupported key algorithm "dsa"/],
      ['{"key": {"algo": "rsa", "size": 1024}}', /unsupported rsa key size 1024: use one of 2048, 3072, 4096/],
      ['{"key": {"algo": "ecdsa", "size": 2048}}', /unsupported ecdsa key size 2048/],
      ['{"hosts": "127.0.0.1"}', /"hosts" must be an array of strings/],
      ['{"names": {"C": "US"}}', /"names" must be an array/],
      ['{"names": [{"X": "US"}]}', /unknown name attribute "X"/],
      ['{"ca": {"expiry": "5y"}}', /invalid duration "5y"/],
    ]
    for (const [text, pattern] of cases) assert.throws(() => parseCsrRequest(text, 'f.json'), pattern, text)
  })

  it('lets flags override the file: CN, hosts, names and key', () => {
    const base = parseCsrRequest('{"CN": "etcd", "hosts": ["10.0.0.1"], "key": {"algo": "ecdsa", "size": 384}}', 'f')
    const out = applyOverrides(base, {
      cn: 'infra1',
      hosts: ['10.0.0.2', 'localhost'],
      names: [parseNameEntry('O=acme')],
      keyAlgo: 'rsa',
    })
    assert.deepEqual(out, {
      cn: 'infra1',
      hosts: ['10.0.0.2', 'localhost'],
      names: [{ O: 'acme' }],
      key: { algo: 'rsa', size: 2048 },
      ca: undefined,
    })
    assert.deepEqual(applyOverrides(base, { keySize: 256 }).key, { algo: 'ecdsa', size: 256 })
    assert.throws(
      () => applyOverrides(emptyCsrRequest('x'), { keyAlgo: 'rsa', keySize: 1000 }),
      /unsupported rsa key size 1000/,
    )
  })

  it('orders the subject C, ST, L, O, OU, CN and groups repeated attributes', () => {
    const names = [parseNameEntry('C=US,O=acme,OU=db'), { OU: 'ops', ST: 'CA' }]
    assert.deepEqual(subjectName('etcd', names), [
      { C: ['US'] },
      { ST: ['CA'] },
      { O: ['acme'] },
      { OU: ['db', 'ops'] },
      { CN: ['etcd'] },
    ])
    assert.throws(() => parseNameEntry('C'), /expected KEY=VALUE pairs/)
  })
})
