/**
 * gRPC server benchmark: the same Map-backed etcd KV Put/Range handlers served by
 * @grpc/grpc-js and by tsetcd's gRPC server in src/server/api/h2 (its own HTTP/2 framing), each
 * in a fresh process, driven by kvbench (etcd's Go client). A bare node:http2 responder that
 * skips everything gRPC asks of a server (validation, deadlines, metadata, cancellation) is
 * what node's HTTP/2 alone can do.
 *
 *   npx tsc -p . && node dist/bench/grpc-server-bench.js [--kvbench /tmp/kvbench] [--rounds 3]
 *       [--total 50000] [--conns 10] [--clients 100] [--val-size 256] [--servers grpc-js,h2,bare]
 *
 * kvbench: `bash ../shared/bench/build.sh /tmp/kvbench`. Rounds alternate the servers so
 * that drift on a shared machine hits them alike; the median of each is reported.
 */
import { spawn } from 'node:child_process'
import http2 from 'node:http2'
import { parseArgs } from 'node:util'
import * as grpc from '@grpc/grpc-js'
import { decodePutRequest, encodePutResponse, KVService, type PutRequest, type RangeRequest, type RangeResponseInit, type PutResponseInit } from '../src/gen/etcdserverpb.js'
import { GrpcServer } from '../src/server/api/h2/index.js'
import type { ServerUnaryCall, SendUnaryData } from '../src/server/api/h2/index.js'

const SERVERS = ['grpc-js', 'h2', 'bare'] as const
type ServerKind = (typeof SERVERS)[number]

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    kvbench: { type: 'string', default: '/tmp/kvbench' },
    rounds: { type: 'string', default: '3' },
    total: { type: 'string', default: '50000' },
    conns: { type: 'string', default: '10' },
    clients: { type: 'string', default: '100' },
    'val-size': { type: 'string', default: '256' },
    servers: { type: 'string', default: SERVERS.join(',') },
  },
})

/** The handlers both gRPC servers host: a Map and a revision counter. */
function kvImplementation() {
  const store = new Map<string, Buffer>()
  let revision = 1
  const header = () => ({ cluster_id: 1n, member_id: 2n, revision, raft_term: 3n })
  return {
    Put(call: ServerUnaryCall<PutRequest>, callback: SendUnaryData<PutResponseInit>): void {
      const req = call.request
      store.set(req.key.toString('latin1'), req.value)
      revision++
      callback(null, { header: header() })
    },
    Range(call: ServerUnaryCall<RangeRequest>, callback: SendUnaryData<RangeResponseInit>): void {
      const v = store.get(call.request.key.toString('latin1'))
      callback(null, { header: header(), kvs: v ? [{ key: call.request.key, value: v, mod_revision: revision, create_revision: revision, version: 1 }] : [], count: v ? 1 : 0 })
    },
  }
}

async function serveGrpcJs(): Promise<number> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 2 * 1024 * 1024,
    'grpc.max_send_message_length': 2 ** 31 - 1,
    'grpc.max_concurrent_streams': 2 ** 31 - 1,
  })
  server.addService(KVService as unknown as grpc.ServiceDefinition, kvImplementation() as unknown as grpc.UntypedServiceImplementation)
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))))
}

async function serveH2(): Promise<number> {
  const server = new GrpcServer({ maxReceiveMessageBytes: 2 * 1024 * 1024 })
  server.addService(KVService, kvImplementation())
  return server.listen('http://127.0.0.1:0')
}

/** Answers every stream as a Put, with none of the protocol's checks: node:http2's best. */
async function serveBare(): Promise<number> {
  const store = new Map<string, Buffer>()
  let revision = 1
  const server = http2.createServer({ settings: { maxConcurrentStreams: 2 ** 32 - 1, initialWindowSize: 1 << 20 } })
  server.on('session', (s) => s.setLocalWindowSize(16 << 20))
  server.on('stream', (stream) => {
    const parts: Buffer[] = []
    stream.on('data', (c: Buffer) => parts.push(c))
    stream.on('end', () => {
      const body = Buffer.concat(parts)
      const req = decodePutRequest(body.subarray(5))
      store.set(req.key.toString('latin1'), req.value)
      revision++
      const payload = encodePutResponse({ header: { cluster_id: 1n, member_id: 2n, revision, raft_term: 3n } })
      const frame = Buffer.allocUnsafe(5 + payload.length)
      frame[0] = 0
      frame.writeUInt32BE(payload.length, 1)
      payload.copy(frame, 5)
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      stream.end(frame)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

interface KvbenchResult {
  ops: number
  errors: number
  qps: number
  p50_ms: number
  p99_ms: number
  first_error?: string
}

function runKvbench(port: number, total: number): Promise<KvbenchResult> {
  const args = ['-endpoints', `127.0.0.1:${port}`, '-op', 'put', '-conns', values.conns!, '-clients', values.clients!, '-total', String(total), '-val-size', values['val-size']!]
  return new Promise((resolve, reject) => {
    const child = spawn(values.kvbench!, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? ''
      try {
        resolve(JSON.parse(line) as KvbenchResult)
      } catch {
        reject(new Error(`kvbench exited ${code}: ${out}`))
      }
    })
  })
}

/** Starts a server process of `kind`, warms it up, measures one run, stops it. */
async function measure(kind: ServerKind, total: number): Promise<KvbenchResult> {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, '--serve', kind], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d) => {
        out += d
        const m = /PORT (\d+)/.exec(out)
        if (m) resolve(Number(m[1]))
      })
      child.on('exit', (code) => reject(new Error(`${kind} server exited ${code}`)))
    })
    await runKvbench(port, Math.min(5000, total))
    return await runKvbench(port, total)
  } finally {
    child.kill('SIGTERM')
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function main(): Promise<void> {
  if (values.serve !== undefined) {
    const kind = values.serve as ServerKind
    const port = kind === 'grpc-js' ? await serveGrpcJs() : kind === 'h2' ? await serveH2() : await serveBare()
    process.on('SIGTERM', () => process.exit(0))
    process.stdout.write(`PORT ${port}\n`)
    return
  }
  const kinds = values.servers!.split(',') as ServerKind[]
  const total = Number(values.total)
  const results = new Map<ServerKind, KvbenchResult[]>(kinds.map((k) => [k, []]))
  console.log(`kvbench -op put -conns ${values.conns} -clients ${values.clients} -total ${total} -val-size ${values['val-size']}, ${values.rounds} rounds`)
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const kind of kinds) {
      const r = await measure(kind, total)
      results.get(kind)!.push(r)
      console.log(`  round ${round} ${kind.padEnd(8)} ${r.qps.toFixed(0).padStart(6)} puts/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms  errors ${r.errors}${r.first_error ? ` (${r.first_error})` : ''}`)
    }
  }
  const label: Record<ServerKind, string> = { 'grpc-js': '@grpc/grpc-js', h2: 'h2 (src/server/api/h2)', bare: 'bare node:http2 (no gRPC checks)' }
  console.log('median:')
  for (const kind of kinds) console.log(`  ${label[kind].padEnd(28)} ${median(results.get(kind)!.map((r) => r.qps)).toFixed(0).padStart(6)} puts/s`)
  if (results.has('grpc-js') && results.has('h2')) {
    const ratio = median(results.get('h2')!.map((r) => r.qps)) / median(results.get('grpc-js')!.map((r) => r.qps))
    console.log(`  h2 / grpc-js: ${ratio.toFixed(2)}x`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
