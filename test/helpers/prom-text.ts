/**
 * A small parser of Prometheus' text exposition format (version 0.0.4), for tests that read
 * /metrics: `# HELP` and `# TYPE` lines, and samples `name{label="value",...} value`.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  help: Map<string, string>
}

/** Go's ParseFloat, as Prometheus reads values: Inf and NaN in any case (prom-client writes "Nan"). */
function parseValue(text: string): number {
  const t = text.toLowerCase()
  if (t === '+inf' || t === 'inf') return Infinity
  if (t === '-inf') return -Infinity
  if (t === 'nan') return NaN
  const v = Number(text)
  if (text === '' || Number.isNaN(v)) throw new Error(`bad sample value "${text}"`)
  return v
}

/** Parses `{a="x",b="y"}` starting at `text[i] === '{'`; returns the labels and the index after '}'. */
function parseLabels(text: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {}
  i++ // '{'
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++
    if (text[i] === '}') return [labels, i + 1]
    const eq = text.indexOf('=', i)
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`bad label in: ${text}`)
    const name = text.slice(i, eq).trim()
    let value = ''
    let j = eq + 2
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j++
        value += text[j] === 'n' ? '\n' : text[j]
      } else value += text[j]
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${text}`)
    labels[name] = value
    i = j + 1
  }
}

export function parsePromText(text: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), help: new Map() }
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line)
      if (m) (m[1] === 'HELP' ? out.help : out.types).set(m[2], m[3])
      continue
    }
    const nameEnd = line.search(/[{\s]/)
    if (nameEnd <= 0) throw new Error(`bad sample line: ${line}`)
    const name = line.slice(0, nameEnd)
    let labels: Record<string, string> = {}
    let rest = nameEnd
    if (line[nameEnd] === '{') [labels, rest] = parseLabels(line, nameEnd)
    const fields = line.slice(rest).trim().split(/\s+/)
    out.samples.push({ name, labels, value: parseValue(fields[0]) })
  }
  return out
}

/** Samples named `name` whose labels include `labels`. */
export function samples(e: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

/** The value of the one sample named `name` with `labels`; throws when there is none or several. */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = samples(e, name, labels)
  if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`)
  return found[0].value
}

/** GETs a /metrics page and parses it. */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  return parsePromText(await res.text())
}
