import { STATUS_CODES } from 'node:http'
import type { TSchema } from '@sinclair/typebox'
import { ref } from './common.js'
import { ErrorResponse } from './error.js'
import { OVERLOADED } from '../plugins/external/load-shedding.js'

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
 * - 503 on every route but /health: shed while the instance is overloaded (plugins/external/load-shedding.ts)
 *   and, on a route that reads the database, during an outage (the error handler's answer). Only
 *   the second kind names the database, and test/http/spec.test.ts holds the routes to it.
 */
export const errors = {
  400: error('Invalid input: the message names the field'),
  401: error('Missing, invalid, expired or revoked token'),
  403: error('Authenticated, but not allowed'),
  404: error('No such resource'),
  409: error('Conflict with existing data'),
  412: error('`changed by someone else meanwhile; reload`: the If-Match header names a version that is no longer the current one; nothing was changed'),
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

/** A message the service really sends with each error status, for the examples of the spec. */
const EXAMPLE_MESSAGES: Record<string, string> = {
  400: 'body/email must be a valid email address',
  401: 'authentication required: send your token in the api-token header or as Authorization: Bearer <token>',
  403: 'this operation is for admins only',
  404: 'no user with id 42',
  409: 'an account with this email already exists',
  412: 'changed by someone else meanwhile; reload',
  413: 'Request body is too large',
  415: "content-type 'text/plain' is not accepted: send JSON with content-type: application/json",
  429: 'too many signup and login requests from your address; try again in 42 seconds',
  503: 'the service is temporarily unavailable; try again in a few seconds'
}

/**
 * The example body of an error response, by status (docs.ts adds it to the document: a response
 * that is a `$ref` to Error keeps nothing else). Without it Swagger UI shows the Error schema's
 * own example, a 400, under every status.
 */
export function errorExamples (status: string, description: string): Record<string, { summary: string, value: ErrorResponse }> {
  const statusCode = Number(status)
  const message = description === overloaded.description ? OVERLOADED : EXAMPLE_MESSAGES[status]
  return { [status]: { summary: STATUS_CODES[statusCode] as string, value: { statusCode, error: STATUS_CODES[statusCode] as string, message } } }
}
