/**
 * The import-boundary check: every relative import in src/**\/*.ts must be allowed by the
 * table in docs/layers.md (module → modules or single files it may import).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

interface SourceFile {
  /** Repository-relative, e.g. src/server/api/kv-service.ts */
  path: string
  text: string
}

/** module → what it may import: module names, or module-relative file names (no extension). */
type Layers = Map<string, Set<string>>

function parseLayers(markdown: string): Layers {
  const layers: Layers = new Map()
  for (const line of markdown.split('\n')) {
    const m = /^\| `([^`]+)` \| (.*) \|$/.exec(line.trim())
    if (!m) continue
    const allowed =
      m[2].trim() === '—'
        ? []
        : m[2]
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
    layers.set(m[1], new Set(allowed))
  }
  return layers
}

/** The module a src file belongs to: src/<dir>, src/server/<dir>, or a file at either level. */
function moduleOf(file: string): string {
  const parts = file
    .replace(/^src\//, '')
    .replace(/\.ts$/, '')
    .split('/')
  if (parts[0] === 'server' && parts.length > 1) return `server/${parts[1]}`
  return parts[0]
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g

function importsOf(f: SourceFile): string[] {
  const out: string[] = []
  for (const m of f.text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]
    out.push(path.posix.normalize(path.posix.join(path.posix.dirname(f.path), spec)).replace(/\.js$/, '.ts'))
  }
  return out
}

/** Every import the table does not allow, as "from -> to (reason)". */
function violations(files: readonly SourceFile[], layers: Layers): string[] {
  const bad: string[] = []
  for (const f of files) {
    const from = moduleOf(f.path)
    const allowed = layers.get(from)
    if (allowed === undefined) {
      bad.push(`${f.path}: module ${from} is not in the table`)
      continue
    }
    for (const target of importsOf(f)) {
      if (!target.startsWith('src/')) {
        bad.push(`${f.path} -> ${target} (outside src)`)
        continue
      }
      const to = moduleOf(target)
      if (to === from || allowed.has(to) || allowed.has(target.replace(/^src\//, '').replace(/\.ts$/, ''))) continue
      bad.push(`${f.path} -> ${target} (${from} may not import ${to})`)
    }
  }
  return bad
}

/** A cycle in the table, if there is one (the layers must form a DAG). */
function cycleIn(layers: Layers): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (m: string): string[] | undefined => {
    if (state.get(m) === 'done') return undefined
    if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m]
    state.set(m, 'open')
    stack.push(m)
    for (const t of layers.get(m) ?? []) {
      const c = visit(
        t
          .split('/')
          .slice(0, t.startsWith('server/') ? 2 : 1)
          .join('/'),
      )
      if (c) return c
    }
    stack.pop()
    state.set(m, 'done')
    return undefined
  }
  for (const m of layers.keys()) {
    const c = visit(m)
    if (c) return c
  }
  return undefined
}

function sourceFiles(dir: string): SourceFile[] {
  const out: SourceFile[] = []
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name)
    if (e.isDirectory()) out.push(...sourceFiles(rel))
    else if (e.name.endsWith('.ts')) out.push({ path: rel, text: fs.readFileSync(path.join(ROOT, rel), 'utf8') })
  }
  return out
}

describe('layers: imports follow docs/layers.md', () => {
  const layers = parseLayers(fs.readFileSync(path.join(ROOT, 'docs/layers.md'), 'utf8'))

  it('reads a table that names the layers and has no cycle', () => {
    assert.ok(layers.size > 20, `only ${layers.size} modules in docs/layers.md`)
    assert.equal(cycleIn(layers), undefined)
    for (const [m, allowed] of layers) {
      for (const t of allowed)
        assert.ok(layers.has(t) || layers.has(moduleOf(`src/${t}.ts`)), `${m} names unknown ${t}`)
    }
  })

  it('allows every import in src', () => {
    const files = sourceFiles('src')
    assert.ok(files.length > 100)
    assert.deepEqual(violations(files, layers), [])
  })

  it('fails on an upward import, a file outside an allowed one, and an unknown module', () => {
    const bad = violations(
      [
        { path: 'src/raft/raft.ts', text: "import { EtcdServer } from '../server/etcdserver/server.js'\n" },
        { path: 'src/server/mvcc/store.ts', text: "import type { Applier } from '../apply/applier.js'\n" },
        {
          path: 'src/server/api/kv-service.ts',
          text: "import type { Core } from '../etcdserver/core.js'\nimport { EtcdServer } from '../etcdserver/server.js'\n",
        },
        { path: 'src/client/client.ts', text: "const m = await import('../server/embed/member.js')\n" },
        { path: 'src/nowhere/x.ts', text: '' },
      ],
      layers,
    )
    assert.deepEqual(bad, [
      'src/raft/raft.ts -> src/server/etcdserver/server.ts (raft may not import server/etcdserver)',
      'src/server/mvcc/store.ts -> src/server/apply/applier.ts (server/mvcc may not import server/apply)',
      'src/server/api/kv-service.ts -> src/server/etcdserver/server.ts (server/api may not import server/etcdserver)',
      'src/client/client.ts -> src/server/embed/member.ts (client may not import server/embed)',
      'src/nowhere/x.ts: module nowhere is not in the table',
    ])
  })

  it('finds a cycle in a table', () => {
    const cyclic = parseLayers('| `a` | b |\n| `b` | c |\n| `c` | a |\n')
    assert.deepEqual(cycleIn(cyclic), ['a', 'b', 'c', 'a'])
  })
})
