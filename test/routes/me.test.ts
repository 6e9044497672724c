import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { passwordProblem } from '../../src/accounts/passwords.js'
import { auth, buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const NEW_PASSWORD = 'amber-Lantern-58-orchard'
const SESSION_ENDED = 'session has ended (logged out, expired or account deleted); log in again'

const login = async (email: string, password: string): Promise<number> =>
  (await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password } })).statusCode

const patch = async (token: string, payload: unknown, url = '/api/v1/users/me'): Promise<LightMyRequestResponse> =>
  await app.inject({ method: 'PATCH', url, headers: auth(token), payload: payload as Record<string, unknown> })

async function row (id: number): Promise<Record<string, unknown> | undefined> {
  const { rows } = await db.query('SELECT email, password_hash, first_name, last_name, dob, role, created_at, updated_at FROM users WHERE id = $1', [id])
  return rows[0]
}

t.test('GET /me is the caller\'s profile, with what an admin attached, and never the hash', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  await signUp(app, { email: 'grace@example.com' })
  await db.query("INSERT INTO genetic_profiles (user_id, policy, genetic_result) VALUES ($1, 'POL-2024-000123', '{\"BRCA1\": \"negative\"}')", [user.id])

  for (const url of ['/api/v1/users/me', '/api/v1/users/me/']) {
    const response = await app.inject({ url, headers: auth(token) })
    t.equal(response.statusCode, 200, url)
    t.same(response.json(), { ...user, policy: 'POL-2024-000123', genetic_result: { BRCA1: 'negative' } }, url)
  }
  t.notMatch((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).body, /password|\$2b\$/)
})

t.test('GET /me needs a token', async (t) => {
  const response = await app.inject({ url: '/api/v1/users/me' })
  t.equal(response.statusCode, 401)
  t.same(response.json(), {
    statusCode: 401,
    error: 'Unauthorized',
    message: 'authentication required: send your token in the api-token header or as Authorization: Bearer <token>'
  })
})

t.test('PATCH /me changes only the fields sent, trimming names', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const before = await row(user.id)
  const response = await patch(token, { first_name: '  Augusta Ada  ', dob: '1815-12-10' })
  t.equal(response.statusCode, 400, 'dob before 1900 is refused')
  t.equal(response.json().message, 'body/dob must be on or after 1900-01-01')
  t.same(await row(user.id), before, 'and nothing changed, not even the name sent with it')

  const ok = await patch(token, { first_name: '  Augusta Ada  ', dob: '2000-02-29' })
  t.equal(ok.statusCode, 200)
  const body = ok.json()
  t.same({ ...body, modified_at: undefined }, { ...user, first_name: 'Augusta Ada', dob: '2000-02-29', modified_at: undefined })
  t.ok(body.modified_at > user.modified_at, 'modified_at moves')
  t.equal(body.created_at, user.created_at, 'created_at does not')
  t.match(await row(user.id), { first_name: 'Augusta Ada', last_name: 'Lovelace', dob: '2000-02-29', email: 'ada@example.com' })
})

t.test('PUT /me is the same partial update, with or without the trailing slash', async (t) => {
  const { token } = await signUp(app)
  for (const [method, url, name] of [['PUT', '/api/v1/users/me', 'Grace'], ['PUT', '/api/v1/users/me/', 'Mary'], ['PATCH', '/api/v1/users/me/', 'Edith']] as const) {
    const response = await app.inject({ method, url, headers: auth(token), payload: { last_name: name } })
    t.equal(response.statusCode, 200, `${method} ${url}`)
    t.match(response.json(), { first_name: 'Ada', last_name: name })
  }
})

t.test('dob must be a real date, in the past', async (t) => {
  const { token, user } = await signUp(app)
  const cases: Array<[unknown, string]> = [
    ['2999-01-01', 'body/dob must not be in the future'],
    ['1899-12-31', 'body/dob must be on or after 1900-01-01'],
    ['2001-02-29', 'body/dob must be a real date written YYYY-MM-DD'],
    ['17/04/1990', 'body/dob must be a real date written YYYY-MM-DD'],
    [19900417, 'body/dob must be a string']
  ]
  for (const [dob, message] of cases) {
    const response = await patch(token, { dob })
    t.equal(response.statusCode, 400, String(dob))
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message })
  }
  t.match(await row(user.id), { dob: '1990-04-17' })
})

t.test('fields a customer cannot write are refused by name, and nothing changes', async (t) => {
  const { token, user } = await signUp(app)
  const before = await row(user.id)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ role: 'admin' }, /^body\/role cannot be set here: /],
    [{ policy: 'POL-1' }, /^body\/policy cannot be set here: /],
    [{ genetic_result: { BRCA1: 'negative' } }, /^body\/genetic_result cannot be set here: /],
    [{ id: 1 }, /^body\/id is set by the server and cannot be changed$/],
    [{ created_at: '2000-01-01T00:00:00Z' }, /^body\/created_at is set by the server and cannot be changed$/],
    [{ nickname: 'ada' }, /^body\/nickname is not a known field$/],
    [{ first_name: 'Grace', role: 'admin' }, /^body\/role cannot be set here: /]
  ]
  for (const [payload, message] of cases) {
    const response = await patch(token, payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.match(response.json(), { statusCode: 400, error: 'Bad Request', message }, JSON.stringify(payload))
  }
  t.same(await row(user.id), before)
  const { rows } = await db.query('SELECT count(*)::integer AS n FROM genetic_profiles')
  t.same(rows, [{ n: 0 }])
})

t.test('a change needs something to change', async (t) => {
  const { token } = await signUp(app)
  const empty = await patch(token, {})
  t.equal(empty.statusCode, 400)
  t.same(empty.json(), { statusCode: 400, error: 'Bad Request', message: 'body must contain at least one field to change' })
  const array = await patch(token, [])
  t.equal(array.statusCode, 400)
  t.equal(array.json().message, 'body must be an object')
  const before = await app.inject({ url: '/api/v1/users/me', headers: auth(token) })
  const onlyPassword = await patch(token, { current_password: 'anything-at-all' })
  t.equal(onlyPassword.statusCode, 400, 'current_password alone changes nothing')
  t.equal(onlyPassword.json().message, 'body must contain at least one field to change')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).json().modified_at, before.json().modified_at)
  const none = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token) })
  t.equal(none.statusCode, 400)
  t.equal(none.json().message, 'body must be an object')
})

t.test('changing the email needs the current password', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const missing = await patch(token, { email: 'countess@example.com' })
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { statusCode: 400, error: 'Bad Request', message: 'body/current_password is required to change email or password' })
  const wrong = await patch(token, { email: 'countess@example.com', current_password: 'not-my-password' })
  t.equal(wrong.statusCode, 401)
  t.same(wrong.json(), { statusCode: 401, error: 'Unauthorized', message: 'body/current_password is incorrect' })
  t.match(await row(user.id), { email: 'ada@example.com' })

  const ok = await patch(token, { email: 'countess@example.com', current_password: PASSWORD })
  t.equal(ok.statusCode, 200)
  // The address changes once the link mailed to it is followed (test/routes/email.test.ts).
  t.match(ok.json(), { email: 'ada@example.com', pending_email: 'countess@example.com' })
  t.equal(await login('ada@example.com', PASSWORD), 200)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode, 200, 'an email change keeps the session')
})

t.test('an email taken by another account, whatever its case, is a 409; one\'s own in another case is not', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  await signUp(app, { email: 'grace@example.com' })
  const taken = await patch(token, { email: 'GRACE@example.com', current_password: PASSWORD })
  t.equal(taken.statusCode, 409)
  t.same(taken.json(), { statusCode: 409, error: 'Conflict', message: 'an account with this email already exists' })
  t.match(await row(user.id), { email: 'ada@example.com' })

  const own = await patch(token, { email: 'Ada@Example.com', current_password: PASSWORD })
  t.equal(own.statusCode, 200)
  t.equal(own.json().email, 'Ada@Example.com')
})

t.test('a new password ends every other session, keeps this one, and replaces the old password', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const other = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  const otherToken = other.json().jwt_token as string
  const bystander = await signUp(app, { email: 'grace@example.com' })

  const response = await patch(token, { password: NEW_PASSWORD, current_password: PASSWORD })
  t.equal(response.statusCode, 200)
  t.notMatch(response.body, /password|\$2b\$/)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode, 200, 'this session goes on')
  const ended = await app.inject({ url: '/api/v1/users/me', headers: auth(otherToken) })
  t.equal(ended.statusCode, 401, 'the other session is over')
  t.equal(ended.json().message, SESSION_ENDED)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(bystander.token) })).statusCode, 200, 'other users are not touched')
  t.equal(await login('ada@example.com', PASSWORD), 401)
  t.equal(await login('ada@example.com', NEW_PASSWORD), 200)
  const { rows } = await db.query('SELECT count(*)::integer AS n FROM sessions WHERE user_id = $1', [user.id])
  t.same(rows, [{ n: 2 }], 'this session and the login just made')
})

t.test('a new password must be strong and needs the current one', async (t) => {
  const { token, user } = await signUp(app, { email: 'kettle.harbor@example.com' })
  const before = await row(user.id)
  const cases: Array<[Record<string, unknown>, number, string | RegExp]> = [
    [{ password: NEW_PASSWORD }, 400, 'body/current_password is required to change email or password'],
    [{ password: NEW_PASSWORD, current_password: NEW_PASSWORD }, 401, 'body/current_password is incorrect'],
    [{ password: 'short', current_password: PASSWORD }, 400, 'body/password must be at least 10 characters'],
    [{ password: 'password123', current_password: PASSWORD }, 400, /^body\/password is too easy to guess/],
    [{ password: 'kettle.harbor@example.com', current_password: PASSWORD }, 400, /^body\/password is too easy to guess/],
    [{ password: 'é'.repeat(40), current_password: PASSWORD }, 400, 'body/password must be at most 72 bytes of UTF-8 (it has 80)'],
    [{ password: 'x'.repeat(73), current_password: PASSWORD }, 400, 'body/password must be at most 72 characters']
  ]
  for (const [payload, status, message] of cases) {
    const response = await patch(token, payload)
    t.equal(response.statusCode, status, JSON.stringify(payload))
    t.match(response.json(), { statusCode: status, message }, JSON.stringify(payload))
  }
  t.same(await row(user.id), before, 'the password is what it was')
})

t.test('a new password is judged against the new email, not the old one', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const email = 'violet.kettle.harbor@example.com'
  t.equal(await passwordProblem(email, ['ada@example.com', 'Ada', 'Lovelace']), undefined, 'a strong password for anyone else')
  const response = await patch(token, { email, password: email, current_password: PASSWORD })
  t.equal(response.statusCode, 400)
  t.match(response.json().message, /^body\/password is too easy to guess/)
  t.match(await row(user.id), { email: 'ada@example.com' }, 'and the email did not change either')
})

t.test('DELETE /me removes the account, its genetic data and its sessions, and nobody else\'s', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const other = await signUp(app, { email: 'grace@example.com' })
  await db.query("INSERT INTO genetic_profiles (user_id, policy, genetic_result) VALUES ($1, 'POL-1', '{\"APOE\": \"e3/e3\"}'), ($2, 'POL-2', '{}')",
    [user.id, other.user.id])

  const response = await app.inject({ method: 'DELETE', url: '/api/v1/users/me/', headers: auth(token) })
  t.equal(response.statusCode, 204)
  t.equal(response.body, '')
  for (const table of ['users', 'sessions', 'genetic_profiles']) {
    const column = table === 'users' ? 'id' : 'user_id'
    const { rows } = await db.query(`SELECT ${column} AS id FROM ${table} ORDER BY 1`)
    t.same(rows, [{ id: other.user.id }], `${table}: only the other user's row is left`)
  }
  const after = await app.inject({ url: '/api/v1/users/me', headers: auth(token) })
  t.equal(after.statusCode, 401)
  t.equal(after.json().message, SESSION_ENDED)
  t.equal(await login('ada@example.com', PASSWORD), 401)
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(token) })).statusCode, 401, 'deleting twice is not possible')
})

t.test('an account deleted while its change was on the way gets a 401, and nothing is recreated', async (t) => {
  const racing = await buildTestApp(t, db)
  // Another request (or an admin) deletes the account after this one was authenticated.
  racing.addHook('preHandler', async (request) => {
    if (request.account !== null) await db.query('DELETE FROM users WHERE id = $1', [request.account.id])
  })
  const { token, user } = await signUp(app)
  const response = await racing.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload: { first_name: 'Grace' } })
  t.equal(response.statusCode, 401)
  t.same(response.json(), { statusCode: 401, error: 'Unauthorized', message: SESSION_ENDED })
  t.equal(await row(user.id), undefined)
})

t.test('a wrong current_password counts as a failed login: 3 × 401, then 429 even for the right password, and login too', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const attempts = [
    await patch(token, { email: 'countess@example.com', current_password: 'guess-1' }),
    await app.inject({ method: 'PUT', url: '/api/v1/users/me', headers: auth(token), payload: { password: NEW_PASSWORD, current_password: 'guess-2' } }),
    await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(token), payload: { current_password: 'guess-3' } }),
    await patch(token, { email: 'countess@example.com', current_password: 'guess-4' })
  ]
  t.same(attempts.map((response) => response.statusCode), [401, 401, 401, 429])
  const locked = attempts[3]
  t.match(locked.json(), { statusCode: 429, error: 'Too Many Requests', message: /^too many failed logins: this account is locked from your address until \d\d:\d\d:\d\d UTC; try again in 15 minutes$/ })
  t.ok(Number(locked.headers['retry-after']) > 890, 'with Retry-After')

  t.equal((await patch(token, { email: 'countess@example.com', current_password: PASSWORD })).statusCode, 429, 'the right password is not even checked')
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(token), payload: { current_password: PASSWORD } })).statusCode, 429)
  t.equal(await login('ada@example.com', PASSWORD), 429, 'and the account cannot log in from this address either')
  t.match(await row(user.id), { email: 'ada@example.com' }, 'nothing changed')
})

t.test('the right current_password ends the failure streak, as a successful login does', async (t) => {
  const { token } = await signUp(app, { email: 'ada@example.com' })
  for (let i = 0; i < 2; i++) t.equal(await login('ada@example.com', 'wrong-password'), 401)
  t.equal((await patch(token, { first_name: 'Augusta', password: NEW_PASSWORD, current_password: PASSWORD })).statusCode, 200)
  for (let i = 0; i < 2; i++) t.equal((await patch(token, { password: PASSWORD, current_password: 'wrong-password' })).statusCode, 401)
  t.equal(await login('ada@example.com', NEW_PASSWORD), 200, 'two failures after the reset, not four')
})

t.test('routes that check current_password share the per-IP limit of signup and login', async (t) => {
  const limited = await buildTestApp(t, db, { AUTH_RATE_LIMIT: '3' })
  const { token } = await signUp(limited, { email: 'ada@example.com' })
  const from = { headers: auth(token), remoteAddress: '127.0.0.1' }
  t.equal((await limited.inject({ method: 'PATCH', url: '/api/v1/users/me', ...from, payload: { first_name: 'Grace' } })).statusCode, 200)
  t.equal((await limited.inject({ method: 'DELETE', url: '/api/v1/users/me', ...from, payload: { current_password: 'wrong-password' } })).statusCode, 401)
  const refused = await limited.inject({ method: 'PUT', url: '/api/v1/users/me', ...from, payload: { email: 'countess@example.com', current_password: PASSWORD } })
  t.equal(refused.statusCode, 429)
  t.match(refused.json().message, /^too many signup, login and account requests from your address; try again in \d+ seconds$/)
  t.equal(refused.headers['x-ratelimit-limit'], '3')
})

t.test('DELETE /me from a session older than 5 minutes needs the current password', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  await db.query("UPDATE sessions SET created_at = now() - interval '5 minutes 1 second' WHERE user_id = $1", [user.id])
  const del = async (payload?: Record<string, unknown>): Promise<LightMyRequestResponse> =>
    await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(token), ...(payload === undefined ? {} : { payload }) })

  const missing = await del()
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { statusCode: 400, error: 'Bad Request', message: 'body/current_password is required to delete the account, except within 5 minutes of logging in' })
  t.equal((await del({})).statusCode, 400, 'an empty body is no password either')
  const wrong = await del({ current_password: 'not-my-password' })
  t.equal(wrong.statusCode, 401)
  t.same(wrong.json(), { statusCode: 401, error: 'Unauthorized', message: 'body/current_password is incorrect' })
  t.match(await row(user.id), { email: 'ada@example.com' }, 'the account is still there')
  t.match((await del({ current_password: PASSWORD, confirm: true })).json(), { statusCode: 400, message: 'body/confirm is not a known field' })

  t.equal((await del({ current_password: PASSWORD })).statusCode, 204)
  t.equal(await row(user.id), undefined)
})

t.test('a session younger than 5 minutes deletes without a password, but a password sent is checked', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const wrong = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(token), payload: { current_password: 'not-my-password' } })
  t.equal(wrong.statusCode, 401)
  t.match(await row(user.id), { email: 'ada@example.com' })
  const bodyless = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(token) })
  t.equal(bodyless.statusCode, 204)
  t.equal(await row(user.id), undefined)
})

t.test('an address changed by an admin ends every session of the user, as a new password does', async (t) => {
  // The customer's own change ends the others once the new address confirms it (test/routes/email.test.ts).
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const other = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  const otherToken = other.json().jwt_token as string
  const bystander = await signUp(app, { email: 'grace@example.com' })
  const admin = await signUpAdmin(app, db, { email: 'admin@example.com' })
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(otherToken) })).statusCode, 200, 'both sessions work before')

  const response = await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: auth(admin.token), payload: { email: 'countess@example.com' } })
  t.equal(response.statusCode, 200)
  t.equal(response.json().email, 'countess@example.com')
  for (const ended of [token, otherToken]) {
    const answer = await app.inject({ url: '/api/v1/users/me', headers: auth(ended) })
    t.equal(answer.statusCode, 401, 'the session is over')
    t.equal(answer.json().message, SESSION_ENDED)
  }
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(bystander.token) })).statusCode, 200, 'other users are not touched')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(admin.token) })).statusCode, 200, 'nor the admin')

  const again = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'countess@example.com', password: PASSWORD } })
  const session = again.json().jwt_token as string
  t.equal((await patch(session, { last_name: 'King' })).statusCode, 200)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(session) })).statusCode, 200, 'a change of name ends no session')
})
