import assert from 'node:assert/strict'
import fc from 'fast-check'
import { frameMessage, MessageReader, type MessageSink } from '../../../src/server/api/h2/framing.js'
import { isGrpcContentType, parseGrpcTimeout, trailersFor, trailersOnly } from '../../../src/server/api/h2/headers.js'
import { Metadata } from '../../../src/server/api/h2/metadata.js'
import { decodeGrpcMessage, encodeGrpcMessage, Status, status, toStatus } from '../../../src/server/api/h2/status.js'
import { CallEmitter } from '../../../src/server/api/h2/emitter.js'

class Collect implements MessageSink {
  messages: Buffer[] = []
  errors: [number, string][] = []
  onMessage(m: Buffer): void {
    this.messages.push(m)
  }
  onReadError(code: number, details: string): void {
    this.errors.push([code, details])
  }
}

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let prev = 0
  for (const p of [...points, buf.length]) {
    if (p > prev) out.push(buf.subarray(prev, p))
    prev = Math.max(prev, p)
  }
  return out
}

describe('h2 framing', () => {
  it('frames a message as flag 0, big-endian length, payload', () => {
    const f = frameMessage(Buffer.from('hello'))
    assert.deepEqual([...f], [0, 0, 0, 0, 5, ...Buffer.from('hello')])
    assert.deepEqual([...frameMessage(Buffer.alloc(0))], [0, 0, 0, 0, 0])
  })

  it('reads back any sequence of messages however the bytes are split into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const wire = Buffer.concat(payloads.map((p) => frameMessage(p)))
          const sink = new Collect()
          const reader = new MessageReader(1 << 20, sink, undefined)
          for (const chunk of split(wire, cuts)) reader.push(chunk)
          assert.deepEqual(
            sink.messages.map((m) => [...m]),
            payloads.map((p) => [...p]),
          )
          assert.equal(reader.partial, false)
          assert.deepEqual(sink.errors, [])
        },
      ),
    )
  })

  it('reads byte by byte, and reports a message still partial', () => {
    const wire = frameMessage(Buffer.from('abcdef'))
    const sink = new Collect()
    const reader = new MessageReader(100, sink, undefined)
    for (let i = 0; i < wire.length - 1; i++) reader.push(wire.subarray(i, i + 1))
    assert.equal(sink.messages.length, 0)
    assert.equal(reader.partial, true)
    reader.push(wire.subarray(wire.length - 1))
    assert.equal(sink.messages[0].toString(), 'abcdef')
    assert.equal(reader.partial, false)
  })

  it('gives each message its own memory, not a view of the chunk', () => {
    const wire = Buffer.concat([frameMessage(Buffer.from('one')), frameMessage(Buffer.from('two'))])
    const sink = new Collect()
    new MessageReader(100, sink, undefined).push(wire)
    wire.fill(0)
    assert.deepEqual(sink.messages.map(String), ['one', 'two'])
  })

  it('accepts a message of exactly the maximum and refuses a larger one with RESOURCE_EXHAUSTED, then reads nothing more', () => {
    const sink = new Collect()
    const reader = new MessageReader(10, sink, undefined)
    reader.push(frameMessage(Buffer.alloc(10)))
    reader.push(frameMessage(Buffer.alloc(11)))
    reader.push(frameMessage(Buffer.alloc(1)))
    assert.equal(sink.messages.length, 1)
    assert.deepEqual(sink.errors, [[Status.RESOURCE_EXHAUSTED, 'grpc: received message larger than max (11 vs. 10)']])
  })

  it('refuses compressed messages: UNIMPLEMENTED naming the encoding, INTERNAL when none was declared', () => {
    const compressed = frameMessage(Buffer.from('x'))
    compressed[0] = 1
    const gz = new Collect()
    new MessageReader(100, gz, 'gzip').push(compressed)
    assert.deepEqual(gz.errors, [
      [Status.UNIMPLEMENTED, 'grpc: Decompressor is not installed for grpc-encoding "gzip"'],
    ])
    const none = new Collect()
    new MessageReader(100, none, undefined).push(compressed)
    assert.deepEqual(none.errors, [[Status.INTERNAL, 'grpc: compressed flag set with identity or empty encoding']])
  })
})

describe('h2 headers', () => {
  it('parses grpc-timeout in every unit, rounding sub-millisecond values up', () => {
    assert.equal(parseGrpcTimeout('1H'), 3_600_000)
    assert.equal(parseGrpcTimeout('2M'), 120_000)
    assert.equal(parseGrpcTimeout('3S'), 3000)
    assert.equal(parseGrpcTimeout('250m'), 250)
    assert.equal(parseGrpcTimeout('1500u'), 2)
    assert.equal(parseGrpcTimeout('999999n'), 1)
    assert.equal(parseGrpcTimeout('99999999S'), 99_999_999_000)
    assert.equal(parseGrpcTimeout('0m'), 0)
  })

  it('rejects malformed grpc-timeout values', () => {
    for (const bad of ['', 'S', '10', '10x', '-1S', '1.5S', '123456789S', ' 1S', '1 S'])
      assert.equal(parseGrpcTimeout(bad), undefined, bad)
  })

  it('knows gRPC content types from others (grpc-web included)', () => {
    for (const ok of ['application/grpc', 'application/grpc+proto', 'application/grpc;charset=utf-8'])
      assert.ok(isGrpcContentType(ok), ok)
    for (const no of [undefined, 'application/json', 'application/grpc-web', 'application/grpcx', 'text/plain'])
      assert.ok(!isGrpcContentType(no), String(no))
  })

  it('builds trailers with status, encoded message and metadata; trailers-only adds :status and content-type', () => {
    const md = new Metadata()
    md.set('x-a', '1')
    assert.deepEqual(trailersFor(status(0, '')), { 'grpc-status': '0' })
    assert.deepEqual(trailersFor(status(5, 'no ü', md)), {
      'x-a': ['1'],
      'grpc-status': '5',
      'grpc-message': 'no %C3%BC',
    })
    assert.deepEqual(trailersOnly(status(12, 'x')), {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': '12',
      'grpc-message': 'x',
    })
  })
})

describe('h2 status', () => {
  it('percent-encodes exactly the bytes outside printable ASCII, and %', () => {
    assert.equal(encodeGrpcMessage('plain text: ok (1/2) [x]'), 'plain text: ok (1/2) [x]')
    assert.equal(encodeGrpcMessage('100%'), '100%25')
    assert.equal(encodeGrpcMessage('é\n\t✓'), '%C3%A9%0A%09%E2%9C%93')
  })

  it('decodes what it encodes, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const encoded = encodeGrpcMessage(s)
        assert.match(encoded, /^[\x20-\x7e]*$/)
        assert.equal(decodeGrpcMessage(encoded), s)
      }),
    )
  })

  it('turns handler errors into statuses as grpc-js does', () => {
    assert.deepEqual(toStatus({ code: 7, details: 'nope' }), { code: 7, details: 'nope', metadata: null })
    assert.deepEqual(toStatus(Object.assign(new Error('msg'), { code: 9 })), {
      code: 9,
      details: 'msg',
      metadata: null,
    })
    assert.deepEqual(toStatus(new Error('boom')), { code: Status.UNKNOWN, details: 'boom', metadata: null })
    assert.deepEqual(toStatus({ code: 'ENOENT', message: 'fs' }), {
      code: Status.UNKNOWN,
      details: 'fs',
      metadata: null,
    })
    assert.deepEqual(toStatus({}), { code: Status.UNKNOWN, details: 'Unknown Error', metadata: null })
    const md = new Metadata()
    assert.equal(toStatus({ code: 1, details: 'x', metadata: new Metadata() }, md).metadata, md)
  })
})

describe('h2 metadata', () => {
  const headers = {
    ':path': '/a/b',
    ':authority': 'h',
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': '1S',
    'user-agent': 'grpc-go/1.0',
    token: 'abc',
    'x-bin-bin': `${Buffer.from([1, 2]).toString('base64')},${Buffer.from([3]).toString('base64')}`,
  }

  it('reads request headers lazily, hiding pseudo and transport headers and decoding -bin values', () => {
    const md = Metadata.fromHttp2Headers(headers)
    assert.deepEqual(md.get('token'), ['abc'])
    assert.deepEqual(md.get('TOKEN'), ['abc'])
    assert.deepEqual(md.get(':path'), [])
    assert.deepEqual(md.get('grpc-timeout'), [])
    assert.deepEqual(md.get('content-type'), [])
    assert.deepEqual(md.get('x-bin-bin'), [Buffer.from([1, 2]), Buffer.from([3])])
    assert.deepEqual(Object.keys(md.getMap()).sort(), ['token', 'user-agent', 'x-bin-bin'])
  })

  it('set, add, remove, clone and toHttp2Headers', () => {
    const md = Metadata.fromHttp2Headers(headers)
    md.add('token', 'def')
    md.set('x-new', 'n')
    md.set('y-bin', Buffer.from('hi'))
    md.remove('user-agent')
    const copy = md.clone()
    copy.set('token', 'other')
    assert.deepEqual(md.get('token'), ['abc', 'def'])
    const h = md.toHttp2Headers()
    assert.deepEqual(h.token, ['abc', 'def'])
    assert.deepEqual(h['y-bin'], [Buffer.from('hi').toString('base64')])
    assert.equal(h['user-agent'], undefined)
    assert.throws(() => md.set('bad key', 'x'), /illegal/)
  })
})

describe('h2 call emitter', () => {
  it('on, once, off, prepend and removal while emitting', () => {
    const e = new CallEmitter()
    const seen: string[] = []
    const a = (x: string) => seen.push(`a${x}`)
    const b = () => {
      seen.push('b')
      e.off('ev', a)
    }
    e.on('ev', a)
    e.on('ev', b)
    e.once('ev', (x: string) => seen.push(`once${x}`))
    e.prependListener('ev', () => seen.push('first'))
    assert.equal(e.listenerCount('ev'), 4)
    e.emit('ev', '1')
    e.emit('ev', '2')
    assert.deepEqual(seen, ['first', 'a1', 'b', 'once1', 'first', 'b'])
    e.removeAllListeners('ev')
    assert.equal(e.emit('ev'), false)
  })

  it("does not throw on an 'error' nobody listens to, and once-listeners can be removed by the original function", () => {
    const e = new CallEmitter()
    assert.equal(e.emit('error', new Error('x')), false)
    const f = () => assert.fail('removed')
    e.once('x', f)
    e.removeListener('x', f)
    assert.equal(e.emit('x'), false)
  })
})
