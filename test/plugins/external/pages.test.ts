import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ALTCHA_FILES, ALTCHA_PREFIX, WEBAUTHN_PREFIX } from '../../../src/plugins/external/pages.js'
import { buildTestApp, testDatabase } from '../../helper.js'

/** The installed package's dist/ folder, found here independently of the plugin. */
const ALTCHA_DIST = new URL('../../../node_modules/altcha/dist/', import.meta.url)

const WEBAUTHN_ESM = new URL('../../../node_modules/@simplewebauthn/browser/esm/', import.meta.url)

const db = await testDatabase(t)
const app = await buildTestApp(t, db)

t.test('/ leads to the login page', async (t) => {
  const response = await app.inject({ url: '/' })
  t.equal(response.statusCode, 302)
  t.equal(response.headers.location, '/login.html')
  const page = await app.inject({ url: response.headers.location })
  t.equal(page.statusCode, 200, 'and the login page is there')
  t.match(page.headers['content-type'], /^text\/html/)
})

t.test('the account page\'s old address, /stats.html, leads to /account.html for good', async (t) => {
  for (const method of ['GET', 'HEAD'] as const) {
    const response = await app.inject({ method, url: '/stats.html' })
    t.equal(response.statusCode, 301, method)
    t.equal(response.headers.location, '/account.html', method)
  }
  const page = await app.inject({ url: '/account.html' })
  t.equal(page.statusCode, 200, 'and the account page is there')
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, /<title>Your account · DNA Account<\/title>/)
  t.match(page.body, /<script type="module" src="\/js\/account\.js"><\/script>/)
  const script = await app.inject({ url: '/js/account.js' })
  t.equal(script.statusCode, 200, 'with its script')
  t.equal((await app.inject({ url: '/js/stats.js' })).statusCode, 404, 'under its new name only')
})

t.test('a page that does not exist is a JSON 404', async (t) => {
  const response = await app.inject({ url: '/no-such-page.html' })
  t.equal(response.statusCode, 404)
  t.same(response.json(), { statusCode: 404, error: 'Not Found', message: 'no route for GET /no-such-page.html' })
})

t.test('nothing outside public/ is served', async (t) => {
  for (const url of ['/package.json', '/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/src/config.ts', '/.env.sample']) {
    const response = await app.inject({ url })
    t.equal(response.statusCode, 404, url)
    t.notMatch(response.body, /"dependencies"|JWT_SECRET/, url)
  }
})

t.test('the signup captcha widget comes from this origin: three files of its package, and no other', async (t) => {
  const served: Record<string, RegExp> = {
    'external/altcha.js': /^application\/javascript; charset=utf-8$/,
    'external/altcha.css': /^text\/css; charset=utf-8$/,
    'workers/pbkdf2.js': /^application\/javascript; charset=utf-8$/
  }
  t.same(ALTCHA_FILES.toSorted(), Object.keys(served).sort())
  for (const [file, type] of Object.entries(served)) {
    const response = await app.inject({ url: `${ALTCHA_PREFIX}${file}` })
    t.equal(response.statusCode, 200, file)
    t.match(response.headers['content-type'], type, file)
    t.equal(response.headers['x-content-type-options'], 'nosniff', file)
    t.match(response.headers['content-security-policy'], /require-trusted-types-for 'script'/, `${file} under the pages' policy`)
    t.equal(response.rawPayload.compare(readFileSync(fileURLToPath(new URL(file, ALTCHA_DIST)))), 0, `${file} is the package's file`)
  }
  const head = await app.inject({ method: 'HEAD', url: `${ALTCHA_PREFIX}workers/pbkdf2.js` })
  t.equal(head.statusCode, 200)

  // The bundle that injects a <style> and starts blob: workers (which the CSP refuses), the rest.
  for (const file of ['main/altcha.js', 'external/altcha.min.js', 'workers/argon2id.js', 'package.json', 'README.md', '', 'external/']) {
    const url = `${ALTCHA_PREFIX}${file}`
    const response = await app.inject({ url })
    t.equal(response.statusCode, 404, url)
    t.same(response.json(), { statusCode: 404, error: 'Not Found', message: `no route for GET ${url}` }, url)
  }
})

t.test('the passkey pages\' WebAuthn library comes from this origin: its ES modules, and nothing else of its package', async (t) => {
  for (const file of ['index.js', 'methods/startRegistration.js', 'helpers/bufferToBase64URLString.js']) {
    const response = await app.inject({ url: `${WEBAUTHN_PREFIX}${file}` })
    t.equal(response.statusCode, 200, file)
    t.match(response.headers['content-type'], /^application\/javascript; charset=utf-8$/, file)
    t.match(response.headers['content-security-policy'], /require-trusted-types-for 'script'/, `${file} under the pages' policy`)
    t.equal(response.rawPayload.compare(readFileSync(fileURLToPath(new URL(file, WEBAUTHN_ESM)))), 0, `${file} is the package's file`)
  }
  for (const file of ['index.d.ts', 'package.json', '../package.json', 'index.js.map', '']) {
    const url = `${WEBAUTHN_PREFIX}${file}`
    t.equal((await app.inject({ url })).statusCode, 404, url)
  }
})
