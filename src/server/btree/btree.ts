/**
 * An ordered map from string keys to values: a B+tree with values in the leaves.
 *
 * Keys are compared with JS `<` (UTF-16 code units). Byte strings converted with
 * `buf.toString('latin1')` therefore sort in unsigned byte order, which is how the MVCC
 * index and the memory backend use it.
 *
 * Nodes hold at most MAX entries (children for inner nodes). A delete that leaves a node
 * below MIN merges it with a neighbour when both fit in one node, so nodes never become
 * empty and the height stays logarithmic.
 */

const MAX = 64
const MIN = 16

class Leaf<V> {
  constructor(
    public keys: string[],
    public vals: V[],
  ) {}
}

/** keys[i] is a lower bound of every key under kids[i + 1] and above every key under kids[i]. */
class Inner<V> {
  constructor(
    public keys: string[],
    public kids: Node<V>[],
  ) {}
}

type Node<V> = Leaf<V> | Inner<V>

/** First index i with keys[i] >= k. */
function lowerBound(keys: string[], k: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid] < k) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index i with keys[i] > k. */
function upperBound(keys: string[], k: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid] <= k) lo = mid + 1
    else hi = mid
  }
  return lo
}

function width<V>(n: Node<V>): number {
  return n instanceof Leaf ? n.keys.length : n.kids.length
}

/** Fill of nodes built by fromSorted(): room for inserts before the first split. */
const BULK_FILL = 48

export class BTreeMap<V> {
  private root: Node<V> = new Leaf<V>([], [])
  private count = 0

  /** Builds a map from keys in strictly ascending order, in linear time. */
  static fromSorted<V>(keys: readonly string[], vals: readonly V[]): BTreeMap<V> {
    const m = new BTreeMap<V>()
    if (keys.length === 0) return m
    let level: Node<V>[] = []
    let mins: string[] = []
    for (let i = 0; i < keys.length; i += BULK_FILL) {
      level.push(new Leaf<V>(keys.slice(i, i + BULK_FILL), vals.slice(i, i + BULK_FILL)))
      mins.push(keys[i])
    }
    while (level.length > 1) {
      const up: Node<V>[] = []
      const upMins: string[] = []
      for (let i = 0; i < level.length; i += BULK_FILL) {
        const kids = level.slice(i, i + BULK_FILL)
        up.push(new Inner<V>(mins.slice(i + 1, i + kids.length), kids))
        upMins.push(mins[i])
      }
      level = up
      mins = upMins
    }
    m.root = level[0]
    m.count = keys.length
    return m
  }
  // Set by insert() when it splits a node: the separator and the new right sibling.
  private splitKey = ''
  private splitNode: Node<V> | null = null

  get size(): number {
    return this.count
  }

  get(key: string): V | undefined {
    let n = this.root
    while (n instanceof Inner) n = n.kids[upperBound(n.keys, key)]
    const i = lowerBound(n.keys, key)
    return n.keys[i] === key ? n.vals[i] : undefined
  }

  has(key: string): boolean {
    return this.get(key) !== undefined
  }

  /** Inserts or replaces. */
  set(key: string, val: V): void {
    this.insert(this.root, key, val)
    const right = this.splitNode
    if (right !== null) {
      this.root = new Inner<V>([this.splitKey], [this.root, right])
      this.splitNode = null
    }
  }

  delete(key: string): boolean {
    const found = this.remove(this.root, key)
    const r = this.root
    if (r instanceof Inner && r.kids.length === 1) this.root = r.kids[0]
    return found
  }

  clear(): void {
    this.root = new Leaf<V>([], [])
    this.count = 0
  }

  /**
   * Calls fn for each entry with from <= key < to (no upper bound when `to` is undefined),
   * in ascending order, until fn returns false. The map must not be modified meanwhile.
   */
  scan(from: string, to: string | undefined, fn: (key: string, val: V) => boolean | void): void {
    this.scanNode(this.root, from, to, fn)
  }

  private scanNode(
    n: Node<V>,
    from: string,
    to: string | undefined,
    fn: (key: string, val: V) => boolean | void,
  ): boolean {
    if (n instanceof Leaf) {
      const { keys, vals } = n
      // Bound the loop by binary search rather than comparing every key with `to`.
      const end = to === undefined ? keys.length : lowerBound(keys, to)
      for (let i = lowerBound(keys, from); i < end; i++) {
        if (fn(keys[i], vals[i]) === false) return false
      }
      return end === keys.length
    }
    const { keys, kids } = n
    for (let i = upperBound(keys, from); i < kids.length; i++) {
      if (i > 0 && to !== undefined && keys[i - 1] >= to) return false
      if (!this.scanNode(kids[i], from, to, fn)) return false
    }
    return true
  }

  private insert(n: Node<V>, key: string, val: V): void {
    if (n instanceof Leaf) {
      const i = lowerBound(n.keys, key)
      if (n.keys[i] === key) {
        n.vals[i] = val
        return
      }
      n.keys.splice(i, 0, key)
      n.vals.splice(i, 0, val)
      this.count++
      if (n.keys.length > MAX) {
        const mid = n.keys.length >>> 1
        const right = new Leaf<V>(n.keys.splice(mid), n.vals.splice(mid))
        this.splitKey = right.keys[0]
        this.splitNode = right
      }
      return
    }
    const ci = upperBound(n.keys, key)
    this.insert(n.kids[ci], key, val)
    const right = this.splitNode
    if (right === null) return
    n.keys.splice(ci, 0, this.splitKey)
    n.kids.splice(ci + 1, 0, right)
    this.splitNode = null
    if (n.kids.length > MAX) {
      const mid = n.kids.length >>> 1
      const rightKids = n.kids.splice(mid)
      const rightKeys = n.keys.splice(mid)
      this.splitKey = n.keys.pop()!
      this.splitNode = new Inner<V>(rightKeys, rightKids)
    }
  }

  private remove(n: Node<V>, key: string): boolean {
    if (n instanceof Leaf) {
      const i = lowerBound(n.keys, key)
      if (n.keys[i] !== key) return false
      n.keys.splice(i, 1)
      n.vals.splice(i, 1)
      this.count--
      return true
    }
    const ci = upperBound(n.keys, key)
    if (!this.remove(n.kids[ci], key)) return false
    if (width(n.kids[ci]) < MIN && n.kids.length > 1) this.mergeAround(n, ci)
    return true
  }

  /** Merges kids[ci] with a neighbour if both fit in one node. */
  private mergeAround(parent: Inner<V>, ci: number): void {
    const l = ci > 0 ? ci - 1 : 0
    const left = parent.kids[l]
    const right = parent.kids[l + 1]
    if (width(left) + width(right) > MAX) return
    if (left instanceof Leaf) {
      const r = right as Leaf<V>
      for (let i = 0; i < r.keys.length; i++) {
        left.keys.push(r.keys[i])
        left.vals.push(r.vals[i])
      }
    } else {
      const r = right as Inner<V>
      left.keys.push(parent.keys[l])
      for (const k of r.keys) left.keys.push(k)
      for (const c of r.kids) left.kids.push(c)
    }
    parent.keys.splice(l, 1)
    parent.kids.splice(l + 1, 1)
  }
}
