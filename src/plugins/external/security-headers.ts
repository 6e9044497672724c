// Security headers on every response, as helmet makes them. The browser pages run under a
// strict Content-Security-Policy: only this origin's own script, style, image and font files,
// no inline code of any kind, no framing. Swagger UI (/docs) gets its own policy, set by
// @fastify/swagger-ui's `staticCSP` option in plugins/external/docs.ts, so its needs never loosen the pages'.
import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { FastifyInstance, onSendHookHandler } from 'fastify'

/** CSP directives, the shape both helmet's `directives` and swagger-ui's `staticCSP` accept. */
export type Directives = Record<string, string[]>

/** The pages' policy (public/*.html), and the default for every other response. */
export const PAGES_CSP: Directives = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'"],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  // The pages write text with textContent only; refusing string-to-HTML sinks (innerHTML…)
  // turns any future slip into an error instead of a cross-site scripting hole.
  'require-trusted-types-for': ["'script'"]
}

/**
 * The one inline style Swagger UI needs: the <style> element inside its top bar's SVG logo
 * (`.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}`), allowed by its hash
 * so that no other inline style is. A new Swagger UI with another logo shows up as a CSP error
 * in the browser test of /docs.
 */
const SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"

/**
 * Swagger UI's policy: as strict as the pages' except that its stylesheet draws its icons from
 * `data:` images and its logo carries one known inline style. No 'unsafe-inline' and no
 * 'unsafe-eval' here either.
 */
export const DOCS_CSP: Directives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", SWAGGER_LOGO_STYLE]
}

/** HSTS max-age: one year, as browsers' preload rules expect. */
const HSTS_SECONDS = 365 * 86400

export interface HeaderChanges {
  set: Array<[name: string, value: string]>
  remove: string[]
}

/**
 * What helmet does to a response with these options, found once by running it on a stand-in
 * response. None of the values depends on the request (no nonces, no functions in the CSP), so
 * every response can get the same headers without running helmet, which rebuilds and re-checks
 * its whole configuration on each call (@fastify/helmet calls it on every request).
 */
export function helmetHeaders (options: HelmetOptions): HeaderChanges {
  const changes: HeaderChanges = { set: [], remove: [] }
  const response = {
    setHeader: (name: string, value: string) => { changes.set.push([name, value]) },
    removeHeader: (name: string) => { changes.remove.push(name) }
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return changes
}

const noStore: onSendHookHandler = (_request, reply, payload, done) => {
  reply.header('cache-control', 'no-store')
  done(null, payload)
}

async function securityHeaders (app: FastifyInstance): Promise<void> {
  // HTTPS served by this process itself: only then can it promise browsers that it always will.
  // Behind a TLS-terminating proxy (Heroku, a load balancer) the proxy should send HSTS.
  const servesTls = app.config.tlsCertFile !== undefined

  const { set, remove } = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: PAGES_CSP },
    strictTransportSecurity: servesTls ? { maxAge: HSTS_SECONDS, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    // No referrer at all: the pages are same-origin and need none, and a link followed from a
    // health-data page should not tell the next site where the person came from.
    referrerPolicy: { policy: 'no-referrer' }
  })

  // Through the reply, not on the raw response as helmet does: Node then writes all of a
  // response's headers in one pass (writeHead's fast path) instead of keeping each one set early,
  // which costs every request. A route setting its own afterwards (Swagger UI's CSP) still wins.
  const headers = Object.fromEntries(set)
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    for (const name of remove) reply.raw.removeHeader(name)
    done()
  })

  // API answers hold personal and health data: no browser, proxy or CDN may keep a copy. Decided by
  // the route, as registered, never by the request's text: `/%61pi/…` and `http://host/api/…` reach
  // the same routes. Error answers (a 401, a 404 for a URL that matches nothing, a 429) are not kept either.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/')) route.onSend = [route.onSend ?? []].flat().concat(noStore)
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.statusCode >= 400) reply.header('cache-control', 'no-store')
    done(null, payload)
  })
}

export default fp(securityHeaders, { name: 'security-headers' })
