/**
 * MemberPromote on a follower: only the leader knows whether a learner has caught up, so the
 * promotion is forwarded to it over the peer port (POST /members/promote, as etcd forwards
 * promotions to the leader over HTTP) and the leader's error comes back as it is.
 */
import { Errors, EtcdError } from '../../errors/rpctypes.js'
import type { Reconfig } from '../etcdserver/reconfig.js'
import type { PeerTransport } from '../peer/index.js'

export const PATH_PROMOTE = '/members/promote'

export async function answerPromote(reconfig: Reconfig, body: unknown): Promise<{ status: number; value: unknown }> {
  const id = (body as { id?: unknown } | null)?.id
  if (typeof id !== 'string' || !/^[0-9a-f]{1,16}$/.test(id))
    return { status: 400, value: { error: 'malformed member ID' } }
  try {
    await reconfig.promoteHere(BigInt('0x' + id))
    return { status: 200, value: {} }
  } catch (err) {
    return { status: 200, value: { error: (err as Error).message } }
  }
}

const byMessage = new Map<string, EtcdError>(Object.values(Errors).map((e) => [e.message, e]))

export async function forwardPromote(
  transport: PeerTransport,
  leader: bigint,
  id: bigint,
  timeoutMs: number,
): Promise<void> {
  let answer
  try {
    answer = await transport.post(leader, PATH_PROMOTE, { id: id.toString(16) }, timeoutMs)
  } catch {
    throw Errors.Timeout
  }
  const error = (answer.value as { error?: unknown } | null)?.error
  if (answer.status === 200 && error === undefined) return
  throw byMessage.get(String(error)) ?? new EtcdError(Errors.Timeout.code, String(error ?? `HTTP ${answer.status}`))
}
