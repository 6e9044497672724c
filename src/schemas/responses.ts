import { ref } from './common.js'
import { ErrorResponse } from './error.js'

const error = (description: string): ReturnType<typeof ref<typeof ErrorResponse>> => ({ ...ref(ErrorResponse), description })

/** Error responses, described once and picked by each route for the statuses it can return. */
export const errors = {
  400: error('Invalid input: the message names the field'),
  401: error('Missing, invalid, expired or revoked token'),
  403: error('Authenticated, but not allowed'),
  404: error('No such resource'),
  409: error('Conflict with existing data'),
  413: error('Body larger than 64 KiB'),
  429: error('Too many requests; see Retry-After'),
  503: error('The database is unavailable; retry later')
}

const seconds = (description: string): Record<string, unknown> => ({ type: 'integer', description })

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
