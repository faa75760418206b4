/**
 * etcdctl's command lookup (cobra with EnablePrefixMatching): at every level of the command
 * path a word names a command exactly or is an unambiguous prefix of one, so
 * `etcdctl mem li` is `member list` and `etcdctl compact 5` is `compaction 5`.
 *
 * A word that matches nothing (or several) at the top level is an unknown command, reported
 * as cobra does, with its "Did you mean this?" suggestions (tsetcd's commands); below the top level it leaves the
 * command group, whose help is then shown (exit status 0), as etcdctl does.
 */
import { GLOBAL_VALUE_FLAGS } from './argv.js'
import { ETCDCTL_COMMANDS } from './etcdctl-commands.js'

/** A command as the resolver sees it: its oclif id (`member:list`), hidden or not. */
export interface CommandEntry {
  id: string
  hidden?: boolean
}

interface Node {
  name: string
  /** tsetcd has this command, or commands under it (else it is only etcdctl's). */
  real: boolean
  runnable: boolean
  hidden: boolean
  children: Node[]
}

function addPath(root: Node, id: string, real: boolean, hidden: boolean): void {
  let node = root
  const parts = id.split(':')
  parts.forEach((part, i) => {
    let child = node.children.find((n) => n.name === part)
    if (!child) {
      child = { name: part, real: false, runnable: false, hidden: true, children: [] }
      node.children.push(child)
    }
    if (real) {
      child.real = true
      if (!hidden) child.hidden = false
      if (i === parts.length - 1) child.runnable = true
    }
    node = child
  })
}

/** tsetcd's commands and etcdctl's, the root in etcdctl's order (tsetcd's own after). */
function buildTree(commands: CommandEntry[]): Node {
  const root: Node = { name: '', real: true, runnable: false, hidden: false, children: [] }
  for (const id of ETCDCTL_COMMANDS) addPath(root, id, false, false)
  for (const c of commands) addPath(root, c.id, true, !!c.hidden)
  return root
}

/** cobra's findNext: the exact name, else the one command the word is a prefix of; only tsetcd's commands are found. */
function findNext(node: Node, word: string): Node | undefined {
  const exact = node.children.find((c) => c.name === word)
  const matches = node.children.filter((c) => c.name.startsWith(word))
  const found = exact ?? (matches.length === 1 ? matches[0] : undefined)
  return found?.real ? found : undefined
}

/** Levenshtein distance (cobra's ld), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase()
  const t = b.toLowerCase()
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j)
  for (let i = 1; i <= s.length; i++) {
    const cur = [i]
    for (let j = 1; j <= t.length; j++) {
      cur[j] = s[i - 1] === t[j - 1] ? prev[j - 1] : Math.min(prev[j], cur[j - 1], prev[j - 1]) + 1
    }
    prev = cur
  }
  return prev[t.length]
}

/** cobra's SuggestionsFor: visible commands within edit distance 2, or that start with the word. */
export function suggestionsFor(word: string, names: string[]): string[] {
  return names.filter((n) => editDistance(word, n) <= 2 || n.toLowerCase().startsWith(word.toLowerCase()))
}

/** What cobra and then etcdctl's ExitWithError write for an unknown top-level command (exit status 1). */
export function unknownCommandError(word: string, names: string[]): string {
  const suggestions = suggestionsFor(word, names)
  const hint = suggestions.length ? `\n\nDid you mean this?\n${suggestions.map((s) => `\t${s}\n`).join('')}` : ''
  const message = `unknown command "${word}" for "etcdctl"${hint}`
  return `Error: ${message}\nRun 'etcdctl --help' for usage.\nError: ${message}\n`
}

export type Resolution = { argv: string[] } | { error: string }

/**
 * Resolves the command words of `argv` (flags may stand between them) to full command names,
 * and puts them first; the other arguments keep their order. Leaves argv alone when it names
 * no command (`--help`, `--version`, nothing).
 */
export function resolveCommandPath(argv: string[], commands: CommandEntry[]): Resolution {
  let node = buildTree(commands)
  const path: string[] = []
  const rest: string[] = []
  let i = 0
  for (; i < argv.length && node.children.length > 0; i++) {
    const arg = argv[i]
    if (arg === '--') break
    if (arg.startsWith('-') && arg !== '-') {
      rest.push(arg)
      if (GLOBAL_VALUE_FLAGS.has(arg) && i + 1 < argv.length) rest.push(argv[++i])
      continue
    }
    const next = findNext(node, arg)
    if (!next && node.runnable) break
    if (!next) {
      if (path.length === 0)
        return {
          error: unknownCommandError(
            arg,
            node.children.filter((c) => c.real && !c.hidden).map((c) => c.name),
          ),
        }
      return { argv: path }
    }
    path.push(next.name)
    node = next
  }
  if (path.length === 0) return { argv }
  return { argv: [...path, ...rest, ...argv.slice(i)] }
}
