/**
 * Auth tokens, as etcd's token providers (auth/simple_token.go, auth/jwt.go), chosen by
 * --auth-token:
 * - `simple`: 16 random letters, ".", the raft index of the Authenticate entry. Every member
 *   learns each token when it applies the Authenticate request; a token unused for
 *   --auth-token-ttl seconds expires; a user's tokens go when its password changes or it is
 *   deleted; all go when authentication is turned off.
 * - `jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…`: a signed JWT holding the user name and the
 *   auth revision it was issued at; any member verifies it with the public key.
 */
import { createPrivateKey, createPublicKey, randomInt, sign, verify, constants, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseGoDuration } from '../../go/duration.js'
import type { AuthInfo } from './store.js'

export interface TokenProvider {
  readonly kind: 'simple' | 'jwt'
  /** A fresh random prefix (simple tokens; '' otherwise), chosen by the member that proposes an Authenticate. */
  genTokenPrefix(): string
  /** The token for `username`, made when an Authenticate request is applied at raft index `index`. */
  assign(username: string, revision: number, prefix: string, index: number): string
  /** Who `token` stands for, or undefined for a token that is unknown, expired or forged. */
  info(token: string, currentRevision: number): AuthInfo | undefined
  invalidateUser(username: string): void
  /** Authentication was turned off (or on): simple tokens are all dropped. */
  reset(): void
  stop(): void
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

export class SimpleTokens implements TokenProvider {
  readonly kind = 'simple'
  private readonly tokens = new Map<string, { user: string; expires: number }>()
  private readonly sweeper: NodeJS.Timeout

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(ttlMs, 1000), 60_000))
    this.sweeper.unref()
  }

  genTokenPrefix(): string {
    let s = ''
    for (let i = 0; i < 16; i++) s += LETTERS[randomInt(LETTERS.length)]
    return s
  }

  assign(username: string, _revision: number, prefix: string, index: number): string {
    const token = `${prefix}.${index}`
    this.tokens.set(token, { user: username, expires: this.now() + this.ttlMs })
    return token
  }

  info(token: string, currentRevision: number): AuthInfo | undefined {
    const t = this.tokens.get(token)
    if (t === undefined) return undefined
    const now = this.now()
    if (t.expires <= now) {
      this.tokens.delete(token)
      return undefined
    }
    t.expires = now + this.ttlMs
    return { username: t.user, revision: currentRevision }
  }

  /** The raft index a simple token was made at (0 for a malformed one). */
  static indexOf(token: string): number {
    const dot = token.lastIndexOf('.')
    const n = dot < 0 ? NaN : Number(token.slice(dot + 1))
    return Number.isSafeInteger(n) && n > 0 ? n : 0
  }

  invalidateUser(username: string): void {
    for (const [k, t] of this.tokens) if (t.user === username) this.tokens.delete(k)
  }

  reset(): void {
    this.tokens.clear()
  }

  private sweep(): void {
    const now = this.now()
    for (const [k, t] of this.tokens) if (t.expires <= now) this.tokens.delete(k)
  }

  stop(): void {
    clearInterval(this.sweeper)
  }
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

interface JwtAlg {
  hash: string
  kind: 'rsa' | 'pss' | 'ec'
}

const ALGS: Record<string, JwtAlg> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss' },
  PS384: { hash: 'sha384', kind: 'pss' },
  PS512: { hash: 'sha512', kind: 'pss' },
  ES256: { hash: 'sha256', kind: 'ec' },
  ES384: { hash: 'sha384', kind: 'ec' },
  ES512: { hash: 'sha512', kind: 'ec' },
}

export class JwtTokens implements TokenProvider {
  readonly kind = 'jwt'
  private readonly alg: JwtAlg

  constructor(
    private readonly method: string,
    private readonly publicKey: KeyObject,
    private readonly privateKey: KeyObject | undefined,
    private readonly ttlMs: number,
  ) {
    const alg = ALGS[method]
    if (alg === undefined) throw new Error(`auth: invalid auth signature method (${method})`)
    this.alg = alg
  }

  private keyOpts(key: KeyObject) {
    if (this.alg.kind === 'pss')
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    if (this.alg.kind === 'ec') return { key, dsaEncoding: 'ieee-p1363' as const }
    return { key }
  }

  genTokenPrefix(): string {
    return ''
  }

  assign(username: string, revision: number): string {
    if (this.privateKey === undefined) throw new Error('auth: token signing attempted with verify-only key')
    const header = b64url(JSON.stringify({ alg: this.method, typ: 'JWT' }))
    const exp = Math.floor((Date.now() + this.ttlMs) / 1000)
    const payload = b64url(JSON.stringify({ exp, revision, username }))
    const data = `${header}.${payload}`
    const sig = sign(this.alg.hash, Buffer.from(data), this.keyOpts(this.privateKey))
    return `${data}.${b64url(sig)}`
  }

  info(token: string): AuthInfo | undefined {
    const parts = token.split('.')
    if (parts.length !== 3) return undefined
    try {
      const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString()) as { alg?: string }
      if (header.alg !== this.method) return undefined
      const ok = verify(
        this.alg.hash,
        Buffer.from(`${parts[0]}.${parts[1]}`),
        this.keyOpts(this.publicKey),
        Buffer.from(parts[2], 'base64url'),
      )
      if (!ok) return undefined
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as {
        exp?: number
        revision?: number
        username?: string
      }
      if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return undefined
      if (typeof claims.username !== 'string' || typeof claims.revision !== 'number') return undefined
      return { username: claims.username, revision: claims.revision }
    } catch {
      return undefined
    }
  }

  invalidateUser(): void {}
  reset(): void {}
  stop(): void {}
}

/**
 * The provider --auth-token asks for (`simple`, or `jwt,` followed by comma-separated
 * options); throws etcd's errors for a bad value.
 */
export function tokenProvider(spec: string, ttlSeconds: number): TokenProvider {
  const [type, ...rest] = spec.split(',')
  if (type === 'simple') return new SimpleTokens(ttlSeconds * 1000)
  if (type !== 'jwt') throw new Error(`auth: invalid auth options (unknown token type "${type}")`)
  const opts = new Map<string, string>()
  for (const o of rest) {
    const eq = o.indexOf('=')
    if (eq < 0) throw new Error(`auth: invalid auth options ("${o}")`)
    opts.set(o.slice(0, eq), o.slice(eq + 1))
  }
  const method = opts.get('sign-method') ?? ''
  if (ALGS[method] === undefined) throw new Error(`auth: invalid auth signature method ("${method}")`)
  const ttl = opts.has('ttl') ? parseGoDuration(opts.get('ttl')!) : 5 * 60_000
  if (ttl === undefined || ttl <= 0) throw new Error(`auth: invalid auth options (ttl "${opts.get('ttl')}")`)
  const privPath = opts.get('priv-key')
  const pubPath = opts.get('pub-key')
  if (!privPath && !pubPath) throw new Error('auth: missing key data (jwt needs pub-key and/or priv-key)')
  const priv = privPath ? createPrivateKey(readFileSync(privPath)) : undefined
  const pub = pubPath ? createPublicKey(readFileSync(pubPath)) : createPublicKey(priv!)
  return new JwtTokens(method, pub, priv, ttl)
}
