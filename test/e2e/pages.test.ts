// The three pages in a real browser: Debian's Chromium, driven headless by playwright-core,
// against the app listening in this process (and, for the signup captcha, a second one with
// CAPTCHA=on). Every test also checks what a person never should see: a console error, a
// Content-Security-Policy violation, or the token in the address bar.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core'
import { auth, buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = 'test-results'
const NEW_PASSWORD = 'amber-Lantern-58-orchard'

if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium`)
mkdirSync(SCREENSHOTS, { recursive: true })

const db = await testDatabase(t)
// A short lock, so the countdown can be watched to its end.
const app = await buildTestApp(t, db, { LOGIN_LOCK_SECONDS: '4' })
await app.listen({ port: 0, host: '127.0.0.1' })
const baseURL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
// The same service with the signup captcha on, on the same database; an easy challenge keeps
// each solve short, and the work is the same in kind.
const captchaApp = await buildTestApp(t, db, { CAPTCHA: 'on', CAPTCHA_DIFFICULTY: '20' })
await captchaApp.listen({ port: 0, host: '127.0.0.1' })
const captchaURL = `http://127.0.0.1:${(captchaApp.server.address() as AddressInfo).port}`

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run']
})
t.teardown(async () => await browser.close())
t.beforeEach(async () => { await resetData(db) })

/** What the pages of one browser context showed that they should not have. */
interface Watch {
  errors: string[]
  urls: string[]
  pages: Page[]
}

// Runs in every page before its own scripts: a violation is reported even if Chromium's own
// console message about it changed wording.
const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (event) => {
  console.error('CSP violation: ' + event.effectiveDirective + ' blocked ' + event.blockedURI)
})`

/** A console error as the test reports it: a failed load also says which URL failed. */
function consoleError (message: ConsoleMessage): string {
  const text = message.text()
  return text.startsWith('Failed to load resource') ? `${text} <- ${message.location().url}` : text
}

async function newContext (t: Test, origin = baseURL): Promise<{ context: BrowserContext, watch: Watch }> {
  // A fixed locale: the pages format dates in the browser's language, and the tests read them.
  const context = await browser.newContext({ baseURL: origin, locale: 'en-US', viewport: { width: 1000, height: 800 } })
  t.teardown(async () => await context.close())
  // Every wait is on a condition; this only bounds how long a broken page takes to fail.
  context.setDefaultTimeout(10_000)
  await context.addInitScript(REPORT_CSP_VIOLATIONS)
  const watch: Watch = { errors: [], urls: [], pages: [] }
  context.on('page', (page) => {
    watch.pages.push(page)
    page.on('console', (message) => { if (message.type() === 'error') watch.errors.push(consoleError(message)) })
    page.on('pageerror', (error) => watch.errors.push(`page error: ${error.message}`))
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) watch.urls.push(frame.url()) })
  })
  return { context, watch }
}

async function newPage (t: Test, origin = baseURL): Promise<{ page: Page, context: BrowserContext, watch: Watch }> {
  const { context, watch } = await newContext(t, origin)
  return { page: await context.newPage(), context, watch }
}

/** The token this tab holds, in either storage. */
async function storedTokens (page: Page): Promise<{ session: string | null, local: string | null }> {
  return await page.evaluate<{ session: string | null, local: string | null }>(
    "({ session: sessionStorage.getItem('dna-api.token'), local: localStorage.getItem('dna-api.token') })")
}

/**
 * Asserts that no page showed a console error or CSP violation, except failed API responses of
 * the statuses the test provoked on purpose (Chromium logs those), and that no address ever held
 * a token (a JWT starts with `eyJ`, and the tokens seen are checked as they are).
 */
function assertClean (t: Test, watch: Watch, { expectedStatuses = [] as number[], tokens = [] as string[] } = {}): void {
  const unexpected = watch.errors.filter((text) => {
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text)
    return failed === null || !expectedStatuses.includes(Number(failed[1]))
  })
  t.same(unexpected, [], 'no console errors and no CSP violations')
  t.ok(watch.urls.length > 0, 'pages were visited')
  const leaked = watch.urls.filter((url) => url.includes('eyJ') || /token/i.test(url) ||
    tokens.some((token) => token !== '' && url.includes(token)))
  t.same(leaked, [], 'no URL ever carried the token')
}

/** Asserts where the page is now, and that its address holds no token. */
async function at (t: Test, page: Page, path: string, origin = baseURL): Promise<void> {
  await page.waitForURL(`${origin}${path}`)
  t.equal(new URL(page.url()).pathname, path)
  t.notMatch(page.url(), /eyJ|token/i, 'no token in the URL')
}

/** The id of the element that has the keyboard focus. */
async function focused (page: Page): Promise<string> {
  return await page.evaluate<string>('document.activeElement.id')
}

async function accountShown (page: Page): Promise<void> {
  await page.locator('#account').waitFor({ state: 'visible' })
}

async function logIn (page: Page, email: string, password: string, { remember = false } = {}): Promise<void> {
  await page.goto('/login.html')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  if (remember) await page.getByLabel('Remember me').check()
  await page.getByRole('button', { name: 'Log in' }).click()
}

async function screenshot (page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage })
}

async function fillSignup (page: Page, email: string): Promise<void> {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByLabel('Confirm password', { exact: true }).fill(PASSWORD)
  await page.getByLabel('First name').fill('Ada')
  await page.getByLabel('Last name').fill('Lovelace')
  await page.getByLabel('Date of birth').fill('1990-04-17')
}

t.test('signing up checks the fields, shows the server\'s message by its field, and lands on the account logged in', async (t) => {
  const { page, watch } = await newPage(t)
  const vendorRequests: string[] = []
  const captchaRequests: string[] = []
  const signups: unknown[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/vendor/')) vendorRequests.push(url.pathname)
    if (url.pathname.startsWith('/api/v1/captcha')) captchaRequests.push(url.pathname)
    if (request.method() === 'POST' && url.pathname === '/api/v1/users') signups.push(request.postDataJSON())
  })
  const captchaAnswer = page.waitForResponse(`${baseURL}/api/v1/captcha/status`)
  await page.goto('/signup.html')
  await at(t, page, '/signup.html')
  const status = await captchaAnswer
  t.equal(status.status(), 200, 'the page asks whether there is a captcha, and is answered without an error')
  t.same(await status.json(), { required: false }, 'here there is none')

  // The browser's own checks: nothing is sent while a field is wrong.
  await page.getByRole('button', { name: 'Create account' }).click()
  t.equal(await page.locator('#signup-email-error').textContent(), 'Email is required')
  t.equal(await page.locator('#signup-dob-error').textContent(), 'Date of birth is required')
  t.equal(await page.getByLabel('Email').getAttribute('aria-invalid'), 'true')
  t.equal(await focused(page), 'signup-email', 'the first wrong field has the focus')

  await page.getByLabel('Email').fill('not-an-email')
  await page.getByLabel('Password', { exact: true }).fill('é'.repeat(40))
  await page.getByLabel('First name').fill('Ada')
  await page.getByLabel('Last name').fill('Lovelace')
  await page.getByLabel('Date of birth').fill('2999-01-01')
  await page.getByRole('button', { name: 'Create account' }).click()
  t.equal(await page.locator('#signup-email-error').textContent(), 'Email must be an email address like name@example.com')
  t.match(await page.locator('#signup-password-error').textContent(), /^Password must be at most 72 bytes \(it has 80/)
  t.equal(await page.locator('#signup-dob-error').textContent(), 'Date of birth must not be in the future')
  await page.getByLabel('Date of birth').fill('1899-12-31')
  await page.getByRole('button', { name: 'Create account' }).click()
  t.equal(await page.locator('#signup-dob-error').textContent(), 'Date of birth must be on or after 1900-01-01')

  // A password the browser lets through but the server refuses: its message, next to the field.
  await page.getByLabel('Email').fill('ada@example.com')
  await page.getByLabel('Password', { exact: true }).fill('password1234')
  await page.locator('#signup-password-strength').filter({ hasText: 'Strength: Weak' }).waitFor()
  t.equal(await page.locator('#signup-password-confirm-error').textContent(), 'Confirm password is required')
  await page.getByLabel('Confirm password', { exact: true }).fill('password1234')
  t.equal(await page.locator('#signup-password-confirm-error').textContent(), '', 'the error goes as the field is fixed')
  await page.getByLabel('Date of birth').fill('1990-04-17')
  t.same(signups, [], 'nothing was sent so far')
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.locator('#signup-password-error').filter({ hasText: 'Password is too easy to guess' }).waitFor()
  t.equal(await page.locator('#signup-email-error').textContent(), '', 'the fixed fields show no error')
  t.equal(await page.locator('altcha-widget').count(), 0, 'with the captcha off there is no widget')
  t.notOk(await page.getByRole('group', { name: 'Human check' }).isVisible(), 'nor its place in the form')
  t.same(vendorRequests, [], 'and nothing of it is loaded')

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.locator('#signup-password-strength').filter({ hasText: 'Strength: Strong' }).waitFor()
  t.equal(await page.locator('#signup-password-error').textContent(), '', 'the error goes once the field is fixed')

  // The confirmation no longer matches: the form refuses, by that field, and sends nothing.
  await page.getByRole('button', { name: 'Create account' }).click()
  const confirm = page.getByLabel('Confirm password', { exact: true })
  t.equal(await page.locator('#signup-password-confirm-error').textContent(), 'Confirm password does not match')
  t.equal(await page.locator('#signup-password-confirm-error').getAttribute('aria-live'), 'polite', 'announced')
  t.equal(await confirm.getAttribute('aria-invalid'), 'true')
  t.match(await confirm.getAttribute('aria-describedby'), /\bsignup-password-confirm-error\b/, 'the message describes the field')
  t.equal(await focused(page), 'signup-password-confirm', 'the field has the focus')
  t.equal(signups.length, 1, 'no signup was sent')
  // Changing the password it repeats re-checks it too.
  await page.getByLabel('Password', { exact: true }).fill('password1234')
  t.equal(await page.locator('#signup-password-confirm-error').textContent(), '', 'matching again, the message goes')
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await confirm.fill(PASSWORD)

  // Both fields can be shown to check what was typed, each with its own toggle.
  const show = page.getByRole('button', { name: 'Show password', exact: true })
  const showConfirm = page.getByRole('button', { name: 'Show confirm password', exact: true })
  t.same([await show.getAttribute('aria-pressed'), await showConfirm.getAttribute('aria-pressed')], ['false', 'false'])
  t.equal(await show.getAttribute('type'), 'button', 'a toggle, not a submit button')
  await show.click()
  t.equal(await show.getAttribute('aria-pressed'), 'true')
  t.equal(await page.getByLabel('Password', { exact: true }).getAttribute('type'), 'text', 'the password is shown')
  t.equal(await confirm.getAttribute('type'), 'password', 'the confirmation stays hidden')
  await confirm.focus()
  await page.keyboard.press('Tab')
  t.equal(await focused(page), 'signup-password-confirm-show', 'Tab goes from the field to its toggle')
  await page.keyboard.press('Space')
  t.equal(await showConfirm.getAttribute('aria-pressed'), 'true', 'Space presses it')
  t.equal(await confirm.getAttribute('type'), 'text')
  await screenshot(page, 'signup')
  await page.getByRole('button', { name: 'Create account' }).click()

  await at(t, page, '/account.html')
  await accountShown(page)
  t.equal(await page.locator('#profile-name').textContent(), 'Ada Lovelace')
  t.equal(await page.locator('#profile-email').textContent(), 'ada@example.com')
  t.equal(await page.locator('#profile-dob').textContent(), 'April 17, 1990')
  t.equal(await page.locator('#profile-policy').textContent(), 'None yet')
  t.ok(await page.getByText('No results yet').isVisible())
  t.notOk(await page.locator('table').count(), 'no results table without results')
  const tokens = await storedTokens(page)
  t.ok(tokens.session?.startsWith('eyJ'), 'the token is kept for this tab only')
  t.equal(tokens.local, null)
  await screenshot(page, 'account-no-results')
  t.same(captchaRequests, ['/api/v1/captcha/status'], 'no challenge was asked for')
  t.equal(signups.length, 2)
  t.same(signups[1], { email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' },
    'the signup body has no confirmation in it, and the shown password is sent as typed')
  assertClean(t, watch, { expectedStatuses: [400], tokens: [tokens.session ?? ''] })
})

t.test('an email already taken is said next to the email field', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  await page.goto('/signup.html')
  await fillSignup(page, 'ADA@example.com')
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.locator('#signup-email-error').filter({ hasText: 'An account with this email already exists' }).waitFor()
  await at(t, page, '/signup.html')
  assertClean(t, watch, { expectedStatuses: [409] })
})

/** The widget's solution as the form will send it, once it is there and not `not` (a solution seen before). */
async function captchaSolution (page: Page, not = ''): Promise<{ altcha: string, signature: string }> {
  const input = page.locator(`altcha-widget input[name="altcha"][value]:not([value=""]):not([value="${not}"])`)
  await input.waitFor({ state: 'attached' })
  const altcha = await input.inputValue()
  return { altcha, signature: JSON.parse(Buffer.from(altcha, 'base64').toString()).challenge.signature }
}

t.test('with the captcha on, a person ticks the box with the keyboard, signs up and lands on the account', async (t) => {
  const { page, watch } = await newPage(t, captchaURL)
  await page.goto('/signup.html')
  const group = page.getByRole('group', { name: 'Human check' })
  // Its label says what to do, then how it is going: "Verifying...", "Verified".
  const checkbox = group.getByRole('checkbox')
  const status = page.locator('#signup-captcha-status')
  await group.getByRole('checkbox', { name: 'I\'m not a robot' }).waitFor()
  t.equal(await page.locator('altcha-widget .altcha-footer, altcha-widget .altcha-logo').count(), 0, 'no footer or logo (innerHTML)')
  t.equal(await checkbox.getAttribute('aria-describedby'), 'signup-captcha-hint signup-captcha-error')

  // Not ticked: nothing is sent, and the box says so and has the focus.
  await fillSignup(page, 'ada@example.com')
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.locator('#signup-captcha-error').filter({ hasText: 'Tick “I\'m not a robot” first' }).waitFor()
  t.match(await focused(page), /^altcha-checkbox-/, 'the box has the focus')
  const { rows: none } = await db.query('SELECT id FROM users')
  t.equal(none.length, 0, 'no signup was attempted')

  // The box sits between the last field and the button in the tab order, and Space ticks it.
  await page.getByRole('button', { name: 'Create account' }).focus()
  await page.keyboard.press('Shift+Tab')
  t.match(await focused(page), /^altcha-checkbox-/, 'the box comes just before the button in the tab order')
  await page.keyboard.press('Space')
  await status.filter({ hasText: 'Done: you can create your account.' }).waitFor()
  t.equal(await page.locator('#signup-captcha-error').textContent(), '', 'the message went when the box was ticked')
  t.ok(await checkbox.isChecked(), 'the box shows the check is done')
  t.equal(await group.getByRole('checkbox', { name: 'Verified' }).count(), 1, 'and so does its label')
  const { altcha, signature } = await captchaSolution(page)
  t.match(JSON.parse(Buffer.from(altcha, 'base64').toString()), {
    challenge: { parameters: { algorithm: 'PBKDF2/SHA-256' }, signature: /^[0-9a-f]{64}$/ },
    solution: { counter: Number, derivedKey: /^[0-9a-f]+$/ }
  }, 'the solution of a challenge from the server')
  await screenshot(page, 'signup-captcha')

  await page.getByRole('button', { name: 'Create account' }).click()
  await at(t, page, '/account.html', captchaURL)
  await accountShown(page)
  t.equal(await page.locator('#profile-email').textContent(), 'ada@example.com')
  const { rows: used } = await db.query<{ signature: string }>('SELECT signature FROM used_captchas')
  t.same(used.map((row) => row.signature), [signature], 'the signup spent that solution')
  const tokens = await storedTokens(page)
  assertClean(t, watch, { tokens: [tokens.session ?? ''] })
})

t.test('with the captcha on, a refused signup solves a new challenge, and a refused solution is said by the widget', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t, captchaURL)
  await page.goto('/signup.html')
  await fillSignup(page, 'ada@example.com')
  // Its label, as a person clicks it.
  await page.locator('altcha-widget label', { hasText: 'I\'m not a robot' }).click()
  const first = await captchaSolution(page)

  // Refused for the email: that solution is spent, and a new one is found without asking.
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.locator('#signup-email-error').filter({ hasText: 'An account with this email already exists' }).waitFor()
  const second = await captchaSolution(page, first.altcha)
  t.not(second.signature, first.signature, 'a new challenge')
  await page.locator('#signup-captcha-status').filter({ hasText: 'Done: you can create your account.' }).waitFor()

  // Refused for the captcha (its solution was used meanwhile, say in another tab): the server's
  // words, next to the widget, and again a new challenge.
  await captchaApp.data.usedCaptchas.spend(second.signature, new Date(Date.now() + 3600_000))
  await page.getByLabel('Email').fill('ada.lovelace@example.com')
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.locator('#signup-captcha-error').filter({ hasText: 'The human check has already been used; each solution is good for one signup attempt' }).waitFor()
  t.match(await focused(page), /^altcha-checkbox-/, 'the box has the focus')
  await screenshot(page, 'signup-captcha-refused')
  const third = await captchaSolution(page, second.altcha)

  await page.getByRole('button', { name: 'Create account' }).click()
  await at(t, page, '/account.html', captchaURL)
  await accountShown(page)
  t.equal(await page.locator('#profile-email').textContent(), 'ada.lovelace@example.com')
  const { rows: used } = await db.query<{ signature: string }>('SELECT signature FROM used_captchas ORDER BY signature')
  t.same(used.map((row) => row.signature), [first.signature, second.signature, third.signature].sort(), 'one solution per attempt')
  assertClean(t, watch, { expectedStatuses: [400, 409], tokens: [(await storedTokens(page)).session ?? ''] })
})

t.test('log in with the keyboard alone, log out, and the account page is closed until the next login', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  await page.goto('/')
  await at(t, page, '/login.html')
  await screenshot(page, 'login')

  await page.getByLabel('Email').focus()
  await page.keyboard.type('ada@example.com')
  await page.keyboard.press('Tab')
  await page.keyboard.type(PASSWORD)
  await page.keyboard.press('Enter')
  await at(t, page, '/account.html')
  await accountShown(page)
  t.equal(await page.locator('#profile-name').textContent(), 'Ada Lovelace')
  const { session: token } = await storedTokens(page)
  await screenshot(page, 'account')

  await page.getByRole('button', { name: 'Log out', exact: true }).click()
  await at(t, page, '/login.html')
  t.equal(await page.locator('#notice').textContent(), 'You have logged out.')
  t.same(await storedTokens(page), { session: null, local: null }, 'the token is gone')
  const revoked = await app.inject({ url: '/api/v1/users/me', headers: auth(token ?? '') })
  t.equal(revoked.statusCode, 401, 'and revoked on the server')

  await page.goto('/account.html')
  await at(t, page, '/login.html')
  t.equal(await page.locator('#notice').textContent(), 'Please log in to see your account.')
  // The account page's old address leads there too, and so on here.
  await page.goto('/stats.html')
  await at(t, page, '/login.html')
  t.equal(await page.locator('#notice').textContent(), 'Please log in to see your account.')

  await logIn(page, 'ada@example.com', PASSWORD)
  await at(t, page, '/account.html')
  await accountShown(page)
  const old = await page.goto('/stats.html')
  t.equal(old?.request().redirectedFrom()?.url(), `${baseURL}/stats.html`, 'the server redirected the old address')
  await at(t, page, '/account.html')
  await accountShown(page)
  t.equal(await page.locator('#profile-name').textContent(), 'Ada Lovelace', 'an old link or bookmark shows the account')
  assertClean(t, watch, { tokens: [token ?? ''] })
})

/** The login page's messages that are showing now, as their text. */
async function shownMessages (page: Page): Promise<string[]> {
  const shown: string[] = []
  for (const message of await page.locator('#notice, #login-form .form-error, #lock, #login-form .field-error').all()) {
    if (await message.isVisible()) shown.push((await message.innerText()).trim())
  }
  return shown
}

t.test('the login page says one thing at a time, and the password can be shown and hidden with the keyboard', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  let logins = 0
  page.on('request', (request) => { if (new URL(request.url()).pathname === '/api/v1/users/login') logins += 1 })
  await logIn(page, 'ada@example.com', PASSWORD)
  await accountShown(page)
  await page.getByRole('button', { name: 'Log out', exact: true }).click()
  await at(t, page, '/login.html')
  t.same(await shownMessages(page), ['You have logged out.'])

  await page.getByLabel('Email').fill('ada@example.com')
  await page.getByLabel('Password', { exact: true }).fill('not-my-password')
  await page.keyboard.press('Enter')
  await page.locator('#login-form .form-error').filter({ hasText: 'The email or password is not right' }).waitFor()
  t.same(await shownMessages(page), ['The email or password is not right. Check both and try again.'],
    'the new message replaces the notice')
  t.equal(await page.getByRole('status').count(), 0, 'the notice is gone, not just covered')
  await screenshot(page, 'login-wrong-password')

  await page.getByLabel('Password', { exact: true }).fill('')
  await page.getByRole('button', { name: 'Log in' }).click()
  t.same(await shownMessages(page), ['Password is required'], 'and the next replaces that one')
  t.equal(logins, 2, 'that one from the browser alone')

  // The toggle comes right after the field; Space shows the password, Enter hides it again.
  const password = page.getByLabel('Password', { exact: true })
  const toggle = page.getByRole('button', { name: 'Show password', exact: true })
  t.equal(await toggle.getAttribute('aria-pressed'), 'false')
  t.equal(await toggle.getAttribute('aria-controls'), 'login-password')
  await password.focus()
  await page.keyboard.type(`${PASSWORD} `)
  await page.keyboard.press('Tab')
  t.equal(await focused(page), 'login-password-show', 'Tab reaches the toggle')
  t.equal(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle'), 'solid', 'with a visible focus ring')
  await page.keyboard.press('Space')
  t.equal(await toggle.getAttribute('aria-pressed'), 'true', 'pressed')
  t.equal(await password.getAttribute('type'), 'text', 'the password is shown')
  t.equal(await password.inputValue(), `${PASSWORD} `)
  await screenshot(page, 'login-password-shown')
  await page.keyboard.press('Enter')
  t.equal(await toggle.getAttribute('aria-pressed'), 'false', 'Enter presses it again, and does not submit the form')
  t.equal(await password.getAttribute('type'), 'password', 'hidden again')
  t.same(await shownMessages(page), [], 'the field\'s error went as it was typed in')
  t.equal(logins, 2, 'and nothing was sent')
  await page.keyboard.press('Space')

  // Shown or not, the password is sent as typed, its trailing space included: so it is refused.
  await password.press('Enter')
  await page.locator('#login-form .form-error').filter({ hasText: 'The email or password is not right' }).waitFor()
  await password.fill(PASSWORD)
  await password.press('Enter')
  await at(t, page, '/account.html')
  await accountShown(page)
  assertClean(t, watch, { expectedStatuses: [401] })
})

t.test('remember me keeps the session in a new tab and across reloads; without it a new tab starts logged out', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { context, page, watch } = await newPage(t)
  await logIn(page, 'ada@example.com', PASSWORD, { remember: true })
  await at(t, page, '/account.html')
  await accountShown(page)
  const tokens = await storedTokens(page)
  t.equal(tokens.session, null)
  t.ok(tokens.local?.startsWith('eyJ'), 'the long-lived token is kept on the device')
  const claims = JSON.parse(Buffer.from((tokens.local ?? '').split('.')[1], 'base64url').toString())
  t.equal(claims.exp - claims.iat, 30 * 86400, 'and it is the long-lived one')

  const tab = await context.newPage()
  await tab.goto('/login.html')
  await at(t, tab, '/account.html')
  await accountShown(tab)
  await tab.reload()
  await accountShown(tab)
  t.equal(await tab.locator('#profile-name').textContent(), 'Ada Lovelace')
  assertClean(t, watch, { tokens: [tokens.local ?? ''] })

  const other = await newPage(t)
  await logIn(other.page, 'ada@example.com', PASSWORD)
  await at(t, other.page, '/account.html')
  await accountShown(other.page)
  const otherTab = await other.context.newPage()
  await otherTab.goto('/account.html')
  await at(t, otherTab, '/login.html')
  t.equal(await otherTab.locator('#notice').textContent(), 'Please log in to see your account.')
  assertClean(t, other.watch)
})

t.test('editing the name and date of birth shows them after a reload', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  await logIn(page, 'ada@example.com', PASSWORD)
  await accountShown(page)

  await page.getByRole('button', { name: 'Save details' }).click()
  t.equal(await page.locator('#details-form .form-error').textContent(), 'Nothing has changed: edit a field first.')

  await page.getByLabel('First name').fill('  ')
  await page.getByRole('button', { name: 'Save details' }).click()
  t.equal(await page.locator('#details-first-name-error').textContent(), 'First name is required')

  await page.getByLabel('First name').fill('Augusta Ada')
  await page.getByLabel('Last name').fill('King')
  await page.getByLabel('Date of birth').fill('1985-12-10')
  await page.getByRole('button', { name: 'Save details' }).click()
  await page.locator('#status').filter({ hasText: 'Your details are saved.' }).waitFor()
  t.equal(await page.locator('#profile-name').textContent(), 'Augusta Ada King')

  await page.reload()
  await accountShown(page)
  t.equal(await page.locator('#profile-name').textContent(), 'Augusta Ada King')
  t.equal(await page.locator('#profile-dob').textContent(), 'December 10, 1985')
  t.equal(await page.getByLabel('First name').inputValue(), 'Augusta Ada')
  assertClean(t, watch)
})

t.test('changing the email and the password asks for the current password; then the new password logs in', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  await logIn(page, 'ada@example.com', PASSWORD)
  await accountShown(page)

  // Every password field of the page has its own toggle, named after the field.
  for (const [form, field] of [['#email-form', 'Current password'], ['#password-form', 'New password'],
    ['#password-form', 'Repeat new password'], ['#password-form', 'Current password']]) {
    const input = page.locator(form).getByLabel(field, { exact: true })
    const toggle = page.locator(form).getByRole('button', { name: `Show ${field.toLowerCase()}`, exact: true })
    t.equal(await toggle.getAttribute('aria-pressed'), 'false', field)
    await toggle.click()
    t.equal(await toggle.getAttribute('aria-pressed'), 'true', field)
    t.equal(await input.getAttribute('type'), 'text', `${field} is shown`)
  }
  await screenshot(page, 'account-passwords-shown')

  const emailForm = page.locator('#email-form')
  await emailForm.getByLabel('New email').fill('ada@lovelace.example')
  await emailForm.getByRole('button', { name: 'Change email' }).click()
  t.equal(await page.locator('#email-current-password-error').textContent(), 'Current password is required')
  await emailForm.getByLabel('Current password', { exact: true }).fill('not-my-password')
  await emailForm.getByRole('button', { name: 'Change email' }).click()
  await page.locator('#email-current-password-error').filter({ hasText: 'Current password is incorrect' }).waitFor()
  await emailForm.getByLabel('Current password', { exact: true }).fill(PASSWORD)
  await emailForm.getByRole('button', { name: 'Change email' }).click()
  // The new address is the account's once the link mailed to it is followed (test/e2e/email-pages.test.ts).
  await page.locator('#status').filter({ hasText: 'follow the link we mailed to your new address' }).waitFor()
  t.equal(await page.locator('#profile-email').textContent(), 'ada@example.com')
  await page.getByText(/Waiting for you to confirm ada@lovelace\.example/).waitFor()

  const passwordForm = page.locator('#password-form')
  await passwordForm.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
  await passwordForm.getByLabel('Repeat new password', { exact: true }).fill(`${NEW_PASSWORD}!`)
  await passwordForm.getByLabel('Current password', { exact: true }).fill(PASSWORD)
  await passwordForm.getByRole('button', { name: 'Change password' }).click()
  t.equal(await page.locator('#password-repeat-error').textContent(), 'Repeat new password does not match')
  await passwordForm.getByLabel('Repeat new password', { exact: true }).fill(NEW_PASSWORD)
  await passwordForm.getByRole('button', { name: 'Change password' }).click()
  await page.locator('#status').filter({ hasText: 'Your password is changed.' }).waitFor()
  t.equal(await passwordForm.getByLabel('New password', { exact: true }).inputValue(), '', 'the form is emptied')
  t.equal(await passwordForm.getByLabel('New password', { exact: true }).getAttribute('type'), 'password', 'and hidden again')
  const pressed: Array<string | null> = []
  for (const toggle of await passwordForm.getByRole('button', { name: /^Show / }).all()) pressed.push(await toggle.getAttribute('aria-pressed'))
  t.same(pressed, ['false', 'false', 'false'], 'its toggles are released')
  t.equal(await emailForm.getByLabel('Current password', { exact: true }).getAttribute('type'), 'password', 'the email form too')

  await page.getByRole('button', { name: 'Log out', exact: true }).click()
  await at(t, page, '/login.html')
  await logIn(page, 'ada@example.com', PASSWORD)
  await page.locator('#login-form .form-error').filter({ hasText: 'The email or password is not right' }).waitFor()
  await logIn(page, 'ada@example.com', NEW_PASSWORD)
  await at(t, page, '/account.html')
  await accountShown(page)
  assertClean(t, watch, { expectedStatuses: [401] })
})

t.test('deleting the account asks first, then ends at the login page, where the old credentials fail', async (t) => {
  const { user } = await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  await logIn(page, 'ada@example.com', PASSWORD)
  await accountShown(page)

  await page.getByRole('button', { name: 'Delete my account…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' })
  await dialog.waitFor()
  t.equal(await focused(page), 'delete-cancel', 'the safe choice has the focus')
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'hidden' })
  await page.getByRole('button', { name: 'Delete my account…' }).click()
  await dialog.getByRole('button', { name: 'Keep my account' }).click()
  await dialog.waitFor({ state: 'hidden' })
  const { rows: kept } = await db.query('SELECT id FROM users WHERE id = $1', [user.id])
  t.equal(kept.length, 1, 'nothing is deleted without confirmation')

  await page.getByRole('button', { name: 'Delete my account…' }).click()
  await screenshot(page, 'account-delete-dialog', { fullPage: false })
  await dialog.getByRole('button', { name: 'Delete permanently' }).click()
  await at(t, page, '/login.html')
  t.equal(await page.locator('#notice').textContent(), 'Your account has been deleted.')
  t.same(await storedTokens(page), { session: null, local: null })
  const { rows: gone } = await db.query('SELECT id FROM users WHERE id = $1', [user.id])
  t.equal(gone.length, 0)

  await logIn(page, 'ada@example.com', PASSWORD)
  await page.locator('#login-form .form-error').filter({ hasText: 'The email or password is not right' }).waitFor()
  await at(t, page, '/login.html')
  assertClean(t, watch, { expectedStatuses: [401] })
})

t.test('the genetic results show as a readable table with the policy; the page fits a phone', async (t) => {
  const { user } = await signUp(app, { email: 'ada@example.com' })
  await db.query('INSERT INTO genetic_profiles (user_id, policy, genetic_result) VALUES ($1, $2, $3)', [
    user.id, 'POL-2024-000123',
    JSON.stringify({ BRCA1: 'negative', APOE: 'e3/e4', lactose_intolerance: false, variants: ['rs429358', 'rs7412'], MTHFR: { C677T: 'heterozygous', risk: 1.4 } })
  ])
  const { page, watch } = await newPage(t)
  await logIn(page, 'ada@example.com', PASSWORD)
  await accountShown(page)
  t.equal(await page.locator('#profile-policy').textContent(), 'POL-2024-000123')
  t.notOk(await page.getByText('No results yet').isVisible())

  const rows = page.locator('#results table tbody tr')
  t.equal(await rows.count(), 5)
  const table: Array<[string, string]> = []
  for (const row of await rows.all()) table.push([await row.locator('th').innerText(), await row.locator('td').innerText()])
  t.same(table, [
    ['APOE', 'e3/e4'],
    ['BRCA1', 'negative'],
    ['lactose intolerance', 'no'],
    ['MTHFR', 'C677T\nheterozygous\nrisk\n1.4'],
    ['variants', 'rs429358\nrs7412']
  ], 'one row per marker, in alphabetical order, nested values spelled out')
  t.notMatch(await page.locator('#results').innerText(), /[{}"]/, 'no raw JSON')
  t.same(await page.locator('#results thead th').allInnerTexts(), ['Marker', 'Result'])
  await screenshot(page, 'account-results')

  await page.setViewportSize({ width: 360, height: 740 })
  await page.reload()
  await accountShown(page)
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')
  t.equal(overflow, 0, 'nothing sticks out sideways at phone width')
  await screenshot(page, 'account-phone')

  await db.query("UPDATE genetic_profiles SET genetic_result = '{}' WHERE user_id = $1", [user.id])
  await page.reload()
  await accountShown(page)
  t.ok(await page.getByText('No results yet').isVisible(), 'an empty result is no result')
  t.equal(await page.locator('#results table').count(), 0)
  assertClean(t, watch)
})

t.test('a revoked or expired token sends the person to the login page with a message', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const laptop = await newPage(t)
  const phone = await newPage(t)
  for (const { page } of [laptop, phone]) {
    await logIn(page, 'ada@example.com', PASSWORD)
    await accountShown(page)
  }

  await laptop.page.getByRole('button', { name: 'Log out of all devices' }).click()
  await at(t, laptop.page, '/login.html')
  t.equal(await laptop.page.locator('#notice').textContent(), 'You have logged out of all your devices.')

  // The phone's page is still open; its next request finds the session gone.
  await phone.page.getByLabel('First name').fill('Augusta')
  await phone.page.getByRole('button', { name: 'Save details' }).click()
  await at(t, phone.page, '/login.html')
  t.equal(await phone.page.locator('#notice').textContent(), 'Your session has ended. Please log in again.')
  t.same(await storedTokens(phone.page), { session: null, local: null }, 'the dead token is dropped')

  await logIn(phone.page, 'ada@example.com', PASSWORD)
  await accountShown(phone.page)
  await db.query("UPDATE sessions SET expires_at = now() - interval '1 second'")
  await phone.page.reload()
  await at(t, phone.page, '/login.html')
  t.equal(await phone.page.locator('#notice').textContent(), 'Your session has ended. Please log in again.')
  assertClean(t, laptop.watch)
  assertClean(t, phone.watch, { expectedStatuses: [401] })
})

t.test('wrong credentials do not say which was wrong; after three the account is locked, with a countdown', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  const message = page.locator('#login-form .form-error')
  const button = page.getByRole('button', { name: 'Log in' })

  await logIn(page, 'nobody@example.com', PASSWORD)
  await message.filter({ hasText: 'The email or password is not right' }).waitFor()
  const unknownEmail = await message.textContent()
  for (let attempt = 1; attempt <= 3; attempt++) {
    await logIn(page, 'ada@example.com', `wrong-password-${attempt}`)
    await message.filter({ hasText: 'The email or password is not right' }).waitFor()
    t.equal(await message.textContent(), unknownEmail, 'the same words for a wrong password as for an unknown email')
  }

  // Locked now: even the right password is refused until the lock ends.
  await logIn(page, 'ada@example.com', PASSWORD)
  const lock = page.locator('#lock')
  await lock.waitFor({ state: 'visible' })
  t.match(await lock.innerText(), /This account is locked/)
  t.ok(await button.isDisabled(), 'the button is disabled while locked')
  const countdown = page.locator('#lock-countdown')
  const first = await countdown.textContent()
  t.match(first, /^0:0[1-4]$/)
  await screenshot(page, 'login-locked')
  // (waitForFunction would evaluate a string in the page, which its CSP rightly forbids.)
  await page.locator('#lock-countdown', { hasNotText: first ?? '' }).waitFor()
  t.ok(await button.isDisabled(), 'still disabled while counting down')

  await lock.waitFor({ state: 'hidden' })
  t.ok(await button.isEnabled(), 'enabled again when the lock ends')
  await button.click()
  await at(t, page, '/account.html')
  await accountShown(page)
  assertClean(t, watch, { expectedStatuses: [401, 429] })
})

t.test('Swagger UI renders at /docs under its own policy, with no CSP violation', async (t) => {
  const { page, watch } = await newPage(t)
  await page.goto('/docs')
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'dna-api' }).waitFor()
  await page.locator('.opblock-summary-path', { hasText: '/api/v1/users/me' }).first().waitFor()
  await screenshot(page, 'docs')

  // "Try it out" calls the API from the page, which its connect-src must allow.
  const health = page.locator('.opblock', { has: page.locator('.opblock-summary-path', { hasText: /^\/health$/ }) })
  await health.locator('.opblock-summary').click()
  await health.getByRole('button', { name: 'Try it out' }).click()
  await health.getByRole('button', { name: 'Execute' }).click()
  await health.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor()
  assertClean(t, watch)
})

t.test('the account page downloads my data and says, in words, who has seen my results', async (t) => {
  const { user } = await signUp(app, { email: 'ada@example.com' })
  const grace = await signUp(app, { first_name: 'Grace', last_name: 'Hopper' })
  await db.query("UPDATE users SET role = 'admin' WHERE id = $1", [grace.user.id])
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [user.id])
  const genetics = await app.inject({ method: 'PUT', url: `/api/v1/users/${user.id}/genetics`, headers: auth(grace.token), payload: { genetic_result: { BRCA1: 'negative' }, policy: 'POL-1' } })
  t.equal(genetics.statusCode, 200)
  t.equal((await app.inject({ url: `/api/v1/users/${user.id}`, headers: auth(grace.token) })).statusCode, 200)

  const { page, watch } = await newPage(t)
  await logIn(page, 'ada@example.com', PASSWORD)
  await accountShown(page)
  const accesses = page.locator('#accesses li')
  await accesses.nth(1).waitFor()
  const lines = await accesses.allInnerTexts()
  t.equal(lines.length, 2)
  t.match(lines[0], /^Grace Hopper \(laboratory\) viewed your genetic results on [A-Z][a-z]+ \d{1,2}, \d{4} at \d\d:\d\d/, 'newest first')
  t.match(lines[1], /^Grace Hopper \(laboratory\) updated your genetic results on /)

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my data' }).click()])
  t.match(download.suggestedFilename(), new RegExp(`^dna-api-export-${user.id}-\\d{4}-\\d\\d-\\d\\d\\.json$`))
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'))
  t.same(Object.keys(exported), ['exported_at', 'user', 'genetic_profile', 'sessions', 'passkeys', 'audit'])
  t.equal(exported.genetic_profile.policy, 'POL-1')
  await page.getByText('Your data has been downloaded.').waitFor()
  assertClean(t, watch)
})
