import t from 'tap'
import type { Database } from '../../src/db/database.js'
import { SESSION_ENDED } from '../../src/plugins/auth.js'
import { auth, buildTestApp, PASSWORD, resetData, signUp, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const NEW_PASSWORD = 'amber-Lantern-58-orchard'

const me = async (token: string): Promise<ReturnType<typeof app.inject>> => await app.inject({ url: '/api/v1/users/me', headers: auth(token) })
const change = async (token: string, payload: Record<string, unknown>, method: 'PATCH' | 'PUT' = 'PATCH'): Promise<ReturnType<typeof app.inject>> =>
  await app.inject({ method, url: '/api/v1/users/me', headers: auth(token), payload })
const login = async (email: string, password: string): Promise<number> =>
  (await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email, password } })).statusCode

t.test('I read my account with the token in either header', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const bearer = await me(token)
  t.equal(bearer.statusCode, 200)
  t.same(bearer.json(), user)
  const apiToken = await app.inject({ url: '/api/v1/users/me', headers: { 'api-token': token } })
  t.same(apiToken.json(), user)
})

t.test('PATCH and PUT both change only the fields sent', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const patched = await change(token, { first_name: ' Augusta Ada ', last_name: 'King' })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { first_name: 'Augusta Ada', last_name: 'King', dob: user.dob, email: user.email })
  const put = await change(token, { dob: '1991-05-18' }, 'PUT')
  t.equal(put.statusCode, 200)
  t.match(put.json(), { first_name: 'Augusta Ada', last_name: 'King', dob: '1991-05-18' })
  t.same((await me(token)).json(), put.json())
})

t.test('changing the email or the password needs the current password, and a refusal changes nothing', async (t) => {
  const { token, user } = await signUp(app, { email: 'ada@example.com' })
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ email: 'ada.king@example.com' }, 400, 'body/current_password is required to change email or password'],
    [{ password: NEW_PASSWORD }, 400, 'body/current_password is required to change email or password'],
    [{ email: 'ada.king@example.com', current_password: 'not-the-password' }, 401, 'body/current_password is incorrect'],
    [{ password: NEW_PASSWORD, current_password: 'not-the-password' }, 401, 'body/current_password is incorrect'],
    [{ password: 'password123', current_password: PASSWORD }, 400, 'body/password is too easy to guess: This is a commonly used password.']
  ]
  for (const [payload, status, message] of cases) {
    const response = await change(token, payload)
    t.equal(response.statusCode, status, message)
    t.match(response.json().message, message)
  }
  t.same((await me(token)).json(), user)
  t.equal(await login('ada@example.com', PASSWORD), 200)
})

t.test('an email another account has is a 409', async (t) => {
  await signUp(app, { email: 'grace@example.com' })
  const { token } = await signUp(app, { email: 'ada@example.com' })
  const response = await change(token, { email: 'Grace@Example.com', current_password: PASSWORD })
  t.equal(response.statusCode, 409)
  t.equal((await me(token)).json().email, 'ada@example.com')
})

t.test('a new email and password take effect; the password ends my other sessions, not this one', async (t) => {
  const { token } = await signUp(app, { email: 'ada@example.com' })
  const other = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  const response = await change(token, { email: 'ada.king@example.com', password: NEW_PASSWORD, current_password: PASSWORD })
  t.equal(response.statusCode, 200)
  t.equal(response.json().email, 'ada.king@example.com')
  t.equal((await me(token)).statusCode, 200, 'this session goes on')
  t.equal((await me(other.json().jwt_token)).statusCode, 401, 'the other session has ended')
  t.equal(await login('ada.king@example.com', PASSWORD), 401)
  t.equal(await login('ada.king@example.com', NEW_PASSWORD), 200)
})

t.test('deleting my account ends it and every session', async (t) => {
  const { token } = await signUp(app, { email: 'ada@example.com' })
  const response = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: auth(token) })
  t.equal(response.statusCode, 204)
  t.equal((await me(token)).json().message, SESSION_ENDED)
  t.equal(await login('ada@example.com', PASSWORD), 401)
})

t.test('a change to an account deleted after the request was authenticated is a 401', async (t) => {
  // Every transaction on this app first deletes the users: as if an admin deleted the account
  // between the token check and the change.
  const deleting: Database = {
    ...db,
    transaction: async (work) => {
      await db.query('DELETE FROM users')
      return await db.transaction(work)
    }
  }
  const racing = await buildTestApp(t, deleting)
  const { token } = await signUp(app, { email: 'ada@example.com' })
  const response = await racing.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(token), payload: { last_name: 'King' } })
  t.equal(response.statusCode, 401)
  t.equal(response.json().message, SESSION_ENDED)
})
