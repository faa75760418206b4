/**
 * The JSON gateway: the same curl commands against a real etcd and against tsetcd give the
 * same status, headers and body (IDs that differ per server, revisions, terms and sizes
 * normalised), for etcd's documented examples and for bad input.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { interopSuite } from '../helpers/interop.js'
import { haveBinary, run, startEtcd, startTsetcd, tmpDir, type ServerProc } from '../helpers/procs.js'

const CURL = 'curl'

/** Headers the gateway decides (not Date, connection handling, CORS or framing). */
const COMPARED_HEADERS = ['content-type', 'grpc-metadata-content-type', 'location', 'trailer', 'x-content-type-options']

/** Values that differ between two servers for reasons other than the gateway. */
const VOLATILE =
  /"(cluster_id|member_id|revision|raft_term|leader|raftIndex|raftTerm|raftAppliedIndex|dbSize|dbSizeInUse|version|compact_revision)":"[^"]*"/g

export interface Exchange {
  status: string
  headers: string[]
  /** The body and any trailers, as curl -i prints them. */
  rest: string
}

/**
 * etcd 3.4 answers alarm and defragment requests without a response header; tsetcd's gRPC
 * services fill it (and the gateway answers what they answer).
 */
function withoutAlarmHeader(text: string): string {
  return text.replace(/^\{"header":\{[^}]*\}\}$/, '{}').replace(/^\{"header":\{[^}]*\},/, '{')
}

function normalise(text: string): string {
  return text
    .replace(VOLATILE, (_m, k: string) => `"${k}":"…"`)
    .replace(/"clientURLs":\["[^"]*"\]/g, '"clientURLs":[…]')
}

/** One POST (or `method`) with curl -i; `body` is sent as is. */
export async function curl(
  base: string,
  p: string,
  body?: string,
  method = 'POST',
  requestHeaders: string[] = [],
): Promise<Exchange> {
  const args = ['-sS', '-i', '-X', method, ...requestHeaders.flatMap((h) => ['-H', h]), `${base}${p}`]
  let file: string | undefined
  if (body !== undefined) {
    file = path.join(tmpDir('tsetcd-gw-'), 'body')
    fs.writeFileSync(file, body)
    args.push('--data-binary', `@${file}`)
  }
  const r = await run(CURL, args)
  if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true })
  assert.equal(r.code, 0, r.stderr)
  // curl prints a 100 Continue's head before the answer's.
  const text = r.stdout.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '')
  const split = text.indexOf('\r\n\r\n')
  const head = text.slice(0, split).split('\r\n')
  const headers = head
    .slice(1)
    .map((l) => {
      const i = l.indexOf(':')
      return `${l.slice(0, i).toLowerCase()}:${l.slice(i + 1).trim()}`
    })
    .filter((l) => COMPARED_HEADERS.includes(l.split(':')[0]))
    .sort()
  return { status: head[0], headers, rest: normalise(text.slice(split + 4)) }
}

/** A streaming call with curl -N: its output lines as they come, until `stop()`. */
function curlStream(base: string, p: string, body: string) {
  const child = spawn(CURL, ['-sS', '-N', '-X', 'POST', `${base}${p}`, '-d', body], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const waiters: (() => void)[] = []
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    for (const w of waiters.splice(0)) w()
  })
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()))
  return {
    /** Waits for `n` complete lines (or the end of the output). */
    async lines(n: number): Promise<string[]> {
      for (;;) {
        const ls = out.split('\n')
        if (ls.length > n) return ls.slice(0, n).map(normalise)
        if (child.exitCode !== null) return ls.filter((l) => l !== '').map(normalise)
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), ended])
      }
    },
    async all(): Promise<string> {
      await ended
      return normalise(out)
    },
    stop(): void {
      child.kill('SIGKILL')
    },
  }
}

type Step = [path: string, body?: string, method?: string]

/** etcd's documented curl examples (api_grpc_gateway.md and friends), run in order. */
const EXAMPLES: Step[] = [
  ['/v3/kv/put', '{"key": "Zm9v", "value": "YmFy"}'],
  ['/v3/kv/range', '{"key": "Zm9v"}'],
  ['/v3beta/kv/range', '{"key": "Zm9v"}'],
  ['/v3/kv/put', '{"key": "Zm9vMQ==", "value": "", "prev_kv": true}'],
  ['/v3/kv/range', '{"key": "Zm9v", "range_end": "Zm9w", "sort_order": "DESCEND", "sort_target": "KEY"}'],
  ['/v3/kv/range', '{"key": "Zm9v", "range_end": "Zm9w", "count_only": true}'],
  ['/v3/kv/range', '{"key": "Zm9v", "range_end": "Zm9w", "keys_only": true, "limit": "1"}'],
  [
    '/v3/kv/txn',
    '{"compare":[{"target":"CREATE","key":"Zm9v","createRevision":"2"}],"success":[{"requestPut":{"key":"Zm9v","value":"YmFy"}}]}',
  ],
  [
    '/v3/kv/txn',
    '{"compare":[{"result":"EQUAL","target":"VALUE","key":"Zm9v","value":"bm8="}],"success":[],"failure":[{"request_range":{"key":"Zm9v"}},{"request_delete_range":{"key":"Zm9vMQ==","prev_kv":true}}]}',
  ],
  ['/v3/kv/deleterange', '{"key": "Zm9v", "prev_kv": true}'],
  ['/v3/kv/deleterange', '{"key": "bm9uZQ=="}'],
  ['/v3/lease/grant', '{"TTL": 30, "ID": 4660}'],
  ['/v3/kv/put', '{"key": "bGVhc2Vk", "value": "eA==", "lease": "4660"}'],
  ['/v3/lease/timetolive', '{"ID": 4660, "keys": true}'],
  ['/v3/kv/lease/timetolive', '{"ID": "4660"}'],
  ['/v3/lease/leases', '{}'],
  ['/v3/kv/lease/leases', ''],
  ['/v3/lease/revoke', '{"ID": 4660}'],
  ['/v3/kv/lease/revoke', '{"ID": 4660}'],
  ['/v3/lease/timetolive', '{"ID": 4660}'],
  ['/v3/kv/compaction', '{"revision": "3", "physical": true}'],
  ['/v3/kv/range', '{"key": "Zm9v", "revision": 2}'],
  ['/v3/cluster/member/list', '{}'],
  ['/v3/maintenance/status', '{}'],
  ['/v3/maintenance/alarm', '{"action": "GET"}'],
  ['/v3/maintenance/alarm', '{"action": "DEACTIVATE", "memberID": "1", "alarm": "NOSPACE"}'],
  ['/v3/maintenance/defragment', '{}'],
]

/** Bad input: etcd's statuses and words. */
const BAD_INPUT: Step[] = [
  ['/v3/kv/put', '{"key": ""}'],
  ['/v3/kv/range', ''],
  ['/v3/kv/range', 'null'],
  ['/v3/kv/put', '{bad'],
  ['/v3/kv/put', '{"key": "Zm9v"'],
  ['/v3/kv/put', '{"key": "Zm9v",}'],
  ['/v3/kv/put', '{"key" "Zm9v"}'],
  ['/v3/kv/put', '{"key": "Zm9v" "value": ""}'],
  ['/v3/kv/put', '{"key": tru}'],
  ['/v3/kv/put', '{"key": -x}'],
  ['/v3/kv/put', '{"key": "a\\qb"}'],
  ['/v3/kv/put', '[]'],
  ['/v3/kv/put', '"Zm9v"'],
  ['/v3/kv/put', '{"key": "@@@"}'],
  ['/v3/kv/put', '{"key": "Zm9"}'],
  ['/v3/kv/put', '{"key": "Zm9v", "value": "YQ"}'],
  ['/v3/kv/put', '{"key": "Zm9v", "value": "YQ=x"}'],
  ['/v3/kv/put', '{"key": 5}'],
  ['/v3/kv/put', '{"key": "Zm9v", "lease": "abc"}'],
  ['/v3/kv/put', '{"key": "Zm9v", "lease": 1.5}'],
  ['/v3/kv/put', '{"key": "Zm9v", "prev_kv": "true"}'],
  ['/v3/kv/put', '{"key": "Zm9v", "ignore_value": true, "value": "eA=="}'],
  ['/v3/kv/put', '{"key": "Zm9v", "lease": "99"}'],
  ['/v3/kv/range', '{"key": "Zm9v", "unknown_field": [1, 2]}'],
  ['/v3/kv/range', '{"key": "Zm9v", "sort_order": "NOPE"}'],
  ['/v3/kv/range', '{"key": "Zm9v", "sort_order": 2}'],
  ['/v3/kv/range', '{"key": "Zm9v", "revision": 100000}'],
  ['/v3/kv/range', '{"key": "Zm9v", "limit": "-1"}'],
  ['/v3/kv/txn', '{"success": {}}'],
  ['/v3/kv/txn', '{"success": [{"request_put": {"key": ""}}]}'],
  ['/v3/kv/compaction', '{"revision": 100000}'],
  ['/v3/lease/grant', '{"TTL": "x"}'],
  ['/v3/lease/revoke', '{"ID": 777}'],
  ['/v3/kv/nothing', '{}'],
  ['/v3/nothing', '{}'],
  ['/v3', '{}'],
  ['/v3?x=1', undefined, 'GET'],
  ['/v3/kv/range?x=1', '{"key": "Zm9v"}'],
  ['/v3/kv/range', undefined, 'GET'],
  ['/v3beta/kv/put', undefined, 'PUT'],
]

async function exchanges(server: ServerProc, steps: Step[]): Promise<Exchange[]> {
  const out: Exchange[] = []
  for (const [p, body, method] of steps) {
    const x = await curl(server.clientUrl, p, body, method)
    if (p === '/v3/maintenance/alarm' || p === '/v3/maintenance/defragment') x.rest = withoutAlarmHeader(x.rest)
    out.push(x)
  }
  return out
}

function compare(steps: Step[], expected: Exchange[], actual: Exchange[]): void {
  for (let i = 0; i < steps.length; i++)
    assert.deepEqual(actual[i], expected[i], `step ${i}: ${steps[i][2] ?? 'POST'} ${steps[i][0]} ${steps[i][1] ?? ''}`)
}

describe('JSON gateway: the same curl commands against etcd and tsetcd', function () {
  this.timeout(180000)
  const servers = interopSuite()
  before(function () {
    if (!haveBinary(CURL)) {
      console.log('      skipped: curl not installed')
      this.skip()
    }
  })

  let etcd: ServerProc
  let ours: ServerProc
  before(async () => {
    ;[etcd, ours] = await Promise.all([servers().start(startEtcd, true), servers().start(startTsetcd, false)])
  })

  it("answers etcd's documented examples as etcd does", async () => {
    const [expected, actual] = await Promise.all([exchanges(etcd, EXAMPLES), exchanges(ours, EXAMPLES)])
    compare(EXAMPLES, expected, actual)
  })

  it('answers bad input with etcd’s statuses and messages, and keeps serving', async () => {
    const [expected, actual] = await Promise.all([exchanges(etcd, BAD_INPUT), exchanges(ours, BAD_INPUT)])
    compare(BAD_INPUT, expected, actual)
    const after: Step[] = [['/v3/kv/range', '{"key": "Zm9v"}']]
    compare(after, await exchanges(etcd, after), await exchanges(ours, after))
  })

  it('refuses a request over --max-request-bytes as etcd does (its own error, then gRPC’s limit)', async () => {
    const value = (n: number) => Buffer.alloc(n).toString('base64')
    const steps: Step[] = [
      ['/v3/kv/put', `{"key": "Ymln", "value": "${value(1_700_000)}"}`],
      ['/v3/kv/put', `{"key": "Ymln", "value": "${value(2_100_000)}"}`],
      ['/v3/kv/range', '{"key": "Ymln"}'],
    ]
    const [expected, actual] = await Promise.all([exchanges(etcd, steps), exchanges(ours, steps)])
    compare(steps, expected, actual)
  })

  it('streams watch events as newline-delimited results', async () => {
    const body = '{"create_request": {"key": "d2F0Y2hlZA==", "prev_kv": true}}'
    const watches = [curlStream(etcd.clientUrl, '/v3/watch', body), curlStream(ours.clientUrl, '/v3/watch', body)]
    try {
      const created = await Promise.all(watches.map((w) => w.lines(1)))
      assert.match(created[0][0], /^\{"result":\{"header":.*"created":true\}\}$/)
      for (const s of [etcd, ours]) {
        await curl(s.clientUrl, '/v3/kv/put', '{"key": "d2F0Y2hlZA==", "value": "MQ=="}')
        await curl(s.clientUrl, '/v3/kv/put', '{"key": "d2F0Y2hlZA==", "value": "Mg=="}')
        await curl(s.clientUrl, '/v3/kv/deleterange', '{"key": "d2F0Y2hlZA=="}')
      }
      const [expected, actual] = await Promise.all(watches.map((w) => w.lines(4)))
      assert.equal(expected.length, 4)
      assert.deepEqual(actual, expected)
    } finally {
      for (const w of watches) w.stop()
    }
  })

  it('authenticates, and runs a call as the user of its Authorization header', async () => {
    const steps: Step[] = [
      ['/v3/auth/user/add', '{"name": "root", "password": "pw"}'],
      ['/v3/auth/role/add', '{"name": "root"}'],
      ['/v3/auth/user/grant', '{"user": "root", "role": "root"}'],
      ['/v3/auth/user/add', '{"name": "alice", "password": "apw"}'],
      ['/v3/auth/role/add', '{"name": "app"}'],
      ['/v3/auth/role/grant', '{"name": "app", "perm": {"permType": "READWRITE", "key": "YXBw", "range_end": "YXBx"}}'],
      ['/v3/auth/user/grant', '{"user": "alice", "role": "app"}'],
      ['/v3/auth/enable', '{}'],
      ['/v3/kv/put', '{"key": "YXBwL3g=", "value": "MQ=="}'],
      ['/v3/auth/authenticate', '{"name": "alice", "password": "wrong"}'],
    ]
    const [expected, actual] = await Promise.all([exchanges(etcd, steps), exchanges(ours, steps)])
    compare(steps, expected, actual)
    const asUser = async (s: ServerProc, name: string, password: string, calls: Step[]) => {
      const auth = await curl(s.clientUrl, '/v3/auth/authenticate', JSON.stringify({ name, password }))
      const token = (JSON.parse(auth.rest) as { token: string }).token
      assert.ok(token, auth.rest)
      const out: Exchange[] = []
      for (const [p, body] of calls) out.push(await curl(s.clientUrl, p, body, 'POST', [`Authorization: ${token}`]))
      return out
    }
    const alice: Step[] = [
      ['/v3/kv/put', '{"key": "YXBwL3g=", "value": "MQ=="}'],
      ['/v3/kv/range', '{"key": "YXBwL3g="}'],
      ['/v3/kv/put', '{"key": "b3RoZXI=", "value": "MQ=="}'],
      ['/v3/auth/user/list', '{}'],
    ]
    const [e2, a2] = await Promise.all([asUser(etcd, 'alice', 'apw', alice), asUser(ours, 'alice', 'apw', alice)])
    compare(alice, e2, a2)
    const root: Step[] = [
      ['/v3/auth/user/list', '{}'],
      ['/v3/auth/disable', '{}'],
    ]
    const [e3, a3] = await Promise.all([asUser(etcd, 'root', 'pw', root), asUser(ours, 'root', 'pw', root)])
    compare(root, e3, a3)
  })

  it('answers a lease keep-alive sent in the request body, then ends the stream', async () => {
    const grant = '{"TTL": 60, "ID": 8738}'
    for (const s of [etcd, ours]) await curl(s.clientUrl, '/v3/lease/grant', grant)
    const steps = [
      ['/v3/lease/keepalive', '{"ID": 8738}'],
      ['/v3/lease/keepalive', '{"ID": 8738}{"ID": "8738"}'],
      ['/v3/lease/keepalive', '{"ID": 9999}'],
      ['/v3/lease/keepalive', '{"ID": x}'],
      ['/v3/lease/keepalive', ''],
    ]
    for (const [p, body] of steps) {
      const [expected, actual] = await Promise.all(
        [etcd, ours].map((s) =>
          curlStream(s.clientUrl, p, body)
            .all()
            .then((t) => t.replace(/"TTL":"\d+"/g, 'TTL')),
        ),
      )
      assert.equal(actual, expected, `${p} ${body}`)
    }
  })
})
