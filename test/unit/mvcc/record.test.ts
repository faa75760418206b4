import assert from 'node:assert/strict'
import { decodeKeyValue, encodeKeyValue, type KeyValueInit } from '../../../src/gen/mvccpb.js'
import { RecordHead, readRecordHead } from '../../../src/server/mvcc/record.js'

describe('record heads', () => {
  it('read key, create_revision, version and lease like the full decoder', () => {
    const cases: KeyValueInit[] = [
      { key: Buffer.from('a'), value: Buffer.from('1'), create_revision: 1, mod_revision: 1, version: 1 },
      {
        key: Buffer.from([0xff, 0x00, 0x80]),
        value: Buffer.alloc(300, 7),
        create_revision: 2 ** 40,
        mod_revision: 2 ** 41,
        version: 123456,
        lease: 0x694d7a5ab5fbac0bn,
      },
      { key: Buffer.from('neg'), lease: -5n, mod_revision: 9 },
      { key: Buffer.from('k'), mod_revision: 3 },
    ]
    const head = new RecordHead()
    for (const c of cases) {
      const buf = encodeKeyValue(c)
      const full = decodeKeyValue(buf)
      readRecordHead(buf, head)
      assert.deepEqual(
        [head.skey, head.createRevision, head.version, head.lease],
        [full.key.toString('latin1'), full.create_revision, full.version, full.lease],
      )
    }
  })
})
