// Calls to the API on this origin. Every error the API sends is JSON
// {statusCode, error, message}, and its message names the field: `body/email must be …`.
import { storedToken } from './session.js'

export class ApiError extends Error {
  constructor (status, message, retryAfter) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    /** Seconds to wait before trying again (429), when the server said. */
    this.retryAfter = retryAfter
    const named = /^body\/(\w+) (.+)$/s.exec(message)
    /** The request field the message is about, and what it says of it. */
    this.field = named?.[1]
    this.problem = named?.[2] ?? message
  }
}

/**
 * `method path` with an optional JSON body; resolves to the parsed response (null for 204) or
 * rejects with an ApiError. The token, when there is one and `auth` is not false, goes in the
 * Authorization header.
 */
export async function api (method, path, options = {}) {
  return (await apiResponse(method, path, options)).data
}

/**
 * As `api`, with more request headers (`headers`, e.g. If-Match), resolving to the parsed body
 * (`data`) and the response's headers (e.g. its ETag).
 */
export async function apiResponse (method, path, { body, auth = true, headers: extra = {} } = {}) {
  const headers = { accept: 'application/json', ...extra }
  const token = auth ? storedToken() : null
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store'
    })
  } catch {
    throw new ApiError(0, 'The service cannot be reached. Check your connection and try again.')
  }
  if (response.status === 204) return { data: null, headers: response.headers }
  const data = await response.json().catch(() => null)
  if (response.ok) return { data, headers: response.headers }
  const message = typeof data?.message === 'string' ? data.message : `The request failed (${response.status}).`
  throw new ApiError(response.status, message, retryAfterSeconds(response.headers.get('retry-after')))
}

/** Retry-After is a number of seconds or an HTTP date. */
function retryAfterSeconds (header) {
  if (header === null) return undefined
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : Math.ceil((Date.parse(header) - Date.now()) / 1000)
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined
}
