import type { TSchema } from '@sinclair/typebox'
import { ref } from './common.js'
import { ErrorResponse } from './error.js'

const error = (description: string): ReturnType<typeof ref<typeof ErrorResponse>> => ({ ...ref(ErrorResponse), description })

const seconds = (description: string): Record<string, unknown> => ({ type: 'integer', description })

/** A success response: a shared schema (by reference) and what it means for this operation. */
export function ok<T extends TSchema> (schema: T, description: string): ReturnType<typeof ref<T>> {
  return { ...ref(schema), description }
}

/** A success response without a body (204). */
export const noContent = (description: string): { type: 'null', description: string } => ({ type: 'null', description })

/**
 * Error responses, described once and picked by each route for the statuses it can return:
 * - 400 on every route: besides the schemas, the input guard refuses a NUL byte or invalid
 *   Unicode in any part of a request, query strings of the probes included;
 * - 413 and 415 on every route that takes a body (Fastify's body limit and content-type parsers);
 * - 503 on every route but /health: shed while the instance is overloaded (plugins/load-shedding.ts)
 *   and, on a route that reads the database, during an outage (the error handler's answer). Only
 *   the second kind names the database, and test/spec.test.ts holds the routes to it.
 */
export const errors = {
  400: error('Invalid input: the message names the field'),
  401: error('Missing, invalid, expired or revoked token'),
  403: error('Authenticated, but not allowed'),
  404: error('No such resource'),
  409: error('Conflict with existing data'),
  413: error('Body larger than 64 KiB'),
  415: error('Body is not JSON: send it with Content-Type: application/json'),
  503: {
    ...error('The database is unavailable, or this instance is overloaded; retry after the number of seconds in Retry-After'),
    headers: { 'retry-after': seconds('Seconds to wait before trying again') }
  }
}

/** 503 on a route that does not read the database: only load shedding answers it. */
export const overloaded = {
  ...error('This instance is overloaded; retry after the number of seconds in Retry-After'),
  headers: errors[503].headers
}

/** 429 from the per-IP limit or the login lockout, with the headers a client needs to back off. */
export const rateLimited = {
  ...error('Too many requests from this IP address (AUTH_RATE_LIMIT a minute), or, on login, this account is ' +
    'locked for this IP address after repeated failures. Retry after the number of seconds in Retry-After.'),
  headers: {
    'retry-after': seconds('Seconds to wait before trying again'),
    'x-ratelimit-limit': seconds('Requests allowed per minute from this IP address (per-IP limit only)'),
    'x-ratelimit-remaining': seconds('Requests left in the current minute (per-IP limit only)'),
    'x-ratelimit-reset': seconds('Seconds until the current minute ends (per-IP limit only)')
  }
}
