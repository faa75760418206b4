/**
 * Passwords from the terminal or stdin, as etcdctl reads them: a prompt on stdout, echo turned
 * off with stty on stdin, one line read byte by byte and trimmed, then a newline on stdout
 * (speakeasy's Ask); or fmt.Scanf("%s") for `--interactive=false`.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { ExitCode, exitWithError } from '../output/exit-error.js'

function stty(arg: string): void {
  spawnSync('/bin/stty', [arg], { stdio: 'inherit', argv0: 'stty' })
}

function readLine(): string {
  const bytes: number[] = []
  const b = Buffer.alloc(1)
  for (;;) {
    let n: number
    try {
      n = fs.readSync(0, b, 0, 1, null)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue
      if ((err as NodeJS.ErrnoException).code === 'EOF') break
      throw err
    }
    if (n === 0 || b[0] === 0x0a) break
    bytes.push(b[0])
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r$/, '')
}

/** speakeasy.Ask(prompt) */
export function askPassword(prompt: string): string {
  process.stdout.write(prompt)
  stty('-echo')
  let line: string
  try {
    line = readLine()
  } finally {
    stty('echo')
  }
  process.stdout.write('\n')
  return line.trim()
}

/** fmt.Scanf("%s", &password) on stdin: one word from the first line; "" when there is none. */
export function scanPassword(input: string): string {
  const m = /^[ \t\r]*([^\s]*)/.exec(input)
  return m ? m[1] : ''
}

/** All of stdin, read synchronously (a terminal's line, or what was piped). */
export function readAllStdinSync(): string {
  const chunks: Buffer[] = []
  const b = Buffer.alloc(65536)
  for (;;) {
    let n: number
    try {
      n = fs.readSync(0, b, 0, b.length, null)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EAGAIN') continue
      if (code === 'EOF') break
      throw err
    }
    if (n === 0) break
    chunks.push(Buffer.from(b.subarray(0, n)))
    if (process.stdin.isTTY && b[n - 1] === 0x0a) break
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A new user's password (`user add`, `user passwd`): asked twice on the terminal, or with
 * `--interactive=false` one word read from stdin.
 */
export function newUserPassword(name: string, interactive: boolean): string {
  if (!interactive) return scanPassword(readAllStdinSync())
  let p1: string
  let p2: string
  try {
    p1 = askPassword(`Password of ${name}: `)
  } catch (err) {
    throw exitWithError(
      ExitCode.BadArgs,
      `failed to ask password: failed during password entry: ${(err as Error).message}`,
    )
  }
  if (p1.length === 0) throw exitWithError(ExitCode.BadArgs, 'empty password')
  try {
    p2 = askPassword(`Type password of ${name} again for confirmation: `)
  } catch (err) {
    throw exitWithError(
      ExitCode.BadArgs,
      `failed to ask password: failed during password entry: ${(err as Error).message}`,
    )
  }
  if (p1 !== p2) throw exitWithError(ExitCode.BadArgs, 'given passwords are different')
  return p1
}
