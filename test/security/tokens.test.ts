import { createHmac } from 'node:crypto'
import t from 'tap'
import { auth, buildTestApp, PASSWORD, signUp, signUpAdmin, TEST_SECRET, testDatabase } from '../helper.js'

// Each attack is a request to GET /api/v1/users/me that must get a 401 and learn nothing else.
const db = await testDatabase(t)
const app = await buildTestApp(t, db)

const ANOTHER_SECRET = 'another-secret-that-is-also-32-bytes-or-more'
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())

/** A JWT built by hand, signed with `secret` using HMAC-`hash` (the signature is empty without a secret). */
function forge (header: Record<string, unknown>, claims: Record<string, unknown>, secret?: string, hash = 'sha256'): string {
  const unsigned = `${base64url(header)}.${base64url(claims)}`
  const signature = secret === undefined ? '' : createHmac(hash, secret).update(unsigned).digest('base64url')
  return `${unsigned}.${signature}`
}

type Assertions = Pick<typeof t, 'equal' | 'match' | 'same'>

const now = (): number => Math.floor(Date.now() / 1000)

async function me (headers: Record<string, string>): Promise<{ statusCode: number, body: Record<string, unknown> }> {
  const response = await app.inject({ url: '/api/v1/users/me', headers })
  return { statusCode: response.statusCode, body: response.json() }
}

/** The token is refused through both headers that carry one, with the one error shape and `message`. */
async function refused (t: Assertions, token: string, message: string | RegExp): Promise<void> {
  for (const headers of [auth(token), { 'api-token': token }]) {
    const response = await me(headers)
    t.equal(response.statusCode, 401, Object.keys(headers)[0])
    t.match(response.body, { statusCode: 401, error: 'Unauthorized', message })
    t.same(Object.keys(response.body).sort(), ['error', 'message', 'statusCode'], 'nothing but the error')
  }
}

const INVALID = 'invalid token'
const ENDED = 'session has ended (logged out, expired or account deleted); log in again'

t.test('a live token works through either header (the baseline for what follows)', async (t) => {
  const { token, user } = await signUp(app)
  t.equal((await me(auth(token))).statusCode, 200)
  t.equal((await me({ 'api-token': token })).body.id, user.id)
})

t.test('no token', async (t) => {
  const basic = `Basic ${Buffer.from(`ada@example.com:${PASSWORD}`).toString('base64')}`
  const cases: Array<Record<string, string>> = [{}, { authorization: '' }, { authorization: 'Bearer' }, { authorization: 'Bearer ' }, { 'api-token': '' }, { authorization: basic }]
  for (const headers of cases) {
    const response = await me(headers)
    t.equal(response.statusCode, 401, JSON.stringify(headers))
    t.same(response.body, { statusCode: 401, error: 'Unauthorized', message: 'authentication required: send your token in the api-token header or as Authorization: Bearer <token>' })
  }
})

t.test('malformed tokens', async (t) => {
  const { token } = await signUp(app)
  const [header, payload, signature] = token.split('.')
  for (const garbage of ['not-a-jwt', 'a.b.c', '..', `${header}.${payload}`, `${header}.${payload}.${signature}.extra`, `${header}..${signature}`,
    `${header}.${Buffer.from('{"sub":').toString('base64url')}.${signature}`, `${header}.${payload}.${signature.slice(0, -2)}`, 'x'.repeat(10_000)]) {
    await refused(t, garbage, INVALID)
  }
})

t.test('alg: none is refused, with or without a signature', async (t) => {
  const { token } = await signUp(app)
  const claims = claimsOf(token)
  await refused(t, forge({ alg: 'none', typ: 'JWT' }, claims), INVALID)
  await refused(t, forge({ alg: 'none', typ: 'JWT' }, claims, TEST_SECRET), INVALID)
  await refused(t, forge({ alg: 'NONE' }, claims), INVALID)
})

t.test('only HS256 is accepted, even when signed with the right secret', async (t) => {
  const { token } = await signUp(app)
  const claims = claimsOf(token)
  t.equal((await me(auth(forge({ alg: 'HS256', typ: 'JWT' }, claims, TEST_SECRET)))).statusCode, 200, 'the forging helper makes real tokens')
  await refused(t, forge({ alg: 'HS512', typ: 'JWT' }, claims, TEST_SECRET, 'sha512'), INVALID)
  await refused(t, forge({ alg: 'HS384', typ: 'JWT' }, claims, TEST_SECRET, 'sha384'), INVALID)
  await refused(t, forge({ alg: 'RS256', typ: 'JWT' }, claims, TEST_SECRET), INVALID)
})

t.test('HS256 signed with another secret', async (t) => {
  const { token } = await signUp(app)
  await refused(t, forge({ alg: 'HS256', typ: 'JWT' }, claimsOf(token), ANOTHER_SECRET), INVALID)
})

t.test('tampered claims with the signature kept', async (t) => {
  const attacker = await signUp(app)
  const victim = await signUp(app)
  const [header, , signature] = attacker.token.split('.')
  const claims = claimsOf(attacker.token)
  for (const changed of [{ ...claims, sub: String(victim.user.id) }, { ...claims, role: 'admin' }, { ...claims, exp: now() + 365 * 86400 }]) {
    await refused(t, `${header}.${base64url(changed)}.${signature}`, INVALID)
  }
  t.equal((await me(auth(victim.token))).body.id, victim.user.id, 'the victim is unaffected')
})

t.test('expired, even when its session still lives', async (t) => {
  const { token } = await signUp(app)
  const claims = claimsOf(token)
  await refused(t, forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now() - 7200, exp: now() - 3600 }, TEST_SECRET), 'token has expired; log in again')
})

t.test('well signed, but not naming a live session of its subject', async (t) => {
  const attacker = await signUp(app)
  const victim = await signUp(app)
  const claims = claimsOf(attacker.token)
  const sign = (changes: Record<string, unknown>): string => forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, ...changes }, TEST_SECRET)
  await refused(t, sign({ sub: String(victim.user.id) }), ENDED)
  await refused(t, sign({ sid: '00000000-0000-4000-8000-000000000000' }), ENDED)
  for (const changes of [{ sub: 'admin' }, { sub: 0 }, { sub: '01' }, { sub: 12 }, { sid: 'x' }, { sid: undefined }, { sub: '99999999999' }]) {
    await refused(t, sign(changes), INVALID)
  }
})

t.test('revoked by logout', async (t) => {
  const { token } = await signUp(app)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(token) })).statusCode, 204)
  await refused(t, token, ENDED)
})

t.test('of a deleted user, whoever deleted them', async (t) => {
  const admin = await signUpAdmin(app, db)
  const self = await signUp(app)
  const removed = await signUp(app)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(self.token) })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${removed.user.id}`, headers: auth(admin.token) })).statusCode, 204)
  await refused(t, self.token, ENDED)
  await refused(t, removed.token, ENDED)
})

t.test('a demoted admin keeps a valid token but loses the admin routes at once', async (t) => {
  const admin = await signUpAdmin(app, db)
  const colleague = await signUp(app, { email: 'colleague@example.com' })
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${colleague.user.id}`, headers: auth(admin.token), payload: { role: 'admin' } })).statusCode, 200)
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'colleague@example.com', password: PASSWORD } })
  const token = login.json().jwt_token as string
  t.equal(claimsOf(token).role, 'admin', 'a token issued to an admin says so')
  t.equal((await app.inject({ url: '/api/v1/users', headers: auth(token) })).statusCode, 200)

  const change = await app.inject({ method: 'PATCH', url: `/api/v1/users/${colleague.user.id}`, headers: auth(admin.token), payload: { role: 'user' } })
  t.equal(change.statusCode, 200)
  const response = await app.inject({ url: '/api/v1/users', headers: auth(token) })
  t.equal(response.statusCode, 403)
  t.same(response.json(), { statusCode: 403, error: 'Forbidden', message: 'this operation is for admins only' })
  t.equal((await me(auth(token))).body.role, 'user', 'the token still works, as an ordinary user\'s')
})

t.test('well signed, naming a live session, but never expiring', async (t) => {
  const { token } = await signUp(app)
  const { exp, ...claims } = claimsOf(token)
  t.type(exp, 'number', 'the tokens we issue expire')
  await refused(t, forge({ alg: 'HS256', typ: 'JWT' }, claims, TEST_SECRET), INVALID)
  await refused(t, forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: null }, TEST_SECRET), INVALID)
})
