// "Forgot your password?" end to end: the request, the mail a real SMTP server receives, and the
// link followed as a person would.
import t from 'tap'
import { auth, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'
import { deliver, linkToken, mailingApp, mailServer } from '../mail-support.js'

const NEW_PASSWORD = 'amber-Lantern-58-orchard'

const db = await testDatabase(t)
const smtp = await mailServer(t)
const app = await mailingApp(t, db, smtp)
t.beforeEach(async () => {
  await resetData(db)
  smtp.mails.length = 0
})

const requestReset = async (email: unknown, headers: Record<string, string> = {}) =>
  await app.inject({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email }, headers })
const confirmReset = async (token: string, password: string) =>
  await app.inject({ method: 'POST', url: '/api/v1/users/password-reset/confirm', payload: { token, password } })
const login = async (email: string, password: string) =>
  await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password } })

/** Signs up and takes the verification mail out of the way. */
async function account (email: string) {
  const signedUp = await signUp(app, { email })
  await deliver(app, smtp, smtp.mails.length + 1)
  return signedUp
}

t.test('a reset link by mail sets a new password, logs in, ends every other session and verifies the address', async (t) => {
  const ada = await account('ada@example.com')
  const accepted = await requestReset('ADA@example.com')
  t.equal(accepted.statusCode, 202)
  t.same(accepted.json(), { message: 'if an account has this email, a link to reset its password is on its way; it works for 30 minutes' })

  const mail = (await deliver(app, smtp, 2))[1]
  t.equal(mail.to, 'ada@example.com')
  t.match(mail.subject, /Reset your dna-api password/)
  t.match(mail.text, /30 minutes/)
  t.match(mail.text, /If this was not you/)
  const token = linkToken(mail, 'reset-password.html')

  const reset = await confirmReset(token, NEW_PASSWORD)
  t.equal(reset.statusCode, 200)
  const body = reset.json()
  t.same(Object.keys(body).sort(), ['expires_in', 'jwt_token', 'token_type', 'user'])
  t.match(body, { token_type: 'Bearer', expires_in: 3600, user: { id: ada.user.id, email_verified: true } })
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(body.jwt_token) })).statusCode, 200, 'logged in')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(ada.token) })).statusCode, 401, 'the old session ended')
  t.equal((await login('ada@example.com', PASSWORD)).statusCode, 401, 'the old password is gone')
  t.equal((await login('ada@example.com', NEW_PASSWORD)).statusCode, 200)
  t.equal((await confirmReset(token, 'another-Quiet-71-meadow')).statusCode, 400, 'the link works once')

  const notice = (await deliver(app, smtp, 3))[2]
  t.equal(notice.to, 'ada@example.com')
  t.match(notice.subject, /password was reset/)
  t.notMatch(notice.text, new RegExp(NEW_PASSWORD), 'never the password')
})

t.test('the same answer for an unknown address, and no mail', async (t) => {
  await account('ada@example.com')
  const known = await requestReset('ada@example.com')
  const unknown = await requestReset('nobody@example.com')
  t.equal(unknown.statusCode, known.statusCode)
  t.equal(unknown.body, known.body)
  t.same(Object.keys(unknown.headers).sort(), Object.keys(known.headers).sort())
  await app.mail.drain()
  const { rows } = await db.query<{ template: string }>('SELECT template FROM mail_outbox ORDER BY id')
  t.same(rows.map((row) => row.template), ['verify_email', 'reset_password'], 'one reset mail, for the known address')
})

t.test('a malformed email is a 400 naming the field; other bodies too', async (t) => {
  const response = await requestReset('not-an-email')
  t.equal(response.statusCode, 400)
  t.match(response.json().message, /^body\/email /)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email: 'a@example.com', extra: 1 } })).statusCode, 400)
  t.equal((await confirmReset('x', 'short')).statusCode, 400)
})

t.test('a flood of requests for one address mails it at most three times an hour', async (t) => {
  await account('ada@example.com')
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) statuses.push((await requestReset('ada@example.com')).statusCode)
  t.same(statuses, [202, 202, 202, 429, 429, 429])
  const limited = await requestReset('Ada@Example.com')
  t.equal(limited.statusCode, 429, 'whatever the case')
  t.ok(Number(limited.headers['retry-after']) > 3000)
  t.match(limited.json().message, /too many password reset requests for this email/)
  t.equal((await requestReset('nobody@example.com')).statusCode, 202, 'other addresses are not held up')
  const statusesUnknown: number[] = []
  for (let i = 0; i < 3; i++) statusesUnknown.push((await requestReset('nobody@example.com')).statusCode)
  t.same(statusesUnknown, [202, 202, 429], 'an unknown address is limited the same way')
  await app.mail.drain()
  const { rows } = await db.query("SELECT 1 FROM mail_outbox WHERE template = 'reset_password'")
  t.equal(rows.length, 3)
})

t.test('the per-IP limit applies to reset requests', async (t) => {
  const limited = await mailingApp(t, db, smtp, { AUTH_RATE_LIMIT: '2' })
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) {
    statuses.push((await limited.inject({ method: 'POST', url: '/api/v1/users/password-reset', payload: { email: `u${i}@example.com` } })).statusCode)
  }
  t.same(statuses, [202, 202, 429])
})

t.test('a newer link voids the older one', async (t) => {
  await account('ada@example.com')
  await requestReset('ada@example.com')
  await requestReset('ada@example.com')
  const mails = await deliver(app, smtp, 3)
  t.equal((await confirmReset(linkToken(mails[1], 'reset-password.html'), NEW_PASSWORD)).statusCode, 400)
  t.equal((await confirmReset(linkToken(mails[2], 'reset-password.html'), NEW_PASSWORD)).statusCode, 200)
})

t.test('one link sent twice at once sets one password and logs in once', async (t) => {
  await account('ada@example.com')
  await requestReset('ada@example.com')
  const token = linkToken((await deliver(app, smtp, 2))[1], 'reset-password.html')
  // Both pass the first look at the token while their passwords are hashed; only one can spend it.
  const answers = await Promise.all([confirmReset(token, NEW_PASSWORD), confirmReset(token, 'another-Quiet-71-meadow')])
  t.same(answers.map((answer) => answer.statusCode).sort(), [200, 400])
  const refused = answers.find((answer) => answer.statusCode === 400)
  t.equal(refused?.json().message, 'token is invalid or has expired')
  const winner = answers[0].statusCode === 200 ? NEW_PASSWORD : 'another-Quiet-71-meadow'
  t.equal((await login('ada@example.com', winner)).statusCode, 200, 'the password of the answer that succeeded')
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM sessions')
  t.equal(rows[0].n, 2, 'one session from the reset, one from the login')
})

t.test('a weak password is a 400 and the link still works', async (t) => {
  await account('ada@example.com')
  await requestReset('ada@example.com')
  const token = linkToken((await deliver(app, smtp, 2))[1], 'reset-password.html')
  for (const weak of ['password123', 'ada@example.com1', 'qwertyuiop']) {
    const response = await confirmReset(token, weak)
    t.equal(response.statusCode, 400, weak)
    t.match(response.json().message, /^body\/password /)
  }
  t.equal((await login('ada@example.com', PASSWORD)).statusCode, 200, 'the password did not change')
  t.equal((await confirmReset(token, NEW_PASSWORD)).statusCode, 200)
})

t.test('expired, garbage and foreign tokens are refused and change nothing', async (t) => {
  const ada = await account('ada@example.com')
  await requestReset('ada@example.com')
  const token = linkToken((await deliver(app, smtp, 2))[1], 'reset-password.html')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/email-verification/confirm', payload: { token } })).statusCode, 400, 'not a verification token')
  for (const bad of ['garbage', token.toUpperCase()]) t.equal((await confirmReset(bad, NEW_PASSWORD)).json().message, 'token is invalid or has expired')
  await db.query("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'reset_password'")
  t.equal((await confirmReset(token, NEW_PASSWORD)).statusCode, 400, 'expired after 30 minutes')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(ada.token) })).statusCode, 200, 'nothing was ended')
  t.equal((await login('ada@example.com', PASSWORD)).statusCode, 200)
})

t.test('the reset link lives 30 minutes', async (t) => {
  await account('ada@example.com')
  await requestReset('ada@example.com')
  const { rows } = await db.query<{ minutes: number }>(
    "SELECT round(extract(epoch FROM expires_at - created_at) / 60)::int AS minutes FROM email_tokens WHERE purpose = 'reset_password'")
  t.same(rows, [{ minutes: 30 }])
})

t.test('a reset lifts the login lock of the account, from every address', async (t) => {
  await account('ada@example.com')
  for (const ip of ['10.0.0.1', '10.0.0.2']) {
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/api/v1/users/login', remoteAddress: ip, payload: { email: 'ada@example.com', password: 'wrong-password' } })
  }
  await account('bob@example.com')
  for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/api/v1/users/login', remoteAddress: '10.0.0.1', payload: { email: 'bob@example.com', password: 'wrong-password' } })
  const locked = async (email: string, ip: string) =>
    (await app.inject({ method: 'POST', url: '/api/v1/users/login', remoteAddress: ip, payload: { email, password: 'wrong-password' } })).statusCode === 429
  t.ok(await locked('ada@example.com', '10.0.0.2'))

  await requestReset('ada@example.com')
  const token = linkToken((await deliver(app, smtp, 3))[2], 'reset-password.html')
  t.equal((await confirmReset(token, NEW_PASSWORD)).statusCode, 200)
  for (const ip of ['10.0.0.1', '10.0.0.2']) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/users/login', remoteAddress: ip, payload: { email: 'ada@example.com', password: NEW_PASSWORD } })
    t.equal(response.statusCode, 200, `unlocked from ${ip}`)
  }
  t.ok(await locked('bob@example.com', '10.0.0.1'), 'another account keeps its lock')
})
