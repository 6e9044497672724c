// The generated TypeScript client (client/generated/, from openapi/openapi.json, with openapi-fetch
// as the runtime) against the service listening on a real port: what another service would do.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import createClient from 'openapi-fetch'
import type { paths, SchemaError, SchemaToken, SchemaUser } from '../../client/generated/api.js'
import { SESSION_ENDED } from '../../src/plugins/app/auth.js'
import { buildTestApp, PASSWORD, resetData, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
await app.listen({ port: 0, host: '127.0.0.1' })
const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
t.beforeEach(async () => { await resetData(db) })

const ada = { email: 'ada@example.com', password: PASSWORD, first_name: 'Ada', last_name: 'Lovelace', dob: '1990-04-17' }

t.test('sign up, log in, read and change my account, log out', async (t) => {
  const api = createClient<paths>({ baseUrl })

  const signup = await api.POST('/api/v1/users', { body: ada })
  t.equal(signup.response.status, 201)
  const created: SchemaToken | undefined = signup.data
  t.match(created, { token_type: 'Bearer', expires_in: 3600, user: { email: 'ada@example.com', role: 'user', policy: null, genetic_result: null } })

  const answer = await api.POST('/api/v1/users/login', { body: { email: 'ADA@example.com', password: PASSWORD, remember_me: true } })
  t.equal(answer.response.status, 200)
  // The login answers a Token or an MfaChallenge; the client tells them apart by their fields.
  const login = answer.data !== undefined && 'jwt_token' in answer.data ? answer.data : undefined
  t.equal(login?.expires_in, 30 * 86400)
  t.equal(login?.user.id, created?.user.id)
  const headers = { authorization: `Bearer ${login?.jwt_token}` }

  const me = await api.GET('/api/v1/users/me', { headers })
  t.equal(me.response.status, 200)
  const user: SchemaUser | undefined = me.data
  t.same(user, created?.user)

  const updated = await api.PATCH('/api/v1/users/me', { headers, body: { first_name: 'Augusta Ada', last_name: 'King' } })
  t.equal(updated.response.status, 200)
  t.match(updated.data, { id: user?.id, first_name: 'Augusta Ada', last_name: 'King', email: 'ada@example.com' })

  // The body of logout is optional in the spec, so the client lets it out.
  const logout = await api.POST('/api/v1/users/logout', { headers })
  t.equal(logout.response.status, 204)
  t.equal(logout.error, undefined)

  const after = await api.GET('/api/v1/users/me', { headers })
  t.equal(after.response.status, 401)
  t.equal(after.data, undefined)
  const error: SchemaError | undefined = after.error
  t.same(error, { statusCode: 401, error: 'Unauthorized', message: SESSION_ENDED })

  // Logout ended the login's session only: the signup's token still works, in the older clients' header.
  const signupSession = await api.GET('/api/v1/users/me', { headers: { 'api-token': created?.jwt_token } })
  t.equal(signupSession.data?.last_name, 'King')
})

t.test('errors come back typed as the spec\'s Error, with the message naming the field', async (t) => {
  const api = createClient<paths>({ baseUrl })
  await api.POST('/api/v1/users', { body: ada })

  const taken = await api.POST('/api/v1/users', { body: { ...ada, email: 'Ada@Example.com' } })
  t.equal(taken.response.status, 409)
  t.same(taken.error, { statusCode: 409, error: 'Conflict', message: 'an account with this email already exists' })

  const weak = await api.POST('/api/v1/users', { body: { ...ada, email: 'grace@example.com', password: 'password123' } })
  t.equal(weak.response.status, 400)
  t.match(weak.error?.message, /^body\/password is too easy to guess/)

  const wrong = await api.POST('/api/v1/users/login', { body: { email: ada.email, password: 'not-the-password' } })
  t.equal(wrong.response.status, 401)
  t.same(wrong.error, { statusCode: 401, error: 'Unauthorized', message: 'invalid credentials' })
})
