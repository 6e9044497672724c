// Two limits on the routes that spend bcrypt time, both built on @fastify/rate-limit with their
// counters in PostgreSQL (shared by every instance, kept across restarts):
//
// - `config: { rateLimit: app.authRateLimit }` on a route: AUTH_RATE_LIMIT requests a minute per
//   client address (an IPv6 client by its /64, see http/client-address.ts), checked on arrival,
//   before the body is even parsed.
// - `app.loginLockout`: LOGIN_MAX_FAILURES consecutive failed logins for one account from one IP
//   lock that pair for LOGIN_LOCK_SECONDS. A wrong `current_password` on an authenticated route
//   is a failed login of the caller's account: otherwise a stolen token could guess it freely.
//
// The plugin counts every request and has no "count failures only" option, so the lockout counts
// each attempt *before* the password is checked (one atomic upsert decides whether it may go on)
// and a successful login deletes the counter. What remains counted is exactly the run of
// consecutive failures, and 20 concurrent wrong attempts let exactly LOGIN_MAX_FAILURES through.
import { createHmac, hkdfSync } from 'node:crypto'
import fp from 'fastify-plugin'
import fastifyRateLimit, { type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError, tooManyRequests } from '../../http/errors.js'
import type { Tables } from '../../db/tables.js'
import type { User } from '../../schemas/user.js'
import { clientKey } from '../../http/client-address.js'
import { foldEmail } from '../../db/email-folding.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The key under which a counter of `clear` (an email, an address) is stored: never the clear text. */
    rateLimitKey: (clear: string) => string
    /** Route option for the per-IP limit on signup, login and the routes that check a password. */
    authRateLimit: RateLimitOptions
    loginLockout: {
      /**
       * Before a password is checked: 429 while this account and IP are locked. The account is the
       * caller's on an authenticated request (re-authentication), else the login body's email;
       * for login it is the preHandler, after validation.
       */
      check: (request: FastifyRequest, email?: string) => Promise<void>
      /** After a completed login: the failure streak starts again from zero. */
      reset: (request: FastifyRequest, email?: string) => Promise<void>
      /**
       * After the right password of an account that needs a second factor: the attempt just
       * counted is taken back, but the streak stands, since the login is not complete.
       */
      forgive: (request: FastifyRequest) => Promise<void>
      /** Lifts every lock of the account, from every IP (a password reset proved who owns it). */
      clearAccount: (email: string) => Promise<void>
    }
  }
}

type Counter = 'window' | 'streak'

interface StoreOptions {
  counter?: Counter
}

type Digest = (key: string) => string

/**
 * Keys are stored as HMAC-SHA-256 under a key derived from JWT_SECRET, so the table holds no email
 * or IP address in clear and a dump alone cannot be searched for one: a plain hash of the 2^32
 * IPv4 addresses is reversed in seconds. A new JWT_SECRET starts every counter from zero.
 * A lockout key (`account|ip`) starts with the HMAC of its account alone, so that every lock of
 * one account can be found (and lifted by a password reset).
 */
const ACCOUNT_PREFIX_LENGTH = 21
interface KeyDigest {
  digest: Digest
  accountPrefix: Digest
}

function keyDigest (secret: string): KeyDigest {
  const key = Buffer.from(hkdfSync('sha256', secret, '', 'dna-api rate-limit keys', 32))
  const hmac: Digest = (clear) => createHmac('sha256', key).update(clear).digest('base64url')
  const accountPrefix: Digest = (account) => hmac(account).slice(0, ACCOUNT_PREFIX_LENGTH)
  const digest: Digest = (clear) => {
    const split = clear.lastIndexOf('|')
    return split < 0 ? hmac(clear) : accountPrefix(clear.slice(0, split)) + hmac(clear).slice(ACCOUNT_PREFIX_LENGTH)
  }
  return { digest, accountPrefix }
}

/** A @fastify/rate-limit store over the rate_limits table; `counter` picks the counting rule. */
function postgresStore (rateLimits: Tables['rateLimits'], digest: Digest): new (options: StoreOptions) => unknown {
  return class PostgresStore {
    readonly counter: Counter
    constructor (options: StoreOptions) {
      this.counter = options.counter ?? 'window'
    }

    incr (key: string, callback: (error: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number, max: number): void {
      const hit = this.counter === 'streak'
        ? rateLimits.hitStreak(digest(key), max, timeWindow)
        : rateLimits.hitWindow(digest(key), timeWindow)
      hit.then(({ hits, ttlMs }) => callback(null, { current: hits, ttl: ttlMs }), callback)
    }

    child (options: StoreOptions): PostgresStore {
      return new PostgresStore(options)
    }
  }
}

const lockoutAccount = (email: string): string => `login:${foldEmail(email)}`

/**
 * Runs after authentication or validation: there is an account, or the body is a login body, or
 * the caller names the account (the second step of a login, whose body carries no email).
 */
function lockoutKey (request: FastifyRequest, email?: string): string {
  const account = email ?? (request.account as User | null)?.email ?? (request.body as { email: string }).email
  return `${lockoutAccount(account)}|${clientKey(request)}`
}

function retryTime (seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`
  return `${Math.ceil(seconds / 60)} minutes`
}

async function rateLimits (app: FastifyInstance): Promise<void> {
  const { config } = app
  const { digest, accountPrefix } = keyDigest(config.jwtSecret)

  app.decorate('rateLimitKey', digest)

  await app.register(fastifyRateLimit, {
    global: false,
    store: postgresStore(app.data.rateLimits, digest) as never,
    errorResponseBuilder: (_request, context) => {
      app.metrics.rateLimited()
      return new HttpError(429, `too many signup, login and account requests from your address; try again in ${retryTime(Math.ceil(context.ttl / 1000))}`)
    }
  })

  app.decorate('authRateLimit', {
    max: config.authRateLimit,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `ip:${clientKey(request)}`,
    counter: 'window'
  } as RateLimitOptions)

  // The account a check names explicitly travels to the key generator on the request.
  const named = new WeakMap<FastifyRequest, string>()
  const lockout = app.createRateLimit({
    max: config.loginMaxFailures,
    timeWindow: config.loginLockSeconds * 1000,
    keyGenerator: (request: FastifyRequest) => lockoutKey(request, named.get(request)),
    counter: 'streak'
  } as Parameters<typeof app.createRateLimit>[0])

  app.decorate('loginLockout', {
    async check (request, email) {
      if (email !== undefined) named.set(request, email)
      const result = await lockout(request)
      if (!result.isAllowed && result.isExceeded) {
        app.metrics.login('locked')
        const until = new Date(Date.now() + result.ttlInSeconds * 1000).toISOString().slice(11, 19)
        throw tooManyRequests(`too many failed logins: this account is locked from your address until ${until} UTC; ` +
          `try again in ${retryTime(result.ttlInSeconds)}`, result.ttlInSeconds)
      }
    },
    async reset (request, email) {
      await app.data.rateLimits.clear(digest(lockoutKey(request, email)))
    },
    async forgive (request) {
      await app.data.rateLimits.forgiveOne(digest(lockoutKey(request)))
    },
    async clearAccount (email) {
      await app.data.rateLimits.clearPrefix(accountPrefix(lockoutAccount(email)))
    }
  })
}

export default fp(rateLimits, { name: 'rate-limits', dependencies: ['database', 'metrics'] })
