/** etcdctl's argument handling for the role commands' key ranges and permission types. */
import { Permission_Type } from '../gen/authpb.js'
import { prefixEnd } from '../client/kv-ops.js'

export type ArgResult<T> = T | { error: string }

/** clientv3.StrToPermissionType */
export function permissionType(s: string): ArgResult<{ perm: number }> {
  const v = (Permission_Type as Record<string, number>)[s.toUpperCase()]
  if (v === undefined) return { error: `invalid permission type: ${s}` }
  return { perm: v }
}

/** etcdctl's permRange: the key and range end a permission covers (strings as given, "\x00" open ended). */
export function permRange(args: string[], prefix: boolean, fromKey: boolean): ArgResult<{ key: Buffer; end: Buffer }> {
  const key = args[0]
  if (key.length === 0) {
    if (prefix && fromKey) return { error: '--from-key and --prefix flags are mutually exclusive' }
    // the empty key: every key ["\x00", <end>)
    return { key: Buffer.from([0]), end: prefix || fromKey ? Buffer.from([0]) : Buffer.alloc(0) }
  }
  const k = Buffer.from(key, 'utf8')
  if (args.length === 1) {
    if (prefix) {
      if (fromKey) return { error: '--from-key and --prefix flags are mutually exclusive' }
      return { key: k, end: prefixEnd(k) }
    }
    if (fromKey) return { key: k, end: Buffer.from([0]) }
    return { key: k, end: Buffer.alloc(0) }
  }
  if (prefix) return { error: 'unexpected endkey argument with --prefix flag' }
  if (fromKey) return { error: 'unexpected endkey argument with --from-key flag' }
  return { key: k, end: Buffer.from(args[1], 'utf8') }
}
