/**
 * A cluster member as the replicated member store holds it, and the context a membership
 * conf change carries in the log (etcd puts the member, as JSON, in ConfChange.Context).
 *
 * Context (JSON, IDs as lower-case hex so that 64-bit values survive):
 *   {"request":"<id>", "member":{"id","name","peerURLs","clientURLs","isLearner"}, "kind":"update"|"publish"}
 * - addNode / addLearner: `member` is the new member;
 * - updateNode with kind "update": `member.peerURLs` are the member's new peer URLs;
 * - updateNode with kind "publish": `member.name` and `member.clientURLs` are what the member
 *   announces about itself when it starts;
 * - removeNode / promoteLearner: no member.
 * `request` names the proposal whose waiter the result goes to (absent in bootstrap entries).
 */
export interface Member {
  id: bigint
  name: string
  peerURLs: string[]
  clientURLs: string[]
  isLearner: boolean
}

export type ConfContextKind = 'update' | 'publish'

export interface ConfContext {
  request?: bigint
  member?: Member
  kind?: ConfContextKind
}

interface MemberJson {
  id: string
  name: string
  peerURLs: string[]
  clientURLs: string[]
  isLearner: boolean
}

export function memberToJson(m: Member): MemberJson {
  return {
    id: m.id.toString(16),
    name: m.name,
    peerURLs: [...m.peerURLs],
    clientURLs: [...m.clientURLs],
    isLearner: m.isLearner,
  }
}

function hexId(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^[0-9a-f]{1,16}$/.test(v))
    throw new Error(`member record: malformed ${what} ${JSON.stringify(v)}`)
  return BigInt('0x' + v)
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`member record: malformed ${what}`)
  return v as string[]
}

export function memberFromJson(v: unknown): Member {
  const o = v as Partial<MemberJson>
  if (typeof o !== 'object' || o === null) throw new Error('member record: not an object')
  return {
    id: hexId(o.id, 'id'),
    name: typeof o.name === 'string' ? o.name : '',
    peerURLs: strings(o.peerURLs ?? [], 'peerURLs'),
    clientURLs: strings(o.clientURLs ?? [], 'clientURLs'),
    isLearner: o.isLearner === true,
  }
}

export function encodeMember(m: Member): Buffer {
  return Buffer.from(JSON.stringify(memberToJson(m)))
}

export function decodeMember(b: Uint8Array): Member {
  return memberFromJson(JSON.parse(Buffer.from(b).toString('utf8')))
}

export function encodeConfContext(c: ConfContext): Uint8Array {
  const o: Record<string, unknown> = {}
  if (c.request !== undefined) o.request = c.request.toString(16)
  if (c.member !== undefined) o.member = memberToJson(c.member)
  if (c.kind !== undefined) o.kind = c.kind
  return Buffer.from(JSON.stringify(o))
}

/** The context of a conf change; an empty one (an old bootstrap entry) gives `{}`. Throws on a malformed one. */
export function decodeConfContext(b: Uint8Array | undefined): ConfContext {
  if (b === undefined || b.byteLength === 0) return {}
  const o = JSON.parse(Buffer.from(b).toString('utf8')) as Record<string, unknown>
  const c: ConfContext = {}
  if (o.request !== undefined) c.request = hexId(o.request, 'request')
  if (o.member !== undefined) c.member = memberFromJson(o.member)
  if (o.kind === 'update' || o.kind === 'publish') c.kind = o.kind
  return c
}
