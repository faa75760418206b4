#!/usr/bin/env node
// Development entry: rebuild with `npm run build` first; runs the same code as bin/run.js
// without the generated manifest, so new commands are found without regenerating it.
import { main } from '../dist/src/cli/main.js'

await main(import.meta.url, process.argv.slice(2), { development: true })
