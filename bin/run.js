#!/usr/bin/env node
// `tsetcd serve` parses etcd's flags itself: a member starts without loading oclif and the
// client commands (sooner, and with less in memory), unless oclif's help for it is asked for.
const argv = process.argv.slice(2)
if (argv[0] === 'serve' && !argv.includes('--help')) {
  const { runServe } = await import('../dist/src/server/embed/serve.js')
  await runServe(argv.slice(1))
} else {
  const { main } = await import('../dist/src/cli/main.js')
  await main(import.meta.url, argv)
}
