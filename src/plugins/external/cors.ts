// Which other web origins may call the API from a browser: exactly those in CORS_ORIGINS, and by
// default none (the pages are served by this service, so they are same-origin and need no CORS).
// Credentials stay off: the API authenticates with a header the caller sets, never with cookies,
// so a foreign page can never ride on a visitor's session.
import fp from 'fastify-plugin'
import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

/** What a browser client of the API needs to send and to read. */
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
export const CORS_REQUEST_HEADERS = ['Authorization', 'api-token', 'Content-Type', 'If-Match']
export const CORS_EXPOSED_HEADERS = ['ETag', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

async function cors (app: FastifyInstance): Promise<void> {
  const allowed = new Set(app.config.corsOrigins)
  // With no other origin allowed, the plugin would add nothing to any answer but `Vary: Origin`,
  // and answers that never depend on the Origin need no such header: it is left out, and with it
  // a hook on every request.
  if (allowed.size === 0) return
  await app.register(fastifyCors, {
    // A function rather than the list: for a refused origin the plugin then adds no CORS header
    // at all, and a refused preflight is a plain 404 instead of a 204 listing our methods.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: false,
    methods: CORS_METHODS,
    allowedHeaders: CORS_REQUEST_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
    // The strict check answers a malformed preflight with a text/plain 400, outside the one error
    // shape; a lenient one costs nothing, since only listed origins get an answer anyway.
    strictPreflight: false
  })
}

export default fp(cors, { name: 'cors' })
