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
