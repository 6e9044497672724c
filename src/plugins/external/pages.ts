// The browser pages in public/, served as files; `/` leads to the login page, and the account
// page's old address to its new one. The signup page's captcha widget (ALTCHA) is served from this
// origin too, from the installed package, and so are the ES modules of @simplewebauthn/browser
// that the passkey pages import.
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

const PUBLIC_DIR = fileURLToPath(new URL('../../../public', import.meta.url))

/** The altcha package's dist/ folder, wherever npm installed it. */
const ALTCHA_DIST = fileURLToPath(new URL('..', import.meta.resolve('altcha/external')))
export const ALTCHA_PREFIX = '/vendor/altcha/'
/**
 * The only files of the package the signup page needs, under ALTCHA_PREFIX: the widget without
 * its bundled styles and workers (the CSP refuses the <style> and blob: workers of dist/main),
 * its stylesheet, and the worker for the server's PBKDF2/SHA-256 challenges.
 */
export const ALTCHA_FILES = ['external/altcha.js', 'external/altcha.css', 'workers/pbkdf2.js']
const ALTCHA_PATHS = new Set(ALTCHA_FILES.map((file) => `/${file}`))

/** The ES modules of @simplewebauthn/browser (esm/index.js and the modules it imports). */
const WEBAUTHN_ESM = fileURLToPath(new URL('.', import.meta.resolve('@simplewebauthn/browser')))
export const WEBAUTHN_PREFIX = '/vendor/simplewebauthn/'

async function pages (app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: PUBLIC_DIR, index: false, wildcard: false })
  await app.register(fastifyStatic, {
    root: ALTCHA_DIST,
    prefix: ALTCHA_PREFIX,
    index: false,
    decorateReply: false,
    // Any other file of the package is a 404, like any unknown URL.
    allowedPath: (pathname) => ALTCHA_PATHS.has(pathname)
  })
  await app.register(fastifyStatic, {
    root: WEBAUTHN_ESM,
    prefix: WEBAUTHN_PREFIX,
    index: false,
    decorateReply: false,
    // Its modules only: not its type declarations, source maps or package.json.
    allowedPath: (pathname) => pathname.endsWith('.js')
  })
  app.get('/', { schema: { hide: true } }, async (_request, reply) => await reply.redirect('/login.html'))
  // The account page was stats.html: bookmarks and old links still land on it, and browsers learn the new address.
  app.get('/stats.html', { schema: { hide: true } }, async (_request, reply) => await reply.redirect('/account.html', 301))
}

export default fp(pages, { name: 'pages' })
