/**
 * A script of client commands for authentication and authorization: root setup, a user
 * limited to a prefix, auth enable, reads and writes inside and outside the prefix (get, put,
 * del, txn, watch, lease revoke), wrong passwords, unknown and empty users, a password
 * change, user and role listings, auth disable. Each step's stdout, user-facing stderr and
 * exit code are recorded; lease IDs (random) become <ID>.
 */
import { run, userStderr } from '../helpers/procs.js'

export interface AuthStep {
  args: string[]
  input?: string
}

export interface AuthStepResult {
  args: string
  stdout: string
  stderr: string
  code: number | null
}

const ROOT = ['--user', 'root:rootpw']
const ALICE = ['--user', 'alice:alicepw']

export const AUTH_SCRIPT: AuthStep[] = [
  { args: ['user', 'add', 'root:rootpw'] },
  { args: ['role', 'add', 'root'] },
  { args: ['user', 'grant-role', 'root', 'root'] },
  { args: ['role', 'add', 'app'] },
  { args: ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/app/'] },
  { args: ['role', 'grant-permission', 'app', 'read', '/ro'] },
  { args: ['user', 'add', 'alice', '--interactive=false'], input: 'alicepw\n' },
  { args: ['user', 'grant-role', 'alice', 'app'] },
  { args: ['user', 'add', 'nopw', '--no-password'] },
  { args: ['auth', 'enable'] },
  { args: [...ROOT, 'put', '/other', 'o'] },
  { args: [...ROOT, 'put', '/ro', 'r'] },
  // Nobody, an empty name, a wrong password, an unknown user, a user without a password.
  { args: ['put', '/app/x', 'v'] },
  { args: ['--user', ':pw', 'get', '/app/x'] },
  { args: ['--user', 'alice:wrong', 'get', '/app/x'] },
  { args: ['--user', 'bob:pw', 'get', '/app/x'] },
  { args: ['--user', 'nopw:pw', 'get', '/app/x'] },
  // Inside the prefix and outside it.
  { args: [...ALICE, 'put', '/app/a', '1'] },
  { args: [...ALICE, 'get', '/app/a'] },
  { args: [...ALICE, 'get', '/app/', '--prefix'] },
  { args: [...ALICE, 'put', '/other', 'x'] },
  { args: [...ALICE, 'get', '/other'] },
  { args: [...ALICE, 'get', '/', '--prefix'] },
  { args: [...ALICE, 'get', '/app/', '--from-key'] },
  { args: [...ALICE, 'del', '/other'] },
  { args: [...ALICE, 'del', '/app/', '--prefix'] },
  { args: [...ALICE, 'put', '/app/a', '1'] },
  { args: [...ALICE, 'get', '/ro'] },
  { args: [...ALICE, 'put', '/ro', 'x'] },
  { args: [...ALICE, 'put', '/app/p', 'v', '--prev-kv'] },
  // A txn touching one forbidden key among allowed ones changes nothing.
  { args: [...ALICE, 'txn'], input: 'value("/app/a") = "1"\n\nput /app/b 1\nput /other 1\n\n\n' },
  { args: [...ALICE, 'txn'], input: 'value("/other") = "o"\n\nput /app/c 1\n\n\n' },
  { args: [...ALICE, 'txn'], input: 'value("/app/a") = "1"\n\nput /app/b 2\nget /app/a\n\nget /ro\n\n' },
  { args: [...ROOT, 'get', '/', '--prefix'] },
  // A watch on a range the user may not read is canceled at once.
  { args: [...ALICE, 'watch', '/other'] },
  { args: [...ALICE, 'watch', '/app/', '/b'] },
  // Management needs root; a user may read itself and its roles.
  { args: [...ALICE, 'user', 'list'] },
  { args: [...ALICE, 'user', 'get', 'alice'] },
  { args: [...ALICE, 'user', 'get', 'root'] },
  { args: [...ALICE, 'role', 'get', 'app'] },
  { args: [...ALICE, 'role', 'get', 'root'] },
  { args: [...ALICE, 'role', 'add', 'x'] },
  { args: [...ALICE, 'auth', 'disable'] },
  // Maintenance that reads the whole database needs root too.
  { args: [...ALICE, 'endpoint', 'hashkv'] },
  { args: [...ALICE, 'defrag'] },
  { args: [...ALICE, 'snapshot', 'save', '/nonexistent-dir/alice.db'] },
  { args: [...ROOT, 'user', 'list'] },
  { args: [...ROOT, 'role', 'list'] },
  { args: [...ROOT, 'user', 'get', 'alice', '--detail'] },
  { args: [...ROOT, 'role', 'get', 'app'] },
  { args: [...ROOT, 'user', 'add', 'alice:x'] },
  { args: [...ROOT, 'role', 'add', 'app'] },
  { args: [...ROOT, 'user', 'get', 'carol'] },
  { args: [...ROOT, 'role', 'get', 'nope'] },
  { args: [...ROOT, 'user', 'grant-role', 'alice', 'nope'] },
  { args: [...ROOT, 'user', 'revoke-role', 'alice', 'root'] },
  { args: [...ROOT, 'user', 'revoke-role', 'root', 'root'] },
  { args: [...ROOT, 'user', 'delete', 'root'] },
  { args: [...ROOT, 'role', 'delete', 'root'] },
  { args: [...ROOT, 'role', 'revoke-permission', 'app', '/nothing'] },
  { args: [...ROOT, 'role', 'grant-permission', 'app', 'write', '/w', '/x'] },
  { args: [...ROOT, 'role', 'revoke-permission', 'app', '/w', '/x'] },
  { args: [...ROOT, 'user', 'get', 'alice', '-w', 'json'] },
  { args: [...ROOT, 'role', 'get', 'app', '-w', 'json'] },
  // Password change: the old password stops working.
  { args: [...ROOT, 'user', 'passwd', 'alice', '--interactive=false'], input: 'newpw\n' },
  { args: [...ALICE, 'get', '/app/a'] },
  { args: ['--user', 'alice:newpw', 'get', '/app/a'] },
  { args: ['--user', 'alice', '--password', 'newpw', 'get', '/app/a'] },
  // Passwords asked for: the global --user without one, a new user's (twice).
  { args: ['--user', 'alice', 'get', '/app/a'], input: 'newpw\n' },
  { args: [...ROOT, 'user', 'add', 'carol'], input: 'c1\nc1\n' },
  { args: [...ROOT, 'user', 'add', 'dave'], input: 'd1\nd2\n' },
  { args: [...ROOT, 'user', 'add', 'erin', '--new-user-password', 'e1'] },
  { args: [...ROOT, 'user', 'add', ':x'] },
  { args: ['--user', 'erin:e1', 'user', 'get', 'erin'] },
  // Permission ranges: every key, from a key, a bad type, flags that do not fit.
  { args: [...ROOT, 'role', 'add', 'ranges'] },
  { args: [...ROOT, 'role', 'grant-permission', 'ranges', 'read', '', '--prefix'] },
  { args: [...ROOT, 'role', 'grant-permission', 'ranges', 'write', '/k', '--from-key'] },
  { args: [...ROOT, 'role', 'grant-permission', 'ranges', 'readwrite', ''] },
  { args: [...ROOT, 'role', 'grant-permission', 'ranges', 'bogus', '/k'] },
  { args: [...ROOT, 'role', 'grant-permission', 'ranges', 'read', '/a', '/b', '--prefix'] },
  { args: [...ROOT, 'role', 'grant-permission', 'ranges', 'read', '/a', '--prefix', '--from-key'] },
  { args: [...ROOT, 'role', 'grant-permission', 'ranges', 'read'] },
  { args: [...ROOT, 'role', 'get', 'ranges'] },
  { args: [...ROOT, 'role', 'get', 'ranges', '-w', 'fields'] },
  { args: [...ROOT, 'role', 'revoke-permission', 'ranges', '/k', '--from-key'] },
  { args: [...ROOT, 'role', 'revoke-permission', 'ranges', '', '--prefix'] },
  { args: [...ROOT, 'role', 'get', 'ranges', '-w', 'table'] },
  { args: [...ROOT, 'user', 'list', '-w', 'fields'] },
  { args: [...ROOT, 'role', 'list', '-w', 'table'] },
  { args: [...ROOT, 'user', 'grant-role', 'carol'] },
  { args: [...ROOT, 'role', 'delete', 'ranges'] },
  { args: [...ROOT, 'auth', 'enable', 'x'] },
  { args: [...ROOT, 'auth', 'disable'] },
  { args: ['put', '/free', 'v'] },
  { args: ['get', '/', '--prefix', '--keys-only'] },
]

/** The steps whose lease ID the server chose: grant as root, attach a forbidden key, revoke as alice then root. */
export function leaseSteps(alice: string[], id: string): AuthStep[] {
  return [
    { args: [...ROOT, 'put', '/other', 'leased', `--lease=${id}`] },
    { args: [...alice, 'lease', 'revoke', id] },
    { args: [...ROOT, 'get', '/other'] },
    { args: [...ROOT, 'lease', 'revoke', id] },
    { args: [...ROOT, 'get', '/other'] },
  ]
}

export type Client = (args: string[]) => [string, string[]]

export async function runStep(client: Client, endpoint: string, s: AuthStep): Promise<AuthStepResult> {
  const [cmd, args] = client(['--endpoints', endpoint, ...s.args])
  const r = await run(cmd, args, { input: s.input })
  return {
    args: s.args.join(' ').replace(/[0-9a-f]{16}/g, '<ID>'),
    stdout: r.stdout.replace(/[0-9a-f]{16}/g, '<ID>'),
    stderr: userStderr(r.stderr).replace(/[0-9a-f]{16}/g, '<ID>'),
    code: r.code,
  }
}

/** Runs the script, with the lease steps after the KV ones (before the password change). */
export async function runAuthScript(client: Client, endpoint: string): Promise<AuthStepResult[]> {
  const out: AuthStepResult[] = []
  const at = AUTH_SCRIPT.findIndex((s) => s.args.includes('passwd'))
  for (const s of AUTH_SCRIPT.slice(0, at)) out.push(await runStep(client, endpoint, s))
  const [cmd, args] = client(['--endpoints', endpoint, ...ROOT, 'lease', 'grant', '100'])
  const granted = await run(cmd, args)
  const id = /lease ([0-9a-f]+) granted/.exec(granted.stdout)?.[1]
  if (id === undefined) throw new Error(`lease grant: ${granted.stdout}${granted.stderr}`)
  for (const s of leaseSteps(ALICE, id)) out.push(await runStep(client, endpoint, s))
  for (const s of AUTH_SCRIPT.slice(at)) out.push(await runStep(client, endpoint, s))
  return out
}
