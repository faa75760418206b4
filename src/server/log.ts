/**
 * Structured logging in the shape of etcd's zap JSON lines on stderr:
 *   {"level":"info","ts":"2026-11-21T11:00:00.000Z","caller":"etcdserver","msg":"...", ...fields}
 * Outputs, as etcd's --log-outputs: `stderr`, `stdout`, or a file path, which is opened for
 * appending (created if missing) as zap opens it; lines are written whole and at once, as
 * they are to stderr.
 */
import fs from 'node:fs'
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
  const sinks: Sink[] = [...new Set(outputs)].map((o) => {
    if (o === 'stdout') return (l: string) => process.stdout.write(l)
    if (o === 'stderr') return (l: string) => process.stderr.write(l)
    const fd = openLogFile(o)
    return (l: string) => {
      try {
        fs.writeSync(fd, l)
      } catch {
        // a full disk must not stop the member; zap drops the line too
      }
    }
  })
  const make = (name: string): Logger => {
    const log = (lvl: Level) => (msg: string, fields?: Record<string, unknown>) => {
      if (LEVELS.indexOf(lvl) < min) return
      const rec: Record<string, unknown> = { level: lvl, ts: new Date().toISOString(), caller: name, msg }
      if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = jsonValue(v)
      const line = JSON.stringify(rec) + '\n'
      for (const s of sinks) s(line)
    }
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      named: (c: string) => make(c),
    }
  }
  return make(caller)
}

/** Opens a --log-outputs file for appending; the error names the file as Go's does. */
function openLogFile(file: string): number {
  try {
    return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o666)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why =
      e.code === 'ENOENT'
        ? 'no such file or directory'
        : e.code === 'EACCES'
          ? 'permission denied'
          : e.code === 'EISDIR'
            ? 'is a directory'
            : e.message
    throw new Error(`open ${file}: ${why}`, { cause: err })
  }
}

/** A logger that drops everything, for tests and embedded use. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, named: () => silentLogger }
