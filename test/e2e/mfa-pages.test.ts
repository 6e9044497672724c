// Two-factor authentication and the device list in a real browser (Debian's Chromium, headless):
// turn TOTP on from the account page, log in again with a code, and see and end the session of a
// second browser. Codes are computed from the secret the page shows, at a time the test sets.
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { generateSync } from 'otplib'
import { chromium, type Page } from 'playwright-core'
import { buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium`)

const db = await testDatabase(t)
let now = Date.UTC(2026, 5, 1, 12, 0, 10)
const app = await buildTestApp(t, db, {}, { clock: () => now })
await app.listen({ port: 0, host: '127.0.0.1' })
const baseURL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] })
t.teardown(async () => await browser.close())
t.beforeEach(async () => { await resetData(db) })

/** A page in a browser context of its own, whose console errors and CSP violations are collected. */
async function newPage (t: Test, userAgent?: string): Promise<{ page: Page, errors: string[] }> {
  const context = await browser.newContext({ baseURL, locale: 'en-US', userAgent })
  t.teardown(async () => await context.close())
  context.setDefaultTimeout(10_000)
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    console.error('CSP violation: ' + event.effectiveDirective + ' blocked ' + event.blockedURI)
  })`)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', (error) => errors.push(error.message))
  return { page, errors }
}

const code = (secret: string): string => generateSync({ secret, epoch: Math.floor(now / 1000) })

async function logIn (page: Page, email: string): Promise<void> {
  await page.goto('/login.html')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
}

/** The only failed responses a test provokes on purpose (Chromium logs them as console errors). */
const unexpected = (errors: string[], statuses: number[] = []): string[] => errors.filter((text) => {
  const failed = /status of (\d+)/.exec(text)
  return failed === null || !statuses.includes(Number(failed[1]))
})

t.test('turning on two-factor authentication on the account page, then logging in with a code', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, errors } = await newPage(t)
  await logIn(page, 'ada@example.com')
  await page.waitForURL(`${baseURL}/account.html`)
  const section = page.getByRole('region', { name: 'Two-factor authentication' })
  await section.getByText('Off: logging in needs your password alone.').waitFor()

  await page.locator('#mfa-enrol-form').getByLabel('Current password').fill(PASSWORD)
  await section.getByRole('button', { name: 'Turn on two-factor authentication' }).click()
  await page.locator('#mfa-confirm-form').waitFor({ state: 'visible' })
  const secret = (await page.locator('#mfa-secret').textContent() as string).replaceAll(' ', '')
  t.match(secret, /^[A-Z2-7]{32}$/, 'the key is shown to type in')
  const qr = page.getByRole('img', { name: 'QR code of the key, for an authenticator app to scan' })
  t.ok(await qr.isVisible(), 'and the QR code, drawn on the page')
  t.ok(Number(await qr.getAttribute('width')) > 100)
  t.ok((await page.locator('#mfa-qr path').getAttribute('d') as string).length > 1000, 'with its modules')
  t.match(await page.locator('#mfa-link').getAttribute('href'), /^otpauth:\/\/totp\//)
  t.equal(await page.evaluate('document.activeElement.id'), 'mfa-confirm-code', 'the code field has the focus')

  await page.locator('#mfa-confirm-form').getByLabel('Code from the app').fill(code(secret))
  await section.getByRole('button', { name: 'Confirm' }).click()
  await section.getByText('On: logging in asks for a code').waitFor()
  const codes = await page.locator('#mfa-recovery-list li').allTextContents()
  t.equal(codes.length, 10, 'the recovery codes are shown once')
  t.match(await page.locator('#mfa-recovery-download').getAttribute('href'), /^blob:/, 'and can be downloaded')
  now += 30_000

  await page.getByRole('button', { name: 'Log out', exact: true }).click()
  await page.waitForURL(`${baseURL}/login.html`)
  await logIn(page, 'ada@example.com')
  const codeField = page.getByLabel('Code', { exact: true })
  await codeField.waitFor()
  t.equal(await page.evaluate('document.activeElement.id'), 'login-code', 'after the password, the page asks for the code')

  await codeField.fill(code(secret) === '000000' ? '111111' : '000000')
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.locator('#login-code-error').filter({ hasText: 'Code is not right' }).waitFor()

  await codeField.fill(code(secret))
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
  await page.locator('#devices-list li').first().waitFor()
  t.match(await page.locator('#devices-list').textContent(), /with a second factor/)
  now += 30_000

  // And with a recovery code instead. The page's own move to the login page comes first: a
  // navigation started meanwhile would abort it, or be aborted.
  await page.getByRole('button', { name: 'Log out', exact: true }).click()
  await page.waitForURL(`${baseURL}/login.html`)
  await logIn(page, 'ada@example.com')
  await codeField.fill(codes[0])
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
  t.same(unexpected(errors, [401]), [], 'no console errors or CSP violations')
})

t.test('the device list across two browsers: each marks its own, one ends the other', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0'
  const first = await newPage(t)
  const second = await newPage(t, firefox)
  await logIn(first.page, 'ada@example.com')
  await first.page.waitForURL(`${baseURL}/account.html`)
  await logIn(second.page, 'ada@example.com')
  await second.page.waitForURL(`${baseURL}/account.html`)

  await first.page.reload()
  const devices = first.page.locator('#devices-list li')
  await devices.nth(2).waitFor()
  t.equal(await devices.count(), 3, 'the signup\'s session and the two browsers\'')
  const texts = await devices.allTextContents()
  t.ok(texts.some((text) => text.includes('Firefox on Windows') && !text.includes('this device')), 'the other browser, in words')
  t.ok(texts.some((text) => text.includes('Chrome on Linux') && text.includes('(this device)')), 'this one, marked')
  t.ok(texts.every((text) => text.includes('127.0.0.1')), 'with its address')
  t.ok(texts.some((text) => text.includes('An unknown browser')), 'the signup made through the API')

  await first.page.getByRole('button', { name: 'End the session of Firefox on Windows' }).click()
  await first.page.locator('#devices-status').filter({ hasText: 'Firefox on Windows is logged out.' }).waitFor()
  t.equal(await devices.count(), 2)

  await second.page.reload()
  await second.page.waitForURL(`${baseURL}/login.html`)
  t.match(await second.page.locator('#notice').textContent(), /session has ended/i, 'the ended browser is sent to log in again')

  await first.page.getByRole('button', { name: 'End the session of Chrome on Linux (this device)' }).click()
  await first.page.waitForURL(`${baseURL}/login.html`)
  t.same(unexpected(first.errors), [], 'no console errors or CSP violations')
  t.same(unexpected(second.errors, [401]), [])
})
