import t from 'tap'
import { auth, buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const signupBody = (fields: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17', ...fields })

t.test('signup creates the account and logs it in', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/api/v1/users', payload: signupBody({ first_name: '  Ada  ' }) })
  t.equal(response.statusCode, 201)
  const body = response.json()
  t.match(body, {
    token_type: 'Bearer',
    expires_in: 3600,
    user: { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17', role: 'user', policy: null, genetic_result: null }
  })
  t.notOk('password_hash' in body.user)
  const me = await app.inject({ url: '/api/v1/users/me', headers: { 'api-token': body.jwt_token } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().id, body.user.id)
})

t.test('the old clients\' trailing slash works', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/api/v1/users/', payload: signupBody() })
  t.equal(response.statusCode, 201)
})

t.test('an email is taken whatever its case', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const response = await app.inject({ method: 'POST', url: '/api/v1/users', payload: signupBody({ email: 'ADA@Example.COM' }) })
  t.equal(response.statusCode, 409)
  t.same(response.json(), { statusCode: 409, error: 'Conflict', message: 'an account with this email already exists' })
  const { rows } = await db.query('SELECT count(*)::int AS n FROM users')
  t.same(rows, [{ n: 1 }])
})

t.test('signup refuses bad input with a message naming the field, and stores nothing', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [signupBody({ email: undefined }), 'body/email is required'],
    [signupBody({ email: 'not-an-email' }), 'body/email must be a valid email address'],
    [signupBody({ email: `${'a'.repeat(250)}@example.com` }), 'body/email must be at most 254 characters'],
    [signupBody({ first_name: 12 }), 'body/first_name must be a string'],
    [signupBody({ first_name: '   ' }), 'body/first_name must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
    [signupBody({ first_name: 'x'.repeat(129) }), 'body/first_name must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
    [signupBody({ last_name: 'Love\u0007lace' }), 'body/last_name must be 1 to 128 characters (spaces around it are trimmed) with no control or bidirectional-control characters'],
    [signupBody({ dob: '1990-02-30' }), 'body/dob must be a real date written YYYY-MM-DD'],
    [signupBody({ dob: '2999-01-01' }), 'body/dob must not be in the future'],
    [signupBody({ dob: '1850-01-01' }), 'body/dob must be on or after 1900-01-01'],
    [signupBody({ role: 'admin' }), 'body/role cannot be set here: an admin sets it with PATCH /api/v1/users/{id}'],
    [signupBody({ genetic_result: { BRCA1: 'negative' } }), 'body/genetic_result cannot be set here: an admin sets it with PUT /api/v1/users/{id}/genetics'],
    [signupBody({ policy: 'P-1' }), 'body/policy cannot be set here: an admin sets it with PUT /api/v1/users/{id}/genetics'],
    [signupBody({ id: 7 }), 'body/id is set by the server and cannot be changed'],
    [signupBody({ nickname: 'ada' }), 'body/nickname is not a known field'],
    [signupBody({ password: 'short' }), 'body/password must be at least 10 characters'],
    [signupBody({ password: 'password123' }), 'body/password is too easy to guess: This is a commonly used password.'],
    [signupBody({ password: 'ada@example.com' }), 'body/password is too easy to guess'],
    [signupBody({ email: 'violet.kettle.harbor@example.com', password: 'violet.kettle.harbor' }), 'body/password is too easy to guess'],
    [signupBody({ password: 'é'.repeat(40) }), 'body/password must be at most 72 bytes of UTF-8 (it has 80)'],
    [signupBody({ first_name: 'A\u0000da' }), 'body/first_name contains a NUL character or invalid Unicode, which cannot be stored']
  ]
  for (const [payload, message] of cases) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/users', payload })
    t.equal(response.statusCode, 400, message)
    t.match(response.json(), { statusCode: 400, error: 'Bad Request', message }, message)
  }
  const { rows } = await db.query('SELECT count(*)::int AS n FROM users')
  t.same(rows, [{ n: 0 }])
})

t.test('a password of more than 72 characters is refused, not truncated', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/api/v1/users', payload: signupBody({ password: `${PASSWORD}-${'x'.repeat(60)}` }) })
  t.equal(response.statusCode, 400)
  t.equal(response.json().message, 'body/password must be at most 72 characters')
})

t.test('login returns a token for the right password, whatever the email case', async (t) => {
  const { user } = await signUp(app, { email: 'ada@example.com' })
  const response = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ADA@example.com', password: PASSWORD } })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { token_type: 'Bearer', expires_in: 3600, user: { id: user.id, email: 'ada@example.com' } })
})

t.test('remember me asks for the long-lived token', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const response = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD, remember_me: true } })
  t.equal(response.json().expires_in, 30 * 86400)
  const claims = JSON.parse(Buffer.from(response.json().jwt_token.split('.')[1], 'base64url').toString())
  t.equal(claims.exp - claims.iat, 30 * 86400)
})

t.test('unknown email and wrong password get the same 401', async (t) => {
  await signUp(app, { email: 'ada@example.com' })
  const wrong = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: 'not-the-password' } })
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'nobody@example.com', password: PASSWORD } })
  t.equal(wrong.statusCode, 401)
  t.equal(unknown.statusCode, 401)
  t.same(wrong.json(), { statusCode: 401, error: 'Unauthorized', message: 'invalid credentials' })
  t.same(unknown.json(), wrong.json())
})

t.test('a password longer than bcrypt\'s 72 bytes never logs in, even when its first 72 bytes match', async (t) => {
  const password = `${PASSWORD}-${'x'.repeat(72 - PASSWORD.length - 1)}`
  t.equal(Buffer.byteLength(password), 72)
  await signUp(app, { email: 'ada@example.com', password })
  const ok = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password } })
  t.equal(ok.statusCode, 200)
  const longer = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: `${password}y` } })
  t.equal(longer.statusCode, 401)
})

t.test('login needs both fields', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com' } })
  t.equal(response.statusCode, 400)
  t.equal(response.json().message, 'body/password is required')
})

t.test('logout revokes this token only', async (t) => {
  const first = await signUp(app, { email: 'ada@example.com' })
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  const second = login.json().jwt_token as string
  const logout = await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(first.token) })
  t.equal(logout.statusCode, 204)
  t.equal(logout.body, '')
  const revoked = await app.inject({ url: '/api/v1/users/me', headers: auth(first.token) })
  t.equal(revoked.statusCode, 401)
  t.equal(revoked.json().message, 'session has ended (logged out, expired or account deleted); log in again')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(second) })).statusCode, 200)
})

t.test('logout with all: true revokes every session of the user, and no one else\'s', async (t) => {
  const first = await signUp(app, { email: 'ada@example.com' })
  const other = await signUp(app, { email: 'grace@example.com' })
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  const logout = await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(login.json().jwt_token), payload: { all: true } })
  t.equal(logout.statusCode, 204)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(first.token) })).statusCode, 401)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(login.json().jwt_token) })).statusCode, 401)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(other.token) })).statusCode, 200)
})

t.test('logout needs a token and refuses unknown fields', async (t) => {
  const { token } = await signUp(app)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/logout' })).statusCode, 401)
  const bad = await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(token), payload: { everything: true } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().message, 'body/everything is not a known field')
})
