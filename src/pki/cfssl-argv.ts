/** cfssl's long options, which Go's flag package lets users write with one dash (`-ca=ca.pem`). */
export const CFSSL_LONG_FLAGS: readonly string[] = ['ca', 'ca-key', 'config', 'profile', 'hostname', 'bare', 'initca']

/**
 * Rewrites cfssl's single-dash long options (`-ca=ca.pem`, `-profile server`) to the
 * double-dash form, leaving everything after a `--` and all other arguments alone.
 */
export function normaliseCfsslArgv(argv: readonly string[], longFlags: readonly string[] = CFSSL_LONG_FLAGS): string[] {
  const out: string[] = []
  let passthrough = false
  for (const arg of argv) {
    if (passthrough || arg === '--') {
      passthrough = true
      out.push(arg)
      continue
    }
    const match = /^-([a-z][a-z-]*)(=.*)?$/s.exec(arg)
    out.push(match && longFlags.includes(match[1]) ? `-${arg}` : arg)
  }
  return out
}
