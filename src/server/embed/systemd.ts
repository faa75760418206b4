/**
 * systemd's readiness protocol for `Type=notify` units: once the member serves, `READY=1` goes
 * to the datagram socket named by $NOTIFY_SOCKET, as etcd's sd_notify call sends it.
 *
 * Node cannot send on unix datagram sockets, so the message is sent by systemd's own
 * `systemd-notify --ready` (found on $PATH). It runs as a child of the member, not as the
 * unit's main process: the unit needs `NotifyAccess=all`. systemd-notify waits until systemd
 * has taken the message (its barrier), so the message is not lost when the child exits first.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../log.js'

/** `cmd`'s path on $PATH, or undefined. */
function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir === '') continue
    const p = path.join(dir, cmd)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Tells systemd the member is ready when $NOTIFY_SOCKET is set (it is not outside a
 * `Type=notify` unit: then nothing happens). Resolves when done; failures are logged.
 */
export async function notifySystemdReady(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!env.NOTIFY_SOCKET) return
  const bin = onPath('systemd-notify', env)
  if (bin === undefined) {
    log.error('failed to notify systemd for readiness', {
      error: 'systemd-notify not found on PATH (Node cannot write to the unix datagram socket $NOTIFY_SOCKET itself)',
    })
    return
  }
  log.info('notifying init daemon')
  const result = await new Promise<{ code: number | null; stderr: string; error?: Error }>((resolve) => {
    const child = spawn(bin, ['--ready'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', (error) => resolve({ code: null, stderr, error }))
    child.on('close', (code) => resolve({ code, stderr }))
  })
  if (result.code === 0) log.info('successfully notified init daemon')
  else
    log.error('failed to notify systemd for readiness', {
      error: result.error?.message ?? (result.stderr.trim() || `systemd-notify exited with status ${result.code}`),
    })
}
