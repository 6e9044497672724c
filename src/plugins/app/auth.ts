// Tokens and who is calling. A JWT (HS256 only) names a session; every authenticated request
// reads that session with its user in one query, so logout, password changes, deletions and
// demotions take effect at once on every instance.
import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { badRequest, forbidden, unauthorized } from '../../http/errors.js'
import type { User } from '../../schemas/user.js'
import type { SecondFactor } from '../../db/sessions.js'

export interface Claims {
  sub: string
  role: User['role']
  sid: string
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Claims
    user: Claims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Hook: 401 unless the request carries a token of a live session; sets `request.account`. */
    authenticate: (request: FastifyRequest) => Promise<void>
    /**
     * Hook, after `authenticate`: 403 unless the caller is an admin right now (read from the
     * database) and, with ADMIN_MFA=required, their session began with a second factor.
     */
    requireAdmin: (request: FastifyRequest) => Promise<void>
    /** Signs the token of a session just started. */
    signToken: (user: Pick<User, 'id' | 'role'>, sessionId: string, ttlSeconds: number) => string
  }
  interface FastifyRequest {
    account: User
    sessionId: string
    /** How the caller's session gave its second factor, or null for a password alone. */
    sessionSecondFactor: SecondFactor | null
  }
}

export const ADMIN_NEEDS_MFA = 'two-factor authentication is required for admin access'

export const SESSION_ENDED = 'session has ended (logged out, expired or account deleted); log in again'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const BEARER = /^Bearer +(\S+)$/i

export const CONFLICTING_TOKENS = 'the api-token and Authorization headers carry different tokens: send one token, in either header'

/**
 * The old clients send `api-token: <jwt>`; generated clients and Swagger UI send a Bearer token.
 * Two different tokens are a 400 rather than one silently chosen: a proxy or a client mixing up two
 * accounts should find out, not act as the one it did not expect.
 */
export function tokenFrom (request: FastifyRequest): string | undefined {
  const apiToken = request.headers['api-token']
  const bearer = BEARER.exec(request.headers.authorization ?? '')?.[1]
  if (typeof apiToken !== 'string' || apiToken === '') return bearer
  if (bearer !== undefined && bearer !== apiToken) throw badRequest(CONFLICTING_TOKENS)
  return apiToken
}

/** Our claims, `exp` included: a token without one would never expire, whatever its session's end. */
function isClaims (claims: Record<string, unknown>): claims is Claims & Record<string, unknown> {
  return typeof claims.sub === 'string' && /^[1-9]\d{0,9}$/.test(claims.sub) &&
    typeof claims.sid === 'string' && UUID.test(claims.sid) &&
    typeof claims.exp === 'number'
}

async function auth (app: FastifyInstance): Promise<void> {
  await app.register(fastifyJwt, {
    secret: app.config.jwtSecret,
    sign: { algorithm: 'HS256' },
    // Pinned: a token claiming `alg: none` or any other algorithm is refused.
    verify: { algorithms: ['HS256'] }
  })

  app.decorateRequest('account', null as unknown as User)
  app.decorateRequest('sessionId', '')
  app.decorateRequest('sessionSecondFactor', null)

  app.decorate('signToken', (user: Pick<User, 'id' | 'role'>, sessionId: string, ttlSeconds: number) =>
    app.jwt.sign({ sub: String(user.id), role: user.role, sid: sessionId }, { expiresIn: ttlSeconds }))

  app.decorate('authenticate', async (request: FastifyRequest) => {
    const token = tokenFrom(request)
    if (token === undefined) {
      throw unauthorized('authentication required: send your token in the api-token header or as Authorization: Bearer <token>')
    }
    let claims: Record<string, unknown>
    try {
      claims = app.jwt.verify(token)
    } catch (error) {
      const expired = (error as { code?: string }).code === 'FAST_JWT_EXPIRED'
      throw unauthorized(expired ? 'token has expired; log in again' : 'invalid token')
    }
    if (!isClaims(claims)) throw unauthorized('invalid token')
    const found = await app.data.sessions.findUser(claims.sid, Number(claims.sub))
    if (found === undefined) throw unauthorized(SESSION_ENDED)
    // Written at most once every few minutes per session: on most requests this is no query at all.
    if (found.session.stale) await app.data.sessions.touch(claims.sid)
    request.account = found.user
    request.sessionId = claims.sid
    request.sessionSecondFactor = found.session.secondFactor
  })

  app.decorate('requireAdmin', async (request: FastifyRequest) => {
    if (request.account.role !== 'admin') throw forbidden('this operation is for admins only')
    if (app.config.adminMfa === 'required' && request.sessionSecondFactor === null) throw forbidden(ADMIN_NEEDS_MFA)
  })
}

export default fp(auth, { name: 'auth', dependencies: ['database'] })
