#!/usr/bin/env node
// Development entry: rebuild with `npm run build` first; runs the same code as bin/run.js
// without the generated manifest, so new commands are found without regenerating it.
import { execute } from '@oclif/core'
import { hoistGlobalFlags } from '../dist/src/cli/argv.js'

await execute({ development: true, dir: import.meta.url, args: hoistGlobalFlags(process.argv.slice(2)) })
