/**
 * Colour for people at a terminal, never for programs: only when the stream is a terminal,
 * never with NO_COLOR (https://no-color.org) or TERM=dumb, never in the machine formats
 * (json, fields, protobuf). Piped output is therefore byte for byte etcdctl's.
 */

const MACHINE_FORMATS = new Set(['json', 'fields', 'protobuf'])

export interface ColourContext {
  isTTY: boolean | undefined
  env: Record<string, string | undefined>
  /** The -w format, for stdout; none for stderr. */
  format?: string
}

export function colourEnabled(c: ColourContext): boolean {
  if (!c.isTTY) return false
  if (c.env.NO_COLOR !== undefined && c.env.NO_COLOR !== '') return false
  if (c.env.TERM === 'dumb') return false
  return c.format === undefined || !MACHINE_FORMATS.has(c.format)
}

const sgr =
  (open: number, close: number) =>
  (text: string): string =>
    `\x1b[${open}m${text}\x1b[${close}m`

export const red = sgr(31, 39)
export const green = sgr(32, 39)
export const bold = sgr(1, 22)

/** Colours the words of a padded cell, not its padding. */
export function paintWords(cell: string, style: (t: string) => string): string {
  const m = /^(\s*)(.*?)(\s*)$/s.exec(cell)!
  return m[2] ? m[1] + style(m[2]) + m[3] : cell
}

/** An error for stderr: its `Error: …` lines in red when enabled. */
export function colourError(text: string, enabled: boolean): string {
  if (!enabled) return text
  return text.replace(/^Error:.*$/gm, (line) => red(line))
}
