// Errors a handler throws on purpose. The error handler (plugins/app/error-handler.ts) turns any error into
// the one error shape; these carry the status and a message meant for the caller.

export class HttpError extends Error {
  constructor (readonly statusCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message)
    this.name = 'HttpError'
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message)
export const unauthorized = (message: string): HttpError => new HttpError(401, message)
export const forbidden = (message: string): HttpError => new HttpError(403, message)
export const notFound = (message: string): HttpError => new HttpError(404, message)
export const conflict = (message: string): HttpError => new HttpError(409, message)
export const tooManyRequests = (message: string, retryAfterSeconds: number): HttpError =>
  new HttpError(429, message, { 'retry-after': String(retryAfterSeconds) })
export const serviceUnavailable = (message: string, retryAfterSeconds = 5): HttpError =>
  new HttpError(503, message, { 'retry-after': String(retryAfterSeconds) })

/** PostgreSQL's unique_violation: the one database error that is the caller's doing. */
export function isUniqueViolation (error: unknown): boolean {
  return (error as { code?: unknown }).code === '23505'
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
