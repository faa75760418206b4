/**
 * The program's entry (bin/run.js, bin/dev.js): etcdctl's argument forms are brought to
 * oclif's (global flags before the command, command prefixes), then oclif runs the command.
 */
import { Config, execute, settings } from '@oclif/core'
import { hoistGlobalFlags } from './argv.js'
import { resolveCommandPath } from './command-path.js'
import { stderrColour } from './printer.js'
import { colourError } from '../output/colour.js'

export async function main(dir: string, argv: string[], opts: { development?: boolean } = {}): Promise<void> {
  if (opts.development) {
    process.env.NODE_ENV = 'development'
    settings.debug = true
  }
  const config = await Config.load(dir)
  const resolved = resolveCommandPath(hoistGlobalFlags(argv), config.commands)
  if ('error' in resolved) {
    process.stderr.write(colourError(resolved.error, stderrColour(argv)))
    process.exitCode = 1
    return
  }
  await execute({ development: opts.development, loadOptions: config, args: resolved.argv })
}
