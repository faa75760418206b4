/**
 * Peer URLs as etcd's types.NewURLs takes them: each must parse, use http, https, unix or
 * unixs, name a host:port (unix sockets aside) and have no path (not even "/"). Returns them
 * sorted, or undefined when one is malformed.
 */
export function parsePeerUrls(urls: readonly string[]): string[] | undefined {
  if (urls.length === 0) return undefined
  const out: string[] = []
  for (const raw of urls) {
    const m = /^(https?|unixs?):\/\/([^/?#]+)$/.exec(raw)
    if (!m) return undefined
    let u: URL
    try {
      u = new URL(raw)
    } catch {
      return undefined
    }
    if ((m[1] === 'http' || m[1] === 'https') && (u.hostname === '' || u.port === '')) return undefined
    out.push(raw)
  }
  return out.sort()
}
