#!/usr/bin/env node
import { execute } from '@oclif/core'
import { hoistGlobalFlags } from '../dist/src/cli/argv.js'

await execute({ dir: import.meta.url, args: hoistGlobalFlags(process.argv.slice(2)) })
