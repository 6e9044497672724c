// Two limits on the routes that spend bcrypt time, both built on @fastify/rate-limit with their
// counters in PostgreSQL (shared by every instance, kept across restarts):
//
// - `config: { rateLimit: app.authRateLimit }` on a route: AUTH_RATE_LIMIT requests a minute per
//   client IP, checked on arrival, before the body is even parsed.
// - `app.loginLockout`: LOGIN_MAX_FAILURES consecutive failed logins for one account from one IP
//   lock that pair for LOGIN_LOCK_SECONDS.
//
// The plugin counts every request and has no "count failures only" option, so the lockout counts
// each attempt *before* the password is checked (one atomic upsert decides whether it may go on)
// and a successful login deletes the counter. What remains counted is exactly the run of
// consecutive failures, and 20 concurrent wrong attempts let exactly LOGIN_MAX_FAILURES through.
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import fastifyRateLimit, { type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError, tooManyRequests } from '../errors.js'
import type { Tables } from '../db/tables.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Route option for the per-IP limit on signup and login. */
    authRateLimit: RateLimitOptions
    loginLockout: {
      /** preHandler for login (after validation): 429 while this account and IP are locked. */
      check: (request: FastifyRequest) => Promise<void>
      /** After a successful login: the failure streak starts again from zero. */
      reset: (request: FastifyRequest) => Promise<void>
      /** Lifts every lock of the account, from every IP (a password reset proved who owns it). */
      clearAccount: (email: string) => Promise<void>
    }
  }
}

type Counter = 'window' | 'streak'

interface StoreOptions {
  counter?: Counter
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url')

/**
 * Keys are hashed: the table holds no email or IP address in clear. A lockout key (`account|ip`)
 * starts with a hash of its account alone, so that every lock of one account can be found.
 */
const ACCOUNT_PREFIX_LENGTH = 21
const accountPrefix = (account: string): string => sha256(account).slice(0, ACCOUNT_PREFIX_LENGTH)
function digest (key: string): string {
  const split = key.lastIndexOf('|')
  return split < 0 ? sha256(key) : accountPrefix(key.slice(0, split)) + sha256(key).slice(ACCOUNT_PREFIX_LENGTH)
}

/** A @fastify/rate-limit store over the rate_limits table; `counter` picks the counting rule. */
function postgresStore (rateLimits: Tables['rateLimits']): new (options: StoreOptions) => unknown {
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

/** Runs after validation, so the body is a login body. */
const lockoutAccount = (email: string): string => `login:${email.toLowerCase()}`
const lockoutKey = (request: FastifyRequest): string =>
  `${lockoutAccount((request.body as { email: string }).email)}|${request.ip}`

function retryTime (seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`
  return `${Math.ceil(seconds / 60)} minutes`
}

async function rateLimits (app: FastifyInstance): Promise<void> {
  const { config } = app

  await app.register(fastifyRateLimit, {
    global: false,
    store: postgresStore(app.data.rateLimits) as never,
    errorResponseBuilder: (_request, context) => new HttpError(429,
      `too many signup and login requests from your address; try again in ${retryTime(Math.ceil(context.ttl / 1000))}`)
  })

  app.decorate('authRateLimit', {
    max: config.authRateLimit,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `ip:${request.ip}`,
    counter: 'window'
  } as RateLimitOptions)

  const lockout = app.createRateLimit({
    max: config.loginMaxFailures,
    timeWindow: config.loginLockSeconds * 1000,
    keyGenerator: lockoutKey,
    counter: 'streak'
  } as Parameters<typeof app.createRateLimit>[0])

  app.decorate('loginLockout', {
    async check (request) {
      const result = await lockout(request)
      if (!result.isAllowed && result.isExceeded) {
        const until = new Date(Date.now() + result.ttlInSeconds * 1000).toISOString().slice(11, 19)
        throw tooManyRequests(`too many failed logins: this account is locked from your address until ${until} UTC; ` +
          `try again in ${retryTime(result.ttlInSeconds)}`, result.ttlInSeconds)
      }
    },
    async reset (request) {
      await app.data.rateLimits.clear(digest(lockoutKey(request)))
    },
    async clearAccount (email) {
      await app.data.rateLimits.clearPrefix(accountPrefix(lockoutAccount(email)))
    }
  })
}

export default fp(rateLimits, { name: 'rate-limits', dependencies: ['database'] })
