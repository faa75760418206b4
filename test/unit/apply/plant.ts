/** A planted failure in the store's writes, for proving that a failed request is rolled back. */
import { StoreTxn } from '../../../src/server/mvcc/txn.js'

/**
 * Makes call number `allowed + 1` of StoreTxn.put / deleteRange (counted together, from now)
 * throw `err`, until the returned function restores them.
 */
export function plantWriteFailure(allowed: number, err: Error): () => void {
  const put = StoreTxn.prototype.put
  const deleteRange = StoreTxn.prototype.deleteRange
  let calls = 0
  StoreTxn.prototype.put = function (this: StoreTxn, ...args: Parameters<StoreTxn['put']>) {
    if (++calls === allowed + 1) throw err
    return put.apply(this, args)
  }
  StoreTxn.prototype.deleteRange = function (this: StoreTxn, ...args: Parameters<StoreTxn['deleteRange']>) {
    if (++calls === allowed + 1) throw err
    return deleteRange.apply(this, args)
  }
  return () => {
    StoreTxn.prototype.put = put
    StoreTxn.prototype.deleteRange = deleteRange
  }
}
