// The admin gate: with ADMIN_MFA=required, an admin endpoint answers only a session that began
// with a second factor.
import t from 'tap'
import { generateSync } from 'otplib'
import type { FastifyInstance } from 'fastify'
import { auth, buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const db = await testDatabase(t)
let now = Date.UTC(2026, 5, 1, 12, 0, 10)
const required = await buildTestApp(t, db, { ADMIN_MFA: 'required' }, { clock: () => now })
const optional = await buildTestApp(t, db, { ADMIN_MFA: 'optional' }, { clock: () => now })
t.beforeEach(async () => { await resetData(db) })

const code = (secret: string): string => generateSync({ secret, epoch: Math.floor(now / 1000) })

/** Turns TOTP on for the token's account; the secret. */
async function turnOn (token: string): Promise<string> {
  const { secret } = (await required.inject({ method: 'POST', url: '/api/v1/users/me/mfa/totp', headers: auth(token), payload: { current_password: PASSWORD } })).json()
  await required.inject({ method: 'POST', url: '/api/v1/users/me/mfa/totp/confirm', headers: auth(token), payload: { code: code(secret) } })
  now += 30_000
  return secret
}

async function loginWithCode (app: FastifyInstance, email: string, secret: string): Promise<string> {
  const { mfa_token: mfaToken } = (await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password: PASSWORD } })).json()
  const response = await app.inject({ method: 'POST', url: '/api/v1/users/login/mfa', payload: { mfa_token: mfaToken, code: code(secret) } })
  now += 30_000
  return response.json().jwt_token
}

const ADMIN_ENDPOINTS = (id: number): Array<[string, string, Record<string, unknown> | undefined]> => [
  ['GET', '/api/v1/users', undefined],
  ['GET', `/api/v1/users/${id}`, undefined],
  ['PATCH', `/api/v1/users/${id}`, { first_name: 'Grace' }],
  ['PUT', `/api/v1/users/${id}/genetics`, { genetic_result: { BRCA1: 'negative' }, policy: 'POL-1' }],
  ['GET', '/api/v1/audit', undefined],
  ['DELETE', `/api/v1/users/${id}`, undefined]
]

t.test('with ADMIN_MFA=required, an admin with a password alone gets 403 on every admin endpoint', async (t) => {
  const admin = await signUpAdmin(required, db, { email: 'admin@example.com' })
  const customer = await signUp(required, { email: 'grace@example.com' })
  for (const [method, url, payload] of ADMIN_ENDPOINTS(customer.user.id)) {
    const response = await required.inject({ method: method as 'GET', url, headers: auth(admin.token), payload })
    t.equal(response.statusCode, 403, `${method} ${url}`)
    t.same(response.json(), { statusCode: 403, error: 'Forbidden', message: 'two-factor authentication is required for admin access' })
  }
  t.equal((await required.inject({ url: '/api/v1/users/me', headers: auth(admin.token) })).statusCode, 200, 'their own account is theirs')
  t.equal((await required.inject({ url: `/api/v1/users/${admin.user.id}`, headers: auth(admin.token) })).statusCode, 200, 'their own record too')
  t.equal((await db.query('SELECT 1 FROM users WHERE id = $1', [customer.user.id])).rows.length, 1, 'nothing was deleted')

  const secret = await turnOn(admin.token)
  const before = await required.inject({ url: '/api/v1/users', headers: auth(admin.token) })
  t.equal(before.statusCode, 403, 'turning it on does not upgrade the session that was already open')

  const withCode = await loginWithCode(required, 'admin@example.com', secret)
  for (const [method, url, payload] of ADMIN_ENDPOINTS(customer.user.id)) {
    if (url.includes('genetics')) await db.query('UPDATE users SET email_verified = true WHERE id = $1', [customer.user.id])
    const response = await required.inject({ method: method as 'GET', url, headers: auth(withCode), payload })
    t.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} with a code`)
  }
})

t.test('a recovery code counts as a second factor', async (t) => {
  const admin = await signUpAdmin(required, db, { email: 'admin@example.com' })
  const { secret } = (await required.inject({ method: 'POST', url: '/api/v1/users/me/mfa/totp', headers: auth(admin.token), payload: { current_password: PASSWORD } })).json()
  const [recovery] = (await required.inject({ method: 'POST', url: '/api/v1/users/me/mfa/totp/confirm', headers: auth(admin.token), payload: { code: code(secret) } })).json().recovery_codes
  const { mfa_token: mfaToken } = (await required.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'admin@example.com', password: PASSWORD } })).json()
  const { jwt_token: token } = (await required.inject({ method: 'POST', url: '/api/v1/users/login/mfa', payload: { mfa_token: mfaToken, recovery_code: recovery } })).json()
  t.equal((await required.inject({ url: '/api/v1/users', headers: auth(token) })).statusCode, 200)
})

t.test('with ADMIN_MFA=optional, the password is enough', async (t) => {
  const admin = await signUpAdmin(optional, db, { email: 'admin@example.com' })
  t.equal((await optional.inject({ url: '/api/v1/users', headers: auth(admin.token) })).statusCode, 200)
})

t.test('a customer still gets the customer\'s 403, second factor or not', async (t) => {
  const customer = await signUp(required, { email: 'grace@example.com' })
  const response = await required.inject({ url: '/api/v1/users', headers: auth(customer.token) })
  t.equal(response.statusCode, 403)
  t.equal(response.json().message, 'this operation is for admins only')
})
