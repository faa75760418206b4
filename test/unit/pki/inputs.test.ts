import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { barePaths, writeBare } from '../../../src/pki/bare-files.js'
import { normaliseCfsslArgv } from '../../../src/pki/cfssl-argv.js'
import { etcdFlagsFor, memberHosts, parseMembers } from '../../../src/pki/cluster-init.js'
import { makeCa } from '../../../src/pki/gencert.js'
import { hostToGeneralName, splitHosts } from '../../../src/pki/hosts.js'
import { emptyCsrRequest } from '../../../src/pki/csr-request.js'
import { readCsrRequestFile, readIssuerFiles } from '../../../src/pki/input-files.js'

describe('pki: command-line inputs and output files', () => {
  it("rewrites cfssl's one-dash long options and leaves the rest alone", () => {
    assert.deepEqual(
      normaliseCfsslArgv([
        '-ca=ca.pem',
        '-ca-key',
        'ca-key.pem',
        '-config=c.json',
        '-profile=server',
        '-hostname=a,b',
        '-f',
        'etcd.json',
        '--',
        '-ca=x',
      ]),
      [
        '--ca=ca.pem',
        '--ca-key',
        'ca-key.pem',
        '--config=c.json',
        '--profile=server',
        '--hostname=a,b',
        '-f',
        'etcd.json',
        '--',
        '-ca=x',
      ],
    )
  })

  it('sorts hosts into IP, DNS, e-mail and URI names', () => {
    assert.deepEqual(
      [
        '10.0.0.1',
        'fe80::1',
        '::ffff:10.1.2.3',
        'etcd.local',
        '*.example.com',
        'ops@example.com',
        'spiffe://cluster/etcd',
      ].map(hostToGeneralName),
      [
        { type: 'ip', value: '10.0.0.1' },
        { type: 'ip', value: 'fe80::1' },
        { type: 'ip', value: '10.1.2.3' },
        { type: 'dns', value: 'etcd.local' },
        { type: 'dns', value: '*.example.com' },
        { type: 'email', value: 'ops@example.com' },
        { type: 'url', value: 'spiffe://cluster/etcd' },
      ],
    )
    assert.deepEqual(splitHosts('a, b,,a ,c'), ['a', 'b', 'c'])
    assert.throws(() => hostToGeneralName('two words'), /invalid host "two words"/)
  })

  it('parses members and gives each certificate its IP, loopback, localhost and name', () => {
    const members = parseMembers(['infra1=10.0.0.1,infra2=10.0.0.2', 'infra3=fd00::3'])
    assert.deepEqual(
      members.map((m) => m.name),
      ['infra1', 'infra2', 'infra3'],
    )
    assert.deepEqual(memberHosts(members[0], ['etcd.example.com', '127.0.0.1']), [
      '10.0.0.1',
      '127.0.0.1',
      'localhost',
      'infra1',
      'etcd.example.com',
    ])
    const flags = etcdFlagsFor(members[2], members, 'pki')
    assert.ok(flags.includes('--cert-file=pki/infra3.pem'))
    assert.ok(flags.includes('--peer-key-file=pki/infra3-key.pem'))
    assert.ok(flags.includes('--advertise-client-urls=https://[fd00::3]:2379'))
    assert.ok(
      flags.includes(
        '--initial-cluster=infra1=https://10.0.0.1:2380,infra2=https://10.0.0.2:2380,infra3=https://[fd00::3]:2380',
      ),
    )
    assert.throws(() => parseMembers(['infra1']), /invalid member "infra1": expected NAME=IP/)
    assert.throws(() => parseMembers(['a=1.1.1.1,a=1.1.1.2']), /member "a" is listed twice/)
    assert.throws(() => parseMembers(['ca=1.1.1.1']), /clashes with ca\.pem/)
    assert.throws(() => parseMembers(['../x=1.1.1.1']), /invalid member name/)
    assert.throws(() => parseMembers([]), /no members given/)
  })

  describe('files', () => {
    let dir: string
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tsetcd-pki-'))
    })
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('writes NAME.pem, NAME-key.pem (0600) and NAME.csr and will not replace a key without force', async () => {
      const bundle = await makeCa(emptyCsrRequest('etcd-ca'))
      const paths = barePaths(dir, 'ca')
      assert.deepEqual(await writeBare(paths, bundle, false), [
        join(dir, 'ca.pem'),
        join(dir, 'ca-key.pem'),
        join(dir, 'ca.csr'),
      ])
      assert.equal((await stat(paths.key)).mode & 0o777, 0o600)
      assert.equal(await readFile(paths.cert, 'utf8'), bundle.certPem)
      assert.equal(await readFile(paths.csr, 'utf8'), bundle.csrPem)

      const second = await makeCa(emptyCsrRequest('etcd-ca'))
      await assert.rejects(
        writeBare(paths, second, false),
        new RegExp(`${paths.key} already exists; not overwriting a private key \\(use --force`),
      )
      assert.equal(await readFile(paths.key, 'utf8'), bundle.keyPem, 'old key kept')
      await writeFile(paths.key, bundle.keyPem, { mode: 0o644 })
      await writeBare(paths, second, true)
      assert.equal(await readFile(paths.key, 'utf8'), second.keyPem)
      assert.equal((await stat(paths.key)).mode & 0o777, 0o600, 'forced key is 0600 again')
    })

    it('names the missing or unreadable input', async () => {
      await assert.rejects(
        readCsrRequestFile(join(dir, 'nope.json')),
        /cannot read CSR JSON .*nope\.json: no such file/,
      )
      const bundle = await makeCa(emptyCsrRequest('etcd-ca'))
      await writeFile(join(dir, 'ca.pem'), bundle.certPem)
      await assert.rejects(
        readIssuerFiles(join(dir, 'ca.pem'), join(dir, 'ca-key.pem')),
        /cannot read CA key .*ca-key\.pem: no such file/,
      )
    })
  })
})
