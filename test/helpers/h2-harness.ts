/**
 * A small etcd-shaped server on GrpcServer for the conformance tests: KV Put/Range on a
 * Map (through the real unary glue in src/server/api/unary.ts), a Watch that echoes, a
 * Snapshot that streams a blob, and a Probe service whose behaviour the request picks
 * (sleep, fail, throw, big answers, flooding a stream) and which records what its calls saw.
 * Plus clients and tools: grpc-js client constructors, subprocess runs, self-signed
 * certificates.
 */
import { createHash } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import {
  MaintenanceService,
  WatchService,
  decodeRangeRequest,
  decodeRangeResponse,
  encodeRangeRequest,
  encodeRangeResponse,
  type PutRequest,
  type RangeRequest,
  type RangeRequestInit,
  type RangeResponse,
  type RangeResponseInit,
  type WatchRequest,
} from '../../src/gen/etcdserverpb.js'
import { EtcdError } from '../../src/errors/rpctypes.js'
import { serviceDefinition, unary } from '../../src/server/api/unary.js'
import { KVServiceEncodedRange } from '../../src/server/api/range-encoding.js'
import { GrpcServer, Metadata, type GrpcServerOptions, type ListenOptions } from '../../src/server/api/h2/index.js'
import type {
  SendUnaryData,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
} from '../../src/server/api/h2/index.js'

export const HEADER = { cluster_id: 0x1234n, member_id: 0x5678n, revision: 0, raft_term: 7n }

/** Probe methods carry RangeRequest in (`key` says what to do) and RangeResponse out. */
function probeMethod(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/tsetcd.test.Probe/${name}`,
    requestStream,
    responseStream,
    requestSerialize: (v: RangeRequestInit) => encodeRangeRequest(v),
    requestDeserialize: (b: Buffer) => decodeRangeRequest(b),
    responseSerialize: (v: RangeResponseInit) => encodeRangeResponse(v),
    responseDeserialize: (b: Buffer) => decodeRangeResponse(b),
  }
}

export const ProbeService = {
  Unary: probeMethod('Unary', false, false),
  Flood: probeMethod('Flood', true, true),
  Echo: probeMethod('Echo', true, true),
  Count: probeMethod('Count', false, true),
  Sum: probeMethod('Sum', true, false),
} as const

/** tsetcd's streaming calls take messages encoded after room left for their framing. */
interface PrefixedCall {
  readonly framingBytes: number
  writePrefixed(buf: Buffer): boolean
}

/** What the Probe handlers observed, for the tests to check. */
export interface ProbeLog {
  cancelled: string[]
  closed: string[]
  peers: string[]
  deadlines: number[]
  metadata: Record<string, unknown>[]
  /** Flood: messages written, write() calls that returned false, 'drain' events, waiting for one now. */
  flood: { written: number; full: number; drains: number; waiting: boolean }
  /** Echo: the events the server's call saw, in order. */
  echo: { data: number; events: string[] }
}

export interface TestServer {
  server: GrpcServer
  port: number
  store: Map<string, Buffer>
  /** Puts the KV service has applied. */
  puts(): number
  log: ProbeLog
  close(): Promise<void>
}

function kv(key: Buffer, value: Buffer, revision: number) {
  return { key, value, create_revision: revision, mod_revision: revision, version: 1 }
}

export async function startTestServer(
  opts: GrpcServerOptions & { url?: string; listen?: ListenOptions } = {},
): Promise<TestServer> {
  const server = new GrpcServer(opts)
  const store = new Map<string, Buffer>()
  let revision = 1
  let putCount = 0
  const log: ProbeLog = {
    cancelled: [],
    closed: [],
    peers: [],
    deadlines: [],
    metadata: [],
    flood: { written: 0, full: 0, drains: 0, waiting: false },
    echo: { data: 0, events: [] },
  }
  const core = { header: () => ({ ...HEADER, revision }) }
  const limits = { maxRequestBytes: 64 * 1024 * 1024, maxTxnOps: 128 }

  // KV through the same glue tsetcd's handlers use (requests arrive as { req, size }; Range
  // answers are encoded after room for their gRPC prefix).
  server.addService(serviceDefinition(KVServiceEncodedRange), {
    Put: unary(
      limits,
      async (req: PutRequest) => {
        const key = req.key.toString()
        if (key.startsWith('forbidden')) throw new EtcdError(7, 'etcdserver: permission denied — clé refusée à 100%')
        store.set(key, Buffer.from(req.value))
        revision++
        putCount++
        return {}
      },
      core,
    ),
    Range: unary(
      limits,
      async (req: RangeRequest) => {
        const key = req.key.toString()
        if (key.startsWith('slow/')) await sleep(Number(key.slice(5)))
        const end = req.range_end.toString()
        const keys =
          req.range_end.length === 0
            ? store.has(key)
              ? [key]
              : []
            : [...store.keys()].filter((k) => k >= key && (end === '\0' || k < end)).sort()
        const res: RangeResponseInit = {
          kvs: keys.map((k) => kv(Buffer.from(k), store.get(k)!, revision)),
          count: keys.length,
        }
        return res
      },
      core,
    ),
  })

  // Watch: each create is acknowledged, then answered with one event for its key.
  let watchIds = 0
  server.addService(WatchService, {
    Watch(call: ServerDuplexStream<WatchRequest, unknown>) {
      call.on('data', (req: WatchRequest) => {
        if (req.create_request) {
          const id = watchIds++
          call.write({ header: core.header(), watch_id: id, created: true })
          const key = req.create_request.key
          call.write({
            header: core.header(),
            watch_id: id,
            events: [{ type: 0, kv: kv(key, Buffer.from(`echo:${key}`), revision) }],
          })
        } else if (req.cancel_request) {
          call.write({ header: core.header(), watch_id: req.cancel_request.watch_id, canceled: true })
        }
      })
      call.on('end', () => call.end())
    },
  })

  // Snapshot: the blob in 64 KiB chunks, as etcd streams its database.
  server.addService(
    { Snapshot: MaintenanceService.Snapshot },
    {
      Snapshot(call: ServerWritableStream<unknown, unknown>) {
        const blob = snapshotBlob()
        const chunk = 64 * 1024
        let off = 0
        const pump = (): void => {
          while (off < blob.length) {
            const part = blob.subarray(off, off + chunk)
            off += part.length
            if (!call.write({ header: core.header(), remaining_bytes: BigInt(blob.length - off), blob: part })) {
              call.once('drain', pump)
              return
            }
          }
          call.end()
        }
        pump()
      },
    },
  )

  server.addService(ProbeService, {
    Unary(call: ServerUnaryCall<RangeRequest>, callback: SendUnaryData<RangeResponseInit>) {
      const what = call.request.key.toString()
      const [verb, ...args] = what.split(':')
      log.peers.push(call.getPeer())
      log.deadlines.push(Number(call.getDeadline()))
      log.metadata.push({
        'x-test': call.metadata.get('x-test'),
        'x-bin-bin': call.metadata.get('x-bin-bin'),
        'grpc-timeout': call.metadata.get('grpc-timeout'),
      })
      call.on('cancelled', () => log.cancelled.push(what))
      switch (verb) {
        case 'echo':
          callback(null, {
            header: core.header(),
            kvs: [kv(call.request.key, call.request.range_end, revision)],
            count: call.request.range_end.length,
          })
          return
        case 'sleep':
          setTimeout(() => callback(null, { header: core.header(), count: call.cancelled ? -1 : 1 }), Number(args[0]))
          return
        case 'fail': {
          const md = new Metadata()
          md.set('x-why', 'because')
          callback({ code: Number(args[0]), details: args.slice(1).join(':'), metadata: md })
          return
        }
        case 'error':
          callback(new Error(args.join(':')))
          return
        case 'throw':
          throw new Error('handler blew up')
        case 'big':
          callback(null, { kvs: [kv(Buffer.from('big'), Buffer.alloc(Number(args[0]), 'b'), 1)], count: 1 })
          return
        case 'trailer': {
          const md = new Metadata()
          md.set('x-trailer', 'yes')
          callback(null, { count: 1 }, md)
          return
        }
        case 'headers': {
          const md = new Metadata()
          md.set('x-early', 'first')
          call.sendMetadata(md)
          callback(null, { count: 2 })
          return
        }
        default:
          callback({ code: 3, details: `unknown probe ${what}` })
      }
    },

    // Writes 16 KiB messages until write() says the stream is full, then the rest on 'drain'.
    Flood(call: ServerDuplexStream<RangeRequest, RangeResponseInit>) {
      const flood: ProbeLog['flood'] = { written: 0, full: 0, drains: 0, waiting: false }
      log.flood = flood
      call.once('data', (req: RangeRequest) => {
        const total = Number(req.key.toString())
        const value = Buffer.alloc(16 * 1024, 'f')
        const pump = (): void => {
          while (flood.written < total) {
            flood.written++
            const more = call.write({ kvs: [kv(Buffer.from(String(flood.written)), value, 1)], count: flood.written })
            if (!more) {
              flood.full++
              flood.waiting = true
              call.once('drain', () => {
                flood.drains++
                flood.waiting = false
                pump()
              })
              return
            }
          }
          call.end()
        }
        pump()
      })
    },

    // Echoes each request; 'fail:<code>:<msg>' ends with emit('error'), 'destroy:…' with destroy(err).
    Echo(call: ServerDuplexStream<RangeRequest, RangeResponseInit>) {
      const echo: ProbeLog['echo'] = { data: 0, events: [] }
      log.echo = echo
      call.on('data', (req: RangeRequest) => {
        echo.data++
        echo.events.push('data')
        const what = req.key.toString()
        const [verb, code, ...msg] = what.split(':')
        if (verb === 'fail') call.emit('error', { code: Number(code), details: msg.join(':') })
        else if (verb === 'destroy') call.destroy({ code: Number(code), details: msg.join(':') })
        else if (verb === 'end') call.end()
        else call.write({ kvs: [kv(req.key, req.range_end, 1)], count: echo.data })
      })
      call.on('end', () => {
        echo.events.push('end')
        call.end()
      })
      call.on('cancelled', () => echo.events.push('cancelled'))
      call.on('close', () => echo.events.push('close'))
    },

    // Server-streaming: `count` answers numbered 1..n.
    // With `limit` 1, every other message goes through writePrefixed (encoded after room left
    // for its framing, as the watch service's are).
    Count(call: ServerWritableStream<RangeRequest, RangeResponseInit>) {
      const n = Number(call.request.key.toString())
      const room = call.request.limit === 1 ? (call as unknown as PrefixedCall) : undefined
      for (let i = 1; i <= n; i++) {
        if (room === undefined || i % 2 === 1) call.write({ count: i })
        else {
          const msg = encodeRangeResponse({ count: i })
          const buf = Buffer.alloc(room.framingBytes + msg.length, 0xee)
          msg.copy(buf, room.framingBytes)
          room.writePrefixed(buf)
        }
      }
      call.end()
    },

    // Client-streaming: the sum of the requests' limits.
    Sum(call: ServerReadableStream<RangeRequest>, callback: SendUnaryData<RangeResponseInit>) {
      let sum = 0
      call.on('data', (req: RangeRequest) => (sum += req.limit))
      call.on('end', () => callback(null, { count: sum }))
    },
  })

  const port = await server.listen(opts.url ?? 'http://127.0.0.1:0', opts.listen)
  return { server, port, store, puts: () => putCount, log, close: () => server.tryShutdown(2000) }
}

/**
 * The blob Snapshot streams, shaped as etcd's: a database whose size is a multiple of 512,
 * then the sha256 of it (etcdctl snapshot save checks for that trailer).
 */
export function snapshotBlob(): Buffer {
  const db = Buffer.alloc(1 << 20)
  for (let i = 0; i < db.length; i++) db[i] = (i * 31 + (i >> 8)) & 0xff
  return Buffer.concat([db, createHash('sha256').update(db).digest()])
}

/* ---- clients ---- */

type GenericClient = grpc.Client & Record<string, any>

export function grpcJsClient(
  table: object,
  name: string,
  port: number,
  creds = grpc.credentials.createInsecure(),
  options: grpc.ClientOptions = {},
): GenericClient {
  const Ctor = grpc.makeGenericClientConstructor(table as grpc.ServiceDefinition, name)
  return new Ctor(`127.0.0.1:${port}`, creds, options) as GenericClient
}

/** A unary call as a promise: the response, or the ServiceError. */
export function call<Res = RangeResponse>(
  client: GenericClient,
  method: string,
  req: object,
  opts: { metadata?: grpc.Metadata; deadline?: number } = {},
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](
      req,
      opts.metadata ?? new grpc.Metadata(),
      opts.deadline ? { deadline: opts.deadline } : {},
      (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)),
    )
  })
}

export function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail')
    },
    (err: grpc.ServiceError) => err,
  )
}

/* ---- tools ---- */

import { sleep } from './wait.js'
export { ETCDCTL, KVBENCH, haveBinary, run, tmpDir, which } from './procs.js'
export { soloCert, type CertFiles } from './certs.js'
export { sleep }
export type { RunResult } from './procs.js'

/** Handles (sockets, servers, timers) this process holds, by kind. */
export function activeResources(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'FSReqCallback')
}
