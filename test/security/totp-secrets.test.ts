// Someone who can write to the database (or restores a row from another account) copies their own
// TOTP secret into a customer's row, hoping their own authenticator then passes the customer's
// second factor: the secret is sealed for its user only, so the login is refused, never a 500,
// and the log says which user and key without the secret.
import t from 'tap'
import { generateSync } from 'otplib'
import type { LightMyRequestResponse } from 'fastify'
import { sealJwtDerived } from '../../src/accounts/jwt-derived-totp-secrets.js'
import { auth, buildTestApp, PASSWORD, resetData, signUp, TEST_SECRET, testDatabase } from '../helper.js'
import { captureLogs } from '../support.js'

const db = await testDatabase(t)
const logs = captureLogs()
let now = Date.UTC(2026, 5, 1, 12, 0, 10)
const app = await buildTestApp(t, db, {}, { logger: logs.logger, clock: () => now })
t.beforeEach(async () => {
  await resetData(db)
  logs.lines.length = 0
})

const post = async (url: string, payload: Record<string, unknown>, token?: string): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'POST', url, payload, headers: token === undefined ? {} : auth(token) })
const codeOf = (secret: string): string => generateSync({ secret, epoch: Math.floor(now / 1000) })

/** A user with TOTP on, through the API: their id, token and secret. */
async function enrolled (email: string): Promise<{ id: number, token: string, secret: string }> {
  const { token, user } = await signUp(app, { email })
  const { secret } = (await post('/api/v1/users/me/mfa/totp', { current_password: PASSWORD }, token)).json()
  const confirm = await post('/api/v1/users/me/mfa/totp/confirm', { code: codeOf(secret) }, token)
  if (confirm.statusCode !== 200) throw new Error(confirm.body)
  now += 30_000
  return { id: user.id, token, secret }
}

/** The second step of Bob's login with a code of Mallory's secret. */
async function bobWithMalloryCode (malloryCode: string): Promise<LightMyRequestResponse> {
  const first = await post('/api/v1/users/login', { email: 'bob@example.com', password: PASSWORD })
  return await post('/api/v1/users/login/mfa', { mfa_token: first.json().mfa_token, code: malloryCode })
}

const CONFLICT = {
  statusCode: 409,
  error: 'Conflict',
  message: 'the stored health data of this account failed its integrity check and is withheld; this has been logged: contact support'
}

t.test('a sealed secret copied into another user\'s row does not pass that user\'s second factor: 409, logged without the secret', async (t) => {
  const mallory = await enrolled('mallory@example.com')
  const bob = await enrolled('bob@example.com')
  const { rows } = await db.query<{ secret: string }>('SELECT secret FROM totp_factors WHERE user_id = $1', [mallory.id])
  await db.query('UPDATE totp_factors SET secret = $2 WHERE user_id = $1', [bob.id, rows[0].secret])

  const login = await bobWithMalloryCode(codeOf(mallory.secret))
  t.equal(login.statusCode, 409)
  t.same(login.json(), CONFLICT, 'no session')
  const off = await app.inject({ method: 'DELETE', url: '/api/v1/users/me/mfa/totp', headers: auth(bob.token), payload: { current_password: PASSWORD, code: codeOf(mallory.secret) } })
  t.equal(off.statusCode, 409, 'nor turns his factor off')
  t.equal((await db.query('SELECT 1 FROM totp_factors WHERE user_id = $1', [bob.id])).rows.length, 1)

  const logged = logs.lines.filter((line) => line.msg === 'health data integrity error')
  t.equal(logged.length, 2)
  t.match(logged[0], { level: 50, userId: bob.id, keyId: 'test1', problem: 'integrity' })
  const text = JSON.stringify(logs.lines)
  for (const secret of [mallory.secret, bob.secret, rows[0].secret]) t.notOk(text.includes(secret), 'no secret, sealed or not, in the log')
  t.equal(logs.lines.filter((line) => line.level >= 50 && line.msg !== 'health data integrity error').length, 0, 'no other error: never a 500')
  now += 30_000
  const own = await post('/api/v1/users/login', { email: 'mallory@example.com', password: PASSWORD })
  t.equal((await post('/api/v1/users/login/mfa', { mfa_token: own.json().mfa_token, code: codeOf(mallory.secret) })).statusCode, 200, 'Mallory\'s own factor works as ever')
})

t.test('the same for a secret of the format from before DATA_KEYS, and for a pending enrolment', async (t) => {
  const mallory = await enrolled('mallory@example.com')
  const bob = await enrolled('bob@example.com')
  await db.query('UPDATE totp_factors SET secret = $2 WHERE user_id = $1', [bob.id, sealJwtDerived(TEST_SECRET, mallory.secret, mallory.id)])
  const login = await bobWithMalloryCode(codeOf(mallory.secret))
  t.same([login.statusCode, login.json()], [409, CONFLICT])
  t.match(logs.lines.find((line) => line.msg === 'health data integrity error'), { userId: bob.id, keyId: 'jwt-derived', problem: 'integrity' })

  const { token, user: carol } = await signUp(app, { email: 'carol@example.com' })
  t.equal((await post('/api/v1/users/me/mfa/totp', { current_password: PASSWORD }, token)).statusCode, 200)
  await db.query('UPDATE totp_factors SET secret = $2 WHERE user_id = $1', [carol.id, app.dataCipher.encrypt(mallory.secret, mallory.id)])
  const confirm = await post('/api/v1/users/me/mfa/totp/confirm', { code: codeOf(mallory.secret) }, token)
  t.same([confirm.statusCode, confirm.json()], [409, CONFLICT], 'confirming Mallory\'s secret on Carol\'s account')
  t.equal((await db.query<{ mfa_enabled: boolean }>('SELECT mfa_enabled FROM users WHERE id = $1', [carol.id])).rows[0].mfa_enabled, false)
})

t.test('a secret under a key DATA_KEYS does not hold is a 503, the login refused until the key is back', async (t) => {
  const bob = await enrolled('bob@example.com')
  const other = await buildTestApp(t, db, { DATA_KEYS: `other:${Buffer.alloc(32, 9).toString('base64')}` }, { clock: () => now })
  const first = await other.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'bob@example.com', password: PASSWORD } })
  const second = await other.inject({ method: 'POST', url: '/api/v1/users/login/mfa', payload: { mfa_token: first.json().mfa_token, code: codeOf(bob.secret) } })
  t.equal(second.statusCode, 503)
  t.equal(second.headers['retry-after'], '60')
  t.notOk('jwt_token' in second.json())
  const back = await bobWithMalloryCode(codeOf(bob.secret))
  t.equal(back.statusCode, 200, 'with the key, the same code logs in: the failed attempt did not spend it')
})
