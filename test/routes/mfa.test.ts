// TOTP through HTTP: enrol, confirm, log in with a code or a recovery code, turn off; codes
// computed from the secret with otplib at a time the test sets.
import t from 'tap'
import { generateSync } from 'otplib'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { auth, buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'
import { isJwtDerived, JWT_DERIVED, sealJwtDerived, totpSecrets } from '../../src/accounts/jwt-derived-totp-secrets.js'
import { qrCode } from '../../src/accounts/mfa.js'
import { TEST_SECRET } from '../helper.js'
import type { Database } from '../../src/db/database.js'

const db = await testDatabase(t)
let now = Date.UTC(2026, 5, 1, 12, 0, 10)
const app = await buildTestApp(t, db, {}, { clock: () => now })
t.beforeEach(async () => {
  await resetData(db)
  now = Date.UTC(2026, 5, 1, 12, 0, 10)
})

/** The code an authenticator app shows at the test's time, `steps` periods away. */
const codeAt = (secret: string, steps = 0): string => generateSync({ secret, epoch: Math.floor(now / 1000) + steps * 30 })

const post = async (url: string, payload: Record<string, unknown>, token?: string, target: FastifyInstance = app): Promise<LightMyRequestResponse> =>
  await target.inject({ method: 'POST', url, payload, headers: token === undefined ? {} : auth(token) })

const login = async (email: string, password = PASSWORD): Promise<LightMyRequestResponse> =>
  await post('/api/v1/users/login', { email, password })

/** A user with TOTP on: their token, secret and recovery codes. */
async function enrolled (email = 'ada@example.com'): Promise<{ token: string, id: number, secret: string, recoveryCodes: string[] }> {
  const { token, user } = await signUp(app, { email })
  const enrol = await post('/api/v1/users/me/mfa/totp', { current_password: PASSWORD }, token)
  const { secret } = enrol.json()
  const confirm = await post('/api/v1/users/me/mfa/totp/confirm', { code: codeAt(secret) }, token)
  if (confirm.statusCode !== 200) throw new Error(confirm.body)
  // The next code must be of a later period than the one confirming.
  now += 30_000
  return { token, id: user.id, secret, recoveryCodes: confirm.json().recovery_codes }
}

t.test('enrolling gives a secret and an otpauth URL; the first code turns it on and gives 10 recovery codes', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  t.equal(user.mfa_enabled, false)
  const enrol = await post('/api/v1/users/me/mfa/totp', { current_password: PASSWORD }, token)
  t.equal(enrol.statusCode, 200)
  const { secret, otpauth_url: url } = enrol.json()
  t.match(secret, /^[A-Z2-7]{32}$/, '160 bits of Base32')
  const parsed = new URL(url)
  t.equal(parsed.protocol, 'otpauth:')
  t.equal(parsed.searchParams.get('secret'), secret)
  t.equal(parsed.searchParams.get('issuer'), 'dna-api')
  t.match(decodeURIComponent(parsed.pathname), /ada@example\.com/)
  const { size, modules } = enrol.json().qr_code
  t.ok(size >= 21 && (size - 17) % 4 === 0, 'a QR code of a real version')
  t.equal(modules.length, size * size)
  t.same(qrCode(url), { size, modules }, 'the QR code of the otpauth URL')
  t.equal(modules.slice(0, 7), '1111111', 'its finder pattern at the top left')

  const me = async (): Promise<Record<string, unknown>> => (await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).json()
  t.equal((await me()).mfa_enabled, false, 'pending until confirmed')
  t.equal((await login('ada@example.com')).json().jwt_token === undefined, false, 'and login still needs the password alone')

  const wrong = await post('/api/v1/users/me/mfa/totp/confirm', { code: codeAt(secret, 3) }, token)
  t.equal(wrong.statusCode, 400)
  t.equal(wrong.json().message, 'body/code is incorrect or was already used')
  t.equal((await me()).mfa_enabled, false)

  const shape = await post('/api/v1/users/me/mfa/totp/confirm', { code: '12345' }, token)
  t.equal(shape.statusCode, 400)
  t.match(shape.json().message, /^body\/code /)

  const confirm = await post('/api/v1/users/me/mfa/totp/confirm', { code: codeAt(secret, -1) }, token)
  t.equal(confirm.statusCode, 200, 'a code one period behind is accepted')
  const codes: string[] = confirm.json().recovery_codes
  t.equal(codes.length, 10)
  t.equal(new Set(codes).size, 10)
  for (const code of codes) t.match(code, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/)
  t.equal((await me()).mfa_enabled, true)

  const again = await post('/api/v1/users/me/mfa/totp', { current_password: PASSWORD }, token)
  t.equal(again.statusCode, 409, 'enrolling when on')
  t.equal(again.json().message, 'two-factor authentication is already on: turn it off first to enrol again')
  t.equal((await post('/api/v1/users/me/mfa/totp/confirm', { code: codeAt(secret, 1) }, token)).statusCode, 409, 'confirming twice')

  const { rows } = await db.query<{ secret: string }>('SELECT secret FROM totp_factors')
  t.notMatch(rows[0].secret, secret, 'the secret is not stored in clear')
  const { rows: hashes } = await db.query<{ code_hash: string }>('SELECT code_hash FROM recovery_codes')
  t.equal(hashes.length, 10)
  for (const { code_hash: hash } of hashes) t.notOk(codes.some((code) => hash.includes(code) || hash.includes(code.replaceAll('-', ''))), 'nor a recovery code')
})

t.test('the secret is sealed under the current key of DATA_KEYS, bound to its user, and its code logs in', async (t) => {
  const ada = await enrolled()
  const { rows } = await db.query<{ secret: string }>('SELECT secret FROM totp_factors WHERE user_id = $1', [ada.id])
  t.match(rows[0].secret, /^v1:test1:[A-Za-z0-9_-]+$/, 'the data cipher\'s format, under the current key')
  t.equal(app.dataCipher.keyIdOf(rows[0].secret), app.dataCipher.currentKeyId)
  t.equal(app.dataCipher.decrypt(rows[0].secret, ada.id), ada.secret)
  t.throws(() => app.dataCipher.decrypt(rows[0].secret, ada.id + 1), { name: 'SealedDataError', problem: 'integrity' }, 'not for another user')
  const done = await post('/api/v1/users/login/mfa', { mfa_token: (await login('ada@example.com')).json().mfa_token, code: codeAt(ada.secret) })
  t.equal(done.statusCode, 200)
  t.equal(done.json().user.mfa_enabled, true)
})

t.test('a secret stored before DATA_KEYS covered them (a key from JWT_SECRET) still logs in and turns off', async (t) => {
  const ada = await enrolled()
  await db.query('UPDATE totp_factors SET secret = $2 WHERE user_id = $1', [ada.id, sealJwtDerived(TEST_SECRET, ada.secret, ada.id)])
  const done = await post('/api/v1/users/login/mfa', { mfa_token: (await login('ada@example.com')).json().mfa_token, code: codeAt(ada.secret) })
  t.equal(done.statusCode, 200, 'logs in')
  now += 30_000
  const off = await app.inject({ method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: auth(ada.token), payload: { current_password: PASSWORD, code: codeAt(ada.secret) } })
  t.equal(off.statusCode, 204, 'turns off')
  const again = await post('/api/v1/users/me/mfa/totp', { current_password: PASSWORD }, ada.token)
  t.match((await db.query<{ secret: string }>('SELECT secret FROM totp_factors')).rows[0].secret, /^v1:test1:/, 'enrolling again seals under DATA_KEYS')
  t.equal(again.statusCode, 200)
})

t.test('the old format opens only for its user, under the key from the same JWT_SECRET', async (t) => {
  const secrets = totpSecrets(app.dataCipher, TEST_SECRET)
  const stored = sealJwtDerived(TEST_SECRET, 'JBSWY3DPEHPK3PXP', 7)
  t.ok(isJwtDerived(stored))
  t.notOk(isJwtDerived(secrets.encrypt('JBSWY3DPEHPK3PXP', 7)), 'what it seals is the data cipher\'s')
  t.equal(secrets.decrypt(stored, 7), 'JBSWY3DPEHPK3PXP')
  t.equal(secrets.decrypt(secrets.encrypt('JBSWY3DPEHPK3PXP', 7), 7), 'JBSWY3DPEHPK3PXP')
  t.not(sealJwtDerived(TEST_SECRET, 'JBSWY3DPEHPK3PXP', 7), stored, 'a new nonce each time')
  const refused = { name: 'SealedDataError', problem: 'integrity', userId: 8, keyId: JWT_DERIVED }
  t.throws(() => secrets.decrypt(stored, 8), refused, 'another user\'s row does not decrypt')
  t.throws(() => totpSecrets(app.dataCipher, `${TEST_SECRET}-other`).decrypt(stored, 8), refused, 'nor under another JWT_SECRET')
  t.throws(() => secrets.decrypt('v1.abc', 8), refused, 'nor a value cut short')
  t.throws(() => secrets.decrypt('v0.x.y.z', 7), { name: 'SealedDataError', problem: 'malformed' }, 'anything else is the data cipher\'s to refuse')
})

t.test('confirming with nothing enrolled is a 409', async (t) => {
  const { token } = await signUp(app)
  const response = await post('/api/v1/users/me/mfa/totp/confirm', { code: '123456' }, token)
  t.equal(response.statusCode, 409)
  t.equal(response.json().message, 'no two-factor enrolment is waiting for its first code: POST /api/v1/users/me/mfa/totp first')
})

t.test('enrolling needs the password, and a wrong one counts in the login lockout', async (t) => {
  const { token } = await signUp(app, { email: 'ada@example.com' })
  for (let attempt = 0; attempt < 3; attempt++) {
    const response = await post('/api/v1/users/me/mfa/totp', { current_password: 'not-the-password' }, token)
    t.equal(response.statusCode, 401)
    t.equal(response.json().message, 'body/current_password is incorrect')
  }
  const locked = await post('/api/v1/users/me/mfa/totp', { current_password: PASSWORD }, token)
  t.equal(locked.statusCode, 429)
  t.ok(Number(locked.headers['retry-after']) > 0)
  t.equal((await login('ada@example.com')).statusCode, 429, 'the same lock as login')
  t.equal((await db.query('SELECT 1 FROM totp_factors')).rows.length, 0, 'nothing enrolled')
})

t.test('login with a second factor: the password gives an mfa_token, the code the session', async (t) => {
  const ada = await enrolled()
  const first = await login('ada@example.com')
  t.equal(first.statusCode, 200)
  const challenge = first.json()
  t.same(Object.keys(challenge).sort(), ['expires_in', 'mfa_required', 'mfa_token'], 'no jwt_token')
  t.equal(challenge.mfa_required, true)
  t.equal(challenge.expires_in, 300)

  const done = await post('/api/v1/users/login/mfa', { mfa_token: challenge.mfa_token, code: codeAt(ada.secret) })
  t.equal(done.statusCode, 200)
  const body = done.json()
  t.same(Object.keys(body).sort(), ['expires_in', 'jwt_token', 'token_type', 'user'])
  t.equal(body.user.mfa_enabled, true)
  const me = await app.inject({ url: '/api/v1/users/me', headers: auth(body.jwt_token) })
  t.equal(me.statusCode, 200)

  const reuse = await post('/api/v1/users/login/mfa', { mfa_token: challenge.mfa_token, code: codeAt(ada.secret, 1) })
  t.equal(reuse.statusCode, 401, 'an mfa_token works once')
  t.equal(reuse.json().message, 'mfa_token is invalid or has expired: log in again with your password')
})

t.test('a code is accepted once: its replay in its window is refused', async (t) => {
  const ada = await enrolled()
  const code = codeAt(ada.secret)
  const first = await post('/api/v1/users/login/mfa', { mfa_token: (await login('ada@example.com')).json().mfa_token, code })
  t.equal(first.statusCode, 200)
  const token = (await login('ada@example.com')).json().mfa_token
  const replay = await post('/api/v1/users/login/mfa', { mfa_token: token, code })
  t.equal(replay.statusCode, 401)
  t.equal(replay.json().message, 'body/code is incorrect or was already used')
  const earlier = await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret, -1) })
  t.equal(earlier.statusCode, 401, 'nor the code of an earlier period, still inside the tolerance')
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret, 1) })).statusCode, 200, 'the next period\'s code works, the token still usable')
})

t.test('two requests with one code: only one logs in', async (t) => {
  const ada = await enrolled()
  const tokens = [(await login('ada@example.com')).json().mfa_token, (await login('ada@example.com')).json().mfa_token]
  const code = codeAt(ada.secret)
  const answers = await Promise.all(tokens.map(async (token) => (await post('/api/v1/users/login/mfa', { mfa_token: token, code })).statusCode))
  t.same(answers.sort(), [200, 401])
})

t.test('one mfa_token with two good recovery codes, both spent before either logs in: only one login completes', async (t) => {
  // The database sees the two codes spent only once both requests have come that far, so both hold
  // a good factor: the token itself, spent in the login's transaction, lets one through.
  let spent = 0
  let bothSpent: () => void = () => {}
  const both = new Promise<void>((resolve) => { bothSpent = resolve })
  const query = (async (text: string, params?: unknown[]) => {
    if (text.startsWith('DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2')) {
      spent += 1
      if (spent === 2) bothSpent()
      await both
    }
    return await db.query(text, params)
  }) as Database['query']
  const racing = await buildTestApp(t, { ...db, query }, {}, { clock: () => now })
  const ada = await enrolled()
  const token = (await login('ada@example.com')).json().mfa_token
  const answers = await Promise.all(ada.recoveryCodes.slice(0, 2).map(async (recoveryCode) =>
    await post('/api/v1/users/login/mfa', { mfa_token: token, recovery_code: recoveryCode }, undefined, racing)))
  t.equal(spent, 2, 'both codes were good and spent')
  t.same(answers.map((answer) => answer.statusCode).sort(), [200, 401])
  t.equal(answers.find((answer) => answer.statusCode === 401)?.json().message, 'mfa_token is invalid or has expired: log in again with your password')
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM sessions WHERE user_id = $1', [ada.id])
  t.equal(rows[0].n, 2, 'the session of the signup and one of the login')
})

t.test('remember_me carries through the second step: the long-lived token', async (t) => {
  const ada = await enrolled()
  const first = await post('/api/v1/users/login', { email: 'ada@example.com', password: PASSWORD, remember_me: true })
  const done = await post('/api/v1/users/login/mfa', { mfa_token: first.json().mfa_token, code: codeAt(ada.secret) })
  t.equal(done.statusCode, 200)
  t.equal(done.json().expires_in, 30 * 86400)
})

t.test('two requests with one code, both checked before either records it: only one logs in', async (t) => {
  // Each request reads the factor, checks the code against it, then records the code's period; here
  // the database sees both records only once both requests have checked, so the check alone would let both in.
  let checked = 0
  let bothChecked: () => void = () => {}
  const both = new Promise<void>((resolve) => { bothChecked = resolve })
  const query = (async (text: string, params?: unknown[]) => {
    if (text.startsWith('UPDATE totp_factors SET last_time_step')) {
      checked += 1
      if (checked === 2) bothChecked()
      await both
    }
    return await db.query(text, params)
  }) as Database['query']
  const racing = await buildTestApp(t, { ...db, query }, {}, { clock: () => now })
  const ada = await enrolled()
  const tokens = [(await login('ada@example.com')).json().mfa_token, (await login('ada@example.com')).json().mfa_token]
  const code = codeAt(ada.secret)
  const answers = await Promise.all(tokens.map(async (token) => await post('/api/v1/users/login/mfa', { mfa_token: token, code }, undefined, racing)))
  t.equal(checked, 2, 'both got past the check')
  t.same(answers.map((answer) => answer.statusCode).sort(), [200, 401])
  t.equal(answers.find((answer) => answer.statusCode === 401)?.json().message, 'body/code is incorrect or was already used')
})

t.test('wrong codes count toward the login lock; the right password does not reset it', async (t) => {
  const ada = await enrolled()
  t.equal((await login('ada@example.com', 'wrong-password-1')).statusCode, 401)
  const token = (await login('ada@example.com')).json().mfa_token
  t.ok(token, 'the right password after a wrong one')
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret, 5) })).statusCode, 401)
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret, 6) })).statusCode, 401)
  const locked = await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret) })
  t.equal(locked.statusCode, 429, 'one wrong password and two wrong codes: locked, even with the right code')
  t.ok(Number(locked.headers['retry-after']) > 0)
  t.match(locked.json().message, /too many failed logins/)
  t.equal((await login('ada@example.com')).statusCode, 429, 'login is locked too')

  // Once the lock falls (its expiry moved, as time passing would), the same token works.
  await db.query("UPDATE rate_limits SET expires_at = now() - interval '1 second'")
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret) })).statusCode, 200)
})

t.test('a completed login resets the count', async (t) => {
  const ada = await enrolled()
  const token = (await login('ada@example.com')).json().mfa_token
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret, 5) })).statusCode, 401)
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret) })).statusCode, 200)
  const next = (await login('ada@example.com')).json().mfa_token
  now += 30_000
  for (const steps of [5, 6]) t.equal((await post('/api/v1/users/login/mfa', { mfa_token: next, code: codeAt(ada.secret, steps) })).statusCode, 401)
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: next, code: codeAt(ada.secret) })).statusCode, 200, 'two more failures are not a lock')
})

t.test('a recovery code stands in for a code, once', async (t) => {
  const ada = await enrolled()
  const [code] = ada.recoveryCodes
  const token = (await login('ada@example.com')).json().mfa_token
  const done = await post('/api/v1/users/login/mfa', { mfa_token: token, recovery_code: code.toUpperCase().replaceAll('-', '') })
  t.equal(done.statusCode, 200, 'without dashes, in capitals')
  const again = await post('/api/v1/users/login/mfa', { mfa_token: (await login('ada@example.com')).json().mfa_token, recovery_code: code })
  t.equal(again.statusCode, 401)
  t.equal(again.json().message, 'body/recovery_code is incorrect or was already used')
  const { rows } = await db.query('SELECT 1 FROM recovery_codes WHERE user_id = $1', [ada.id])
  t.equal(rows.length, 9)
})

t.test('bad second steps: malformed, expired or foreign mfa_token 401; a wrong shape 400', async (t) => {
  const ada = await enrolled()
  const grace = await enrolled('grace@example.com')
  const token = (await login('ada@example.com')).json().mfa_token
  const code = codeAt(ada.secret)
  for (const bad of ['x', ada.token, 'A'.repeat(43), `${token}x`]) {
    const response = await post('/api/v1/users/login/mfa', { mfa_token: bad, code })
    t.equal(response.statusCode, 401, 'malformed, a session token, unknown')
    t.equal(response.json().message, 'mfa_token is invalid or has expired: log in again with your password')
  }
  const foreign = await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(grace.secret) })
  t.equal(foreign.statusCode, 401, 'another account\'s code does not open this one')

  for (const [payload, field] of [
    [{ mfa_token: token, code: '12 456' }, 'body/code'],
    [{ mfa_token: token, code: 123456 }, 'body/code'],
    [{ mfa_token: token, recovery_code: 'abc' }, 'body/recovery_code'],
    [{ code }, 'body/mfa_token is required'],
    [{ mfa_token: token }, 'body must have either code or recovery_code'],
    [{ mfa_token: token, code, recovery_code: ada.recoveryCodes[0] }, 'body must have either code or recovery_code']
  ] as const) {
    const response = await post('/api/v1/users/login/mfa', payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.match(response.json().message, field)
  }

  await db.query("UPDATE mfa_challenges SET expires_at = now() - interval '1 second'")
  const expired = await post('/api/v1/users/login/mfa', { mfa_token: token, code })
  t.equal(expired.statusCode, 401, 'expired')
  t.equal((await app.housekeeping()).mfaChallenges, 1, 'and housekeeping deletes it')
})

t.test('an mfa_token is never a session token', async (t) => {
  await enrolled()
  const token: string = (await login('ada@example.com')).json().mfa_token
  for (const [method, url] of [['GET', '/api/v1/users/me'], ['GET', '/api/v1/users/me/sessions'], ['GET', '/api/v1/users'],
    ['POST', '/api/v1/users/logout'], ['POST', '/api/v1/users/me/mfa/totp']] as const) {
    for (const headers of [auth(token), { 'api-token': token }]) {
      const response = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) })
      t.equal(response.statusCode, 401, `${method} ${url}`)
      t.equal(response.json().message, 'invalid token')
    }
  }
})

t.test('turning it off needs the password and a code; wrong ones count', async (t) => {
  const ada = await enrolled()
  const remove = async (payload: Record<string, unknown>): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: auth(ada.token), payload })
  const wrongPassword = await remove({ current_password: 'not-the-password', code: codeAt(ada.secret) })
  t.equal(wrongPassword.statusCode, 401)
  t.equal(wrongPassword.json().message, 'body/current_password is incorrect')
  const wrongCode = await remove({ current_password: PASSWORD, code: codeAt(ada.secret, 4) })
  t.equal(wrongCode.statusCode, 401)
  t.equal(wrongCode.json().message, 'body/code is incorrect or was already used')
  t.equal((await remove({ current_password: PASSWORD })).statusCode, 400, 'both are required')

  const off = await remove({ current_password: PASSWORD, code: codeAt(ada.secret) })
  t.equal(off.statusCode, 204)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(ada.token) })).json().mfa_enabled, false)
  t.same((await db.query('SELECT 1 FROM totp_factors UNION ALL SELECT 1 FROM recovery_codes')).rows, [])
  t.ok((await login('ada@example.com')).json().jwt_token, 'the password alone logs in again')

  const again = await remove({ current_password: PASSWORD, code: codeAt(ada.secret, 1) })
  t.equal(again.statusCode, 409)
  t.equal(again.json().message, 'two-factor authentication is not on for this account')
})

t.test('after a lock, turning off is refused too', async (t) => {
  const ada = await enrolled()
  for (let attempt = 0; attempt < 3; attempt++) t.equal((await login('ada@example.com', 'nope-nope-nope')).statusCode, 401)
  const response = await app.inject({ method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: auth(ada.token), payload: { current_password: PASSWORD, code: codeAt(ada.secret) } })
  t.equal(response.statusCode, 429)
})

t.test('turned off between the password and the code: the code no longer opens the account', async (t) => {
  const ada = await enrolled()
  const token = (await login('ada@example.com')).json().mfa_token
  const off = await app.inject({ method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: auth(ada.token), payload: { current_password: PASSWORD, code: codeAt(ada.secret) } })
  t.equal(off.statusCode, 204)
  now += 30_000
  const response = await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret) })
  t.equal(response.statusCode, 401)
  t.equal(response.json().message, 'body/code is incorrect or was already used')
})

t.test('with the clock set back past the last code used, no code is accepted until it catches up', async (t) => {
  const ada = await enrolled()
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: (await login('ada@example.com')).json().mfa_token, code: codeAt(ada.secret) })).statusCode, 200)
  const used = now
  now -= 120_000
  const token = (await login('ada@example.com')).json().mfa_token
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret) })).statusCode, 401, 'a code of an earlier period')
  now = used + 30_000
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: token, code: codeAt(ada.secret) })).statusCode, 200)
})
