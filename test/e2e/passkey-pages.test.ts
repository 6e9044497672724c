// Passkeys in a real browser (Debian's Chromium, headless) with its virtual authenticator (CDP
// WebAuthn domain: CTAP2, resident keys, user verification): add one on the account page, log
// out, sign in with it; an admin who signed in so passes the two-factor gate of the staff console.
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { chromium, type CDPSession, type Page } from 'playwright-core'
import { buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium`)

/** A free port, so that PUBLIC_URL (the passkeys' origin) can name it before the app listens. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

// WebAuthn needs a secure context and a domain for its RP id: http://localhost is both (an IP address is not a domain).
const port = await freePort()
const baseURL = `http://localhost:${port}`
const db = await testDatabase(t)
const app = await buildTestApp(t, db, { PUBLIC_URL: baseURL, ADMIN_MFA: 'required' })
await app.listen({ port, host: '127.0.0.1' })

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // localhost resolved to the address the app listens on.
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--host-resolver-rules=MAP localhost 127.0.0.1']
})
t.teardown(async () => await browser.close())
t.beforeEach(async () => { await resetData(db) })

/** A page with a virtual authenticator, whose console errors and CSP violations are collected. */
async function newPage (t: Test): Promise<{ page: Page, errors: string[], cdp: CDPSession, authenticatorId: string }> {
  const context = await browser.newContext({ baseURL, locale: 'en-US' })
  t.teardown(async () => await context.close())
  context.setDefaultTimeout(10_000)
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    console.error('CSP violation: ' + event.effectiveDirective + ' blocked ' + event.blockedURI)
  })`)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', (error) => errors.push(error.message))
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true }
  })
  return { page, errors, cdp, authenticatorId }
}

async function logIn (page: Page, email: string): Promise<void> {
  await page.goto('/login.html')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
}

/** Adds a passkey named `name` on the account page, then logs out. */
async function addPasskeyAndLogOut (page: Page, name: string): Promise<void> {
  const section = page.getByRole('region', { name: 'Passkeys' })
  await section.getByText('You have no passkeys yet.').waitFor()
  await section.getByLabel('Name of the new passkey').fill(name)
  await section.getByRole('button', { name: 'Add a passkey' }).click()
  await section.getByText(`The passkey ${name} is added: you can log in with it.`).waitFor()
  await page.getByRole('button', { name: 'Log out', exact: true }).click()
  await page.waitForURL(`${baseURL}/login.html`)
}

t.test('adding a passkey on the account page, then signing in with it alone', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, errors, cdp, authenticatorId } = await newPage(t)
  await logIn(page, 'ada@example.com')
  const section = page.getByRole('region', { name: 'Passkeys' })
  await addPasskeyAndLogOut(page, 'Laptop')

  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
  t.equal(credentials.length, 1, 'the authenticator holds one passkey')
  t.equal(credentials[0].isResidentCredential, true, 'a discoverable one')
  t.equal(credentials[0].rpId, 'localhost')

  await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
  await page.locator('#account').waitFor({ state: 'visible' })
  const listed = section.getByRole('listitem').filter({ hasText: 'Laptop' })
  await listed.filter({ hasText: 'last used' }).waitFor()
  t.ok(await page.getByRole('region', { name: 'Devices' }).getByText('with a second factor').first().isVisible(), 'a session of two factors')

  await listed.getByRole('button', { name: 'Delete the passkey Laptop' }).click()
  await section.getByText('The passkey Laptop is deleted.').waitFor()
  t.equal(await listed.count(), 0, 'gone from the list')
  t.same(errors, [], 'no console errors and no CSP violations')
})

t.test('an admin who signed in with a passkey passes the two-factor gate; with a password alone, not', async (t) => {
  await signUpAdmin(app, db, { email: 'admin@example.com' })
  const { page, errors } = await newPage(t)
  await logIn(page, 'admin@example.com')
  await page.getByRole('link', { name: 'Staff console' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
  await page.locator('#status').filter({ hasText: 'Your account no longer has staff rights, so the staff console has closed.' }).waitFor()

  await addPasskeyAndLogOut(page, 'Security key')
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
  await page.getByRole('link', { name: 'Staff console' }).click()
  await page.waitForURL(`${baseURL}/admin.html`)
  await page.locator('#console').waitFor({ state: 'visible' })
  t.equal(page.url(), `${baseURL}/admin.html`, 'the console stays open')
  t.same(errors.filter((text) => !/status of 403/.test(text)), [], 'no console errors but the gate\'s 403, no CSP violations')
})
