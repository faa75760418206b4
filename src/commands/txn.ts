import { Flags } from '@oclif/core'
import { ClientCommand, ExitCode, exitWithError, type GlobalFlags } from '../cli/base.js'
import { printerFor } from '../cli/printer.js'
import { KVService } from '../gen/etcdserverpb.js'
import { TXN_PROMPTS, TxnReader, type TxnSection } from '../ctl/txn-grammar.js'

export default class Txn extends ClientCommand {
  static override summary = 'Txn processes all the requests in one transaction'
  static override usage = 'txn [options]'
  static override examples = [
    '<%= config.bin %> txn --interactive',
    'printf \'mod("key1") > "0"\\n\\nput key1 "overwrote-key1"\\n\\nput key1 "created-key1"\\nput key2 "some extra key"\\n\\n\' | <%= config.bin %> txn',
  ]
  static override strict = false
  static override flags = {
    interactive: Flags.boolean({ char: 'i', description: 'Input transaction in interactive mode' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Txn)
    const g = flags as unknown as GlobalFlags
    const printer = printerFor(g)
    if ((argv as string[]).length !== 0) throw exitWithError(ExitCode.BadArgs, 'txn command does not accept argument')
    const client = await this.connect(g)
    const prompt = (section: TxnSection): void => {
      if (flags.interactive && section !== 'done') process.stdout.write(TXN_PROMPTS[section] + '\n')
    }
    const reader = new TxnReader()
    prompt(reader.section)
    // Lines are read as bytes (keys and values need not be UTF-8) and handed over as latin1 text.
    let pending = ''
    for await (const chunk of process.stdin) {
      pending += (chunk as Buffer).toString('latin1')
      let nl: number
      while ((nl = pending.indexOf('\n')) >= 0 && reader.section !== 'done') {
        const before = reader.section
        reader.pushLine(pending.slice(0, nl + 1))
        pending = pending.slice(nl + 1)
        if (reader.section !== before) prompt(reader.section)
      }
      if (reader.section === 'done') break
    }
    const req = reader.end()
    // etcdctl sends the txn without a deadline.
    const res = await client.call(KVService.Txn, req, 2 ** 31 - 1)
    this.emit(printer.txn(res))
  }
}
