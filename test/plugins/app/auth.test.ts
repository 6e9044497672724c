import { createHmac, randomUUID } from 'node:crypto'
import t from 'tap'
import { auth, buildTestApp, PASSWORD, resetData, signUp, TEST_SECRET, testDatabase } from '../../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
// A route only admins may use, as the admin routes declare it.
app.get('/test-only/admin', { onRequest: [app.authenticate, app.requireAdmin] }, async (request) => ({ admin: request.account.email }))
t.beforeEach(async () => { await resetData(db) })

const SESSION_ENDED = 'session has ended (logged out, expired or account deleted); log in again'
const now = (): number => Math.floor(Date.now() / 1000)

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT made by hand, so that a test can make one the service would never issue. */
function jwt (claims: Record<string, unknown>, { alg = 'HS256', secret = TEST_SECRET } = {}): string {
  const body = `${encode({ alg, typ: 'JWT' })}.${encode(claims)}`
  if (alg === 'none') return `${body}.`
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] as string
  return `${body}.${createHmac(hash, secret).update(body).digest('base64url')}`
}

/** The claims of a real session of the user: only the token around them is what the test varies. */
async function sessionClaims (): Promise<{ sub: string, role: string, sid: string, iat: number, exp: number }> {
  const { token } = await signUp(app)
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string, role: string, sid: string, iat: number, exp: number }
}

const me = async (headers: Record<string, string>): Promise<{ status: number, message?: string }> => {
  const response = await app.inject({ url: '/api/v1/users/me', headers })
  return { status: response.statusCode, message: response.statusCode === 200 ? undefined : response.json().message }
}

t.test('a token is read from api-token or from Authorization: Bearer', async (t) => {
  const { token } = await signUp(app)
  t.same(await me({ 'api-token': token }), { status: 200, message: undefined }, 'api-token, as the old clients send it')
  t.same(await me({ authorization: `Bearer ${token}` }), { status: 200, message: undefined })
  t.same(await me({ authorization: `bearer   ${token}` }), { status: 200, message: undefined }, 'the scheme in any case, with any spaces')
  t.same(await me({ 'api-token': '', authorization: `Bearer ${token}` }), { status: 200, message: undefined }, 'an empty api-token is no token')
})

t.test('no token, or a header that does not carry one, is a 401 that says how to send it', async (t) => {
  const { token } = await signUp(app)
  const message = 'authentication required: send your token in the api-token header or as Authorization: Bearer <token>'
  for (const headers of [{}, { authorization: token }, { authorization: `Basic ${token}` }, { authorization: 'Bearer' }, { 'api-token': '' }] as Array<Record<string, string>>) {
    t.same(await me(headers), { status: 401, message }, JSON.stringify(headers).slice(0, 40))
  }
})

t.test('a token that is not one of ours is an invalid token', async (t) => {
  const claims = await sessionClaims()
  const cases: Array<[string, string]> = [
    ['not-a-jwt', 'garbage'],
    [jwt(claims).slice(0, -2), 'a signature cut short'],
    [jwt(claims, { secret: 'another-secret-that-is-at-least-32-bytes' }), 'signed with another secret'],
    [jwt(claims, { alg: 'none' }), 'alg: none, unsigned'],
    [jwt(claims, { alg: 'HS512' }), 'HS512 with the right secret: the algorithm is pinned']
  ]
  for (const [token, what] of cases) t.same(await me(auth(token)), { status: 401, message: 'invalid token' }, what)
  t.same(await me(auth(jwt(claims))), { status: 200, message: undefined }, 'while the same claims, signed as we sign, are accepted')
})

t.test('a well-signed token whose claims are not ours is an invalid token', async (t) => {
  const claims = await sessionClaims()
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...claims, sid: 'not-a-uuid' }, 'sid is not a uuid'],
    [{ ...claims, sid: claims.sid.toUpperCase() }, 'sid not in the form we issue'],
    [{ ...claims, sid: undefined }, 'no sid'],
    [{ ...claims, sub: Number(claims.sub) }, 'sub is a number, not a string'],
    [{ ...claims, sub: '0' }, 'sub is not a user id'],
    [{ ...claims, sub: `${claims.sub} OR 1=1` }, 'sub is not a number'],
    [{ ...claims, sub: undefined }, 'no sub']
  ]
  for (const [payload, what] of cases) t.same(await me(auth(jwt(payload))), { status: 401, message: 'invalid token' }, what)
})

t.test('an expired token says so', async (t) => {
  const claims = await sessionClaims()
  const token = jwt({ ...claims, iat: now() - 7200, exp: now() - 3600 })
  t.same(await me(auth(token)), { status: 401, message: 'token has expired; log in again' })
  t.same(await me(auth(app.jwt.sign({ sub: claims.sub, role: 'user', sid: claims.sid }, { expiresIn: -1 }))),
    { status: 401, message: 'token has expired; log in again' }, 'also when we signed it')
})

t.test('a valid token of a session that is gone, or of another user, is refused', async (t) => {
  const claims = await sessionClaims()
  const other = await sessionClaims()
  t.same(await me(auth(jwt({ ...claims, sid: randomUUID() }))), { status: 401, message: SESSION_ENDED }, 'a session that never was')
  t.same(await me(auth(jwt({ ...claims, sub: other.sub }))), { status: 401, message: SESSION_ENDED }, 'someone else\'s id on my session')
  await db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [claims.sid])
  t.same(await me(auth(jwt(claims))), { status: 401, message: SESSION_ENDED }, 'a session past its end in the database')
})

t.test('admin rights are read from the database on every request, not from the token', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const asUser = await app.inject({ url: '/test-only/admin', headers: auth(token) })
  t.equal(asUser.statusCode, 403)
  t.same(asUser.json(), { statusCode: 403, error: 'Forbidden', message: 'this operation is for admins only' })

  await db.query("UPDATE users SET role = 'admin' WHERE id = $1", [user.id])
  const promoted = await app.inject({ url: '/test-only/admin', headers: auth(token) })
  t.equal(promoted.statusCode, 200, 'the same token, which still says role: user')
  t.same(promoted.json(), { admin: 'ada@example.com' })

  await db.query("UPDATE users SET role = 'user' WHERE id = $1", [user.id])
  t.equal((await app.inject({ url: '/test-only/admin', headers: auth(token) })).statusCode, 403, 'and a demotion takes effect at once')
  t.equal((await app.inject({ url: '/test-only/admin' })).statusCode, 401, 'without a token it is a 401, not a 403')
})

t.test('a token without an expiry is refused, even signed with our secret and naming a live session', async (t) => {
  const { exp, ...claims } = await sessionClaims()
  t.same(await me(auth(jwt({ ...claims, exp }))), { status: 200, message: undefined }, 'the same claims with their exp work')
  t.same(await me(auth(jwt(claims))), { status: 401, message: 'invalid token' }, 'made by hand without exp')
  t.same(await me({ 'api-token': app.jwt.sign({ sub: claims.sub, role: 'user', sid: claims.sid }) }), { status: 401, message: 'invalid token' },
    'signed by the app itself without an expiresIn')
  for (const odd of ['9999999999', null]) {
    t.same(await me(auth(jwt({ ...claims, exp: odd }))), { status: 401, message: 'invalid token' }, `exp: ${JSON.stringify(odd)}`)
  }
})

t.test('api-token and Authorization carrying different tokens is a 400 naming both; the same token in both is fine', async (t) => {
  const ada = await signUp(app)
  const grace = await signUp(app)
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: ada.user.email, password: PASSWORD } })
  const adaAgain = login.json().jwt_token as string
  const message = 'the api-token and Authorization headers carry different tokens: send one token, in either header'
  for (const [other, what] of [[grace.token, 'another user\'s'], [adaAgain, 'another session of the same user'], ['not-a-jwt', 'garbage']]) {
    const response = await app.inject({ url: '/api/v1/users/me', headers: { 'api-token': ada.token, authorization: `Bearer ${other}` } })
    t.equal(response.statusCode, 400, what)
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message }, what)
  }
  const both = await app.inject({ url: '/api/v1/users/me', headers: { 'api-token': ada.token, authorization: `Bearer ${ada.token}` } })
  t.equal(both.statusCode, 200)
  t.equal(both.json().id, ada.user.id)
  t.same(await me({ 'api-token': ada.token, authorization: 'Basic YWRhOnNlY3JldA==' }), { status: 200, message: undefined },
    'an Authorization header that carries no token is no conflict')
})
