/** etcd's member flag lists (test/fixtures/etcd-flags) and a unit file's worth of defaults. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { FLAG_BY_NAME } from '../../src/server/config/flags.js'
import { ETCD, REPO, haveBinary } from './procs.js'

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'etcd-flags')

/** etcd's member flags of one version: 3.4's from the installed binary's --help when there is one. */
export function etcdFlags(version: '3.4' | '3.5' | '3.6'): string[] {
  const listed = fs
    .readFileSync(path.join(FIXTURES, `${version}.txt`), 'utf8')
    .split('\n')
    .filter(Boolean)
  if (version !== '3.4' || !haveBinary(ETCD)) return listed
  const help = spawnSync(ETCD, ['--help']).stdout.toString() + spawnSync(ETCD, ['--help']).stderr.toString()
  const fromHelp = [...help.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1])
  assert.ok(fromHelp.length > 60, 'etcd --help lists its flags')
  return [...new Set([...listed, ...fromHelp])]
}

/** Every flag at tsetcd's default (= etcd's), as a unit file that spells every default out. */
export function defaultArgs(names: string[]): string[] {
  return names.map((n) => {
    const def = FLAG_BY_NAME.get(n)
    assert.ok(def, `--${n} is not defined`)
    return `--${n}=${def.default}`
  })
}
