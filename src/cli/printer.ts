/** The printer for the global -w/--write-out and --hex flags. */
import { newPrinter, type Printer } from '../output/printer.js'
import { colourEnabled } from '../output/colour.js'
import type { GlobalFlags } from './base.js'
import { writeOutOf } from './argv.js'

export function printerFor(g: GlobalFlags): Printer {
  const colour = colourEnabled({ isTTY: process.stdout.isTTY, env: process.env, format: g['write-out'] })
  return newPrinter(g['write-out'], { isHex: g.hex, colour })
}

/** Whether errors on stderr are coloured (not with a machine format on the command line). */
export function stderrColour(argv: string[]): boolean {
  return colourEnabled({ isTTY: process.stderr.isTTY, env: process.env, format: writeOutOf(argv, process.env) })
}
