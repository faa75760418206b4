/**
 * Starts one member from its configuration: data dir, identity, backend and store, the
 * core, and the client listeners. Returns a handle to stop it cleanly.
 */
import fs from 'node:fs/promises'
import * as grpc from '@grpc/grpc-js'
import type { ServerConfig } from '../config/config.js'
import type { Logger } from '../log.js'
import { RocksBackend } from '../backend/rocks-backend.js'
import { MvccStore } from '../mvcc/store.js'
import { bootstrapIdentity, readIdentity, writeIdentity } from '../membership/identity.js'
import { ClientServer } from '../api/grpc-server.js'
import { EtcdServer } from './server.js'
import { KvStateMachine } from './kv-state.js'

export interface Member {
  readonly server: EtcdServer
  stop(): Promise<void>
}

export async function startMember(cfg: ServerConfig, log: Logger): Promise<Member> {
  await fs.mkdir(cfg.dataDir, { recursive: true, mode: 0o700 })
  let identity = await readIdentity(cfg.dataDir)
  if (identity) {
    log.info('restarting member', { name: identity.name, 'member-id': identity.memberId, 'cluster-id': identity.clusterId, 'data-dir': cfg.dataDir })
    if (identity.name !== cfg.name) log.warn('member name differs from the one in the data dir; using the data dir', { name: cfg.name, 'stored-name': identity.name })
  } else {
    identity = bootstrapIdentity(cfg.name, cfg.initialCluster, cfg.initialClusterToken, cfg.initialAdvertisePeerUrls.map((u) => u.href))
    if (identity.members.length > 1) throw new Error('a member of a multi-member --initial-cluster needs the cluster runtime, which this build does not include')
    await writeIdentity(cfg.dataDir, identity)
    log.info('bootstrapped new member', { name: identity.name, 'member-id': identity.memberId, 'cluster-id': identity.clusterId, 'data-dir': cfg.dataDir })
  }
  for (const u of cfg.listenClientUrls) {
    if (u.protocol !== 'http:') throw new Error(`--listen-client-urls: ${u.protocol.replace(':', '')} listeners are not supported yet (${u.href})`)
  }

  const backend = await RocksBackend.open(RocksBackend.dbDir(cfg.dataDir))
  const store = await MvccStore.open(backend)
  const kv = new KvStateMachine(store, backend, !cfg.unsafeNoFsync)
  const server = new EtcdServer(kv, identity)
  const clients = new ClientServer(server, {
    maxRequestBytes: cfg.maxRequestBytes,
    maxTxnOps: cfg.maxTxnOps,
    keepaliveIntervalMs: cfg.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: cfg.grpcKeepaliveTimeoutMs,
    keepaliveMinTimeMs: cfg.grpcKeepaliveMinTimeMs,
  })
  await clients.listen(cfg.listenClientUrls, () => grpc.ServerCredentials.createInsecure())
  log.info('ready to serve client requests', { 'listen-client-urls': cfg.listenClientUrls.map((u) => u.href), revision: store.currentRevision })

  let stopping: Promise<void> | undefined
  return {
    server,
    stop() {
      stopping ??= (async () => {
        await clients.close()
        await server.stop()
        await store.close()
        await backend.close()
        log.info('stopped member', { name: identity.name })
      })()
      return stopping
    },
  }
}
