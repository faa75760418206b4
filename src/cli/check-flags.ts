/** The flags etcdctl's `check perf` and `check datascale` share. */
import { Flags } from '@oclif/core'

/** `what`: "performance" or "datascale", as etcdctl words each command's help. */
export function checkFlags(what: string, defaultPrefix: string) {
  return {
    load: Flags.string({
      description: `The ${what} check's workload model. Accepted workloads: s(small), m(medium), l(large), xl(xLarge)`,
      default: 's',
    }),
    prefix: Flags.string({ description: `The prefix for writing the ${what} check's keys.`, default: defaultPrefix }),
    'auto-compact': Flags.boolean({ description: 'Compact storage with last revision after test is finished.' }),
    'auto-defrag': Flags.boolean({ description: 'Defragment storage after test is finished.' }),
  }
}
