import t from 'tap'
import { auth, buildTestApp, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const get = async (url: string, token: string) => await app.inject({ url, headers: auth(token) })
const patch = async (url: string, token: string, payload: unknown) => await app.inject({ method: 'PATCH', url, headers: auth(token), payload: payload as object })
const del = async (url: string, token: string) => await app.inject({ method: 'DELETE', url, headers: auth(token) })
const putGenetics = async (id: number, token: string, payload: unknown) => {
  // Genetic results need a verified address (the link mailed at signup, followed).
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [id])
  return await app.inject({ method: 'PUT', url: `/api/v1/users/${id}/genetics`, headers: auth(token), payload: payload as object })
}

const GENETICS = { genetic_result: { BRCA1: 'negative', APOE: 'e3/e3', markers: [{ rsid: 'rs429358', genotype: 'TT' }] }, policy: 'POL-2024-000123' }

t.test('a normal user gets 403 on every admin route, and nothing changes', async (t) => {
  const user = await signUp(app)
  const other = await signUp(app)
  const calls = [
    await get('/api/v1/users', user.token),
    await get(`/api/v1/users/${other.user.id}`, user.token),
    await get('/api/v1/users/999999', user.token),
    await patch(`/api/v1/users/${other.user.id}`, user.token, { first_name: 'Eve' }),
    await patch(`/api/v1/users/${user.user.id}`, user.token, { role: 'admin' }),
    await del(`/api/v1/users/${other.user.id}`, user.token),
    await putGenetics(user.user.id, user.token, GENETICS),
    await get('/api/v1/audit', user.token)
  ]
  for (const response of calls) {
    t.equal(response.statusCode, 403)
    t.equal(response.json().error, 'Forbidden')
  }
  const { rows } = await db.query<{ role: string, first_name: string }>('SELECT role, first_name FROM users ORDER BY id')
  t.same(rows, [{ role: 'user', first_name: 'Ada' }, { role: 'user', first_name: 'Ada' }])
  t.same((await db.query('SELECT * FROM genetic_profiles')).rows, [])
})

t.test('admin routes need a token', async (t) => {
  for (const [method, url] of [['GET', '/api/v1/users'], ['GET', '/api/v1/users/1'], ['PATCH', '/api/v1/users/1'], ['DELETE', '/api/v1/users/1'], ['PUT', '/api/v1/users/1/genetics'], ['GET', '/api/v1/audit']] as const) {
    t.equal((await app.inject({ method, url })).statusCode, 401, `${method} ${url}`)
  }
})

t.test('the list pages with a cursor until next_cursor is null, and filters by email', async (t) => {
  const admin = await signUpAdmin(app, db, { email: 'admin@staff.example.org' })
  for (let i = 0; i < 4; i++) await signUp(app, { email: `Customer${i}@Example.com` })

  const first = await get('/api/v1/users?limit=2', admin.token)
  t.equal(first.statusCode, 200)
  t.same(first.json().users.map((u: { email: string }) => u.email), ['admin@staff.example.org', 'Customer0@Example.com'])
  const second = await get(`/api/v1/users?limit=2&cursor=${first.json().next_cursor as string}`, admin.token)
  const third = await get(`/api/v1/users/?limit=2&cursor=${second.json().next_cursor as string}`, admin.token)
  t.same(third.json().users.map((u: { email: string }) => u.email), ['Customer3@Example.com'])
  t.equal(third.json().next_cursor, null)

  const all = await get('/api/v1/users', admin.token)
  t.equal(all.json().users.length, 5, 'the default page (20) holds them all')
  t.equal(all.json().next_cursor, null)
  t.match(all.json().users[1], { email: 'Customer0@Example.com', role: 'user', has_genetic_result: false, has_policy: false })

  const filtered = await get('/api/v1/users?email=EXAMPLE.COM', admin.token)
  t.equal(filtered.json().users.length, 4, 'case-insensitive substring')
  const none = await get('/api/v1/users?email=%25', admin.token)
  t.same(none.json(), { users: [], next_cursor: null }, 'a % is a character, not a wildcard')
})

t.test('the list shows whether there is health data, never the data; only a read of the user hands it out, and is audited', async (t) => {
  const admin = await signUpAdmin(app, db)
  const dave = await signUp(app, { email: 'dave@example.com', first_name: 'Dave' })
  await signUp(app, { email: 'erin@example.com' })
  t.equal((await putGenetics(dave.user.id, admin.token, GENETICS)).statusCode, 200)
  const trailOfDave = async (): Promise<Array<[string, number | null]>> => {
    const { rows } = await db.query<{ action: string, actor_id: number | null }>(
      "SELECT action, actor_id FROM audit_log WHERE target_id = $1 AND action <> 'genetics.update' ORDER BY id", [dave.user.id])
    return rows.map((row) => [row.action, row.actor_id])
  }

  const list = await get('/api/v1/users?email=dave', admin.token)
  t.equal(list.statusCode, 200)
  const { users } = list.json() as { users: Array<Record<string, unknown>> }
  t.equal(users.length, 1)
  t.same(Object.keys(users[0]).sort(),
    ['created_at', 'dob', 'email', 'email_verified', 'first_name', 'has_genetic_result', 'has_policy', 'id', 'last_name', 'modified_at', 'pending_email', 'role'])
  t.match(users[0], { id: dave.user.id, email: 'dave@example.com', first_name: 'Dave', has_genetic_result: true, has_policy: true })
  t.notMatch(list.body, /BRCA1|rs429358|POL-2024/, 'no genetic value or policy number anywhere in the answer')
  const others = (await get('/api/v1/users?email=erin', admin.token)).json().users
  t.match(others, [{ email: 'erin@example.com', has_genetic_result: false, has_policy: false }])
  t.same(await trailOfDave(), [], 'listing is not a read of dave')

  const read = await get(`/api/v1/users/${dave.user.id}`, admin.token)
  t.same(read.json().genetic_result, GENETICS.genetic_result)
  t.equal(read.json().policy, GENETICS.policy)
  t.same(await trailOfDave(), [['user.read', admin.user.id]], 'the read that hands out the data is in dave\'s trail')
  const trail = await get(`/api/v1/audit?user_id=${dave.user.id}`, admin.token)
  t.match(trail.json().entries, [{ action: 'user.read', actor_id: admin.user.id, target_id: dave.user.id }, { action: 'genetics.update' }])
})

t.test('list parameters outside their range are a 400', async (t) => {
  const admin = await signUpAdmin(app, db)
  const cases: Array<[string, string]> = [
    ['limit=0', 'querystring/limit must be at least 1'],
    ['limit=101', 'querystring/limit must be at most 100'],
    ['limit=ten', 'querystring/limit must be an integer'],
    ['cursor=bm9wZQ', 'querystring/cursor is not a cursor returned by this endpoint'],
    [`cursor=${Buffer.from('audit:1').toString('base64url')}`, 'querystring/cursor is not a cursor returned by this endpoint'],
    ['email=', 'querystring/email must not be empty']
  ]
  for (const [query, message] of cases) {
    const response = await get(`/api/v1/users?${query}`, admin.token)
    t.equal(response.statusCode, 400, query)
    t.equal(response.json().message, message, query)
  }
  t.equal((await get('/api/v1/users?limit=100', admin.token)).statusCode, 200)
})

t.test('walking the pages while users sign up misses and repeats no one', async (t) => {
  const admin = await signUpAdmin(app, db)
  for (let i = 0; i < 12; i++) await signUp(app)
  const seen: number[] = []
  let cursor: string | null = ''
  let added = 0
  while (cursor !== null) {
    const response = await get(`/api/v1/users?limit=5${cursor === '' ? '' : `&cursor=${cursor}`}`, admin.token)
    const body = response.json() as { users: Array<{ id: number }>, next_cursor: string | null }
    seen.push(...body.users.map((u) => u.id))
    cursor = body.next_cursor
    if (added < 6) { await signUp(app); await signUp(app); added += 2 }
  }
  const { rows } = await db.query<{ id: number }>('SELECT id FROM users ORDER BY id')
  t.equal(new Set(seen).size, seen.length, 'no user repeated')
  t.same(seen, rows.map((r) => r.id), 'every user seen, in id order, including those added during the walk')
  t.equal(seen.length, 19)
})

t.test('a user reads their own record; an admin reads anyone\'s; ids are checked', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app, { first_name: 'Grace' })
  const own = await get(`/api/v1/users/${user.user.id}`, user.token)
  t.equal(own.statusCode, 200)
  t.equal(own.json().first_name, 'Grace')
  const read = await get(`/api/v1/users/${user.user.id}/`, admin.token)
  t.equal(read.statusCode, 200)
  t.equal(read.json().email, user.user.email)

  t.equal((await get('/api/v1/users/424242', admin.token)).statusCode, 404)
  t.same((await get('/api/v1/users/424242', admin.token)).json().message, 'no user with id 424242')
  for (const [id, message] of [['abc', 'params/id must be an integer'], ['0', 'params/id must be at least 1'], ['99999999999', 'params/id must be at most 2147483647'], ['1.5', 'params/id must be an integer']]) {
    const response = await get(`/api/v1/users/${id}`, admin.token)
    t.equal(response.statusCode, 400, id)
    t.equal(response.json().message, message, id)
  }
})

t.test('an admin changes a profile and a role; bad input changes nothing', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app, { email: 'grace@example.com' })
  await signUp(app, { email: 'taken@example.com' })
  const url = `/api/v1/users/${user.user.id}`

  const changed = await patch(url, admin.token, { first_name: '  Grace ', last_name: 'Hopper', dob: '1906-12-09', email: 'g.hopper@example.com' })
  t.equal(changed.statusCode, 200)
  t.match(changed.json(), { first_name: 'Grace', last_name: 'Hopper', dob: '1906-12-09', email: 'g.hopper@example.com', role: 'user' })

  const promoted = await patch(url, admin.token, { role: 'admin' })
  t.equal(promoted.json().role, 'admin')

  const cases: Array<[unknown, number, string]> = [
    [{ role: 'superuser' }, 400, 'body/role must be one of: user, admin'],
    [{ password: 'violet-Harbor-93-kettle' }, 400, 'body/password is not a known field'],
    [{ genetic_result: {} }, 400, 'body/genetic_result cannot be set here: an admin sets it with PUT /api/v1/users/{id}/genetics'],
    [{}, 400, 'body must contain at least one field to change'],
    [{ dob: '2999-01-01' }, 400, 'body/dob must not be in the future'],
    [{ email: 'TAKEN@example.com' }, 409, 'an account with this email already exists']
  ]
  for (const [payload, status, message] of cases) {
    const response = await patch(url, admin.token, payload)
    t.equal(response.statusCode, status, message)
    t.equal(response.json().message, message)
  }
  const unknown = await patch('/api/v1/users/424242', admin.token, { first_name: 'Nobody' })
  t.equal(unknown.statusCode, 404)
  const stored = await db.query('SELECT email, first_name, role FROM users WHERE id = $1', [user.user.id])
  t.same(stored.rows, [{ email: 'g.hopper@example.com', first_name: 'Grace', role: 'admin' }])
})

t.test('a demoted admin loses access on the next request, with the same token', async (t) => {
  const admin = await signUpAdmin(app, db)
  const colleague = await signUp(app)
  t.equal((await patch(`/api/v1/users/${colleague.user.id}`, admin.token, { role: 'admin' })).statusCode, 200)
  t.equal((await get('/api/v1/users', colleague.token)).statusCode, 200, 'promotion works at once too')
  t.equal((await patch(`/api/v1/users/${colleague.user.id}`, admin.token, { role: 'user' })).statusCode, 200)
  t.equal((await get('/api/v1/users', colleague.token)).statusCode, 403)
})

t.test('the last admin cannot demote or delete themself', async (t) => {
  const admin = await signUpAdmin(app, db)
  const url = `/api/v1/users/${admin.user.id}`
  const message = 'this is the last admin account: make another user an admin first'
  const demote = await patch(url, admin.token, { role: 'user' })
  t.equal(demote.statusCode, 409)
  t.equal(demote.json().message, message)
  const remove = await del(url, admin.token)
  t.equal(remove.statusCode, 409)
  t.equal(remove.json().message, message)
  const removeMe = await del('/api/v1/users/me', admin.token)
  t.equal(removeMe.statusCode, 409)
  t.same((await db.query('SELECT role FROM users WHERE id = $1', [admin.user.id])).rows, [{ role: 'admin' }])

  const second = await signUpAdmin(app, db)
  t.equal((await patch(url, admin.token, { role: 'user' })).statusCode, 200, 'with another admin, stepping down is fine')
  t.equal((await del(`/api/v1/users/${second.user.id}`, second.token)).statusCode, 409, 'and now the other one is the last')
})

t.test('two admins stepping down at the same moment leave one admin', async (t) => {
  const first = await signUpAdmin(app, db)
  const second = await signUpAdmin(app, db)
  const responses = await Promise.all([
    patch(`/api/v1/users/${first.user.id}`, first.token, { role: 'user' }),
    patch(`/api/v1/users/${second.user.id}`, second.token, { role: 'user' })
  ])
  t.same(responses.map((r) => r.statusCode).sort(), [200, 409])
  t.same((await db.query("SELECT count(*)::int AS n FROM users WHERE role = 'admin'")).rows, [{ n: 1 }])
})

t.test('deleting a user removes their genetic data and sessions; their token dies at once', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  t.equal((await putGenetics(user.user.id, admin.token, GENETICS)).statusCode, 200)
  const response = await del(`/api/v1/users/${user.user.id}`, admin.token)
  t.equal(response.statusCode, 204)
  t.equal((await get('/api/v1/users/me', user.token)).statusCode, 401)
  for (const table of ['users', 'sessions', 'genetic_profiles']) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${table === 'users' ? 'id' : 'user_id'} = $1`, [user.user.id])
    t.same(rows, [{ n: 0 }], table)
  }
  const again = await del(`/api/v1/users/${user.user.id}`, admin.token)
  t.equal(again.statusCode, 404)
  t.equal(again.json().message, `no user with id ${user.user.id}`)
})

t.test('an admin sets genetic results and policy; the user sees them in /me', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  const response = await putGenetics(user.user.id, admin.token, GENETICS)
  t.equal(response.statusCode, 200)
  t.match(response.json(), { id: user.user.id, policy: 'POL-2024-000123', genetic_result: GENETICS.genetic_result })
  const me = await get('/api/v1/users/me', user.token)
  t.same(me.json().genetic_result, GENETICS.genetic_result)
  t.equal(me.json().policy, 'POL-2024-000123')
  const { rows } = await db.query<{ updated_by: number }>('SELECT updated_by FROM genetic_profiles WHERE user_id = $1', [user.user.id])
  t.same(rows, [{ updated_by: admin.user.id }])

  const replaced = await putGenetics(user.user.id, admin.token, { genetic_result: {}, policy: 'POL-2' })
  t.match(replaced.json(), { policy: 'POL-2', genetic_result: {} })
})

t.test('genetics input is checked and a refusal changes nothing', async (t) => {
  const admin = await signUpAdmin(app, db)
  const user = await signUp(app)
  const policyMessage = 'body/policy must be 1 to 128 printable ASCII characters, not starting or ending with a space'
  const cases: Array<[unknown, string]> = [
    [{ policy: 'P-1' }, 'body/genetic_result is required'],
    [{ genetic_result: {} }, 'body/policy is required'],
    [{ genetic_result: [1, 2], policy: 'P-1' }, 'body/genetic_result must be an object'],
    [{ genetic_result: 'positive', policy: 'P-1' }, 'body/genetic_result must be an object'],
    [{ genetic_result: {}, policy: '' }, policyMessage],
    [{ genetic_result: {}, policy: ' P-1' }, policyMessage],
    [{ genetic_result: {}, policy: 'P'.repeat(129) }, policyMessage],
    [{ genetic_result: {}, policy: 'Pölicy' }, policyMessage],
    [{ genetic_result: {}, policy: 7 }, 'body/policy must be a string'],
    [{ genetic_result: { data: 'x'.repeat(17000) }, policy: 'P-1' }, 'body/genetic_result must be at most 16 KiB as JSON (it has 17011 bytes)'],
    [{ genetic_result: { 'a\u0000b': 1 }, policy: 'P-1' }, 'body/genetic_result has a field name with a NUL character or invalid Unicode'],
    [{ genetic_result: {}, policy: 'P-1', note: 'x' }, 'body/note is not a known field']
  ]
  for (const [payload, message] of cases) {
    const response = await putGenetics(user.user.id, admin.token, payload)
    t.equal(response.statusCode, 400, message)
    t.equal(response.json().message, message)
  }
  t.equal((await putGenetics(user.user.id, admin.token, { genetic_result: {}, policy: 'P'.repeat(128) })).statusCode, 200, '128 characters is fine')
  t.equal((await putGenetics(424242, admin.token, GENETICS)).statusCode, 404)
  const { rows } = await db.query<{ user_id: number, policy: string }>('SELECT user_id, policy FROM genetic_profiles')
  t.same(rows.map((row) => app.dataCipher.decrypt(row.policy, row.user_id)), ['P'.repeat(128)], 'stored encrypted, for that user only')
})
