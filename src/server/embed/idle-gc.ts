/**
 * Giving V8's young generation back to the system once the process goes idle.
 *
 * V8 grows its young generation (two semi-spaces, each up to --max-semi-space-size) under load
 * and shrinks it only at the end of a collection that finds the allocation rate low (under
 * about 1 MB/s, measured over the collections of the last 5 s). A member that goes idle
 * allocates too little to start a collection, so it kept the pages it used under load: 15 MB
 * with the launcher's 8 MiB semi-spaces (docs/performance.md, "Memory").
 *
 * Once no collection has run for IDLE_MS and the young generation is larger than SMALL, this
 * runs one young-generation collection (1–3 ms), at the end of which V8 shrinks it. When load
 * comes back, V8 grows it again within a few collections. Old space is left alone: a full
 * collection's pause grows with the heap (hundreds of milliseconds at a million keys).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks'
import v8 from 'node:v8'
import vm from 'node:vm'

/** Longer than the 5 s over which V8 measures the allocation rate. */
const IDLE_MS = 6000
const CHECK_MS = 1000
/** A young generation (both semi-spaces) of at most this size is left as it is. */
const SMALL = 4 << 20

type Collect = (options: { type: 'minor' }) => void

function youngGenerationSize(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size
  return 0
}

/** Watches for the rest of the process's life (its timer does not keep the process alive). */
export function collectWhenIdle(): void {
  // V8 puts gc() into contexts made once the flag is set; the main one has none (unless node
  // was started with --expose-gc), and none is added to it.
  v8.setFlagsFromString('--expose-gc')
  const collect = vm.runInNewContext('gc') as Collect
  let lastGcEnd = performance.now()
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) lastGcEnd = Math.max(lastGcEnd, e.startTime + e.duration)
  })
  observer.observe({ entryTypes: ['gc'] })
  const timer = setInterval(() => {
    if (performance.now() - lastGcEnd < IDLE_MS || youngGenerationSize() <= SMALL) return
    collect({ type: 'minor' })
    lastGcEnd = performance.now()
  }, CHECK_MS)
  timer.unref()
}
