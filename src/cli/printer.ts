/** The printer for the global -w/--write-out and --hex flags. */
import { newPrinter, type Printer } from '../output/printer.js'
import type { GlobalFlags } from './base.js'

export function printerFor(g: GlobalFlags): Printer {
  return newPrinter(g['write-out'], { isHex: g.hex })
}
