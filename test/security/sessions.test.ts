// How many sessions one account may hold at once (MAX_SESSIONS_PER_USER): a new login ends the
// oldest, so a stolen password or a script logging in over and over cannot pile up live tokens.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { auth, buildTestApp, PASSWORD, signUp, testDatabase } from '../helper.js'

const db = await testDatabase(t)

async function login (app: FastifyInstance, email: string): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password: PASSWORD } })
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`)
  return response.json().jwt_token as string
}

const status = async (app: FastifyInstance, token: string): Promise<number> =>
  (await app.inject({ url: '/api/v1/users/me', headers: auth(token) })).statusCode

async function sessionRows (userId: number): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::integer AS count FROM sessions WHERE user_id = $1', [userId])
  return rows[0].count
}

t.test('at most 20 live sessions by default: 21 logins after signing up end the two oldest', async (t) => {
  const app = await buildTestApp(t, db)
  const { token: signupToken, user } = await signUp(app)
  const logins: string[] = []
  for (let i = 0; i < 21; i++) logins.push(await login(app, user.email))

  t.equal(await status(app, signupToken), 401, 'the signup\'s session, the oldest, has ended')
  t.equal(await status(app, logins[0]), 401, 'and so has the first login\'s')
  const working = await Promise.all(logins.slice(1).map(async (token) => await status(app, token)))
  t.same(working, Array(20).fill(200), 'the 20 newest work')
  t.equal(await sessionRows(user.id), 20, 'the sessions table holds 20 rows for the user')

  const other = await signUp(app)
  t.equal(await status(app, other.token), 200, 'another user\'s sessions are not touched')
  t.equal(await sessionRows(user.id), 20)
})

t.test('the limit holds under concurrent logins too', async (t) => {
  // The lockout counts a login as failed until it has succeeded: parallel ones would trip it.
  const app = await buildTestApp(t, db, { MAX_SESSIONS_PER_USER: '3', LOGIN_MAX_FAILURES: '100' })
  const { user } = await signUp(app)
  const tokens = await Promise.all(Array.from({ length: 12 }, async () => await login(app, user.email)))
  t.equal(await sessionRows(user.id), 3, 'three rows, however the logins interleaved')
  const statuses = await Promise.all(tokens.map(async (token) => await status(app, token)))
  t.equal(statuses.filter((code) => code === 200).length, 3, 'three tokens work')
  t.equal(statuses.filter((code) => code === 401).length, 9, 'the others have ended')
})

t.test('an expired session makes room too, and is cleared on the way', async (t) => {
  const app = await buildTestApp(t, db, { MAX_SESSIONS_PER_USER: '2' })
  const { token: first, user } = await signUp(app)
  const second = await login(app, user.email)
  await db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND created_at = (SELECT max(created_at) FROM sessions WHERE user_id = $1)", [user.id])
  const third = await login(app, user.email)
  t.same([await status(app, first), await status(app, second), await status(app, third)], [200, 401, 200],
    'the expired one does not count, so the oldest live one stays')
  t.equal(await sessionRows(user.id), 2, 'and its row is gone')
})
