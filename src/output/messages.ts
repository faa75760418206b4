// Lines etcdctl prints itself, outside its printers, whatever -w says.
import { hex } from '../go/fmt.js'

/** `compaction <rev>` */
export function compactedMessage(rev: number | bigint): string {
  return `compacted revision ${rev}\n`
}

/** `defrag`, per endpoint: success on stdout, failure on stderr (then exit 1). */
export function defragOkMessage(endpoint: string): string {
  return `Finished defragmenting etcd member[${endpoint}]\n`
}
export function defragFailedMessage(endpoint: string, err: string): string {
  return `Failed to defragment etcd member[${endpoint}] (${err})\n`
}

/** `endpoint status` / `endpoint hashkv` failures for one endpoint (stderr). */
export function endpointStatusFailedMessage(endpoint: string, err: string): string {
  return `Failed to get the status of endpoint ${endpoint} (${err})\n`
}
export function endpointHashKVFailedMessage(endpoint: string, err: string): string {
  return `Failed to get the hash of endpoint ${endpoint} (${err})\n`
}

/** `snapshot save` */
export function snapshotSavedMessage(path: string): string {
  return `Snapshot saved at ${path}\n`
}

/** `lease keep-alive` when the lease is gone. */
export function leaseExpiredMessage(id: bigint): string {
  return `lease ${hex(id, 16, true)} expired or revoked.\n`
}

/** `auth enable` / `auth disable` */
export const AUTH_ENABLED_MESSAGE = 'Authentication Enabled\n'
export const AUTH_DISABLED_MESSAGE = 'Authentication Disabled\n'

/** `watch`: a progress notification (stdout) and a cancelled watch (stderr). */
export function progressNotifyMessage(revision: number): string {
  return `progress notify: ${revision}\n`
}
export function watchCanceledMessage(err: string): string {
  return `watch was canceled (${err})\n`
}
