// What the data layer says went wrong, in the domain's words: the routes' error handler
// (plugins/app/error-handler.ts) is the one place that turns these into HTTP answers.
// Also the sorting of PostgreSQL's error codes, which only this layer should need to know.

/** A refusal the caller caused, as opposed to a fault. */
export class DomainError extends Error {}

/** Another account already has this email (compared folded). */
export class EmailTaken extends DomainError {
  constructor () {
    super('an account with this email already exists')
    this.name = 'EmailTaken'
  }
}

/** The user does not exist, or was deleted meanwhile. */
export class UserMissing extends DomainError {
  constructor (readonly userId: number) {
    super(`no user with id ${userId}`)
    this.name = 'UserMissing'
  }
}

/** PostgreSQL's unique_violation. */
export function isUniqueViolation (error: unknown): boolean {
  return (error as { code?: unknown }).code === '23505'
}

/** PostgreSQL's foreign_key_violation: the row pointed to is not there (or was deleted meanwhile). */
export function isForeignKeyViolation (error: unknown): boolean {
  return (error as { code?: unknown }).code === '23503'
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'])

/**
 * The database is down, unreachable or too slow (connection refused or lost, pool wait timed
 * out, statement timeout, no answer at all, server shutting down): the caller should retry, so
 * this is a 503.
 */
export function isDatabaseUnavailable (error: unknown): boolean {
  const { code, message, statusCode } = error as { code?: unknown, message?: unknown, statusCode?: unknown }
  // The request stream's own errors carry a status, set by Fastify as it reads the body: a client
  // that resets its connection mid-body is an ECONNRESET too, but of the client's socket. No
  // database driver sets one.
  if (statusCode !== undefined) return false
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03' || code === '57014')) return true
  return typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated|Query read timeout/.test(message)
}
