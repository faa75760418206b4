/**
 * Structured logging in the shape of etcd's zap JSON lines on stderr:
 *   {"level":"info","ts":"2026-11-21T11:00:00.000Z","caller":"etcdserver","msg":"...", ...fields}
 */
const LEVELS = ['debug', 'info', 'warn', 'error', 'panic', 'fatal'] as const
export type Level = (typeof LEVELS)[number]

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  named(caller: string): Logger
}

type Sink = (line: string) => void

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString(16)
  if (v instanceof Error) return v.message
  if (v instanceof URL) return v.href
  if (Array.isArray(v)) return v.map(jsonValue)
  return v
}

export function createLogger(level: string, outputs: string[] = ['stderr'], caller = 'etcdmain'): Logger {
  const min = Math.max(0, LEVELS.indexOf(level as Level))
  const sinks: Sink[] = outputs.map((o) => {
    if (o === 'stdout') return (l: string) => process.stdout.write(l)
    return (l: string) => process.stderr.write(l)
  })
  const make = (name: string): Logger => {
    const log = (lvl: Level) => (msg: string, fields?: Record<string, unknown>) => {
      if (LEVELS.indexOf(lvl) < min) return
      const rec: Record<string, unknown> = { level: lvl, ts: new Date().toISOString(), caller: name, msg }
      if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = jsonValue(v)
      const line = JSON.stringify(rec) + '\n'
      for (const s of sinks) s(line)
    }
    return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), named: (c: string) => make(c) }
  }
  return make(caller)
}

/** A logger that drops everything, for tests and embedded use. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, named: () => silentLogger }
