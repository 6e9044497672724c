// The staff console in a real browser (Debian's Chromium, headless, through playwright-core),
// against the app listening in this process: an admin finds a customer, attaches a result and then
// a policy number, the customer sees both, the admin changes roles and reads what they did in the
// audit log; a non-admin is sent away; two admins editing one profile; a customer deleted and an
// admin demoted meanwhile. Every test fails on a console error or a CSP violation.
import { existsSync, mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core'
import { withCipher } from '../../src/db/database.js'
import { open, type StoredHealthData } from '../../src/db/health-data.js'
import { PASSWORD, resetData, signUp, signUpAdmin, buildTestApp, testDatabase } from '../helper.js'

const CHROMIUM = '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium`)
const SCREENSHOTS = mkdtempSync(join(tmpdir(), 'dna-api-admin-console-'))
t.comment(`screenshots in ${SCREENSHOTS}`)

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
await app.listen({ port: 0, host: '127.0.0.1' })
const baseURL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
})
t.teardown(async () => await browser.close())
t.beforeEach(async () => { await resetData(db) })

const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (event) => {
  console.error('CSP violation: ' + event.effectiveDirective + ' blocked ' + event.blockedURI)
})`

interface Watch { errors: string[] }

function consoleError (message: ConsoleMessage): string {
  const text = message.text()
  return text.startsWith('Failed to load resource') ? `${text} <- ${message.location().url}` : text
}

async function newPage (t: Test, width = 1280): Promise<{ page: Page, context: BrowserContext, watch: Watch }> {
  const context = await browser.newContext({ baseURL, locale: 'en-US', viewport: { width, height: 900 } })
  t.teardown(async () => await context.close())
  context.setDefaultTimeout(10_000)
  await context.addInitScript(REPORT_CSP_VIOLATIONS)
  const watch: Watch = { errors: [] }
  context.on('page', (page) => {
    page.on('console', (message) => { if (message.type() === 'error') watch.errors.push(consoleError(message)) })
    page.on('pageerror', (error) => watch.errors.push(`page error: ${error.message}`))
  })
  return { page: await context.newPage(), context, watch }
}

/** No console error and no CSP violation, but for the failed API answers the test provoked on purpose. */
function assertClean (t: Test, watch: Watch, expectedStatuses: number[] = []): void {
  const unexpected = watch.errors.filter((text) => {
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text)
    return failed === null || !expectedStatuses.includes(Number(failed[1]))
  })
  t.same(unexpected, [], 'no console errors and no CSP violations')
}

async function logIn (page: Page, email: string): Promise<void> {
  await page.goto('/login.html')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
  await page.locator('#account').waitFor({ state: 'visible' })
}

/** Logs in and opens the console, as staff do: through the link on their account page. */
async function openConsole (page: Page, email: string): Promise<void> {
  await logIn(page, email)
  await page.getByRole('link', { name: 'Staff console' }).click()
  await page.waitForURL(`${baseURL}/admin.html`)
  await page.getByRole('heading', { name: 'Staff console' }).waitFor()
  await page.locator('#console').waitFor({ state: 'visible' })
}

async function findAndOpen (page: Page, emailPart: string, name: string): Promise<void> {
  await page.getByLabel('Email contains').fill(emailPart)
  await page.getByRole('button', { name: 'Search' }).click()
  await page.getByRole('button', { name: new RegExp(`^Open ${name}`) }).click()
  await page.getByRole('heading', { name, level: 2 }).waitFor()
}

async function verified (id: number): Promise<void> {
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [id])
}

/** The stored profile, its values opened with the service's keys (they are stored encrypted). */
async function profile (id: number): Promise<{ policy: string | null, genetic_result: unknown } | undefined> {
  const { rows } = await db.query<StoredHealthData>(
    'SELECT policy, policy_key_id, genetic_result, genetic_result_key_id FROM genetic_profiles WHERE user_id = $1', [id])
  if (rows.length === 0) return undefined
  const [row] = rows
  const sealed = withCipher(db, app.dataCipher)
  return {
    policy: row.policy === null ? null : open(sealed, row.policy, row.policy_key_id, id),
    genetic_result: row.genetic_result === null ? null : JSON.parse(open(sealed, row.genetic_result, row.genetic_result_key_id, id))
  }
}

const text = async (page: Page, selector: string): Promise<string> => (await page.locator(selector).textContent()) ?? ''
const RESULT = { BRCA1: 'negative', APOE: 'e3/e3' }
/** RESULT pretty-printed as the console shows it once saved: the keys in the order the admin sent them. */
const RESULT_AS_KEPT = JSON.stringify(RESULT, null, 2)

t.test('an admin finds a customer, attaches a result, then a policy, changes roles and reads the audit log', async (t) => {
  await signUpAdmin(app, db, { email: 'grace@staff.example.org', first_name: 'Grace', last_name: 'Hopper' })
  const ada = await signUp(app, { email: 'ada.lovelace@example.com', first_name: 'Ada', last_name: 'Lovelace' })
  await verified(ada.user.id)
  const others: number[] = []
  for (let i = 0; i < 11; i++) {
    others.push((await signUp(app, { email: `customer${i}@example.com`, first_name: 'Charles', last_name: `Babbage${String.fromCharCode(65 + i)}` })).user.id)
  }
  const { page, watch } = await newPage(t)

  await openConsole(page, 'grace@staff.example.org')
  t.ok(await page.getByText('Grace Hopper searched').count() === 0, 'nothing searched yet')

  // Find: a substring as typed, whatever its case.
  await page.getByLabel('Email contains').fill('LOVELACE')
  await page.getByLabel('Email contains').press('Enter')
  await page.locator('#search-summary').filter({ hasText: 'Customers 1 to 1 whose email contains “LOVELACE”, page 1.' }).waitFor()
  const row = page.getByRole('row', { name: /ada\.lovelace@example\.com/ })
  t.same(await row.getByRole('cell').allTextContents(),
    ['Ada Lovelace', 'ada.lovelace@example.com', 'Yes', 'Customer', 'No result', 'No policy', await row.getByRole('cell').nth(6).textContent(), 'Open'])
  await page.getByLabel('Email contains').fill('nobody-has-this')
  await page.getByRole('button', { name: 'Search' }).click()
  await page.getByText('No customer\'s email contains “nobody-has-this”.').waitFor()

  // Keyset pages, forwards and back.
  await page.getByLabel('Email contains').fill('@example.com')
  await page.getByRole('button', { name: 'Search' }).click()
  await page.getByText('Customers 1 to 10 whose email contains “@example.com”, page 1.').waitFor()
  t.notOk(await page.getByRole('button', { name: 'Previous page' }).isVisible(), 'no previous page on the first')
  await page.getByRole('button', { name: 'Next page' }).click()
  await page.getByText('Customers 11 to 12 whose email contains “@example.com”, page 2.').waitFor()
  t.notOk(await page.getByRole('button', { name: 'Next page' }).isVisible(), 'the last page')
  await page.getByRole('button', { name: 'Previous page' }).click()
  await page.getByText('Customers 1 to 10 whose email contains “@example.com”, page 1.').waitFor()

  await findAndOpen(page, 'lovelace', 'Ada Lovelace')
  t.equal(await page.evaluate('document.activeElement.id'), 'customer-heading', 'the focus moves to the customer opened')
  t.equal(await page.getByRole('row', { name: /ada\.lovelace/ }).getAttribute('aria-current'), 'true', 'their row is marked open')
  t.equal(await text(page, '#customer-verified'), 'Yes')
  t.equal(await text(page, '#customer-sessions'), '1 live session')
  t.equal(await text(page, '#genetics-changed'), 'No genetic result or policy number yet.')
  const editor = page.getByLabel('Genetic result (a JSON object)')

  // Bad input: the message next to the editor, nothing saved.
  await editor.fill('{"BRCA1": ')
  await page.getByRole('button', { name: 'Save genetic result' }).click()
  t.match(await text(page, '#result-error'), /^Genetic result is not valid JSON: /)
  t.equal(await editor.getAttribute('aria-invalid'), 'true')
  await editor.fill('["BRCA1", "negative"]')
  await page.getByRole('button', { name: 'Save genetic result' }).click()
  await page.locator('#result-error').filter({ hasText: 'Genetic result must be an object' }).waitFor()
  t.equal(await profile(ada.user.id), undefined, 'nothing saved')

  // The result alone.
  await editor.fill(JSON.stringify(RESULT))
  await page.getByRole('button', { name: 'Save genetic result' }).click()
  await page.locator('#status').filter({ hasText: 'The genetic result is saved.' }).waitFor()
  t.equal(await editor.inputValue(), RESULT_AS_KEPT, 'pretty-printed')
  t.equal(await text(page, '#result-error'), '')
  t.match(await text(page, '#genetics-changed'), /^Genetic profile last changed by you \(Grace Hopper\), just now \(/)
  t.same(await profile(ada.user.id), { policy: null, genetic_result: RESULT })
  t.equal(await text(page, '#policy-input'), '')

  // Undo puts back what is saved.
  await editor.fill('{"BRCA1": "typo')
  await page.getByRole('button', { name: 'Undo changes' }).click()
  t.equal(await editor.inputValue(), RESULT_AS_KEPT)

  // Then the policy number alone.
  const policy = page.getByLabel('Policy number')
  await policy.fill('POL\u00072024')
  await page.getByRole('button', { name: 'Save policy number' }).click()
  await page.locator('#policy-error')
    .filter({ hasText: 'Policy number must be 1 to 128 printable ASCII characters, not starting or ending with a space' }).waitFor()
  t.same(await profile(ada.user.id), { policy: null, genetic_result: RESULT }, 'refused, nothing changed')
  await policy.fill('POL-2024-000123')
  await page.getByRole('button', { name: 'Save policy number' }).click()
  await page.locator('#status').filter({ hasText: 'The policy number is saved.' }).waitFor()
  t.same(await profile(ada.user.id), { policy: 'POL-2024-000123', genetic_result: RESULT }, 'the result stayed')
  t.equal(await page.getByRole('row', { name: /ada\.lovelace/ }).getByRole('cell').nth(5).textContent(), 'Has policy', 'the results follow')
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-desktop.png'), fullPage: true })

  // The customer sees both, in a browser of their own.
  const customer = await newPage(t, 360)
  await logIn(customer.page, 'ada.lovelace@example.com')
  t.equal(await text(customer.page, '#profile-policy'), 'POL-2024-000123')
  t.same(await customer.page.locator('#results tbody th').allTextContents(), ['APOE', 'BRCA1'])
  t.same(await customer.page.locator('#results tbody td').allTextContents(), ['e3/e3', 'negative'])
  t.notOk(await customer.page.getByRole('link', { name: 'Staff console' }).isVisible(), 'no console link for a customer')
  assertClean(t, customer.watch)

  // Roles: the last admin cannot demote themself; a customer can be made staff.
  await findAndOpen(page, 'grace@', 'Grace Hopper')
  await page.getByLabel('Role').selectOption('user')
  await page.getByRole('button', { name: 'Change role' }).click()
  await page.locator('#role-error').filter({ hasText: 'This is the last admin account: make another user an admin first.' }).waitFor()
  await findAndOpen(page, 'lovelace', 'Ada Lovelace')
  await page.getByLabel('Role').selectOption('admin')
  await page.getByRole('button', { name: 'Change role' }).click()
  await page.locator('#status').filter({ hasText: 'Ada Lovelace\'s role is now Staff (admin), changed by you just now.' }).waitFor()
  t.equal(await text(page, '#customer-role'), 'Staff (admin)')
  const { rows } = await db.query('SELECT role FROM users WHERE id = $1', [ada.user.id])
  t.same(rows, [{ role: 'admin' }])

  // The audit trail of Ada, in words, newest first.
  const trail = page.locator('#customer-audit li')
  await trail.filter({ hasText: 'Grace Hopper changed Ada Lovelace\'s role, just now' }).waitFor()
  t.same((await trail.allTextContents()).slice(0, 5), [
    'Grace Hopper changed Ada Lovelace\'s role, just now',
    'Grace Hopper read Ada Lovelace\'s genetic profile, just now',
    'Grace Hopper set Ada Lovelace\'s policy number, just now',
    'Grace Hopper set Ada Lovelace\'s genetic result, just now',
    'Grace Hopper read Ada Lovelace\'s genetic profile, just now'
  ])

  // The whole log, filtered by who acted.
  await page.getByLabel('Show').selectOption('actor')
  await page.getByLabel('Their email').fill('ada.lovelace@example.com')
  await page.getByRole('button', { name: 'Show entries' }).click()
  await page.locator('#audit-results').filter({ hasText: 'Ada Lovelace has done nothing recorded yet.' }).waitFor()
  await page.getByLabel('Their email').fill('GRACE@staff.example.org')
  await page.getByRole('button', { name: 'Show entries' }).click()
  const log = page.locator('#audit-results li')
  await log.first().filter({ hasText: 'Grace Hopper searched the customer list' }).waitFor()
  const newest = await log.allTextContents()
  t.equal(newest.length, 10, 'a page')
  t.ok(newest.every((entry) => entry.startsWith('Grace Hopper ')), 'only what Grace did')
  t.ok(newest.includes('Grace Hopper set Ada Lovelace\'s genetic result, just now'))
  await page.getByRole('button', { name: 'Older entries' }).click()
  // Both pages begin with a search: the way back appearing says the older page is shown.
  await page.locator('#audit-newer').waitFor()
  t.same(await log.allTextContents(), Array(5).fill('Grace Hopper searched the customer list, just now'), 'her first five searches')
  t.notOk(await page.getByRole('button', { name: 'Older entries' }).isVisible(), 'the oldest page')
  await page.getByRole('button', { name: 'Newer entries' }).click()
  await page.locator('#audit-newer').waitFor({ state: 'hidden' })
  t.same(await log.allTextContents(), newest, 'back to the newest page')
  await page.getByLabel('Show').selectOption('target')
  await page.getByLabel('Their email').fill('nobody@example.com')
  await page.getByRole('button', { name: 'Show entries' }).click()
  await page.locator('#audit-email-error').filter({ hasText: 'No account has the email nobody@example.com' }).waitFor()

  // Delete, behind a dialog that wants the email typed.
  await findAndOpen(page, 'customer0@', 'Charles BabbageA')
  await page.getByRole('button', { name: 'Delete this account…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Delete Charles BabbageA\'s account?' })
  await dialog.getByLabel('Type the customer\'s email to confirm').fill('customer1@example.com')
  t.ok(await dialog.getByRole('button', { name: 'Delete permanently' }).isDisabled(), 'not with another email')
  await dialog.getByLabel('Type the customer\'s email to confirm').fill('Customer0@example.com')
  await dialog.getByRole('button', { name: 'Delete permanently' }).click()
  await page.locator('#status').filter({ hasText: 'Charles BabbageA\'s account has been deleted.' }).waitFor()
  t.notOk(await page.locator('#customer').isVisible())
  t.same((await db.query('SELECT 1 FROM users WHERE email = $1', ['customer0@example.com'])).rows, [])
  // Once deleted, an account has no name any more: the log keeps its number only.
  await page.locator('#audit-results li').first().filter({ hasText: `Grace Hopper deleted account #${others[0]}, just now` }).waitFor()

  assertClean(t, watch, [400, 409])
})

t.test('at 360 px: one column, nothing wider than the screen, the open customer on top of their section', async (t) => {
  await signUpAdmin(app, db, { email: 'grace@staff.example.org', first_name: 'Grace', last_name: 'Hopper' })
  const ada = await signUp(app, { email: 'ada.lovelace@example.com' })
  await verified(ada.user.id)
  // A profile written before encryption (no key ids): the console reads it as it is.
  await db.query("INSERT INTO genetic_profiles (user_id, policy, genetic_result) VALUES ($1, 'POL-1', '{\"BRCA1\": \"negative\"}')", [ada.user.id])
  const { page, watch } = await newPage(t, 360)
  await openConsole(page, 'grace@staff.example.org')
  await page.getByLabel('Email contains').fill('example.com')
  await page.getByRole('button', { name: 'Search' }).click()
  await page.getByRole('button', { name: /^Open Ada Lovelace/ }).click()
  await page.getByRole('heading', { name: 'Ada Lovelace', level: 2 }).waitFor()
  t.equal(await page.evaluate('document.documentElement.scrollWidth'), 360, 'no sideways scrolling')
  t.equal(await page.getByLabel('Genetic result (a JSON object)').inputValue(), JSON.stringify({ BRCA1: 'negative' }, null, 2))
  // Every control can be reached and used from the keyboard.
  await page.getByLabel('Policy number').focus()
  await page.keyboard.press('Tab')
  t.equal(await page.evaluate('document.activeElement.textContent'), 'Save policy number')
  t.equal(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'), 'solid', 'with a visible focus')
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-360.png'), fullPage: true })
  await page.getByRole('heading', { name: 'Ada Lovelace', level: 2 }).scrollIntoViewIfNeeded()
  await page.screenshot({ path: join(SCREENSHOTS, 'admin-360-customer.png') })
  assertClean(t, watch)
})

t.test('a customer who opens the console is sent to their account page, with a message', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const { page, watch } = await newPage(t)
  await logIn(page, 'ada@example.com')
  t.notOk(await page.getByRole('link', { name: 'Staff console' }).isVisible())
  await page.goto('/admin.html')
  await page.waitForURL(`${baseURL}/account.html`)
  await page.locator('#status').filter({ hasText: 'The staff console is for staff only, and your account is not a staff account.' }).waitFor()
  await page.goto('/admin.html')
  await page.waitForURL(`${baseURL}/account.html`)
  assertClean(t, watch)

  const { page: anonymous, watch: anonymousWatch } = await newPage(t)
  await anonymous.goto('/admin.html')
  await anonymous.waitForURL(`${baseURL}/login.html`)
  await anonymous.getByText('Please log in to use the staff console.').waitFor()
  assertClean(t, anonymousWatch)
})

t.test('two admins edit one profile: the later save is refused with a sentence, not written over the first', async (t) => {
  await signUpAdmin(app, db, { email: 'grace@staff.example.org', first_name: 'Grace', last_name: 'Hopper' })
  await signUpAdmin(app, db, { email: 'katherine@staff.example.org', first_name: 'Katherine', last_name: 'Johnson' })
  const ada = await signUp(app, { email: 'ada.lovelace@example.com' })
  await verified(ada.user.id)
  const grace = await newPage(t)
  const katherine = await newPage(t)
  await openConsole(grace.page, 'grace@staff.example.org')
  await openConsole(katherine.page, 'katherine@staff.example.org')
  await findAndOpen(grace.page, 'lovelace', 'Ada Lovelace')
  await findAndOpen(katherine.page, 'lovelace', 'Ada Lovelace')

  await grace.page.getByLabel('Policy number').fill('POL-GRACE')
  await grace.page.getByRole('button', { name: 'Save policy number' }).click()
  await grace.page.locator('#status').filter({ hasText: 'The policy number is saved.' }).waitFor()

  await katherine.page.getByLabel('Genetic result (a JSON object)').fill('{"BRCA1": "positive"}')
  await katherine.page.getByRole('button', { name: 'Save genetic result' }).click()
  await katherine.page.locator('#result-form .form-error').filter({
    hasText: 'Someone else changed this customer\'s genetic profile after you opened it, so your change was not saved. ' +
      'Reload to see their change, then make yours again.'
  }).waitFor()
  t.same(await profile(ada.user.id), { policy: 'POL-GRACE', genetic_result: null }, 'Grace\'s change stands')
  t.equal(await katherine.page.getByLabel('Genetic result (a JSON object)').inputValue(), '{"BRCA1": "positive"}', 'what Katherine typed is still there')

  await katherine.page.getByRole('button', { name: 'Reload' }).click()
  await katherine.page.locator('#genetics-changed').filter({ hasText: 'last changed by Grace Hopper' }).waitFor()
  t.equal(await katherine.page.getByLabel('Policy number').inputValue(), 'POL-GRACE')
  await katherine.page.getByLabel('Genetic result (a JSON object)').fill('{"BRCA1": "positive"}')
  await katherine.page.getByRole('button', { name: 'Save genetic result' }).click()
  await katherine.page.locator('#status').filter({ hasText: 'The genetic result is saved.' }).waitFor()
  t.same(await profile(ada.user.id), { policy: 'POL-GRACE', genetic_result: { BRCA1: 'positive' } })
  assertClean(t, grace.watch)
  assertClean(t, katherine.watch, [412])
})

t.test('a customer deleted meanwhile, and an admin demoted meanwhile', async (t) => {
  const grace = await signUpAdmin(app, db, { email: 'grace@staff.example.org', first_name: 'Grace', last_name: 'Hopper' })
  const ada = await signUp(app, { email: 'ada.lovelace@example.com' })
  await verified(ada.user.id)
  const { page, watch } = await newPage(t)
  await openConsole(page, 'grace@staff.example.org')
  await findAndOpen(page, 'lovelace', 'Ada Lovelace')

  await db.query('DELETE FROM users WHERE id = $1', [ada.user.id])
  await page.getByLabel('Policy number').fill('POL-1')
  await page.getByRole('button', { name: 'Save policy number' }).click()
  await page.locator('#customer-error').filter({ hasText: 'This account no longer exists.' }).waitFor()
  t.notOk(await page.getByLabel('Policy number').isVisible(), 'nothing left to edit')

  await db.query("UPDATE users SET role = 'user' WHERE id = $1", [grace.user.id])
  await page.getByRole('button', { name: 'Search' }).click()
  await page.waitForURL(`${baseURL}/account.html`)
  await page.locator('#status').filter({ hasText: 'Your account no longer has staff rights, so the staff console has closed.' }).waitFor()
  t.notOk(await page.getByRole('link', { name: 'Staff console' }).isVisible(), 'and the link is gone')
  assertClean(t, watch, [403, 404])
})
