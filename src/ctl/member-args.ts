/**
 * etcdctl's `member` arguments: member IDs in hex (strconv.ParseUint(s, 16, 64)) and peer URLs
 * checked as clientv3 checks them before MemberAdd / MemberUpdate (etcd's types.NewURLs), with
 * etcdctl's error texts.
 */
import { quote } from '../go/strconv.js'
import { ExitCode, exitWithError } from '../output/exit-error.js'

/** A member ID argument; the error text when it is not one. */
export function parseMemberId(arg: string): { id: bigint } | { error: string } {
  const fail = (why: string) => ({
    error: `bad member ID arg (strconv.ParseUint: parsing ${quote(arg)}: ${why}), expecting ID in Hex`,
  })
  if (!/^[0-9a-fA-F]+$/.test(arg)) return fail('invalid syntax')
  const v = BigInt('0x' + arg)
  if (v > 0xffffffffffffffffn) return fail('value out of range')
  return { id: v }
}

/** The one member ID argument of remove, promote and update; etcdctl's exit 2 and text otherwise. */
export function memberIdArgument(args: readonly string[]): bigint {
  if (args.length !== 1) throw exitWithError(ExitCode.BadArgs, 'member ID is not provided')
  const id = parseMemberId(args[0]!)
  if ('error' in id) throw exitWithError(ExitCode.BadArgs, id.error)
  return id.id
}

/** `--peer-urls` split on commas, as etcdctl does; an error text for a URL types.NewURLs refuses. */
export function checkPeerUrls(text: string): { urls: string[] } | { error: string } {
  const urls = text.split(',')
  for (const raw of urls) {
    const s = raw.trim()
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?([^?#]*)/.exec(s)
    const scheme = m?.[1]?.toLowerCase() ?? ''
    if (!['http', 'https', 'unix', 'unixs'].includes(scheme))
      return { error: `URL scheme must be http, https, unix, or unixs: ${s}` }
    const host = m?.[3] ?? ''
    if (!/^(\[[^\]]*\]|[^:[\]]*):[^:]*$/.test(host))
      return { error: `URL address does not have the form "host:port": ${s}` }
    if ((m?.[4] ?? '') !== '') return { error: `URL must not contain a path: ${s}` }
  }
  return { urls }
}
