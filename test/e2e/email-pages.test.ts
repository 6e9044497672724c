// The pages of the mailed links in a real browser (Debian's Chromium, headless, through
// playwright-core) against the app listening in this process, which sends its mail to a real
// SMTP server: the test opens each link from the mail as a person would. Every page runs under
// the service's CSP; a console error or a CSP violation fails the test.
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { chromium, type Page } from 'playwright-core'
import { auth, buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'
import { deliver, mailServer, type ReceivedMail } from '../mail-support.js'

const CHROMIUM = '/usr/bin/chromium'
const NEW_PASSWORD = 'amber-Lantern-58-orchard'
if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium`)

const db = await testDatabase(t)
const smtp = await mailServer(t)
// The links point at this server: PUBLIC_URL is its own address, known once it listens.
const probe = await buildTestApp(t, db)
await probe.listen({ port: 0, host: '127.0.0.1' })
const port = (probe.server.address() as AddressInfo).port
await probe.close()
const baseURL = `http://127.0.0.1:${port}`
const app = await buildTestApp(t, db, { SMTP_URL: smtp.url, PUBLIC_URL: baseURL })
await app.listen({ port, host: '127.0.0.1' })

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] })
t.teardown(async () => await browser.close())
t.beforeEach(async () => {
  await resetData(db)
  smtp.mails.length = 0
})

const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (event) => {
  console.error('CSP violation: ' + event.effectiveDirective + ' blocked ' + event.blockedURI)
})`

/** A fresh browser tab; `clean()` asserts no console error but the API statuses the test provoked on purpose. */
async function newPage (t: Test, expectedStatuses: number[] = []): Promise<{ page: Page, clean: () => void }> {
  const context = await browser.newContext({ baseURL, locale: 'en-US' })
  context.setDefaultTimeout(10_000)
  await context.addInitScript(REPORT_CSP_VIOLATIONS)
  const errors: string[] = []
  const page = await context.newPage()
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`))
  t.teardown(async () => await context.close())
  const clean = (): void => {
    const unexpected = errors.filter((text) => !expectedStatuses.some((status) => text.includes(`status of ${status}`)))
    t.same(unexpected, [], 'no console errors and no CSP violations')
  }
  return { page, clean }
}

/** The link of a mail, as a person would click it. */
const linkOf = (mail: ReceivedMail): string => (/https?:\/\/\S+/.exec(mail.text) as RegExpExecArray)[0]

async function status (t: Test, page: Page, text: RegExp): Promise<void> {
  await page.locator('#status', { hasText: text }).waitFor()
  t.equal(await page.locator('#status').getAttribute('aria-live'), 'polite')
}

t.test('forgot password: from the login page to a new password, logged in on the account page', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  await deliver(app, smtp, 1)
  const { page, clean } = await newPage(t, [400])
  await page.goto('/login.html')
  await page.getByRole('link', { name: 'Forgot your password?' }).click()
  await page.waitForURL(`${baseURL}/forgot-password.html`)
  await page.getByLabel('Email').fill('ada@example.com')
  await page.keyboard.press('Enter')
  await status(t, page, /If an account has the address ada@example\.com, a link .* is on its way/)

  const [, mail] = await deliver(app, smtp, 2)
  await page.goto(linkOf(mail))
  await page.waitForFunction('location.hash === ""')
  t.notMatch(page.url(), /token/, 'the token is taken off the address bar')
  await page.getByLabel('New password', { exact: true }).fill('password123')
  await page.getByLabel('Repeat the new password').fill('password123')
  await page.getByRole('button', { name: 'Set the new password' }).click()
  await page.locator('#reset-password-error', { hasText: /New password/ }).waitFor()
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD)
  await page.keyboard.press('Enter')
  await page.waitForURL(`${baseURL}/account.html`)
  await page.locator('#account').waitFor({ state: 'visible' })
  t.equal(await page.locator('#profile-email').textContent(), 'ada@example.com')
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: NEW_PASSWORD } })
  t.equal(login.statusCode, 200)
  clean()
})

t.test('a used or expired reset link says so, with a button for a new one', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  await app.inject({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email: 'ada@example.com' } })
  const [, mail] = await deliver(app, smtp, 2)
  await db.query("UPDATE email_tokens SET expires_at = now() - interval '1 second'")
  const { page, clean } = await newPage(t, [400])
  await page.goto(linkOf(mail))
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD)
  await page.keyboard.press('Enter')
  await status(t, page, /invalid or has expired/)
  const again = page.getByRole('button', { name: 'Get a new link' })
  t.equal(await page.evaluate('document.activeElement.id'), 'new-link', 'the button has the focus')
  await again.press('Enter')
  await page.waitForURL(`${baseURL}/forgot-password.html`)
  clean()
})

t.test('the verification link verifies the address once; the account page shows the banner until then', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const [mail] = await deliver(app, smtp, 1)
  const { page, clean } = await newPage(t, [400, 409, 429])
  await page.goto('/login.html')
  await page.evaluate(`sessionStorage.setItem('dna-api.token', ${JSON.stringify(ada.token)})`)
  await page.goto('/account.html')
  const banner = page.getByRole('region', { name: 'Your email address' })
  await banner.getByText(/ada@example\.com is not verified yet/).waitFor()
  await banner.getByRole('button', { name: 'Mail me a new link' }).click()
  await banner.getByText(/A link was sent a short while ago|A new link is on its way/).waitFor()

  await page.goto(linkOf(mail))
  await status(t, page, /your email address ada@example\.com is verified/)
  t.notMatch(page.url(), /token/)
  await page.goto('/account.html')
  await page.locator('#account').waitFor({ state: 'visible' })
  t.equal(await banner.count(), 0, 'no banner once verified')

  await page.goto(linkOf(mail))
  await status(t, page, /invalid or has expired/)
  await page.getByRole('button', { name: 'Mail me a new link' }).click()
  await status(t, page, /already verified/)
  clean()
})

t.test('the confirmation link of a new address switches it; the account page shows it waiting until then', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(ada.token), payload: { email: 'ada.king@example.com', current_password: PASSWORD } })
  const mails = await deliver(app, smtp, 3)
  const { page, clean } = await newPage(t, [400])
  await page.goto('/login.html')
  await page.evaluate(`sessionStorage.setItem('dna-api.token', ${JSON.stringify(ada.token)})`)
  await page.goto('/account.html')
  await page.getByText(/Waiting for you to confirm ada\.king@example\.com/).waitFor()

  const link = linkOf(mails.find((mail) => mail.to === 'ada.king@example.com') as ReceivedMail)
  await page.goto(link)
  await status(t, page, /your account's email address is now ada\.king@example\.com/)
  // Another document first: from the page itself, a link that differs only in its fragment would not load it again.
  await page.goto('about:blank')
  await page.goto(link)
  // A used link.
  await status(t, page, /invalid or has expired/)
  clean()
})
