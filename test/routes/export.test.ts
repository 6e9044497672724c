// GET /api/v1/users/me/export: the customer downloads everything held about them, with who read
// or changed it.
import t from 'tap'
import { auth, buildTestApp, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => await resetData(db))

const GENETICS = { genetic_result: { BRCA1: 'negative' }, policy: 'POL-2024-000123' }

t.test('the export of a customer an admin read and changed names that admin, and holds no secret', async (t) => {
  const grace = await signUpAdmin(app, db, { first_name: 'Grace', last_name: 'Hopper' })
  const other = await signUpAdmin(app, db, { first_name: 'Alan', last_name: 'Turing' })
  const ada = await signUp(app)
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [ada.user.id])
  const id = ada.user.id
  const as = (token: string) => ({ headers: auth(token) })
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, payload: { first_name: 'Augusta' }, ...as(grace.token) })).statusCode, 200)
  t.equal((await app.inject({ method: 'PUT', url: `/api/v1/users/${id}/genetics`, payload: GENETICS, ...as(grace.token) })).statusCode, 200)
  t.equal((await app.inject({ url: `/api/v1/users/${id}`, ...as(grace.token) })).statusCode, 200)
  t.equal((await app.inject({ method: 'PATCH', url: '/api/v1/users/me', payload: { last_name: 'King' }, ...as(ada.token) })).statusCode, 200)
  t.equal((await app.inject({ url: `/api/v1/users/${id}`, ...as(other.token) })).statusCode, 200)

  const response = await app.inject({ url: '/api/v1/users/me/export', ...as(ada.token) })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.equal(response.headers['content-disposition'], `attachment; filename="dna-api-export-${id}-${body.exported_at.slice(0, 10)}.json"`)
  t.equal(response.headers['cache-control'], 'no-store')
  t.match(response.headers['content-type'], /^application\/json/)
  t.same(body.user, (await app.inject({ url: '/api/v1/users/me', ...as(ada.token) })).json(), 'the profile, as GET /me shows it')
  t.same(Object.keys(body), ['exported_at', 'user', 'genetic_profile', 'sessions', 'passkeys', 'audit'])
  t.match(body.genetic_profile, { ...GENETICS, updated_by: { id: grace.user.id, name: 'Grace Hopper', role: 'admin' } })
  t.equal(body.sessions.length, 1)
  t.match(body.sessions[0], { current: true, created_at: String, expires_at: String })
  t.same(body.passkeys, [])
  const graceActor = { id: grace.user.id, name: 'Grace Hopper', role: 'admin' }
  t.same(body.audit.map(({ at: _at, ...entry }: { at: string }) => entry), [
    { action: 'user.update', fields: ['first_name'], actor: graceActor },
    { action: 'genetics.update', fields: ['genetic_result', 'policy'], actor: graceActor },
    { action: 'user.read', fields: [], actor: graceActor },
    { action: 'user.update', fields: ['last_name'], actor: { id, name: 'Augusta King', role: 'user' } },
    { action: 'user.read', fields: [], actor: { id: other.user.id, name: 'Alan Turing', role: 'admin' } }
  ], 'every entry about the customer, oldest first, with names and roles')
  t.notOk(/password|hash|\$2[aby]\$|jwt|token/i.test(response.body), 'no password hash, token or hash chain')
  t.notOk(response.body.includes(ada.token))

  // Once Grace's account is gone, her entries stay, by id.
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${grace.user.id}`, ...as(other.token) })).statusCode, 204)
  const later = (await app.inject({ url: '/api/v1/users/me/export', ...as(ada.token) })).json()
  t.same(later.audit[0].actor, { id: grace.user.id, name: null, role: null })
  t.equal(later.genetic_profile.updated_by, null)
})

t.test('a customer without genetic results exports a null genetic profile; another customer\'s data is never in it', async (t) => {
  const ada = await signUp(app)
  const bob = await signUp(app)
  const body = (await app.inject({ url: '/api/v1/users/me/export', headers: auth(ada.token) })).json()
  t.equal(body.genetic_profile, null)
  t.same(body.audit, [])
  t.notOk(JSON.stringify(body).includes(bob.user.email))
})

t.test('the export needs a token', async (t) => {
  t.equal((await app.inject({ url: '/api/v1/users/me/export' })).statusCode, 401)
})
