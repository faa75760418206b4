/**
 * Intervals [lo, hi) over latin1 key strings (hi null: no upper bound), indexed for
 * "which intervals hold this key": a treap ordered by (lo, insertion order) whose nodes carry
 * the greatest hi of their subtree. A stabbing query visits only subtrees that can hold the
 * key, about log n + matches nodes, where a list would test every interval.
 *
 * Matches come back in insertion order, as a list scan would give them.
 */

class Node<T> {
  left: Node<T> | null = null
  right: Node<T> | null = null
  /** Greatest hi in this subtree; null: unbounded. */
  maxHi: string | null

  constructor(
    readonly lo: string,
    readonly hi: string | null,
    readonly seq: number,
    readonly prio: number,
    readonly value: T,
  ) {
    this.maxHi = hi
  }
}

/** a > b, null being above every string. */
function hiAbove(a: string | null, b: string): boolean {
  return a === null || a > b
}

function maxOf(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null
  return a > b ? a : b
}

function update<T>(n: Node<T>): void {
  let m = n.hi
  if (n.left !== null) m = maxOf(m, n.left.maxHi)
  if (n.right !== null) m = maxOf(m, n.right.maxHi)
  n.maxHi = m
}

/** Orders nodes by (lo, seq). */
function before(lo: string, seq: number, n: Node<unknown>): boolean {
  return lo < n.lo || (lo === n.lo && seq < n.seq)
}

export class IntervalIndex<T> {
  private root: Node<T> | null = null
  private readonly seqs = new Map<T, Node<T>>()
  private nextSeq = 0
  /** xorshift32 state for node priorities: deterministic, no Math.random. */
  private rand = 0x9e3779b9

  get size(): number {
    return this.seqs.size
  }

  has(value: T): boolean {
    return this.seqs.has(value)
  }

  /** Adds `value` for [lo, hi); false if it is already in. */
  add(value: T, lo: string, hi: string | null): boolean {
    if (this.seqs.has(value)) return false
    const n = new Node(lo, hi, this.nextSeq++, this.nextRand(), value)
    this.seqs.set(value, n)
    this.root = this.insert(this.root, n)
    return true
  }

  delete(value: T): boolean {
    const n = this.seqs.get(value)
    if (n === undefined) return false
    this.seqs.delete(value)
    this.root = this.remove(this.root, n)
    return true
  }

  /** Calls fn for each value whose interval holds `key`, in insertion order. */
  forEachContaining(key: string, fn: (value: T) => void): void {
    if (this.root === null) return
    const found: Node<T>[] = []
    this.collect(this.root, key, found)
    if (found.length > 1) found.sort((a, b) => a.seq - b.seq)
    for (const n of found) fn(n.value)
  }

  private collect(n: Node<T> | null, key: string, out: Node<T>[]): void {
    while (n !== null) {
      if (!hiAbove(n.maxHi, key)) return
      if (n.left !== null) this.collect(n.left, key, out)
      // Everything to the right starts at n.lo or later.
      if (n.lo > key) return
      if (hiAbove(n.hi, key)) out.push(n)
      n = n.right
    }
  }

  private insert(t: Node<T> | null, n: Node<T>): Node<T> {
    if (t === null) return n
    if (before(n.lo, n.seq, t)) {
      t.left = this.insert(t.left, n)
      if (t.left.prio > t.prio) t = this.rotateRight(t)
    } else {
      t.right = this.insert(t.right, n)
      if (t.right.prio > t.prio) t = this.rotateLeft(t)
    }
    update(t)
    return t
  }

  private remove(t: Node<T> | null, n: Node<T>): Node<T> | null {
    if (t === null) return null
    if (t === n) return this.join(t.left, t.right)
    if (before(n.lo, n.seq, t)) t.left = this.remove(t.left, n)
    else t.right = this.remove(t.right, n)
    update(t)
    return t
  }

  /** Joins two treaps, every node of `a` ordered before every node of `b`. */
  private join(a: Node<T> | null, b: Node<T> | null): Node<T> | null {
    if (a === null) return b
    if (b === null) return a
    if (a.prio > b.prio) {
      a.right = this.join(a.right, b)
      update(a)
      return a
    }
    b.left = this.join(a, b.left)
    update(b)
    return b
  }

  private rotateRight(t: Node<T>): Node<T> {
    const l = t.left!
    t.left = l.right
    l.right = t
    update(t)
    update(l)
    return l
  }

  private rotateLeft(t: Node<T>): Node<T> {
    const r = t.right!
    t.right = r.left
    r.left = t
    update(t)
    update(r)
    return r
  }

  private nextRand(): number {
    let x = this.rand
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.rand = x >>> 0
    return this.rand
  }
}
