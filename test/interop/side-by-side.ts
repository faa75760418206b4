/**
 * Runs one etcdctl command line with the real etcdctl and with tsetcd, against the same
 * server, and returns what a user sees of each (stdout, stderr without clientv3's JSON log
 * lines, exit status), for suites that compare them.
 */
import { ETCD, ETCDCTL, TSETCD, haveBinary, run, userStderr, type RunResult } from '../helpers/procs.js'

export interface Seen {
  stdout: string
  stderr: string
  code: number | null
}

const seen = (r: RunResult): Seen => ({ stdout: r.stdout, stderr: userStderr(r.stderr), code: r.code })

export async function sideBySide(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ theirs: Seen; ours: Seen }> {
  const theirs = await run(ETCDCTL, args, { env })
  const ours = await run(process.execPath, [TSETCD, ...args], { env })
  return { theirs: seen(theirs), ours: seen(ours) }
}

/** In a `before`: skips the suite (saying why) without the real etcd and etcdctl. */
export function skipWithoutEtcd(ctx: Mocha.Context): void {
  const missing = [ETCD, ETCDCTL].filter((b) => !haveBinary(b))
  if (missing.length) {
    console.log(`      skipped: ${missing.join(', ')} not installed (apt-get install etcd-server etcd-client)`)
    ctx.skip()
  }
}
