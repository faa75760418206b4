// `role get` in the simple format: the role's read and write permissions.
import type { AuthRoleGetResponse } from '../gen/etcdserverpb.js'
import type { Permission } from '../gen/authpb.js'
import type { Out } from './out.js'
import { prefixEnd } from '../client/kv-ops.js'

const READ = 0
const WRITE = 1
const READWRITE = 2

function printPerm(o: Out, p: Permission): void {
  if (p.range_end.length === 0) {
    o.print('\t', p.key, '\n')
    return
  }
  if (!(p.range_end.length === 1 && p.range_end[0] === 0)) o.print('\t[', p.key, ', ', p.range_end, ')')
  else o.print('\t[', p.key, ', <open ended>')
  if (prefixEnd(p.key).equals(p.range_end)) o.print(' (prefix ', p.key, ')')
  o.print('\n')
}

export function roleGetLines(o: Out, role: string, r: AuthRoleGetResponse): void {
  o.line(`Role ${role}`)
  o.line('KV Read:')
  for (const p of r.perm) if (p.permType === READ || p.permType === READWRITE) printPerm(o, p)
  o.line('KV Write:')
  for (const p of r.perm) if (p.permType === WRITE || p.permType === READWRITE) printPerm(o, p)
}
