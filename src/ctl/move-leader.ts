/**
 * etcdctl's `move-leader <transferee-member-id>`: the ID in hex (strconv.ParseUint(s, 16, 64)),
 * then every endpoint is asked for its status in turn, all within one command timeout, until
 * one says it is the leader; MoveLeader goes to that one. A status that fails ends the command
 * (exit 1); no leader among them is etcdctl's ExitBadArgs.
 */
import type { EtcdClient } from '../client/client.js'
import { MaintenanceService, type MoveLeaderResponse } from '../gen/etcdserverpb.js'
import { quote } from '../go/strconv.js'
import { ExitCode, exitWithError } from '../output/exit-error.js'

/** The transferee argument; etcdctl's exit code and text otherwise. */
export function moveLeaderTarget(args: readonly string[]): bigint {
  if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'move-leader command needs 1 argument')
  const arg = args[0]!
  const fail = (why: string) => exitWithError(ExitCode.BadArgs, `strconv.ParseUint: parsing ${quote(arg)}: ${why}`)
  if (!/^[0-9a-fA-F]+$/.test(arg)) throw fail('invalid syntax')
  const v = BigInt('0x' + arg)
  if (v > 0xffffffffffffffffn) throw fail('value out of range')
  return v
}

export interface MoveLeaderResult {
  leader: bigint
  target: bigint
  response: MoveLeaderResponse
}

/**
 * Finds the leader among `endpoints` (each dialled alone through `connect`) and asks it to
 * hand leadership to `target`; `timeoutMs` bounds the whole exchange, as etcdctl's one
 * command context does.
 */
export async function moveLeader(
  endpoints: readonly string[],
  connect: (endpoint: string) => Promise<EtcdClient>,
  target: bigint,
  timeoutMs: number,
): Promise<MoveLeaderResult> {
  const deadline = Date.now() + timeoutMs
  const left = () => Math.max(0, deadline - Date.now())
  for (const ep of endpoints) {
    const c = await connect(ep)
    try {
      const status = await c.call(MaintenanceService.Status, {}, left()).catch((err: Error) => {
        throw exitWithError(ExitCode.Error, err.message)
      })
      if (status.header?.member_id !== status.leader) continue
      const response = await c.call(MaintenanceService.MoveLeader, { targetID: target }, left()).catch((err: Error) => {
        throw exitWithError(ExitCode.Error, err.message)
      })
      return { leader: status.leader, target, response }
    } finally {
      c.close()
    }
  }
  throw exitWithError(ExitCode.BadArgs, `no leader endpoint given at [${endpoints.join(' ')}]`)
}
