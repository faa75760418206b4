/**
 * The Backend contract (src/server/backend/backend.ts), run against every implementation.
 */
import assert from 'node:assert/strict'
import type { Backend } from '../../../src/server/backend/backend.js'

export interface BackendHarness {
  open(): Promise<Backend>
  /** Closes `b` and opens the same data again. */
  reopen(b: Backend): Promise<Backend>
  cleanup(): Promise<void>
}

const b = (...bytes: number[]): Buffer => Buffer.from(bytes)
const s = (text: string): Buffer => Buffer.from(text)

async function collect(
  backend: Backend,
  gte: Buffer,
  lt: Buffer,
  chunkSize?: number,
): Promise<{ chunks: number[]; entries: [string, string][] }> {
  const chunks: number[] = []
  const entries: [string, string][] = []
  for await (const chunk of backend.iterate(gte, lt, { chunkSize })) {
    chunks.push(chunk.length)
    for (const [k, v] of chunk) entries.push([k.toString('hex'), v.toString()])
  }
  return { chunks, entries }
}

export function backendConformance(name: string, harness: () => BackendHarness): void {
  describe(`Backend conformance: ${name}`, () => {
    let h: BackendHarness
    let db: Backend

    beforeEach(async () => {
      h = harness()
      db = await h.open()
    })

    afterEach(async () => {
      await db.close()
      await h.cleanup()
    })

    it('returns undefined for missing keys, sync and async', async () => {
      assert.deepEqual(db.getSync([s('a'), s('b')]), [undefined, undefined])
      assert.deepEqual(await db.get([s('a')]), [undefined])
    })

    it('writes a batch of puts and deletes atomically and reads it back aligned with the request', async () => {
      const w = db.batch()
      w.put(s('a'), s('1'))
      w.put(s('b'), s('2'))
      w.put(s('c'), s('3'))
      w.del(s('b'))
      assert.equal(w.length, 4)
      assert.deepEqual(db.getSync([s('a')]), [undefined], 'nothing visible before write()')
      w.write({ sync: true })
      const sync = db.getSync([s('c'), s('b'), s('a'), s('zz')])
      assert.deepEqual(
        sync.map((v) => v?.toString()),
        ['3', undefined, '1', undefined],
      )
      const async = await db.get([s('c'), s('b'), s('a')])
      assert.deepEqual(
        async.map((v) => v?.toString()),
        ['3', undefined, '1'],
      )
    })

    it('applies operations on the same key in call order', () => {
      const w = db.batch()
      w.put(s('k1'), s('old'))
      w.del(s('k1'))
      w.del(s('k2'))
      w.put(s('k2'), s('new'))
      w.put(s('k3'), s('x'))
      w.put(s('k3'), s('y'))
      w.write()
      assert.deepEqual(
        db.getSync([s('k1'), s('k2'), s('k3')]).map((v) => v?.toString()),
        [undefined, 'new', 'y'],
      )
    })

    it('copies keys and values when they are added to a batch', () => {
      const key = s('key')
      const value = s('value')
      const w = db.batch()
      w.put(key, value)
      key.write('KEY')
      value.write('VALUE')
      w.write()
      assert.equal(db.getSync([s('key')])[0]?.toString(), 'value')
      assert.deepEqual(db.getSync([s('KEY')]), [undefined])
    })

    it('hands out values the caller owns', () => {
      const w = db.batch()
      w.put(s('k'), s('abc'))
      w.write()
      const v = db.getSync([s('k')])[0]!
      v.write('zzz')
      assert.equal(db.getSync([s('k')])[0]?.toString(), 'abc')
    })

    it('refuses to reuse a written or discarded batch, and a discarded batch writes nothing', () => {
      const w = db.batch()
      w.put(s('a'), s('1'))
      w.write()
      assert.throws(() => w.put(s('b'), s('2')))
      assert.throws(() => w.write())
      const d = db.batch()
      d.put(s('c'), s('3'))
      d.discard()
      assert.deepEqual(db.getSync([s('c')]), [undefined])
    })

    it('accepts an empty batch', () => {
      const w = db.batch()
      assert.equal(w.length, 0)
      w.write({ sync: true })
      assert.deepEqual(db.getSync([s('a')]), [undefined])
    })

    it('iterates [gte, lt) in unsigned byte order, shorter prefix first', async () => {
      const keys = [
        b(0x10, 0xff),
        b(0x10),
        b(0x10, 0x00),
        b(0x10, 0x80),
        b(0x10, 0x7f),
        b(0x10, 0x80, 0x00),
        b(0x11),
        b(0x0f, 0xff),
      ]
      const w = db.batch()
      for (const k of keys) w.put(k, Buffer.from(k.toString('hex')))
      w.write()
      const { entries } = await collect(db, b(0x10), b(0x11))
      assert.deepEqual(
        entries.map((e) => e[0]),
        ['10', '1000', '107f', '1080', '108000', '10ff'],
      )
      for (const [k, v] of entries) assert.equal(v, k)
      const tail = await collect(db, b(0x10, 0x7f), b(0xff))
      assert.deepEqual(
        tail.entries.map((e) => e[0]),
        ['107f', '1080', '108000', '10ff', '11'],
      )
    })

    it('yields chunks of at most chunkSize covering the whole range', async () => {
      const w = db.batch()
      for (let i = 0; i < 10; i++) w.put(b(0x20, i), b(i))
      w.write()
      const { chunks, entries } = await collect(db, b(0x20), b(0x21), 3)
      assert.ok(
        chunks.every((n) => n > 0 && n <= 3),
        `chunks ${chunks}`,
      )
      assert.equal(entries.length, 10)
      assert.deepEqual(
        entries.map((e) => e[0]),
        Array.from({ length: 10 }, (_, i) => b(0x20, i).toString('hex')),
      )
      assert.deepEqual((await collect(db, b(0x30), b(0x40))).entries, [])
    })

    it('reads many keys in one call', async () => {
      const w = db.batch()
      for (let i = 0; i < 1000; i += 2) w.put(s(`k${i}`), s(`v${i}`))
      w.write()
      const keys = Array.from({ length: 1000 }, (_, i) => s(`k${i}`))
      const expected = keys.map((_, i) => (i % 2 === 0 ? `v${i}` : undefined))
      assert.deepEqual(
        db.getSync(keys).map((v) => v?.toString()),
        expected,
      )
      assert.deepEqual(
        (await db.get(keys)).map((v) => v?.toString()),
        expected,
      )
    })

    it('reports a size that grows with the data', () => {
      const before = db.size()
      const w = db.batch()
      for (let i = 0; i < 100; i++) w.put(s(`key-${i}`), Buffer.alloc(1000, i))
      w.write()
      assert.ok(db.size() >= before + 50_000, `size ${before} -> ${db.size()}`)
    })

    it('keeps written data across close and reopen', async () => {
      const w = db.batch()
      w.put(s('persist'), s('yes'))
      w.put(s('gone'), s('no'))
      w.write({ sync: true })
      const w2 = db.batch()
      w2.del(s('gone'))
      w2.write({ sync: true })
      db = await h.reopen(db)
      assert.deepEqual(
        db.getSync([s('persist'), s('gone')]).map((v) => v?.toString()),
        ['yes', undefined],
      )
      assert.deepEqual((await collect(db, s('a'), s('z'))).entries, [[s('persist').toString('hex'), 'yes']])
    })
  })
}
