/**
 * HPACK (RFC 7541): integers, Huffman code, the decoder's dynamic table, and the encoder that
 * leaves the peer's table alone, against the examples of RFC 7541 Appendix C.
 */
import assert from 'node:assert/strict'
import { CODE_LENGTHS, CODES, huffmanDecode, huffmanEncode, HuffmanError } from '../../../src/server/api/h2/huffman.js'
import {
  encodeHeaderBlock,
  HpackDecoder,
  HpackError,
  readInt,
  writeInt,
  type HeaderField,
} from '../../../src/server/api/h2/hpack.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const pairs = (fields: HeaderField[]): [string, string][] => fields.map((f) => [f.name, f.value])

describe('HPACK', () => {
  describe('integers (C.1)', () => {
    for (const [value, prefix, bytes] of [
      [10, 5, '0a'],
      [1337, 5, '1f9a0a'],
      [42, 8, '2a'],
      [31, 5, '1f00'],
      [127, 7, '7f00'],
      [2 ** 31 - 1, 7, '7f80ffffff07'],
    ] as const) {
      it(`${value} with a ${prefix}-bit prefix is ${bytes}`, () => {
        const out: number[] = []
        writeInt(out, value, prefix, 0)
        assert.equal(Buffer.from(out).toString('hex'), bytes)
        const pos = { i: 0 }
        assert.equal(readInt(hex(bytes), pos, prefix), value)
        assert.equal(pos.i, bytes.length / 2)
      })
    }

    it('refuses truncated and oversized integers', () => {
      assert.throws(() => readInt(hex('1f'), { i: 0 }, 5), HpackError)
      assert.throws(() => readInt(hex('1f9a'), { i: 0 }, 5), HpackError)
      assert.throws(() => readInt(hex('1fffffffffff0f'), { i: 0 }, 5), HpackError)
      assert.throws(() => readInt(hex('1f8080808080808000'), { i: 0 }, 5), HpackError)
    })
  })

  describe('Huffman code (Appendix B)', () => {
    it('derives the RFC codes from the code lengths', () => {
      // A sample of Appendix B: [symbol, code, bits].
      for (const [sym, code, bits] of [
        [0, 0x1ff8, 13],
        [1, 0x7fffd8, 23],
        [10, 0x3ffffffc, 30],
        [32, 0x14, 6],
        [48, 0x0, 5],
        [97, 0x3, 5],
        [127, 0xffffffc, 28],
        [128, 0xfffe6, 20],
        [200, 0x3ffffe2, 26],
        [255, 0x3ffffee, 26],
        [256, 0x3fffffff, 30],
      ] as const) {
        assert.equal(CODES[sym], code, `code of ${sym}`)
        assert.equal(CODE_LENGTHS[sym], bits, `length of ${sym}`)
      }
    })

    it('is a prefix code (Kraft sum exactly 1)', () => {
      let sum = 0
      for (const l of CODE_LENGTHS) sum += 2 ** -l
      assert.equal(sum, 1)
      const seen = new Set<string>()
      for (let s = 0; s < 257; s++) {
        const bits = CODES[s]!.toString(2).padStart(CODE_LENGTHS[s]!, '0')
        for (let l = 1; l < bits.length; l++)
          assert.ok(!seen.has(bits.slice(0, l)), `code of ${s} has a prefix that is a code`)
        seen.add(bits)
      }
    })

    it('encodes the RFC examples (C.4)', () => {
      assert.equal(huffmanEncode('www.example.com').toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff')
      assert.equal(huffmanEncode('no-cache').toString('hex'), 'a8eb10649cbf')
      assert.equal(huffmanEncode('custom-key').toString('hex'), '25a849e95ba97d7f')
      assert.equal(huffmanEncode('custom-value').toString('hex'), '25a849e95bb8e8b4bf')
    })

    it('round-trips every byte value and random strings', () => {
      const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))
      assert.equal(huffmanDecode(huffmanEncode(all)), all)
      for (let n = 0; n < 300; n++) {
        const s = String.fromCharCode(
          ...Array.from({ length: n % 40 }, () => Math.floor(Math.random() * (n % 2 ? 256 : 96)) + (n % 2 ? 0 : 32)),
        )
        assert.equal(huffmanDecode(huffmanEncode(s)), s)
      }
    })

    it('refuses EOS, long padding and padding that is not 1 bits', () => {
      // 'a' (00011) + 3 bits of 1 padding is fine; 8 more 1 bits are not.
      assert.equal(huffmanDecode(hex('1f')), 'a')
      assert.throws(() => huffmanDecode(hex('1fff')), HuffmanError)
      // 'a' + padding 000.
      assert.throws(() => huffmanDecode(hex('18')), HuffmanError)
      // EOS itself (30 one bits), padded.
      assert.throws(() => huffmanDecode(hex('ffffffff')), HuffmanError)
    })
  })

  describe('decoder', () => {
    it('C.2: one representation of each kind', () => {
      const d = new HpackDecoder()
      assert.deepEqual(
        pairs(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')).fields),
        [['custom-key', 'custom-header']],
      )
      assert.deepEqual(d.dynamicTable, [['custom-key', 'custom-header']])
      assert.equal(d.tableSize, 55)
      const e = new HpackDecoder()
      assert.deepEqual(pairs(e.decode(hex('040c 2f73 616d 706c 652f 7061 7468')).fields), [[':path', '/sample/path']])
      assert.equal(e.tableSize, 0)
      const never = e.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74')).fields
      assert.deepEqual(never, [{ name: 'password', value: 'secret', sensitive: true }])
      assert.equal(e.tableSize, 0)
      assert.deepEqual(pairs(e.decode(hex('82')).fields), [[':method', 'GET']])
    })

    const requests = (huffman: boolean): Buffer[] =>
      huffman
        ? [
            hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'),
            hex('8286 84be 5886 a8eb 1064 9cbf'),
            hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'),
          ]
        : [
            hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'),
            hex('8286 84be 5808 6e6f 2d63 6163 6865'),
            hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'),
          ]

    for (const [name, huffman] of [
      ['C.3 (requests without Huffman)', false],
      ['C.4 (requests with Huffman)', true],
    ] as const) {
      it(name, () => {
        const d = new HpackDecoder()
        const [r1, r2, r3] = requests(huffman)
        assert.deepEqual(pairs(d.decode(r1!).fields), [
          [':method', 'GET'],
          [':scheme', 'http'],
          [':path', '/'],
          [':authority', 'www.example.com'],
        ])
        assert.deepEqual(d.dynamicTable, [[':authority', 'www.example.com']])
        assert.equal(d.tableSize, 57)
        assert.deepEqual(pairs(d.decode(r2!).fields), [
          [':method', 'GET'],
          [':scheme', 'http'],
          [':path', '/'],
          [':authority', 'www.example.com'],
          ['cache-control', 'no-cache'],
        ])
        assert.deepEqual(d.dynamicTable, [
          ['cache-control', 'no-cache'],
          [':authority', 'www.example.com'],
        ])
        assert.equal(d.tableSize, 110)
        assert.deepEqual(pairs(d.decode(r3!).fields), [
          [':method', 'GET'],
          [':scheme', 'https'],
          [':path', '/index.html'],
          [':authority', 'www.example.com'],
          ['custom-key', 'custom-value'],
        ])
        assert.deepEqual(d.dynamicTable, [
          ['custom-key', 'custom-value'],
          ['cache-control', 'no-cache'],
          [':authority', 'www.example.com'],
        ])
        assert.equal(d.tableSize, 164)
      })
    }

    it('evicts the oldest entries when the table is full, and empties it for a too-large entry', () => {
      const d = new HpackDecoder()
      // Size update to 110 (room for exactly the two C.3 entries), then C.3's three requests.
      const update: number[] = []
      writeInt(update, 110, 5, 0x20)
      const [r1, r2, r3] = requests(false)
      assert.deepEqual(d.decode(Buffer.concat([Buffer.from(update), r1!])).tableSizeUpdates, [110])
      d.decode(r2!)
      assert.equal(d.tableSize, 110)
      d.decode(r3!)
      // custom-key (54) pushes out :authority (57): 54 + 53 = 107.
      assert.deepEqual(d.dynamicTable, [
        ['custom-key', 'custom-value'],
        ['cache-control', 'no-cache'],
      ])
      assert.equal(d.tableSize, 107)
      // Index 63 is now cache-control; 64 is past the table.
      assert.deepEqual(pairs(d.decode(hex('bf')).fields), [['cache-control', 'no-cache']])
      assert.throws(() => d.decode(hex('c0')), HpackError)
      // An entry larger than the whole table empties it.
      d.decode(encodeLiteralWithIndexing('x', 'y'.repeat(100)))
      assert.equal(d.tableSize, 0)
      assert.deepEqual(d.dynamicTable, [])
    })

    it('applies size updates (shrinking evicts) and refuses misplaced or oversized ones', () => {
      const d = new HpackDecoder()
      d.decode(requests(false)[0]!)
      assert.equal(d.tableSize, 57)
      assert.deepEqual(d.decode(hex('20')).tableSizeUpdates, [0])
      assert.equal(d.tableSize, 0)
      // Two updates in a row (RFC 7541 4.2): smallest then final.
      const two: number[] = []
      writeInt(two, 0, 5, 0x20)
      writeInt(two, 4096, 5, 0x20)
      assert.deepEqual(d.decode(Buffer.from(two)).tableSizeUpdates, [0, 4096])
      assert.throws(() => d.decode(hex('82 20')), /after a header field/)
      const big: number[] = []
      writeInt(big, 4097, 5, 0x20)
      assert.throws(() => d.decode(Buffer.from(big)), /over the limit/)
    })

    it('refuses index 0, truncated strings and bad Huffman strings', () => {
      assert.throws(() => new HpackDecoder().decode(hex('80')), HpackError)
      assert.throws(() => new HpackDecoder().decode(hex('0003 6162')), HpackError)
      assert.throws(() => new HpackDecoder().decode(hex('0081 ff 00')), HpackError)
    })
  })

  describe('encoder', () => {
    it('indexes exact static matches and writes the rest as literals without indexing', () => {
      const block = encodeHeaderBlock(
        [
          { name: ':method', value: 'POST' },
          { name: ':scheme', value: 'http' },
          { name: ':path', value: '/etcdserverpb.KV/Range' },
          { name: ':authority', value: '127.0.0.1:2379' },
          { name: 'content-type', value: 'application/grpc' },
          { name: 'te', value: 'trailers' },
          { name: 'authorization', value: 'token', sensitive: true },
        ],
        { huffman: false },
      )
      // 83 = :method POST, 86 = :scheme http; 04 = :path literal (static name 4), ...
      assert.equal(block.subarray(0, 3).toString('hex'), '838604')
      const d = new HpackDecoder()
      const { fields } = d.decode(block)
      assert.deepEqual(pairs(fields), [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', '/etcdserverpb.KV/Range'],
        [':authority', '127.0.0.1:2379'],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
        ['authorization', 'token'],
      ])
      assert.equal(fields[6]!.sensitive, true)
      assert.equal(d.tableSize, 0, 'the encoder never adds to the decoder table')
    })

    it('round-trips random fields through a decoder whose table stays empty', () => {
      const d = new HpackDecoder()
      const rnd = (n: number, lo: number, hi: number): string =>
        String.fromCharCode(...Array.from({ length: n }, () => lo + Math.floor(Math.random() * (hi - lo))))
      for (let i = 0; i < 200; i++) {
        const fields: HeaderField[] = Array.from({ length: 1 + (i % 9) }, (_, j) => ({
          name: j % 3 === 0 ? ':authority' : rnd(1 + ((i + j) % 20), 97, 123),
          value: rnd((i * 7 + j) % 300, i % 2 ? 0 : 32, i % 2 ? 256 : 127),
          ...(j % 4 === 1 ? { sensitive: true } : {}),
        }))
        const out = d.decode(
          encodeHeaderBlock(fields, { huffman: i % 3 !== 0, tableSizeUpdates: i % 5 === 0 ? [4096] : [] }),
        )
        assert.deepEqual(out.fields, fields)
        assert.equal(d.tableSize, 0)
      }
    })

    it('Huffman-codes only strings it shortens', () => {
      const short = encodeHeaderBlock([{ name: 'x-a', value: 'aaaaaaaaaa' }])
      const binary = encodeHeaderBlock([{ name: 'x-a', value: '\x00\x01\xfe\xff' }])
      // 0x00, name (huffman flag set: 'x-a' codes shorter), value length byte.
      assert.ok(short.length < 3 + 3 + 10)
      assert.equal(binary.at(-5)! & 0x80, 0)
      assert.equal(binary.at(-5)! & 0x7f, 4)
    })
  })
})

function encodeLiteralWithIndexing(name: string, value: string): Buffer {
  const out: number[] = [0x40]
  writeInt(out, name.length, 7, 0)
  for (const c of name) out.push(c.charCodeAt(0))
  writeInt(out, value.length, 7, 0)
  for (const c of value) out.push(c.charCodeAt(0))
  return Buffer.from(out)
}
