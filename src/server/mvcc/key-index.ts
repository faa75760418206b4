/**
 * The revisions of one key, grouped in generations.
 *
 * A generation is the life of the key from a put that creates it to the delete (tombstone)
 * that ends it. The last generation is the current one; it is empty while the key is
 * deleted. Every generation but the last ends with its tombstone.
 *
 * Example: on key "k", put@1.0, put@2.0, delete@3.0, put@4.0, delete@5.0, put@6.0 give
 *
 *   generations:  {1.0, 2.0, 3.0t} {4.0, 5.0t} {6.0}
 *   get(2) → 2.0 (created 1, version 2)    get(3) → none (deleted at 3)
 *   get(4) → 4.0 (created 4, version 1)    get(5) → none
 *
 * and delete@7.0 then leaves {1.0, 2.0, 3.0t} {4.0, 5.0t} {6.0, 7.0t} {}.
 *
 * Compaction at revision R keeps, for the state of the key at R, the latest revision <= R
 * unless it is a tombstone, and everything above R. It removes the rest:
 *
 *   compact(2): {2.0, 3.0t} {4.0, 5.0t} {6.0, 7.0t} {}    removes 1.0
 *   compact(3): {4.0, 5.0t} {6.0, 7.0t} {}                removes 2.0, 3.0t (deleted at 3)
 *   compact(4): {4.0, 5.0t} {6.0, 7.0t} {}                nothing more
 *   compact(6): {6.0, 7.0t} {}                            removes 4.0, 5.0t
 *   compact(7): {}                                        removes 6.0, 7.0t: the key is gone
 *
 * Revisions are stored flat, [main0, sub0, main1, sub1, ...], ascending.
 */

/** A generation of a key; all but the current one end with their tombstone. */
export class Generation {
  constructor(
    /** create_revision of the key in this generation (main of its first put). */
    public created: number,
    /** The key's version at the last revision of this generation. */
    public ver: number,
    public revs: number[],
  ) {}
}

/** Output of a lookup: the revision found and the key's metadata there. */
export class RevLookup {
  main = 0
  sub = 0
  created = 0
  version = 0
}

/** Removed revisions, flat: [main, sub, tombstone (0|1), ...], ascending per key. */
export type RemovedRevs = number[]

/** Sets `out` to the latest revision <= atRev in r (r[0] <= atRev is known). */
function find(r: number[], created: number, ver: number, atRev: number, out: RevLookup): true {
  const pairs = r.length >>> 1
  let lo = 0
  let hi = pairs - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1
    if (r[2 * mid] <= atRev) lo = mid
    else hi = mid - 1
  }
  out.main = r[2 * lo]
  out.sub = r[2 * lo + 1]
  out.created = created
  out.version = ver - (pairs - 1 - lo)
  return true
}

/** Drops the revisions of r below the latest one <= atRev, appending them to removed. */
function trim(r: number[], atRev: number, removed: RemovedRevs): number[] {
  let k = r.length - 2
  while (k >= 0 && r[k] > atRev) k -= 2
  if (k <= 0) return r
  for (let j = 0; j < k; j += 2) removed.push(r[j], r[j + 1], 0)
  return r.slice(k)
}

/**
 * The current generation lives in the KeyIndex itself (most keys have only that one);
 * earlier generations, if any, in `past`. Its revisions are held in an array only once it
 * has two or more: most keys of a large store were written once, and an array is two more
 * heap objects per key (64 bytes) for the garbage collector to copy and trace.
 */
export class KeyIndex {
  /** Current generation: create_revision, version at its last revision. */
  created = 0
  ver = 0
  /**
   * Every revision of the current generation (flat, ascending) when it has two or more;
   * null when it has one (lastMain.lastSub) or none (lastMain is 0).
   */
  revs: number[] | null = null
  /** Last revision of the current generation; 0.0 when it has none (the key is deleted). */
  lastMain = 0
  lastSub = 0
  /** Earlier generations, oldest first; null when there are none. */
  past: Generation[] | null = null
  /** Lease attached to the key's live revision; 0n if none or deleted. */
  lease = 0n

  /** `skey` is the key as a latin1 string (byte order under `<`). */
  constructor(readonly skey: string) {}

  get key(): Buffer {
    return Buffer.from(this.skey, 'latin1')
  }

  /** The revisions of the current generation, flat (a new array when it has fewer than two). */
  currentRevs(): number[] {
    return this.revs ?? (this.lastMain === 0 ? [] : [this.lastMain, this.lastSub])
  }

  /** All generations, oldest first, the current (possibly empty) one last. */
  generations(): Generation[] {
    return [...(this.past ?? []), new Generation(this.created, this.ver, this.currentRevs())]
  }

  /** No revisions left at all: the index drops such keys. */
  isEmpty(): boolean {
    return this.past === null && this.lastMain === 0
  }

  /** True when the key exists now (its current generation has revisions). */
  isLive(): boolean {
    return this.lastMain !== 0
  }

  /** A put at main.sub (on a key of a TreeIndex, through TreeIndex.put, which tracks history). */
  put(main: number, sub: number): void {
    if (this.lastMain === 0) {
      this.created = main
      this.ver = 1
    } else {
      this.checkOrder(main, sub)
      this.append(main, sub)
      this.ver++
    }
    this.lastMain = main
    this.lastSub = sub
  }

  /** Adds main.sub after the last revision of a live current generation. */
  private append(main: number, sub: number): void {
    // A literal holds exactly what it is given; a push onto [] would reserve room for sixteen.
    if (this.revs === null) this.revs = [this.lastMain, this.lastSub, main, sub]
    else this.revs.push(main, sub)
  }

  /** Makes `r` (flat, at least one revision) the current generation's revisions. */
  private setRevs(r: number[]): void {
    this.lastMain = r[r.length - 2]
    this.lastSub = r[r.length - 1]
    this.revs = r.length > 2 ? r : null
  }

  /** Ends the current generation with a tombstone; the key must be live (on a key of a TreeIndex, through TreeIndex.tombstone). */
  tombstone(main: number, sub: number): void {
    if (this.lastMain === 0) throw new Error(`mvcc: tombstone on deleted key ${JSON.stringify(this.skey)}`)
    this.checkOrder(main, sub)
    this.append(main, sub)
    const g = new Generation(this.created, this.ver + 1, this.revs!)
    if (this.past === null) this.past = [g]
    else this.past.push(g)
    this.revs = null
    this.created = 0
    this.ver = 0
    this.lastMain = 0
    this.lastSub = 0
    this.lease = 0n
  }

  /**
   * Takes back the last put (a write transaction that failed): the revision, the version and
   * the lease the key had before it.
   */
  undoPut(prevLease: bigint): void {
    const r = this.revs
    if (r === null) {
      this.created = 0
      this.ver = 0
      this.lastMain = 0
      this.lastSub = 0
    } else {
      r.length -= 2
      this.ver--
      this.setRevs(r)
    }
    this.lease = prevLease
  }

  /** Takes back the last tombstone (a write transaction that failed): the key is live again. */
  undoTombstone(prevLease: bigint): void {
    const past = this.past!
    const g = past.pop()!
    if (past.length === 0) this.past = null
    const r = g.revs
    r.length -= 2
    this.setRevs(r)
    this.created = g.created
    this.ver = g.ver - 1
    this.lease = prevLease
  }

  /**
   * Rebuilding from records in revision order: a put record carries its create_revision
   * and version, which also start a generation whose earlier revisions were compacted.
   */
  restorePut(main: number, sub: number, created: number, version: number): void {
    if (this.lastMain === 0) this.created = created
    else this.append(main, sub)
    this.ver = version
    this.lastMain = main
    this.lastSub = sub
  }

  /**
   * Rebuilding: a tombstone record. Returns false, ignoring it, when the key is not live:
   * its puts were removed by a compaction that stopped before removing the tombstone.
   */
  restoreTombstone(main: number, sub: number): boolean {
    if (!this.isLive()) return false
    this.tombstone(main, sub)
    return true
  }

  /** Finds the key's revision visible at atRev; false if the key did not exist then. */
  get(atRev: number, out: RevLookup): boolean {
    const last = this.lastMain
    if (last !== 0) {
      if (last <= atRev) {
        out.main = last
        out.sub = this.lastSub
        out.created = this.created
        out.version = this.ver
        return true
      }
      const r = this.revs
      if (r !== null && r[0] <= atRev) return find(r, this.created, this.ver, atRev, out)
    }
    const past = this.past
    if (past === null) return false
    for (let gi = past.length - 1; gi >= 0; gi--) {
      const g = past[gi]
      const pr = g.revs
      if (pr[pr.length - 2] <= atRev) return false // deleted at or before atRev
      if (pr[0] <= atRev) return find(pr, g.created, g.ver, atRev, out)
    }
    return false
  }

  /** Compacts at atRev (see the examples above), appending what goes to `removed`. */
  compact(atRev: number, removed: RemovedRevs): void {
    const past = this.past
    if (past === null) {
      if (this.revs !== null) this.setRevs(trim(this.revs, atRev, removed))
      return
    }
    // Generations ended by a tombstone at or below atRev hold nothing visible at atRev.
    let gi = 0
    while (gi < past.length) {
      const r = past[gi].revs
      if (r[r.length - 2] > atRev) break
      for (let j = 0; j < r.length; j += 2) removed.push(r[j], r[j + 1], j === r.length - 2 ? 1 : 0)
      gi++
    }
    if (gi < past.length) past[gi].revs = trim(past[gi].revs, atRev, removed)
    else if (this.revs !== null) this.setRevs(trim(this.revs, atRev, removed))
    if (gi > 0) this.past = gi === past.length ? null : past.slice(gi)
  }

  private checkOrder(main: number, sub: number): void {
    const lm = this.lastMain
    if (main < lm || (main === lm && sub <= this.lastSub)) {
      throw new Error(
        `mvcc: revision ${main}.${sub} not above ${lm}.${this.lastSub} on key ${JSON.stringify(this.skey)}`,
      )
    }
  }
}
