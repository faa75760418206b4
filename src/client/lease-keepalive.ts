/**
 * clientv3's KeepAlive for one lease, as `lease keep-alive` uses it: a renewal goes out at
 * once and then a third of the TTL after each answer (checked every 500 ms); each answer is
 * handed on; the session ends when an answer has a TTL of 0 or less (the lease is gone) or
 * when no answer came before the deadline (the last TTL, or the first-answer timeout). A
 * broken stream is reopened after 500 ms. If `onResponse` throws, the session ends with its error.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js'
import { LeaseService, type LeaseKeepAliveRequestInit, type LeaseKeepAliveResponse } from '../gen/etcdserverpb.js'
import type { EtcdClient } from './client.js'
import { RETRY_CONN_WAIT_MS } from './lease.js'

export interface KeepAliveOptions {
  /** How long to wait for the first answer (clientv3: dial timeout + 1 s). */
  firstTimeoutMs: number
  now?: () => number
}

type Stream = ClientDuplexStream<LeaseKeepAliveRequestInit, LeaseKeepAliveResponse>

export function keepAlive(
  client: EtcdClient,
  id: bigint,
  onResponse: (r: LeaseKeepAliveResponse) => void,
  o: KeepAliveOptions,
): Promise<void> {
  const now = o.now ?? Date.now
  let nextSend = now()
  let deadline = now() + o.firstTimeoutMs
  let stream: Stream | undefined
  let finished = false
  let reopen: NodeJS.Timeout | undefined
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: unknown): void => {
      if (finished) return
      finished = true
      clearInterval(sender)
      clearInterval(watchdog)
      if (reopen) clearTimeout(reopen)
      stream?.cancel()
      if (err === undefined) resolve()
      else reject(err)
    }
    const open = (): void => {
      reopen = undefined
      if (finished) return
      const s: Stream = client.duplex(LeaseService.LeaseKeepAlive)
      stream = s
      s.on('data', (r: LeaseKeepAliveResponse) => {
        if (finished || r.ID !== id) return
        if (r.TTL <= 0) return finish()
        nextSend = now() + (r.TTL * 1000) / 3
        deadline = now() + r.TTL * 1000
        try {
          onResponse(r)
        } catch (err) {
          finish(err)
        }
      })
      const broken = (): void => {
        if (finished || stream !== s) return
        stream = undefined
        reopen = setTimeout(open, RETRY_CONN_WAIT_MS)
      }
      s.on('error', broken)
      s.on('end', broken)
      send()
    }
    const send = (): void => {
      if (stream !== undefined && now() >= nextSend) stream.write({ ID: id })
    }
    const sender = setInterval(send, RETRY_CONN_WAIT_MS)
    const watchdog = setInterval(() => {
      if (now() > deadline) finish()
    }, 1000)
    open()
  })
}
