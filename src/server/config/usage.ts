/** `tsetcd serve --help`: etcd's flags with their defaults. */
import { FLAGS, envName } from './flags.js'

export function serveUsage(): string {
  const lines = [
    'Usage:',
    '',
    '  tsetcd serve [flags]',
    '',
    'Start a tsetcd member. Every flag can also be set with its ETCD_* environment',
    'variable, or in the YAML file given with --config-file.',
    '',
    'Flags:',
  ]
  for (const f of FLAGS) {
    const def = f.default === '' ? '' : ` (default ${f.default})`
    lines.push(`  --${f.name}${f.type === 'bool' ? '' : ` <${f.type}>`}`)
    lines.push(
      `      ${f.usage}${def}${f.defaultOnly ? ' [not supported yet by tsetcd: only the default is accepted]' : ''} [${envName(f.name)}]`,
    )
  }
  return lines.join('\n') + '\n'
}
