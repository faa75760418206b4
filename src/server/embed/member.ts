/**
 * Starts one member from its configuration: data dir, identity, backend and store, the raft
 * state from the WAL and snapshots, the peer transport, the raft loop, the core and the
 * client listeners. Returns a handle to stop it cleanly.
 */
import http from 'node:http'
import path from 'node:path'
import type { ServerConfig } from '../config/config.js'
import type { Logger } from '../log.js'
import { RocksBackend } from '../backend/rocks-backend.js'
import { MvccStore, type StoreOptions } from '../mvcc/store.js'
import { readIdentity, writeIdentity, type Identity } from '../membership/identity.js'
import { bootstrapMember } from '../membership/bootstrap.js'
import { ClientServer, type BoundListener } from '../api/grpc-server.js'
import { PeerTransport } from '../peer/index.js'
import { RaftNode, type RaftApplication } from '../raftnode/raft-node.js'
import { openRaftDisk, type RaftDisk } from '../raftnode/recover.js'
import { ReceivedSnapshots, snapshotBodyNow } from '../raftnode/db-snapshot.js'
import { readMeta } from '../mvcc/meta.js'
import { mkdirDurable, nodeFs } from '../wal/fs.js'
import { EtcdServer } from '../etcdserver/server.js'
import { MemberCore } from '../etcdserver/member-core.js'
import { PATH_HASHKV, checkInitialHashKV, hashKVRoute, monitorKVHash } from '../etcdserver/corrupt.js'
import { GRPC_OVERHEAD_BYTES } from '../api/limits.js'
import { KvStateMachine } from '../apply/kv-state.js'
import { applierStack } from '../apply/lease.js'
import { AlarmStore, alarmApplier } from '../apply/alarm.js'
import {
  AlarmRequest_AlarmAction,
  AlarmType,
  AlarmTypeNames,
  decodeRangeRequest,
  encodeRangeRequest,
} from '../../gen/etcdserverpb.js'
import { httpEndpoints } from '../api/http-endpoints.js'
import { MemberList } from '../membership/member-list.js'
import { MemberStore } from '../membership/store.js'
import { encodeConfContext, type Member as StoredMember } from '../membership/member.js'
import { Reconfig, REMOVED_MESSAGE } from '../etcdserver/reconfig.js'
import { answerPromote, forwardPromote, PATH_PROMOTE } from './promote-route.js'
import { syncPeers } from './peer-sync.js'
import type { PeerTlsOptions } from '../peer/index.js'
import { WatchHub } from '../watch/hub.js'
import { clientPortSecurity, peerTlsOptions } from '../tls/index.js'
import { openLeases } from '../lease/index.js'
import { autoCompactor } from '../compactor/index.js'
import { OnlineBackups } from '../backup/online.js'
import { AuthStore } from '../auth/store.js'
import { tokenProvider, type TokenProvider } from '../auth/tokens.js'
import { BCRYPT_DEFAULT_COST, BCRYPT_MAX_COST, BCRYPT_MIN_COST, PasswordHasher } from '../auth/password.js'
import { authApplier } from '../apply/auth.js'
import { AuthGate } from '../etcdserver/auth-gate.js'
import { MemberMetrics } from '../metrics/index.js'
import { ETCD_VERSION } from '../../version.js'

/** The one-key read of the /livez and /readyz probes. */
const PROBE_READ = decodeRangeRequest(encodeRangeRequest({ key: Buffer.from([0]), limit: 1, keys_only: true }))

export interface Member {
  readonly server: EtcdServer
  readonly kv: KvStateMachine
  readonly clients: ClientServer
  readonly metrics: MemberMetrics
  /**
   * Resolves true once the member serves: it has published itself to the cluster through raft
   * and a linearizable read succeeds (etcd's ReadyNotify); false if it stopped first.
   */
  readonly ready: Promise<boolean>
  stop(): Promise<void>
}

export interface MemberOptions {
  /**
   * Told when the member can no longer serve (its raft loop failed). Default: the process
   * exits with status 1, as etcd's does.
   */
  onFatal?: (err: Error) => void
  /**
   * Told when the member was removed from the cluster and stopped serving. Default: the
   * process exits with status 1.
   */
  onRemoved?: () => void
}

/** Thrown by startMember for a member whose data dir says it was removed from the cluster. */
export class MemberRemovedError extends Error {}

async function identityFor(cfg: ServerConfig, log: Logger, peerTls: PeerTlsOptions | undefined): Promise<Identity> {
  const stored = await readIdentity(cfg.dataDir)
  if (stored) {
    log.info('restarting member', {
      name: stored.name,
      'member-id': stored.memberId,
      'cluster-id': stored.clusterId,
      'data-dir': cfg.dataDir,
    })
    if (stored.name !== cfg.name)
      log.warn('member name differs from the one in the data dir; using the data dir', {
        name: cfg.name,
        'stored-name': stored.name,
      })
    return stored
  }
  const identity = await bootstrapMember(cfg, log, peerTls)
  await writeIdentity(cfg.dataDir, identity)
  log.info('bootstrapped new member', {
    name: identity.name,
    'member-id': identity.memberId,
    'cluster-id': identity.clusterId,
    'data-dir': cfg.dataDir,
    members: identity.members.map((m) => m.name),
  })
  return identity
}

/**
 * Opens the live database, first bringing it level with the raft snapshot the WAL starts
 * from (a crash between making a received snapshot durable and swapping its database in);
 * refuses a database that has applied entries the WAL does not hold.
 */
interface OpenDatabase {
  backend: RocksBackend
  store: MvccStore
}

/** Opens the database and rebuilds its index (settling an interrupted snapshot install first). */
async function openDatabase(
  dataDir: string,
  received: ReceivedSnapshots,
  options: StoreOptions,
): Promise<OpenDatabase> {
  await received.settle()
  const backend = await RocksBackend.open(RocksBackend.dbDir(dataDir))
  try {
    return { backend, store: await MvccStore.open(backend, options) }
  } catch (err) {
    await backend.close()
    throw err
  }
}

async function closeDatabase(db: OpenDatabase): Promise<void> {
  await db.store.close()
  await db.backend.close()
}

/**
 * What the WAL says of the database opened beside it: one behind the raft snapshot is replaced
 * by the copy received with that snapshot (and opened again); one ahead of the WAL's end means
 * the WAL lost entries, and the member refuses to start. Closes the database on failure.
 */
async function checkDatabase(
  dataDir: string,
  db: OpenDatabase,
  disk: RaftDisk,
  received: ReceivedSnapshots,
  options: StoreOptions,
): Promise<OpenDatabase> {
  const dir = RocksBackend.dbDir(dataDir)
  let applied = readMeta(db.backend).consistentIndex
  const snap = { index: disk.snapshotIndex, term: disk.snapshotTerm }
  if (applied < snap.index) {
    await closeDatabase(db)
    if (!(await received.has(snap))) {
      throw new Error(
        `the database in ${dir} is at applied index ${applied}, behind the raft snapshot at ${snap.index}, and the database received with that snapshot (${received.stagedDir(snap)}) is missing`,
      )
    }
    await received.install(snap)
    db = await openDatabase(dataDir, received, options)
    applied = readMeta(db.backend).consistentIndex
  }
  try {
    await received.dropAllBut()
    const walEnd = disk.storage.lastIndex()
    if (applied > walEnd) {
      throw new Error(
        `the database in ${dir} has applied raft index ${applied}, but the WAL ends at index ${walEnd}: the WAL lost entries this member acknowledged; refusing to start`,
      )
    }
  } catch (err) {
    await closeDatabase(db)
    throw err
  }
  return db
}

/** The token provider --auth-token names; etcd's message for a bad value. */
function authTokens(cfg: ServerConfig): TokenProvider {
  try {
    return tokenProvider(cfg.authToken, cfg.authTokenTtl)
  } catch (err) {
    throw new Error(`failed to create token provider: ${(err as Error).message}`, { cause: err })
  }
}

export async function startMember(cfg: ServerConfig, log: Logger, opts: MemberOptions = {}): Promise<Member> {
  // The client port is bound first: a client that connects while the member reads its WAL and
  // rebuilds its index waits there and is answered once it is ready, rather than refused.
  const bound = await ClientServer.bind(cfg.listenClientUrls)
  try {
    return await startBound(cfg, log, opts, bound)
  } catch (err) {
    for (const b of bound) b.close()
    throw err
  }
}

async function startBound(
  cfg: ServerConfig,
  log: Logger,
  opts: MemberOptions,
  bound: BoundListener[],
): Promise<Member> {
  const tokens = authTokens(cfg)
  let bcryptCost = cfg.bcryptCost
  if (bcryptCost < BCRYPT_MIN_COST || bcryptCost > BCRYPT_MAX_COST) {
    log.named('auth').warn('use default bcrypt cost instead of the invalid given cost', {
      'min-cost': BCRYPT_MIN_COST,
      'max-cost': BCRYPT_MAX_COST,
      'default-cost': BCRYPT_DEFAULT_COST,
      'given-cost': bcryptCost,
    })
    bcryptCost = BCRYPT_DEFAULT_COST
  }
  const hasher = new PasswordHasher(bcryptCost)
  const clientTls = await clientPortSecurity(cfg, log)
  await mkdirDurable(nodeFs, path.resolve(cfg.dataDir))
  const peerTls = await peerTlsOptions(cfg, log)
  const identity = await identityFor(cfg, log, peerTls)
  const selfClientUrls = cfg.advertiseClientUrls.map((u) => u.href.replace(/\/$/, ''))
  // The same on every member (the bootstrap entries are replicated state): client URLs come
  // later, when each member publishes them through raft.
  const seed = (id: bigint): StoredMember | undefined => {
    const m = identity.members.find((x) => x.id === id)
    return m && { id: m.id, name: m.name, peerURLs: [...m.peerUrls].sort(), clientURLs: [], isLearner: false }
  }

  const received = new ReceivedSnapshots(cfg.dataDir)
  const leftovers = await OnlineBackups.removeLeftovers(OnlineBackups.dirOf(cfg.dataDir))
  if (leftovers.length > 0) log.info('removed unfinished database snapshots', { files: leftovers })
  const mlog = log.named('mvcc')
  const storeOptions: StoreOptions = {
    compactionChunkSize: cfg.compactionBatchLimit,
    onRestoreProgress: (p) => {
      const took = `${(p.elapsedMs / 1000).toFixed(3)}s`
      if (p.done) mlog.info('kvstore restored', { 'current-rev': p.currentRevision, keys: p.keys, took })
      else mlog.info('restoring kvstore', { 'restored-records': p.records, keys: p.keys, took })
    },
  }
  // The database is opened and its index rebuilt while the WAL is read: with a large store both
  // take long, and neither needs the other until checkDatabase, which runs before anything else.
  const [opened, walRead] = await Promise.allSettled([
    openDatabase(cfg.dataDir, received, storeOptions),
    openRaftDisk({
      dataDir: cfg.dataDir,
      walDir: cfg.walDir,
      memberId: identity.memberId,
      clusterId: identity.clusterId,
      bootstrap: identity.joined
        ? undefined
        : { voters: identity.members.map((m) => m.id), context: (id) => encodeConfContext({ member: seed(id) }) },
      logger: log.named('raft'),
      segmentBytes: cfg.walSegmentBytes,
      unsafeNoFsync: cfg.unsafeNoFsync,
    }),
  ])
  if (opened.status === 'rejected' || walRead.status === 'rejected') {
    if (opened.status === 'fulfilled') await closeDatabase(opened.value)
    if (walRead.status === 'fulfilled') await walRead.value.wal.close()
    throw walRead.status === 'rejected' ? walRead.reason : (opened as PromiseRejectedResult).reason
  }
  const disk = walRead.value
  let db: OpenDatabase
  try {
    db = await checkDatabase(cfg.dataDir, opened.value, disk, received, storeOptions)
  } catch (err) {
    await disk.wal.close()
    throw err
  }
  const { backend, store } = db
  const kv = new KvStateMachine(store, backend)
  const memberStore = await MemberStore.open(backend)
  if (memberStore.isRemoved(identity.memberId)) {
    log.error(REMOVED_MESSAGE, { 'member-id': identity.memberId })
    await store.close()
    await backend.close()
    await disk.wal.close()
    throw new MemberRemovedError(REMOVED_MESSAGE)
  }
  if (memberStore.empty && !identity.joined && kv.appliedIndex >= identity.members.length) {
    // A data dir from before the member store: its bootstrap entries carried no member.
    kv.applyRecords(kv.appliedIndex, (wb) => {
      for (const m of identity.members) memberStore.apply({ type: 'addNode', nodeId: m.id }, {}, wb, seed(m.id))
    })
  }
  const alarms = await AlarmStore.open(backend)
  alarms.onChange((c) =>
    log.named('etcdserver').warn(c.raised ? 'alarm raised' : 'alarm disarmed', {
      alarm: AlarmTypeNames[c.alarm] ?? String(c.alarm),
      from: c.member.toString(16),
    }),
  )
  const server = new EtcdServer(kv, identity, {
    requestTimeoutMs: 5000 + 2 * cfg.electionMs,
    logger: log.named('etcdserver'),
    quotaBackendBytes: cfg.quotaBackendBytes,
    warningApplyDurationMs: cfg.warningApplyDurationMs,
    alarms: () => alarms.get(),
    defragment: async (hold) => {
      const dlog = log.named('etcdserver')
      dlog.info('starting defragment')
      const before = kv.currentBackend.size()
      try {
        await kv.defragment(hold)
      } catch (err) {
        dlog.warn('failed to defragment', { error: (err as Error).message })
        throw err
      }
      dlog.info('finished defragment', {
        'current-db-size-bytes': kv.currentBackend.size(),
        'db-size-bytes-before': before,
      })
    },
  })
  const leases = await openLeases(
    store,
    backend,
    server,
    {
      heartbeatMs: cfg.heartbeatMs,
      electionMs: cfg.electionMs,
      requestTimeoutMs: 5000 + 2 * cfg.electionMs,
      checkpointIntervalMs: cfg.leaseCheckpointIntervalMs,
      peers: { post: (member, path, body, ms) => transport.post(member, path, body, ms) },
    },
    log.named('lessor'),
  )
  const authStore = await AuthStore.open(backend)
  authStore.onInvalidate((user) => tokens.invalidateUser(user))
  authStore.onEnable((enabled) => {
    tokens.reset()
    log.named('auth').info(enabled ? 'enabled authentication' : 'disabled authentication')
  })
  const leaseKeys = (id: bigint) => leases.lessor.view(id, true)?.keys
  kv.setApplier(authApplier(authStore, tokens, leaseKeys, alarmApplier(alarms, applierStack(leases.lessor))))
  kv.onRestore(() => authStore.reload(kv.currentBackend))
  const authGate = new AuthGate({
    store: authStore,
    tokens,
    hasher,
    clientCertAuth: cfg.tls.clientCertAuth,
    leaseKeys,
    readNotify: () => server.linearizableReadNotify(),
    propose: (req, ctx) => server.proposeRequest(req, ctx),
  })
  server.setAuth(authGate)
  kv.onRestore(() => alarms.reload(kv.currentBackend))
  kv.onRestore((restored) => leases.lessor.recover(kv.currentBackend, restored))
  kv.onRestore(() => memberStore.reload(kv.currentBackend))
  const memberList = new MemberList(
    memberStore,
    { id: identity.memberId, name: cfg.name, clientURLs: selfClientUrls },
    peerTls,
  )
  const stopRemoved = () => {
    if (opts.onRemoved) opts.onRemoved()
    else {
      process.stderr.write(`tsetcd: ${REMOVED_MESSAGE}\n`)
      process.exit(1)
    }
  }
  let removedNoticed = false

  let node: RaftNode | undefined // eslint-disable-line prefer-const -- assigned once below, read by closures built before it
  let clients: ClientServer | undefined // eslint-disable-line prefer-const -- assigned once below, read at scrape time
  const metrics = new MemberMetrics(
    {
      hasLeader: () => node !== undefined && node.leader !== 0n,
      isLeader: () => node !== undefined && node.leader === identity.memberId,
      isLearner: () => memberStore.get(identity.memberId)?.isLearner ?? false,
      memberIdHex: () => identity.memberId.toString(16),
      committedIndex: () => node?.committed ?? 0,
      appliedIndex: () => node?.applied ?? 0,
      pendingProposals: () => server.pendingProposals,
      failedProposals: () => server.proposalsFailed,
      heartbeatSendFailures: () => node?.heartbeatSendFailures ?? 0,
      dbTotalSize: () => kv.currentBackend.size(),
      dbSizeInUse: () => kv.dbSizeInUse(),
      keys: () => kv.currentStore.indexedKeys,
      peerSentBytes: () =>
        transport.peerIds().map((id) => ({ to: id.toString(16), bytes: transport.peerStatus(id)?.sentBytes ?? 0 })),
      grpcMethods: () => clients?.methodStats() ?? [],
      serverVersion: () => ETCD_VERSION,
    },
    cfg.metrics,
  )
  disk.wal.onSync = (seconds) => metrics.walFsyncDone(seconds)
  kv.onCommitDone = (seconds) => metrics.backendCommitDone(seconds)
  const transport: PeerTransport = new PeerTransport({
    memberId: identity.memberId,
    clusterId: identity.clusterId,
    listenUrls: cfg.listenPeerUrls.map((u) => u.href.replace(/\/$/, '')),
    tls: peerTls,
    postRoutes: new Map([
      ...leases.core.peerRoutes(),
      [PATH_PROMOTE, (body: unknown) => answerPromote(reconfig, body)],
      [PATH_HASHKV, hashKVRoute(identity.memberId, (rev) => kv.hashKV(rev))],
    ]),
    isRemoved: (id) => memberStore.isRemoved(id),
    onRemoved: () => {
      if (removedNoticed) return
      removedNoticed = true
      log.error(REMOVED_MESSAGE, { 'member-id': identity.memberId })
      void server.stop().then(stopRemoved)
    },
    handler: {
      onMessage: (m) => node?.step(m),
      reportUnreachable: (id) => node?.reportUnreachable(id),
      reportSnapshot: (id, ok) => node?.reportSnapshot(id, ok),
      onSnapshot: (m, body) => {
        const md = m.snapshot!.metadata
        log.info('receiving snapshot from leader', { from: m.from, index: md.index, term: md.term })
        return received.stage({ index: md.index, term: md.term }, body, kv.appliedIndex)
      },
    },
    members: () => memberList.known(),
    logger: log.named('rafthttp'),
    onRoundTrip: (id, ms) => metrics.peerRoundTrip(id.toString(16), ms / 1000),
  })
  const initialPeers = memberStore.empty
    ? identity.members.map((m) => ({ id: m.id, peerURLs: m.peerUrls }))
    : memberStore.members()
  for (const m of initialPeers) if (m.id !== identity.memberId) transport.addPeer(m.id, m.peerURLs)
  // A snapshot from the leader brings its membership: the transport follows it at once.
  kv.onRestore(() => {
    const { added, removed } = syncPeers(transport, memberStore.members(), identity.memberId)
    if (added.length > 0 || removed.length > 0)
      log.info('peers updated from the installed snapshot', {
        added: added.map((id) => id.toString(16)),
        removed: removed.map((id) => id.toString(16)),
      })
    if (memberStore.isRemoved(identity.memberId) && !removedNoticed) {
      removedNoticed = true
      log.error(REMOVED_MESSAGE, { 'member-id': identity.memberId })
      void server.stop().then(stopRemoved)
    }
  })
  await transport.start()
  if (cfg.initialCorruptCheck && kv.appliedIndex > 0) {
    const peers = identity.members.map((m) => m.id).filter((id) => id !== identity.memberId)
    await checkInitialHashKV({
      memberId: identity.memberId,
      peers,
      local: () => kv.hashKV(0),
      post: (m, p, b, ms) => transport.post(m, p, b, ms),
      timeoutMs: 5000 + 2 * cfg.electionMs,
      log: log.named('etcdserver'),
    }).catch(async (err) => {
      leases.stop()
      await transport.stop()
      await Promise.all([disk.wal.close(), kv.currentStore.close().then(() => kv.currentBackend.close())])
      throw err
    })
  }

  const reconfig: Reconfig = new Reconfig({
    memberId: identity.memberId,
    store: memberStore,
    sm: kv,
    requestTimeoutMs: 5000 + 2 * cfg.electionMs,
    strictReconfigCheck: cfg.strictReconfigCheck,
    logger: log.named('membership'),
    self: { name: cfg.name, clientURLs: selfClientUrls },
    seed,
    hooks: {
      activeSince: (id): Date | undefined => transport.activeSince(id),
      changed: (change) => {
        if (change.type === 'removed') transport.removePeer(change.id)
        else transport.addPeer(change.member.id, change.member.peerURLs)
      },
      removed: () => {
        if (removedNoticed) return
        removedNoticed = true
        void server.stop().then(stopRemoved)
      },
      forwardPromote: (leader, id) => forwardPromote(transport, leader, id, 5000 + 2 * cfg.electionMs),
    },
  })
  server.setConfApplier((e, n) => reconfig.applyConfEntry(e, n))

  const raftLog = log.named('raft')
  let lead = 0n
  const app: RaftApplication = {
    applyEntries: (entries, n) => server.applyEntries(entries, n),
    restore: (snap) =>
      kv.replaceDatabase(cfg.dataDir, () => received.install({ index: snap.metadata.index, term: snap.metadata.term })),
    syncApplied: () => kv.syncApplied(),
    snapshotBody: () => ({ index: kv.appliedIndex, body: snapshotBodyNow(kv.currentBackend) }),
    readStates: (rs) => server.readStates(rs),
    softState: (ss) => {
      if (ss.lead !== lead) {
        const me = identity.memberId.toString(16)
        const term = node?.currentTerm ?? 0
        if (ss.lead === 0n) raftLog.info(`raft.node: ${me} lost leader ${lead.toString(16)} at term ${term}`)
        else if (lead === 0n) raftLog.info(`raft.node: ${me} elected leader ${ss.lead.toString(16)} at term ${term}`)
        else
          raftLog.info(
            `raft.node: ${me} changed leader from ${lead.toString(16)} to ${ss.lead.toString(16)} at term ${term}`,
          )
        if (ss.lead !== 0n) metrics.leaderChanged()
        lead = ss.lead
      }
      server.softState(ss)
    },
  }
  const electionTick = Math.max(2, Math.round(cfg.electionMs / cfg.heartbeatMs))
  node = new RaftNode({
    id: identity.memberId,
    storage: disk.storage,
    wal: disk.wal,
    snapshotter: disk.snapshotter,
    transport,
    app,
    logger: log.named('raft'),
    tickMs: cfg.heartbeatMs,
    electionTick,
    heartbeatTick: 1,
    preVote: cfg.preVote,
    applied: disk.snapshotIndex,
    snapshotCount: cfg.snapshotCount,
    maxWals: cfg.maxWals,
    maxSnapshots: cfg.maxSnapshots,
    // A lone member need not wait a whole election timeout for itself (etcd does the same).
    advanceTicks: identity.members.length === 1 && cfg.initialElectionTickAdvance ? electionTick - 1 : 0,
    campaignAlone: cfg.initialElectionTickAdvance,
    proposalsDropped: (datas, err) => server.proposalsDropped(datas, err),
    onFatal: (err) => {
      void server.stop()
      if (opts.onFatal) opts.onFatal(err)
      else {
        process.stderr.write(`tsetcd: raft loop failed: ${err.message}\n`)
        process.exit(1)
      }
    },
  })
  server.attach(node)
  reconfig.attach(node)
  const compactor = autoCompactor(
    cfg,
    { revision: () => kv.revision, compact: (revision) => server.compact({ revision, physical: false }) },
    log.named('compactor'),
  )
  if (compactor) server.onLeadership((leading) => (leading ? compactor.resume() : compactor.pause()))
  node.start()
  const published = reconfig.publish()
  const stopCorruptCheck =
    cfg.corruptCheckTimeMs > 0
      ? monitorKVHash({
          memberId: identity.memberId,
          intervalMs: cfg.corruptCheckTimeMs,
          peers: () =>
            memberStore
              .members()
              .map((m) => m.id)
              .filter((id) => id !== identity.memberId),
          isLeader: () => node?.leader === identity.memberId,
          local: () => kv.hashKV(0),
          readNotify: () => server.linearizableReadNotify(),
          raiseCorrupt: (member) =>
            server.alarm({ action: AlarmRequest_AlarmAction.ACTIVATE, memberID: member, alarm: AlarmType.CORRUPT }),
          post: (m, p, b, ms) => transport.post(m, p, b, ms),
          timeoutMs: 5000 + 2 * cfg.electionMs,
          log: log.named('etcdserver'),
        })
      : undefined

  const httpHandler = httpEndpoints(
    (excluded) => {
      for (const a of alarms.get()) {
        const name = AlarmTypeNames[a.alarm] ?? 'UNKNOWN'
        if (!excluded.has(name)) return `ALARM ${name === 'NOSPACE' || name === 'CORRUPT' ? name : 'UNKNOWN'}`
      }
      return node?.failure
        ? 'RAFT LOOP FAILED'
        : node !== undefined && node.leader !== 0n
          ? undefined
          : 'RAFT NO LEADER'
    },
    () => metrics.page(),
    {
      // As etcd's probes, as root: a one-key local read, and one confirmed with the leader.
      serializableRead: async () => void (await kv.range(PROBE_READ)),
      linearizableRead: async () => {
        // etcd's request timeout: 5 s plus two election timeouts.
        await server.linearizableReadNotify({ signal: AbortSignal.timeout(5000 + 2 * cfg.electionMs) })
        await kv.range(PROBE_READ)
      },
      dataCorruption: async () => {
        if (alarms.get().some((a) => AlarmTypeNames[a.alarm] === 'CORRUPT')) throw new Error('alarm activated: CORRUPT')
      },
    },
  )
  const watch = new WatchHub(store, {
    progressIntervalMs: cfg.watchProgressNotifyIntervalMs,
    onError: (err) => log.warn('watch: background read failed', { error: String(err) }),
  })
  kv.onCommit(watch.onCommit)
  kv.onRestore((restored) => watch.restore(restored))
  const backups = new OnlineBackups(OnlineBackups.dirOf(cfg.dataDir), () => kv.currentBackend, log.named('backup'))
  const core = new MemberCore({
    snapshots: { snapshot: (signal) => backups.take(signal) },
    server,
    leases: leases.core,
    members: memberList,
    reconfig,
    watches: watch,
    watchFragmentBytes: cfg.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    auth: authGate,
  })
  clients = new ClientServer(core, {
    maxConcurrentStreams: cfg.maxConcurrentStreams,
    maxRequestBytes: cfg.maxRequestBytes,
    maxTxnOps: cfg.maxTxnOps,
    keepaliveIntervalMs: cfg.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: cfg.grpcKeepaliveTimeoutMs,
    keepaliveMinTimeMs: cfg.grpcKeepaliveMinTimeMs,
    httpHandler,
  })
  if (cfg.metrics === 'extensive')
    for (const m of clients.methodStats()) {
      const observe = metrics.handlingTimer(m.type, m.service, m.method)
      if (observe) m.stats.timed = (seconds) => observe(seconds)
    }
  const grpc = clients
  clientTls.onReload((o) => grpc.setSecureContext(o))
  grpc.adopt(bound, (u) => clientTls.tlsFor(u))
  const metricsServers: http.Server[] = []
  try {
    for (const u of cfg.listenMetricsUrls) metricsServers.push(await listenPlainHttp(u, httpHandler))
  } catch (err) {
    await Promise.all(metricsServers.map(closeHttp))
    throw err
  }
  log.named('embed').info('now serving peer/client/metrics', {
    'local-member-id': identity.memberId.toString(16),
    'listen-peer-urls': transport.urls,
    'listen-client-urls': cfg.listenClientUrls.map((u) => u.href.replace(/\/$/, '')),
    'listen-metrics-urls': cfg.listenMetricsUrls.map((u) => u.href.replace(/\/$/, '')),
  })
  for (const u of cfg.listenMetricsUrls)
    log.named('embed').info('serving metrics', { address: u.href.replace(/\/$/, '') })

  let stopped = false
  const ready = (async (): Promise<boolean> => {
    await published
    // Serving means answering a linearizable read: a leader exists and this member caught up.
    while (!stopped) {
      try {
        await server.linearizableReadNotify()
        break
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    if (stopped) return false
    const elog = log.named('embed')
    elog.info('ready to serve client requests')
    for (const u of cfg.listenClientUrls) {
      const address = u.protocol.startsWith('unix') ? u.pathname : u.host
      if (clientTls.tlsFor(u) === undefined)
        elog.info('serving client traffic insecurely; this is strongly discouraged!', { address })
      else elog.info('serving client traffic securely', { address })
    }
    log.named('api').info('enabled capabilities for version', { 'cluster-version': ETCD_VERSION.replace(/\.\d+$/, '') })
    return true
  })()

  let stopping: Promise<void> | undefined
  return {
    server,
    kv,
    clients: grpc,
    metrics,
    ready,
    stop() {
      stopping ??= (async () => {
        stopped = true
        await Promise.all(metricsServers.map(closeHttp))
        watch.close()
        compactor?.stop()
        stopCorruptCheck?.()
        await grpc.close()
        clientTls.close()
        await server.stop()
        reconfig.stop()
        leases.stop()
        await node!.stop()
        await transport.stop()
        await disk.wal.close()
        await kv.currentStore.close()
        await kv.currentBackend.close()
        tokens.stop()
        await hasher.stop()
        log.info('stopped member', { name: identity.name })
      })()
      return stopping
    },
  }
}

/** A plain HTTP listener (--listen-metrics-urls) serving `handler`. */
function listenPlainHttp(
  u: URL,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<http.Server> {
  const srv = http.createServer(handler)
  return new Promise((resolve, reject) => {
    srv.once('error', (err) => reject(new Error(`listen ${u.href}: ${err.message}`, { cause: err })))
    srv.listen(Number(u.port || 80), u.hostname.replace(/^\[|\]$/g, ''), () => resolve(srv))
  })
}

function closeHttp(srv: http.Server): Promise<void> {
  return new Promise((resolve) => {
    srv.closeAllConnections()
    srv.close(() => resolve())
  })
}
