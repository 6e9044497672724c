import t from 'tap'
import { auth, buildTestApp, PASSWORD, signUp, testDatabase } from '../helper.js'

// Someone has a customer's token but not their password: what can they not do, and how does
// the customer shut them out?
const db = await testDatabase(t)
const app = await buildTestApp(t, db)

const patchMe = async (token: string, payload: Record<string, unknown>) =>
  await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload })
const login = async (email: string, password: string) =>
  (await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password } })).json().jwt_token as string
const credentials = async (id: number): Promise<unknown> =>
  (await db.query('SELECT email, password_hash FROM users WHERE id = $1', [id])).rows

t.test('a token alone cannot take the account over: email and password need the current password', async (t) => {
  const { token: stolen, user } = await signUp(app, { email: 'ada@example.com' })
  const before = await credentials(user.id)
  const attempts: Array<[Record<string, unknown>, number, string]> = [
    [{ email: 'thief@example.com' }, 400, 'body/current_password is required to change email or password'],
    [{ password: 'thief-Harbor-71-lantern' }, 400, 'body/current_password is required to change email or password'],
    [{ email: 'thief@example.com', current_password: 'a-guess-at-the-password' }, 401, 'body/current_password is incorrect'],
    [{ password: 'thief-Harbor-71-lantern', current_password: 'a-guess-at-the-password' }, 401, 'body/current_password is incorrect']
  ]
  for (const [payload, status, message] of attempts) {
    const response = await patchMe(stolen, payload)
    t.equal(response.statusCode, status, JSON.stringify(payload))
    t.equal(response.json().message, message)
  }
  t.same(await credentials(user.id), before, 'nothing changed')
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(stolen) })).statusCode, 200, 'a wrong guess does not end the session by itself')
})

t.test('the owner changing their password ends every other session at once, the stolen one included', async (t) => {
  const { token: stolen } = await signUp(app, { email: 'grace@example.com' })
  const own = await login('grace@example.com', PASSWORD)
  const change = await patchMe(own, { password: 'new-Harbor-71-lantern', current_password: PASSWORD })
  t.equal(change.statusCode, 200)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(stolen) })).statusCode, 401)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(own) })).statusCode, 200, 'the session that changed it stays')
})

t.test('logging out everywhere ends the stolen token too', async (t) => {
  const { token: stolen } = await signUp(app, { email: 'edsger@example.com' })
  const own = await login('edsger@example.com', PASSWORD)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(own), payload: { all: true } })).statusCode, 204)
  t.equal((await app.inject({ url: '/api/v1/users/me', headers: auth(stolen) })).statusCode, 401)
})

t.test('a token is only taken from a header, never from the URL, where logs and browser history keep it', async (t) => {
  const { token } = await signUp(app)
  for (const query of [`token=${token}`, `api-token=${token}`, `jwt_token=${token}`, `access_token=${token}`]) {
    t.equal((await app.inject({ url: `/api/v1/users/me?${query}` })).statusCode, 401, query.split('=')[0])
  }
})
