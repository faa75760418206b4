/**
 * The command etcdctl's `watch ... -- <command>` runs once per event, with the event in
 * its environment (values as Go's %q prints them) and the watcher's stdout and stderr.
 * A failure is reported in Go's words: `exit status 1`,
 * `exec: "nope": executable file not found in $PATH`, ...
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { Event_EventTypeNames, type Event } from '../gen/mvccpb.js'
import { quote } from '../go/strconv.js'

/** The environment etcdctl adds for one event. */
export function watchEventEnv(revision: number, ev: Event): Record<string, string> {
  const q = (b: Buffer | undefined): string => quote(b ?? Buffer.alloc(0))
  return {
    ETCD_WATCH_REVISION: String(revision),
    ETCD_WATCH_EVENT_TYPE: quote(Event_EventTypeNames[ev.type] ?? String(ev.type)),
    ETCD_WATCH_KEY: q(ev.kv?.key),
    ETCD_WATCH_VALUE: q(ev.kv?.value),
  }
}

/** Go's exec.LookPath for a name without a slash. */
function lookPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir === '' ? '.' : dir, name)
    try {
      const st = fs.statSync(p)
      if (st.isFile() && (st.mode & 0o111) !== 0) return p
    } catch {
      // not here
    }
  }
  return undefined
}

/** Runs the command to completion; resolves to Go's error text, or undefined on success. */
export function runWatchCommand(args: readonly string[], env: Record<string, string>): Promise<string | undefined> {
  const name = args[0]
  let file = name
  if (!name.includes('/')) {
    const found = lookPath(name)
    if (found === undefined) return Promise.resolve(`exec: ${quote(name)}: executable file not found in $PATH`)
    file = found
  }
  return new Promise((resolve) => {
    const child = spawn(file, args.slice(1), {
      argv0: name,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message
      resolve(`fork/exec ${name}: ${why}`)
    })
    child.on('exit', (code, signal) => {
      if (signal !== null) resolve(`signal: ${signalName(signal)}`)
      else if (code !== 0) resolve(`exit status ${code}`)
      else resolve(undefined)
    })
  })
}

const SIGNAL_TEXT: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGPIPE: 'broken pipe',
}

function signalName(signal: string): string {
  return SIGNAL_TEXT[signal] ?? signal
}

/** `command ["echo" "hi"] error (exit status 1)` */
export function watchCommandError(args: readonly string[], err: string): string {
  return `command [${args.map((a) => quote(a)).join(' ')}] error (${err})\n`
}
