// Swagger UI at /docs in a real browser (Debian's Chromium, driven headless by playwright-core)
// against the app listening in this process: what a developer exploring the API does. Every test
// also checks that the page loaded nothing from another origin and showed no console error or
// Content-Security-Policy violation.
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { chromium, type Locator, type Page } from 'playwright-core'
import { buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = 'test-results'
mkdirSync(SCREENSHOTS, { recursive: true })

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
await app.listen({ port: 0, host: '127.0.0.1' })
const baseURL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run']
})
t.teardown(async () => await browser.close())
t.beforeEach(async () => { await resetData(db) })

// Runs in the page before its own scripts, so a blocked script or style is reported as an error.
const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (event) => {
  console.error('CSP violation: ' + event.effectiveDirective + ' blocked ' + event.blockedURI)
})`

interface Watch {
  errors: string[]
  /** Requests to anywhere but this service: a CDN, a validator, telemetry. */
  elsewhere: string[]
}

async function openDocs (t: Test): Promise<{ page: Page, watch: Watch }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 1000 } })
  t.teardown(async () => await context.close())
  // Every wait is on a condition; this only bounds how long a broken page takes to fail.
  context.setDefaultTimeout(30_000)
  await context.addInitScript(REPORT_CSP_VIOLATIONS)
  const watch: Watch = { errors: [], elsewhere: [] }
  context.on('request', (request) => { if (!request.url().startsWith(`${baseURL}/`)) watch.elsewhere.push(request.url()) })
  const page = await context.newPage()
  page.on('console', (message) => { if (message.type() === 'error') watch.errors.push(message.text()) })
  page.on('pageerror', (error) => watch.errors.push(`page error: ${error.message}`))
  const response = await page.goto('/docs')
  t.match(response?.headers()['content-security-policy'], /script-src 'self';/, 'under a Content-Security-Policy')
  await page.getByRole('heading', { name: /dna-api/ }).waitFor()
  return { page, watch }
}

function assertClean (t: Test, watch: Watch): void {
  t.same(watch.errors, [], 'no console errors and no CSP violations')
  t.same(watch.elsewhere, [], 'nothing loaded or sent beyond this service')
}

/** Opens an operation (by tag and operationId), presses "Try it out", and returns its block. */
async function tryItOut (page: Page, tag: string, operationId: string): Promise<Locator> {
  const operation = page.locator(`#operations-${tag}-${operationId}`)
  await operation.locator('.opblock-summary-control').click()
  await operation.getByRole('button', { name: 'Try it out' }).click()
  return operation
}

/** Presses "Execute" and returns the status and JSON body Swagger UI shows for the live response. */
async function execute (operation: Locator): Promise<{ status: number, body: unknown }> {
  await operation.getByRole('button', { name: 'Execute' }).click()
  const live = operation.locator('.live-responses-table .response')
  await live.waitFor()
  const status = Number(await live.locator('.response-col_status').textContent())
  const text = await live.locator('.response-col_description .highlight-code code').first().textContent()
  return { status, body: JSON.parse(text ?? 'null') }
}

/** Fills one security scheme of the "Authorize" dialog. */
async function authorize (page: Page, scheme: 'bearerAuth' | 'apiToken', token: string): Promise<void> {
  await page.locator('.auth-wrapper button.authorize').click()
  const form = page.locator('.modal-ux .auth-container').filter({ has: page.locator('h4 code', { hasText: scheme }) })
  await form.getByRole('textbox').fill(token)
  await form.getByRole('button', { name: 'Apply credentials' }).click()
  // Authorized: the dialog offers to log this scheme out instead.
  await form.getByRole('button', { name: 'Remove authorization' }).waitFor()
  await page.locator('.modal-ux').getByRole('button', { name: 'Close' }).first().click()
}

interface TokenBody { jwt_token: string, user: { id: number, email: string } }

t.test('sign up with the example, authorize with the bearer token, and read my account', async (t) => {
  const { page, watch } = await openDocs(t)

  const signup = await tryItOut(page, 'auth', 'createUser')
  const example = JSON.parse(await signup.locator('textarea.body-param__text').inputValue()) as Record<string, string>
  t.match(example, { email: 'ada@example.com', password: PASSWORD }, 'the body is the spec\'s example')
  const created = await execute(signup)
  t.equal(created.status, 201)
  const { jwt_token: token, user } = created.body as TokenBody
  t.equal(user.email, 'ada@example.com')

  await authorize(page, 'bearerAuth', token)

  const getMe = await tryItOut(page, 'me', 'getMe')
  const sent = page.waitForRequest((request) => request.url() === `${baseURL}/api/v1/users/me`)
  const me = await execute(getMe)
  t.equal((await sent).headers().authorization, `Bearer ${token}`)
  t.equal(me.status, 200)
  t.match(me.body, { id: user.id, email: 'ada@example.com', first_name: 'Ada', role: 'user', genetic_result: null })
  await getMe.scrollIntoViewIfNeeded()
  await page.screenshot({ path: `${SCREENSHOTS}/docs-get-me.png` })
  assertClean(t, watch)
})

t.test('log in with the example, authorize with the api-token header, and the token is gone with the page', async (t) => {
  const { user } = await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await openDocs(t)

  const login = await tryItOut(page, 'auth', 'login')
  const loggedIn = await execute(login)
  t.equal(loggedIn.status, 200)
  const { jwt_token: token } = loggedIn.body as TokenBody

  await authorize(page, 'apiToken', token)
  const sent = page.waitForRequest((request) => request.url() === `${baseURL}/api/v1/users/me`)
  const me = await execute(await tryItOut(page, 'me', 'getMe'))
  t.equal((await sent).headers()['api-token'], token)
  t.equal(me.status, 200)
  t.match(me.body, { id: user.id, email: 'ada@example.com' })

  // Nothing left where another script of this origin, or the next person at this browser, would find it.
  const stored = await page.evaluate('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])') as string
  t.notMatch(stored, token.split('.')[2], 'the token is in no storage of the page')
  t.notMatch(stored, 'apiToken', 'nor is any authorization')

  // A new visit (not a reload, which would reopen the operation from the address's #/me/getMe).
  await page.goto('/docs')
  const again = await execute(await tryItOut(page, 'me', 'getMe'))
  t.equal(again.status, 401, 'the next visit starts without a token')
  t.same(watch.errors.filter((error) => !/status of 401/.test(error)), [], 'no console errors but that 401, no CSP violations')
  t.same(watch.elsewhere, [])
})

t.test('without a token, Try it out shows the 401 the spec describes', async (t) => {
  const { page, watch } = await openDocs(t)
  const me = await execute(await tryItOut(page, 'me', 'getMe'))
  t.equal(me.status, 401)
  t.match(me.body, { statusCode: 401, error: 'Unauthorized', message: /^authentication required/ })
  // Chromium reports a failed response as a console error: the one this test asked for.
  t.same(watch.errors.filter((error) => !/status of 401/.test(error)), [])
  t.same(watch.elsewhere, [])
})
