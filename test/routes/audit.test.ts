import t from 'tap'
import { auth, buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

interface Entry { id: number, at: string, actor_id: number | null, action: string, target_id: number | null, fields: string[] }

const audit = async (token: string, query = '') => await app.inject({ url: `/api/v1/audit${query}`, headers: auth(token) })

t.test('admin reads of others and every change are recorded, newest first, without values', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app, { email: 'grace@example.com' })
  const h = auth(admin.token)
  await app.inject({ url: '/api/v1/users', headers: h })
  await app.inject({ url: `/api/v1/users/${user.user.id}`, headers: h })
  await app.inject({ url: `/api/v1/users/${admin.user.id}`, headers: h })
  await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.user.id}`, headers: h, payload: { last_name: 'Hopper', role: 'admin' } })
  // Genetic results need a verified address (the link mailed at signup, followed).
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [user.user.id])
  await app.inject({ method: 'PUT', url: `/api/v1/users/${user.user.id}/genetics`, headers: h, payload: { genetic_result: { BRCA1: 'pathogenic-variant' }, policy: 'POL-SECRET-9' } })
  await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: auth(user.token), payload: { password: 'new-Harbor-71-lantern', current_password: PASSWORD } })
  await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.user.id}`, headers: h })

  const response = await audit(admin.token)
  t.equal(response.statusCode, 200)
  const entries = response.json().entries as Entry[]
  t.same(entries.map((e) => [e.actor_id, e.action, e.target_id, e.fields]), [
    [admin.user.id, 'user.delete', user.user.id, []],
    [user.user.id, 'user.update', user.user.id, ['password']],
    [admin.user.id, 'genetics.update', user.user.id, ['genetic_result', 'policy']],
    [admin.user.id, 'user.update', user.user.id, ['last_name', 'role']],
    [admin.user.id, 'user.read', user.user.id, []],
    [admin.user.id, 'users.list', null, []]
  ], 'reading one\'s own record is not an audit event')
  t.ok(entries.every((e) => !Number.isNaN(Date.parse(e.at))))
  t.equal(response.json().next_cursor, null)

  const dump = JSON.stringify((await db.query('SELECT * FROM audit_log')).rows)
  t.notMatch(dump, /pathogenic|POL-SECRET|Hopper|Harbor/, 'the log names fields, never their values')
})

t.test('the log filters by user and pages with a cursor', async (t) => {
  const admin = await signUpAdmin(app, db)
  const users = [await signUp(app), await signUp(app)]
  for (let i = 0; i < 5; i++) {
    for (const user of users) {
      await app.inject({ method: 'PATCH', url: `/api/v1/users/${user.user.id}`, headers: auth(admin.token), payload: { first_name: `Name${i}` } })
    }
  }
  const first = await audit(admin.token, `?user_id=${users[0].user.id}&limit=3`)
  t.equal(first.json().entries.length, 3)
  t.ok((first.json().entries as Entry[]).every((e) => e.target_id === users[0].user.id))
  const second = await audit(admin.token, `?user_id=${users[0].user.id}&limit=3&cursor=${first.json().next_cursor as string}`)
  t.equal(second.json().entries.length, 2)
  t.equal(second.json().next_cursor, null)
  const ids = [...first.json().entries, ...second.json().entries].map((e: Entry) => e.id)
  t.same(ids, [...ids].sort((a, b) => b - a), 'newest first, no overlap')
  t.equal(new Set(ids).size, 5)

  const all = await audit(admin.token, '?limit=100')
  t.equal(all.json().entries.length, 10)
})

t.test('bad audit queries are a 400; users get 403', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  for (const [query, message] of [
    ['?user_id=abc', 'querystring/user_id must be an integer'],
    ['?limit=500', 'querystring/limit must be at most 100'],
    [`?cursor=${Buffer.from('users:3').toString('base64url')}`, 'querystring/cursor is not a cursor returned by this endpoint']
  ]) {
    const response = await audit(admin.token, query)
    t.equal(response.statusCode, 400, query)
    t.equal(response.json().message, message)
  }
  t.equal((await audit(user.token)).statusCode, 403)
  t.equal((await app.inject({ url: '/api/v1/audit' })).statusCode, 401)
})

t.test('entries carry the names of who acted and of whom, as they are now, and filter by who acted', async (t) => {
  const grace = await signUpAdmin(app, db, { first_name: 'Grace', last_name: 'Hopper' })
  const katherine = await signUpAdmin(app, db, { first_name: 'Katherine', last_name: 'Johnson' })
  const ada = await signUp(app, { first_name: 'Ada', last_name: 'Lovelace' })
  await app.inject({ url: `/api/v1/users/${ada.user.id}`, headers: auth(grace.token) })
  await app.inject({ url: '/api/v1/users', headers: auth(katherine.token) })
  await app.inject({ method: 'PATCH', url: `/api/v1/users/${ada.user.id}`, headers: auth(katherine.token), payload: { last_name: 'King' } })

  const all = (await audit(grace.token)).json().entries as Array<Entry & { actor_name: string | null, target_name: string | null }>
  t.same(all.map((e) => [e.action, e.actor_name, e.target_name]), [
    ['user.update', 'Katherine Johnson', 'Ada King'],
    ['users.list', 'Katherine Johnson', null],
    ['user.read', 'Grace Hopper', 'Ada King']
  ])
  const byKatherine = (await audit(grace.token, `?actor_id=${katherine.user.id}`)).json().entries as Entry[]
  t.same(byKatherine.map((e) => e.action), ['user.update', 'users.list'])
  const byKatherineAboutAda = (await audit(grace.token, `?actor_id=${katherine.user.id}&user_id=${ada.user.id}`)).json().entries as Entry[]
  t.same(byKatherineAboutAda.map((e) => e.action), ['user.update'])
  t.equal((await audit(grace.token, '?actor_id=0')).statusCode, 400)

  await app.inject({ method: 'DELETE', url: `/api/v1/users/${katherine.user.id}`, headers: auth(grace.token) })
  const after = (await audit(grace.token, `?user_id=${ada.user.id}`)).json().entries as Array<{ actor_id: number, actor_name: string | null }>
  t.same(after.map((e) => [e.actor_id, e.actor_name]), [[katherine.user.id, null], [grace.user.id, 'Grace Hopper']], 'a deleted account has no name any more, its id stays')
})
