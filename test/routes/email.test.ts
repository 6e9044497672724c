// Verification and change of address, end to end: the API queues the mail, a real SMTP server
// receives it, and the test follows the link as a person would.
import t from 'tap'
import { auth, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'
import { deliver, linkToken, mailingApp, mailServer } from '../mail-support.js'

const db = await testDatabase(t)
const smtp = await mailServer(t)
const app = await mailingApp(t, db, smtp)
t.beforeEach(async () => {
  await resetData(db)
  smtp.mails.length = 0
})

const me = async (token: string) => await app.inject({ url: '/api/v1/users/me', headers: auth(token) })
const confirm = async (path: string, token: unknown) =>
  await app.inject({ method: 'POST', url: `/api/v1/users/${path}/confirm`, payload: { token } })

t.test('signup mails a verification link; following it verifies the address', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  t.equal(ada.user.email_verified, false)
  t.equal(ada.user.pending_email, null)

  const [mail] = await deliver(app, smtp, 1)
  t.equal(mail.to, 'ada@example.com')
  t.equal(mail.from, '"dna-api" <no-reply@localhost>')
  t.match(mail.subject, /Confirm your email address for dna-api/)
  t.match(mail.text, /https:\/\/dna\.example\.com\/verify-email\.html#token=/)
  t.match(mail.text, /24 hours/)
  t.match(mail.text, /If you did not create this account/)
  t.match(mail.html, /<a href="https:\/\/dna\.example\.com\/verify-email\.html#token=/)
  t.notMatch(mail.html, /<img|src=/, 'no remote images')

  const confirmed = await confirm('email-verification', linkToken(mail, 'verify-email.html'))
  t.equal(confirmed.statusCode, 200)
  t.match(confirmed.json(), { id: ada.user.id, email: 'ada@example.com', email_verified: true })
  t.equal((await me(ada.token)).json().email_verified, true)

  const again = await confirm('email-verification', linkToken(mail, 'verify-email.html'))
  t.same(again.json(), { statusCode: 400, error: 'Bad Request', message: 'token is invalid or has expired' }, 'a used link is invalid')
})

t.test('a verification token is stored only as its SHA-256, and the sent mail keeps neither token nor address', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const [mail] = await deliver(app, smtp, 1)
  const token = linkToken(mail, 'verify-email.html')
  t.ok(Buffer.from(token, 'base64url').length >= 16, 'at least 128 random bits')
  const { rows: tokens } = await db.query<{ token_hash: string }>('SELECT token_hash FROM email_tokens')
  t.equal(tokens.length, 1)
  t.not(tokens[0].token_hash, token)
  const { rows: outbox } = await db.query('SELECT status, recipient, params FROM mail_outbox')
  t.same(outbox, [{ status: 'sent', recipient: null, params: null }])
})

t.test('garbage, expired, foreign and used tokens are refused and change nothing', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const [mail] = await deliver(app, smtp, 1)
  const token = linkToken(mail, 'verify-email.html')
  for (const bad of ['nonsense', 'x'.repeat(128), token.slice(0, -1)]) {
    const response = await confirm('email-verification', bad)
    t.equal(response.statusCode, 400, bad)
    t.equal(response.json().message, 'token is invalid or has expired')
  }
  t.equal((await confirm('email-verification', '')).statusCode, 400, 'empty')
  t.equal((await confirm('email-change', token)).statusCode, 400, 'a verification token does not confirm an email change')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/password-reset/confirm', payload: { token, password: 'amber-Lantern-58-orchard' } })).statusCode,
    400, 'nor reset a password')
  await db.query("UPDATE email_tokens SET expires_at = now() - interval '1 second'")
  t.equal((await confirm('email-verification', token)).statusCode, 400, 'expired')
  t.equal((await me(ada.token)).json().email_verified, false)
})

t.test('a verification link mailed to an old address does not verify a new one', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const admin = await signUpAdmin(app, db, { email: 'admin@example.com' })
  const [mail] = await deliver(app, smtp, 2)
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${ada.user.id}`, headers: auth(admin.token), payload: { email: 'other@example.com' } })).statusCode, 200)
  t.equal((await confirm('email-verification', linkToken(mail, 'verify-email.html'))).statusCode, 400)
  // The admin's change of address ended Ada's sessions, as any change of address does: read the row.
  const { rows } = await db.query<{ email_verified: boolean }>('SELECT email_verified FROM users WHERE id = $1', [ada.user.id])
  t.same(rows, [{ email_verified: false }])
})

t.test('a new verification mail on request: 202, at most one a minute, 409 once verified', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const request = async () => await app.inject({ method: 'POST', url: '/api/v1/users/me/email-verification', headers: auth(ada.token) })
  const first = await request()
  t.equal(first.statusCode, 202)
  t.match(first.json(), { message: /verification link/ })
  const second = await request()
  t.equal(second.statusCode, 429)
  t.ok(Number(second.headers['retry-after']) > 0 && Number(second.headers['retry-after']) <= 60)
  t.match(second.json().message, /at most 1 verification mail a minute/)

  const mails = await deliver(app, smtp, 2)
  t.equal(smtp.mails.length, 2, 'the signup mail and one more')
  t.equal((await confirm('email-verification', linkToken(mails[1], 'verify-email.html'))).statusCode, 200)
  const verified = await request()
  t.equal(verified.statusCode, 409)
  t.equal(verified.json().message, 'email is already verified')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/me/email-verification' })).statusCode, 401)
})

t.test('at most five verification mails an hour', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/users/me/email-verification', headers: auth(ada.token) })
    statuses.push(response.statusCode)
    if (i === 5) t.match(response.json().message, /at most 5 verification mails an hour/)
    // As if the minute had passed.
    await db.query("UPDATE rate_limits SET expires_at = now() WHERE expires_at < now() + interval '61 seconds'")
  }
  t.same(statuses, [202, 202, 202, 202, 202, 429])
})

t.test('an email change waits for the new address: link to it, notice to the old one, then the switch', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const other = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  const otherToken = other.json().jwt_token as string
  await deliver(app, smtp, 1)

  const changed = await app.inject({
    method: 'PATCH', url: '/api/v1/users/me', headers: auth(ada.token), payload: { email: 'ada.king@example.com', current_password: PASSWORD }
  })
  t.equal(changed.statusCode, 200)
  t.match(changed.json(), { email: 'ada@example.com', pending_email: 'ada.king@example.com' })
  const mails = (await deliver(app, smtp, 3)).slice(1)
  const link = mails.find((mail) => mail.to === 'ada.king@example.com')
  const notice = mails.find((mail) => mail.to === 'ada@example.com')
  t.ok(link !== undefined && notice !== undefined)
  t.match(notice?.subject, /email address is being changed/)
  t.notMatch(notice?.text, /token=/, 'the notice carries no link to confirm')
  t.match(notice?.text, /If this was not you/)

  const confirmed = await confirm('email-change', linkToken(link as never, 'confirm-email.html'))
  t.equal(confirmed.statusCode, 200)
  t.match(confirmed.json(), { email: 'ada.king@example.com', email_verified: true, pending_email: null })
  t.equal((await me(ada.token)).statusCode, 200, 'the session that asked stays')
  t.equal((await me(otherToken)).statusCode, 401, 'every other session ended')
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada.king@example.com', password: PASSWORD } })
  t.equal(login.statusCode, 200)
  t.equal((await confirm('email-change', linkToken(link as never, 'confirm-email.html'))).statusCode, 400, 'the link works once')
})

t.test('an email change needs the current password, and the address must be free', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  await signUp(app, { email: 'bob@example.com' })
  const patch = async (payload: object) => await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(ada.token), payload })
  t.equal((await patch({ email: 'new@example.com' })).statusCode, 400)
  t.equal((await patch({ email: 'new@example.com', current_password: 'wrong-password' })).statusCode, 401)
  const taken = await patch({ email: 'BOB@example.com', current_password: PASSWORD })
  t.equal(taken.statusCode, 409)
  t.equal((await me(ada.token)).json().pending_email, null)
  const { rows } = await db.query("SELECT 1 FROM mail_outbox WHERE template LIKE 'email_change%'")
  t.equal(rows.length, 0, 'no mail for a refused change')
})

t.test('an address taken between the request and the confirmation is a 409, and nothing changes', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(ada.token), payload: { email: 'ada.king@example.com', current_password: PASSWORD } })
  const mails = await deliver(app, smtp, 3)
  const link = mails.find((mail) => mail.to === 'ada.king@example.com')
  await signUp(app, { email: 'Ada.King@example.com' })
  const response = await confirm('email-change', linkToken(link as never, 'confirm-email.html'))
  t.equal(response.statusCode, 409)
  t.equal(response.json().message, 'an account with this email already exists')
  t.match((await me(ada.token)).json(), { email: 'ada@example.com', pending_email: 'ada.king@example.com' })
})

t.test('a newer change request voids the older link; a logged-out requester keeps no session', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const change = async (email: string) => await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(ada.token), payload: { email, current_password: PASSWORD } })
  await change('first@example.com')
  await change('second@example.com')
  const mails = await deliver(app, smtp, 5)
  const first = mails.find((mail) => mail.to === 'first@example.com')
  const second = mails.find((mail) => mail.to === 'second@example.com')
  t.equal((await confirm('email-change', linkToken(first as never, 'confirm-email.html'))).statusCode, 400)
  await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(ada.token) })
  const { rows: before } = await db.query('SELECT 1 FROM sessions')
  t.equal(before.length, 0)
  t.equal((await confirm('email-change', linkToken(second as never, 'confirm-email.html'))).json().email, 'second@example.com')
})

t.test('a password change mails a notice to the account\'s address', async (t) => {
  const ada = await signUp(app, { email: 'ada@example.com' })
  const response = await app.inject({
    method: 'PATCH', url: '/api/v1/users/me', headers: auth(ada.token), payload: { password: 'amber-Lantern-58-orchard', current_password: PASSWORD }
  })
  t.equal(response.statusCode, 200)
  const [, notice] = await deliver(app, smtp, 2)
  t.equal(notice.to, 'ada@example.com')
  t.match(notice.subject, /password was changed/)
  t.notMatch(notice.text, /amber-Lantern|violet-Harbor/, 'never a password')
  t.match(notice.text, /If this was not you/)
})

t.test('genetic results only for a verified account', async (t) => {
  const admin = await signUpAdmin(app, db, { email: 'admin@example.com' })
  const ada = await signUp(app, { email: 'ada@example.com' })
  const put = async () => await app.inject({
    method: 'PUT', url: `/api/v1/users/${ada.user.id}/genetics`, headers: auth(admin.token), payload: { genetic_result: { BRCA1: 'negative' }, policy: 'POL-1' }
  })
  const refused = await put()
  t.equal(refused.statusCode, 409)
  t.same(refused.json(), { statusCode: 409, error: 'Conflict', message: 'email not verified' })
  const { rows } = await db.query('SELECT 1 FROM genetic_profiles')
  t.equal(rows.length, 0)
  const mails = await deliver(app, smtp, 2)
  const mine = mails.find((mail) => mail.to === 'ada@example.com')
  await confirm('email-verification', linkToken(mine as never, 'verify-email.html'))
  t.equal((await put()).statusCode, 200)
  t.equal((await app.inject({
    method: 'PUT', url: '/api/v1/users/999999/genetics', headers: auth(admin.token), payload: { genetic_result: {}, policy: 'P' }
  })).statusCode, 404)
})
