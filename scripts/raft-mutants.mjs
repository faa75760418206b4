#!/usr/bin/env node
/**
 * Mutation check of the Raft tests: plants one known bug at a time in a copy
 * of the built core (dist/src/raft) and requires the simulator's property
 * tests to catch every one of them.
 *
 *   npm run build && node scripts/raft-mutants.mjs [--schedules N] [--only a,b] [--scenarios] [--keep]
 *
 * --schedules N  random schedules per run, over all properties (RAFT_SCHEDULES; default 600)
 * --seed S       fast-check seed choosing the schedules (RAFT_FC_SEED; default 1, so runs repeat;
 *                `--seed random` draws a new set each run)
 * --only a,b     run only these mutants
 * --scenarios    also run the hand-written scenario tests (default: the property tests alone,
 *                since the point is that random schedules find these bugs by themselves)
 * --keep         keep the mutated copies under dist/mutants/
 *
 * Each copy lives in dist/mutants/<name>/ with dist's layout (src/raft next to
 * test/unit/raft), so the tests' relative imports reach the mutated core and
 * bare imports still resolve from the repository's node_modules. Every
 * replacement must match exactly as often as declared, or the script fails:
 * a mutant that no longer applies must be fixed, not silently skipped. The
 * unmutated copy runs first and must pass.
 *
 * Exits non-zero if the baseline fails or any mutant survives.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const work = join(dist, 'mutants')

/** name -> what it breaks, and the text replacements (file relative to dist/src/raft). */
export const MUTANTS = [
  {
    name: 'figure8-commit-by-count',
    what: 'commits an entry of an older term once a majority holds it (Raft §5.4.2, Figure 8)',
    edits: [
      [
        'raft-log.js',
        'if (maxIndex > this.committed && this.term(maxIndex) === term) {',
        'if (maxIndex > this.committed) {',
      ],
    ],
  },
  {
    name: 'read-without-quorum',
    what: 'answers ReadIndex without waiting for heartbeat acknowledgements from a quorum',
    edits: [['raft.js', '(id) => id === this.id || this.readOnly.ackedRound(id) >= round', '(id) => true']],
  },
  {
    name: 'responses-before-persist',
    what: 'sends vote and append responses at once instead of after the disk write',
    edits: [
      [
        'raft.js',
        "const AFTER_PERSIST = new Set(['MsgAppResp', 'MsgVoteResp']);",
        'const AFTER_PERSIST = new Set([]);',
      ],
    ],
  },
  {
    name: 'vote-before-persist',
    what: 'sends vote responses at once instead of after the disk write',
    edits: [
      [
        'raft.js',
        "const AFTER_PERSIST = new Set(['MsgAppResp', 'MsgVoteResp']);",
        "const AFTER_PERSIST = new Set(['MsgAppResp']);",
      ],
    ],
  },
  {
    name: 'append-ack-before-persist',
    what: 'acknowledges appended entries at once instead of after the disk write',
    edits: [
      [
        'raft.js',
        "const AFTER_PERSIST = new Set(['MsgAppResp', 'MsgVoteResp']);",
        "const AFTER_PERSIST = new Set(['MsgVoteResp']);",
      ],
    ],
  },
  {
    name: 'double-vote',
    what: 'grants a vote whatever vote it already cast in the term',
    edits: [['raft.js', 'const canVote = this.vote === m.from ||', 'const canVote = true ||']],
  },
  {
    name: 'up-to-date-always',
    what: "the candidate's log always counts as up to date (§5.4.1)",
    edits: [
      ['raft-log.js', 'return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());', 'return true;'],
    ],
  },
  {
    name: 'heartbeat-commit-uncapped',
    what: "heartbeats carry the leader's commit, not capped at the follower's match",
    edits: [
      ['raft.js', 'const commit = Math.min(pr?.match ?? 0, this.log.committed);', 'const commit = this.log.committed;'],
    ],
  },
  {
    name: 'forward-overwrites-from',
    what: "forwarded requests get the forwarder's id as from (transfer target, ReadIndex requester lost)",
    edits: [['raft.js', 'if (m.from === NONE)\n            m.from = this.id;', 'm.from = this.id;']],
  },
  {
    name: 'new-member-not-active',
    what: 'a member added to the configuration starts not recently active',
    edits: [['tracker/tracker.js', 'fresh.recentActive = true;', 'fresh.recentActive = false;']],
  },
]

function parseArgs(argv) {
  const o = { schedules: 600, seed: '1', only: undefined, scenarios: false, keep: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--schedules') o.schedules = Number(argv[++i])
    else if (a === '--seed') o.seed = argv[++i]
    else if (a === '--only') o.only = argv[++i].split(',')
    else if (a === '--scenarios') o.scenarios = true
    else if (a === '--keep') o.keep = true
    else throw new Error(`unknown argument ${a}`)
  }
  if (!(o.schedules >= 1)) throw new Error('--schedules must be a positive number')
  return o
}

function copyFor(name) {
  const dir = join(work, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  cpSync(join(dist, 'src', 'raft'), join(dir, 'src', 'raft'), { recursive: true })
  cpSync(join(dist, 'test', 'unit', 'raft'), join(dir, 'test', 'unit', 'raft'), { recursive: true })
  // The simulator's seeded PRNG, shared with the other randomized suites.
  cpSync(join(dist, 'test', 'helpers', 'rng.js'), join(dir, 'test', 'helpers', 'rng.js'))
  return dir
}

function applyEdits(dir, mutant) {
  for (const [file, from, to, times = 1] of mutant.edits) {
    const path = join(dir, 'src', 'raft', file)
    const text = readFileSync(path, 'utf8')
    const found = text.split(from).length - 1
    if (found !== times) {
      throw new Error(
        `mutant ${mutant.name}: expected ${times} match(es) of ${JSON.stringify(from)} in ${file}, found ${found}: update the pattern`,
      )
    }
    writeFileSync(path, text.split(from).join(to))
  }
}

function testFiles(dir, scenarios) {
  const tests = join(dir, 'test', 'unit', 'raft')
  if (!scenarios) return [join(tests, 'property.test.js')]
  // Never this file's own mocha wrapper: it would run the mutants again.
  return readdirSync(tests)
    .filter((f) => f.endsWith('.test.js') && f !== 'mutants.test.js')
    .map((f) => join(tests, f))
}

function run(dir, o) {
  const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js')
  const started = Date.now()
  const res = spawnSync(
    process.execPath,
    [mocha, '--no-config', '--bail', '--reporter', 'dot', '--timeout', '0', ...testFiles(dir, o.scenarios)],
    {
      cwd: root,
      env: {
        ...process.env,
        RAFT_SCHEDULES: String(o.schedules),
        ...(o.seed === 'random' ? {} : { RAFT_FC_SEED: o.seed }),
      },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  const out = `${res.stdout}\n${res.stderr}`
  // The first assertion or invariant message, to show what caught it.
  const reason = (
    out.match(/Caused by: (.*)$/m)?.[1] ??
    out.match(/^\s+(?:Error|AssertionError[^:]*|TypeError|RangeError): .*$/m)?.[0] ??
    ''
  ).trim()
  return { failed: res.status !== 0, seconds: (Date.now() - started) / 1000, reason, out }
}

function main() {
  const o = parseArgs(process.argv.slice(2))
  if (
    !existsSync(join(dist, 'src', 'raft', 'raft.js')) ||
    !existsSync(join(dist, 'test', 'unit', 'raft', 'property.test.js'))
  ) {
    throw new Error('dist/ has no built raft core or tests: run `npm run build` first')
  }
  const mutants = o.only ? MUTANTS.filter((m) => o.only.includes(m.name)) : MUTANTS
  if (o.only && mutants.length !== o.only.length) throw new Error(`unknown mutant in --only ${o.only.join(',')}`)

  // Plant every mutant first: a pattern that no longer matches fails before anything runs.
  const dirs = new Map()
  const baseDir = copyFor('baseline')
  for (const m of mutants) {
    const dir = copyFor(m.name)
    applyEdits(dir, m)
    dirs.set(m.name, dir)
  }

  const base = run(baseDir, o)
  console.log(`baseline (no mutation): ${base.failed ? 'FAILED' : 'passes'} in ${base.seconds.toFixed(1)}s`)
  if (base.failed) {
    console.log(base.out)
    throw new Error('the unmutated tests fail: fix them before judging mutants')
  }

  const rows = []
  for (const m of mutants) {
    const r = run(dirs.get(m.name), o)
    rows.push({
      mutant: m.name,
      status: r.failed ? 'killed' : 'SURVIVED',
      seconds: r.seconds.toFixed(1),
      caughtBy: r.failed ? r.reason.slice(0, 110) : m.what,
    })
    console.log(`${m.name}: ${r.failed ? 'killed' : 'SURVIVED'} (${r.seconds.toFixed(1)}s)`)
  }
  if (!o.keep) rmSync(work, { recursive: true, force: true })

  const w = Math.max(...rows.map((r) => r.mutant.length))
  console.log(`\n${'mutant'.padEnd(w)}  status    time   caught by / what it breaks`)
  for (const r of rows)
    console.log(`${r.mutant.padEnd(w)}  ${r.status.padEnd(8)}  ${r.seconds.padStart(5)}s  ${r.caughtBy}`)
  const survived = rows.filter((r) => r.status !== 'killed')
  console.log(
    `\n${rows.length - survived.length}/${rows.length} mutants killed with ${o.schedules} schedules (seed ${o.seed})${o.scenarios ? ' and the scenario tests' : ''}`,
  )
  if (survived.length > 0) process.exitCode = 1
}

try {
  main()
} catch (e) {
  console.error(`raft-mutants: ${e instanceof Error ? e.message : String(e)}`)
  process.exitCode = 2
}
