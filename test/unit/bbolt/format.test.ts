import assert from 'node:assert/strict'
import { fnv64a } from '../../../src/bbolt/fnv.js'
import { crc32c, Crc32c } from '../../../src/bbolt/crc32c.js'
import {
  MAGIC,
  VERSION,
  metaChecksum,
  metaProblem,
  readMeta,
  writeMetaPage,
  readPageHeader,
  META_PAGE,
  type Meta,
} from '../../../src/bbolt/page.js'
import { decodeKeyValue, encodeKeyValue, parseRevisionKey, revisionKey } from '../../../src/bbolt/mvcc-record.js'
import { goBytes } from '../../../src/bbolt/errors.js'

describe('bbolt format pieces', () => {
  it('FNV-64a matches Go hash/fnv', () => {
    assert.equal(fnv64a(Buffer.alloc(0)), 0xcbf29ce484222325n)
    assert.equal(fnv64a(Buffer.from('a')), 0xaf63dc4c8601ec8cn)
    assert.equal(fnv64a(Buffer.from('foobar')), 0x85944171f73967e8n)
  })

  it('CRC-32C matches the Castagnoli check value, also incrementally', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
    assert.equal(new Crc32c().update(Buffer.from('1234')).update(Buffer.from('56789')).digest(), 0xe3069283)
    assert.equal(crc32c(Buffer.alloc(0)), 0)
  })

  it('a meta page round-trips with its checksum; a flipped byte is a checksum error', () => {
    const buf = Buffer.alloc(4096)
    const meta = {
      magic: MAGIC,
      version: VERSION,
      pageSize: 4096,
      flags: 0,
      root: { root: 3n, sequence: 0n },
      freelist: 2n,
      pgid: 4n,
      txid: 7n,
    }
    writeMetaPage(buf, meta)
    const h = readPageHeader(buf)
    assert.equal(h.id, 1n) // txid 7 lives on meta page 1
    assert.equal(h.flags, META_PAGE)
    const m = readMeta(buf)
    assert.deepEqual(m, { ...meta, checksum: metaChecksum(meta) })
    assert.equal(metaProblem(m), undefined)
    assert.equal(metaProblem({ ...m, txid: 8n }), 'checksum error')
    assert.equal(metaProblem({ ...m, checksum: 0n, txid: 8n }), undefined, 'bbolt accepts a zero checksum')
    assert.equal(metaProblem({ ...m, magic: 1 }), 'invalid database')
    assert.equal(metaProblem({ ...m, version: 1 } as Meta), 'version mismatch')
  })

  it('revision keys are etcd’s 17 bytes (18 for a tombstone)', () => {
    const k = revisionKey(5n, 2n)
    assert.equal(k.toString('hex'), '0000000000000005' + '5f' + '0000000000000002')
    assert.deepEqual(parseRevisionKey(k), { main: 5n, sub: 2n, tombstone: false })
    const t = revisionKey(5, 0, true)
    assert.equal(t.length, 18)
    assert.deepEqual(parseRevisionKey(t), { main: 5n, sub: 0n, tombstone: true })
    assert.throws(() => parseRevisionKey(Buffer.from('short')), /not an etcd revision key/)
  })

  it('mvccpb.KeyValue encodes as etcd writes it', () => {
    // Bytes from a real etcd 3.4 snapshot: put k1=v1 at revision 2.
    const real = Buffer.from('0a026b311002180220012a027631', 'hex')
    assert.deepEqual(encodeKeyValue({ key: 'k1', value: 'v1', createRevision: 2, modRevision: 2, version: 1 }), real)
    assert.equal(encodeKeyValue({ key: 'k2' }).toString('hex'), '0a026b32') // a tombstone's value
    const kv = decodeKeyValue(
      encodeKeyValue({
        key: 'a',
        value: Buffer.alloc(300, 1),
        createRevision: 2n ** 40n,
        modRevision: 3,
        version: 9,
        lease: -1,
      }),
    )
    assert.equal(kv.key.toString(), 'a')
    assert.equal(kv.value.length, 300)
    assert.equal(kv.createRevision, 2n ** 40n)
    assert.equal(kv.modRevision, 3n)
    assert.equal(kv.version, 9n)
    assert.equal(kv.lease, -1n)
  })

  it('byte slices print as Go’s %v does', () => {
    assert.equal(goBytes(Buffer.from([1, 0, 255])), '[1 0 255]')
  })
})
