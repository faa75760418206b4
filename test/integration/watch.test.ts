/**
 * Watch guarantees over gRPC against real `tsetcd serve` processes: ordered, unique,
 * atomic per revision, reliable (no gap), resumable after kill -9 and restart, and a reader
 * that stops reading under heavy writes still gets everything.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type * as grpc from '@grpc/grpc-js'
import { EtcdClient } from '../../src/client/client.js'
import { WatchSession } from '../../src/client/watch.js'
import {
  KVService,
  WatchService,
  sizeWatchResponse,
  type WatchRequestInit,
  type WatchResponse,
} from '../../src/gen/etcdserverpb.js'
import { TSETCD, removeDir, startTsetcd, type ServerProc } from '../helpers/procs.js'
import { TestCluster } from '../helpers/cluster.js'

const b = (s: string): Buffer => Buffer.from(s)
const PREFIX = 'w/'
const PREFIX_END = 'w0'

type Duplex = grpc.ClientDuplexStream<WatchRequestInit, WatchResponse>

/** A raw Watch stream on a prefix that records every response. */
function rawWatch(client: EtcdClient, startRevision: number): { call: Duplex; responses: WatchResponse[] } {
  const call = client.duplex(WatchService.Watch)
  const responses: WatchResponse[] = []
  call.on('data', (r: WatchResponse) => responses.push(r))
  call.on('error', () => {})
  call.write({ create_request: { key: b(PREFIX), range_end: b(PREFIX_END), start_revision: startRevision } })
  return { call, responses }
}

async function until(cond: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * Checks the guarantees on one watcher's responses: revisions only go up, each revision
 * comes in one response and exactly once, and every revision in [from, to] is there (every
 * write of these tests is under the watched prefix). Returns the events in order.
 */
function checkStream(
  responses: WatchResponse[],
  from: number,
  to: number,
  eventsPerRev?: Map<number, number>,
): WatchResponse['events'] {
  const events = responses.filter((r) => !r.created).flatMap((r) => r.events)
  let last = from - 1
  const seenIn = new Map<number, number>()
  responses.forEach((r, i) => {
    for (const e of r.events) {
      const rev = e.kv!.mod_revision
      assert.ok(rev >= last, `revision ${rev} after ${last}: out of order`)
      if (rev !== last) assert.ok(!seenIn.has(rev), `revision ${rev} in two responses`)
      seenIn.set(rev, i)
      last = rev
    }
  })
  const revs = [...new Set(events.map((e) => e.kv!.mod_revision))]
  assert.equal(revs.length, to - from + 1, `revisions ${from}..${to} all there once`)
  revs.forEach((r, i) => assert.equal(r, from + i, 'no gap'))
  if (eventsPerRev)
    for (const [rev, n] of eventsPerRev)
      assert.equal(events.filter((e) => e.kv!.mod_revision === rev).length, n, `all ${n} events of revision ${rev}`)
  return events
}

describe('watch over gRPC (tsetcd serve)', function () {
  this.timeout(180000)
  const servers: ServerProc[] = []
  const clients: EtcdClient[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close()
    for (const s of servers.splice(0)) {
      await s.kill9()
      removeDir(s.dataDir)
    }
  })

  async function member(args?: { dataDir?: string; clientPort?: number; peerPort?: number }): Promise<ServerProc> {
    const s = await startTsetcd(
      args?.clientPort ? { dataDir: args.dataDir, clientPort: args.clientPort, peerPort: args.peerPort } : {},
    )
    servers.push(s)
    return s
  }

  async function connect(s: ServerProc | string): Promise<EtcdClient> {
    const c = await EtcdClient.connect({ endpoints: [typeof s === 'string' ? s : s.endpoint], dialTimeoutMs: 3000 })
    clients.push(c)
    return c
  }

  async function revision(c: EtcdClient): Promise<number> {
    const r = await c.call(KVService.Range, { key: b('nothing') })
    return r.header!.revision
  }

  it('delivers concurrent puts and txns ordered, once each, a txn in one response, with no gap', async () => {
    const s = await member()
    const writer = await connect(s)
    const reader = await connect(s)
    const start = (await revision(writer)) + 1
    const w = rawWatch(reader, 0)
    await until(() => w.responses.length > 0, 'created')
    const txnRevs = new Map<number, number>()
    const work: Promise<void>[] = []
    for (let c = 0; c < 8; c++) {
      work.push(
        (async () => {
          for (let i = 0; i < 150; i++) {
            if (i % 5 === 0) {
              const keys = [0, 1, 2].map((j) => b(`${PREFIX}t${c}-${i}-${j}`))
              const r = await writer.call(KVService.Txn, {
                success: keys.map((key) => ({ request_put: { key, value: b(`${i}`) } })),
              })
              txnRevs.set(r.header!.revision, 3)
            } else {
              await writer.call(KVService.Put, { key: b(`${PREFIX}${c}-${i % 7}`), value: b(`${i}`) })
            }
          }
        })(),
      )
    }
    await Promise.all(work)
    const end = await revision(writer)
    await until(() => w.responses.some((r) => r.events.some((e) => e.kv!.mod_revision === end)), 'the last revision')
    const events = checkStream(w.responses, start, end, txnRevs)
    assert.equal(events.length, 8 * 150 + 8 * 30 * 2)
    assert.ok(
      w.responses.every((r) => r.watch_id === 0 && r.header!.revision >= (r.events.at(-1)?.kv!.mod_revision ?? 0)),
    )
    w.call.cancel()
  })

  it('resumes after the member is killed (-9) and restarted: from a past revision, and in the client without gap or repeat', async () => {
    const s = await member()
    const [cp, pp] = [Number(s.endpoint.split(':')[1]), Number(s.peerUrl.split(':')[2])]
    const first = await connect(s)
    const start = (await revision(first)) + 1
    const session = WatchSession.open(await connect(s), () =>
      EtcdClient.connect({ endpoints: [s.endpoint], dialTimeoutMs: 1000 }),
    )
    const watch = session.watch({ key: b(PREFIX), rangeEnd: b(PREFIX_END) })
    const got: WatchResponse[] = []
    const reading = (async () => {
      for await (const r of watch) got.push(r)
    })()
    // The command-line watcher too: its output must hold each put exactly once.
    const cli = spawn(process.execPath, [TSETCD, '--endpoints', s.endpoint, 'watch', PREFIX, '--prefix'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let cliOut = ''
    cli.stdout.on('data', (d) => (cliOut += d))
    await new Promise((r) => setTimeout(r, 1000))

    const acked: string[] = []
    const putSome = async (c: EtcdClient, from: number, n: number): Promise<void> => {
      for (let i = from; i < from + n; i++) {
        await c.call(KVService.Put, { key: b(`${PREFIX}k${i % 10}`), value: b(`v${i}`) })
        acked.push(`v${i}`)
      }
    }
    await putSome(first, 0, 200)
    await until(() => got.flatMap((r) => r.events).length === 200, 'events before the kill')
    await s.kill9()
    servers.splice(servers.indexOf(s), 1)
    const again = await member({ dataDir: s.dataDir, clientPort: cp, peerPort: pp })
    const second = await connect(again)
    await putSome(second, 200, 200)
    const end = await revision(second)
    await until(() => got.flatMap((r) => r.events).length === 400, 'every event after the restart')
    checkStream(got, start, end)
    assert.deepEqual(
      got.flatMap((r) => r.events.map((e) => e.kv!.value.toString())),
      acked,
    )

    // A new watcher from a past revision gets the history, also across the restart.
    const past = rawWatch(second, start + 150)
    await until(() => past.responses.flatMap((r) => r.events).length === 250, 'history from a past revision')
    checkStream(past.responses, start + 150, end)
    past.call.cancel()

    await until(() => cliOut.split('\n').filter((l) => l === 'PUT').length === 400, 'the command to print every event')
    const values = cliOut.split('\n').filter((_, i) => i % 3 === 2)
    assert.deepEqual(values, acked)
    cli.kill('SIGKILL')
    session.close()
    await reading
  })

  it('on a three-member cluster: every member delivers the same events, and a watcher moves to another member when its member dies', async () => {
    const cluster = await TestCluster.create(3)
    try {
      await Promise.all(cluster.members.map((m) => cluster.ready(m)))
      const writer = await connect(cluster.members[0].endpoint)
      const start = (await revision(writer)) + 1
      const perMember = await Promise.all(cluster.members.map(async (m) => rawWatch(await connect(m.endpoint), start)))
      // The command, with every endpoint; it starts on the first that answers.
      const cli = spawn(
        process.execPath,
        [TSETCD, '--endpoints', cluster.endpoints.join(','), 'watch', PREFIX, '--prefix', '--rev', String(start)],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let cliOut = ''
      cli.stdout.on('data', (d) => (cliOut += d))
      const printed = () => cliOut.split('\n').filter((l) => l === 'PUT').length
      const acked: string[] = []
      const putSome = async (c: EtcdClient, from: number, n: number): Promise<void> => {
        for (let i = from; i < from + n; i++) {
          await c.call(KVService.Put, { key: b(`${PREFIX}c${i % 5}`), value: b(`v${i}`) })
          acked.push(`v${i}`)
        }
      }
      await putSome(writer, 0, 100)
      const end = await revision(writer)
      for (const w of perMember)
        await until(() => w.responses.some((r) => r.events.some((e) => e.kv!.mod_revision === end)), 'every member')
      const seen = perMember.map((w) =>
        checkStream(w.responses, start, end).map((e) => `${e.kv!.mod_revision}:${e.kv!.value}`),
      )
      assert.deepEqual(seen[1], seen[0])
      assert.deepEqual(seen[2], seen[0])
      for (const w of perMember) w.call.cancel()

      // Kill each member in turn (one is the command's): it goes on through another one.
      await until(() => printed() === 100, 'the command before the kills')
      let n = 100
      for (const victim of cluster.members) {
        await victim.proc!.kill9()
        const alive = cluster.members.filter((m) => m !== victim)
        const leader = await cluster.leader(15000, alive)
        await putSome(await connect(leader.endpoint), n, 50)
        n += 50
        await until(() => printed() === n, `the command after ${victim.name} died`)
        await cluster.start(victim)
        await cluster.ready(victim)
      }
      assert.deepEqual(
        cliOut.split('\n').filter((_, i) => i % 3 === 2),
        acked,
      )
      cli.kill('SIGKILL')
    } finally {
      await cluster.stopAll()
      cluster.remove()
    }
  })

  it('fragments a large response for a watcher that asked, sends progress notifications, and ends streams with UNAVAILABLE on shutdown', async () => {
    const s = await startTsetcd({
      extraArgs: ['--max-request-bytes', '500000', '--experimental-watch-progress-notify-interval', '200ms'],
    })
    servers.push(s)
    const c = await connect(s)
    const start = (await revision(c)) + 1
    // Four revisions of 400 KB, caught up in one response: over --max-request-bytes + 512 KiB.
    const big = Buffer.alloc(400000, 'b')
    for (let i = 0; i < 4; i++) await c.call(KVService.Put, { key: b(`${PREFIX}big${i}`), value: big })
    const frag = c.duplex(WatchService.Watch)
    const whole = c.duplex(WatchService.Watch)
    const got: { frag: WatchResponse[]; whole: WatchResponse[] } = { frag: [], whole: [] }
    frag.on('data', (r: WatchResponse) => got.frag.push(r))
    whole.on('data', (r: WatchResponse) => got.whole.push(r))
    const errors: grpc.ServiceError[] = []
    for (const call of [frag, whole]) call.on('error', (e: grpc.ServiceError) => errors.push(e))
    frag.write({
      create_request: {
        key: b(PREFIX),
        range_end: b(PREFIX_END),
        start_revision: start,
        fragment: true,
        progress_notify: true,
      },
    })
    whole.write({ create_request: { key: b(PREFIX), range_end: b(PREFIX_END), start_revision: start } })
    const keys = (rs: WatchResponse[]) => rs.flatMap((r) => r.events.map((e) => e.kv!.key.toString()))
    await until(() => keys(got.frag).length === 4 && keys(got.whole).length === 4, 'the big values')
    const parts = got.frag.filter((r) => r.events.length > 0)
    assert.deepEqual(keys(parts), ['w/big0', 'w/big1', 'w/big2', 'w/big3'])
    assert.ok(
      parts.some((r) => r.fragment),
      'fragmented',
    )
    assert.equal(parts.at(-1)!.fragment, false, 'the last fragment ends the response')
    for (const r of parts) assert.ok(sizeWatchResponse(r) < 500000 + 512 * 1024, 'each fragment under the limit')
    const wholeParts = got.whole.filter((r) => r.events.length > 0)
    assert.ok(
      wholeParts.every((r) => !r.fragment) && wholeParts.some((r) => sizeWatchResponse(r) >= 500000 + 512 * 1024),
      'unfragmented without `fragment`',
    )
    // Idle now: periodic progress notifications for the watcher that asked, none for the other.
    await until(() => got.frag.filter((r) => r.events.length === 0 && !r.created).length >= 2, 'progress notifications')
    assert.ok(
      got.frag
        .filter((r) => r.events.length === 0 && !r.created)
        .every((r) => r.watch_id === 0 && r.header!.revision === start + 3),
    )
    assert.equal(got.whole.filter((r) => r.events.length === 0 && !r.created).length, 0)

    // Open watch streams do not hold up the shutdown (a hang fails the test by its timeout).
    assert.equal(await s.stop(), 0)
    await until(() => errors.length === 2, 'both streams to end')
    assert.deepEqual(
      errors.map((e) => e.code),
      [14, 14],
    )
  })

  it('a watcher that stops reading under heavy writes gets everything, in order, when it reads again', async () => {
    const s = await member()
    const writer = await connect(s)
    const slowClient = await connect(s)
    const fastClient = await connect(s)
    const start = (await revision(writer)) + 1
    const slow = rawWatch(slowClient, 0)
    const fast = rawWatch(fastClient, 0)
    await until(() => slow.responses.length > 0 && fast.responses.length > 0, 'created')
    slow.call.pause()
    const value = Buffer.alloc(2048, 'x')
    const work: Promise<void>[] = []
    for (let c = 0; c < 32; c++) {
      work.push(
        (async () => {
          for (let i = 0; i < 250; i++) await writer.call(KVService.Put, { key: b(`${PREFIX}${c}/${i % 13}`), value })
        })(),
      )
    }
    await Promise.all(work)
    const end = await revision(writer)
    // The other watcher is served while this one is stuck.
    await until(() => fast.responses.some((r) => r.events.some((e) => e.kv!.mod_revision === end)), 'the fast watcher')
    assert.ok(
      slow.responses.flatMap((r) => r.events).length < end - start + 1,
      'the slow watcher did not read everything yet',
    )
    slow.call.resume()
    await until(
      () => slow.responses.some((r) => r.events.some((e) => e.kv!.mod_revision === end)),
      'the slow watcher to catch up',
      60000,
    )
    checkStream(slow.responses, start, end)
    checkStream(fast.responses, start, end)
    slow.call.cancel()
    fast.call.cancel()
  })
})
