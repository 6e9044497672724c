// The staff console's side of src/routes/users.ts: PATCH of the genetic profile one field at a
// time, the profile's entity tag and If-Match on both writes, and what an admin's read of one user
// adds (live sessions, who changed the profile and when).
import t from 'tap'
import { auth, buildTestApp, PASSWORD, resetData, signUp, signUpAdmin, testDatabase } from '../helper.js'

const db = await testDatabase(t)
const app = await buildTestApp(t, db)
t.beforeEach(async () => { await resetData(db) })

const RESULT = { BRCA1: 'negative', APOE: 'e3/e3' }
const CHANGED_MEANWHILE = 'changed by someone else meanwhile; reload'

const read = async (id: number, token: string) => await app.inject({ url: `/api/v1/users/${id}`, headers: auth(token) })
const write = async (method: 'PUT' | 'PATCH', id: number, token: string, payload: unknown, ifMatch?: string) =>
  await app.inject({
    method,
    url: `/api/v1/users/${id}/genetics`,
    headers: { ...auth(token), ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) },
    payload: payload as object
  })
const patch = async (id: number, token: string, payload: unknown, ifMatch?: string) => await write('PATCH', id, token, payload, ifMatch)

/** A customer whose address is verified (the link mailed at signup, followed), and an admin. */
async function customerAndAdmin () {
  const admin = await signUpAdmin(app, db, { first_name: 'Grace', last_name: 'Hopper' })
  const customer = await signUp(app, { email: 'ada@example.com' })
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [customer.user.id])
  return { admin, customer, id: customer.user.id }
}

/** The stored profiles, their values opened with the service's keys (they are stored encrypted). */
async function profileRows (): Promise<unknown[]> {
  const { rows } = await db.query<{ user_id: number, policy: string | null, genetic_result: string | null }>(
    'SELECT user_id, policy, genetic_result FROM genetic_profiles ORDER BY user_id')
  const open = (value: string | null, userId: number): string | null => value === null ? null : app.dataCipher.decrypt(value, userId)
  return rows.map((row) => ({
    user_id: row.user_id,
    policy: open(row.policy, row.user_id),
    genetic_result: row.genetic_result === null ? null : JSON.parse(open(row.genetic_result, row.user_id) as string)
  }))
}

async function geneticsAudit (id: number): Promise<string[][]> {
  const { rows } = await db.query<{ fields: string[] }>(
    "SELECT fields FROM audit_log WHERE action = 'genetics.update' AND target_id = $1 ORDER BY id", [id])
  return rows.map((row) => row.fields)
}

t.test('PATCH sets the result alone, then the policy alone, each keeping the other; then both', async (t) => {
  const { admin, customer, id } = await customerAndAdmin()

  const result = await patch(id, admin.token, { genetic_result: RESULT })
  t.equal(result.statusCode, 200)
  t.match(result.json(), { id, genetic_result: RESULT, policy: null, genetic_profile_updated_by: { id: admin.user.id, name: 'Grace Hopper' } })
  t.ok(Date.parse(result.json().genetic_profile_updated_at) > 0, 'says when')
  t.same(await profileRows(), [{ user_id: id, policy: null, genetic_result: RESULT }])

  const policy = await patch(id, admin.token, { policy: 'POL-2024-000123' })
  t.equal(policy.statusCode, 200)
  t.match(policy.json(), { genetic_result: RESULT, policy: 'POL-2024-000123' }, 'the result is kept')

  const again = await patch(id, admin.token, { genetic_result: { BRCA1: 'positive' } })
  t.match(again.json(), { genetic_result: { BRCA1: 'positive' }, policy: 'POL-2024-000123' }, 'the result is replaced, the policy kept')
  t.notOk('APOE' in again.json().genetic_result, 'replaced, not merged')

  const both = await patch(id, admin.token, { genetic_result: {}, policy: 'POL-2' })
  t.match(both.json(), { genetic_result: {}, policy: 'POL-2' })

  const me = await app.inject({ url: '/api/v1/users/me', headers: auth(customer.token) })
  t.match(me.json(), { genetic_result: {}, policy: 'POL-2' }, 'the customer sees it')
  t.notOk('live_sessions' in me.json(), 'and their own answer is as it was')

  t.same(await geneticsAudit(id), [['genetic_result'], ['policy'], ['genetic_result'], ['genetic_result', 'policy']],
    'each write names the fields it changed')
})

t.test('PATCH of the policy alone on a customer without results', async (t) => {
  const { admin, id } = await customerAndAdmin()
  const response = await patch(id, admin.token, { policy: 'POL-7' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { policy: 'POL-7', genetic_result: null })
  t.same(await profileRows(), [{ user_id: id, policy: 'POL-7', genetic_result: null }])
})

t.test('bad PATCH input is a 400 naming the field, and changes nothing', async (t) => {
  const { admin, id } = await customerAndAdmin()
  t.equal((await patch(id, admin.token, { genetic_result: RESULT, policy: 'POL-1' })).statusCode, 200)
  const before = await profileRows()
  const policyMessage = 'body/policy must be 1 to 128 printable ASCII characters, not starting or ending with a space'
  const cases: Array<[unknown, string]> = [
    [{}, 'body must contain at least one field to change'],
    [{ genetic_result: [1, 2] }, 'body/genetic_result must be an object'],
    [{ genetic_result: 'positive' }, 'body/genetic_result must be an object'],
    [{ genetic_result: null }, 'body/genetic_result must be an object'],
    [{ policy: 'POL\u00072' }, policyMessage],
    [{ policy: 'POL\t2' }, policyMessage],
    [{ policy: '' }, policyMessage],
    [{ policy: null }, 'body/policy must be a string'],
    [{ genetic_result: { data: 'x'.repeat(17000) } }, 'body/genetic_result must be at most 16 KiB as JSON (it has 17011 bytes)'],
    [{ policy: 'POL-3', note: 'x' }, 'body/note is not a known field']
  ]
  for (const [payload, message] of cases) {
    const response = await patch(id, admin.token, payload)
    t.equal(response.statusCode, 400, message)
    t.same(response.json(), { statusCode: 400, error: 'Bad Request', message })
  }
  const notJson = await app.inject({
    method: 'PATCH', url: `/api/v1/users/${id}/genetics`, headers: { ...auth(admin.token), 'content-type': 'application/json' }, payload: '{"genetic_result": {'
  })
  t.equal(notJson.statusCode, 400, 'a body that is not JSON')
  t.same(await profileRows(), before, 'nothing changed')
  t.same(await geneticsAudit(id), [['genetic_result', 'policy']], 'and nothing was recorded')
})

t.test('PATCH refuses unknown, deleted and unverified customers, and non-admins', async (t) => {
  const { admin, customer, id } = await customerAndAdmin()
  const unknown = await patch(424242, admin.token, { policy: 'POL-1' })
  t.same(unknown.json(), { statusCode: 404, error: 'Not Found', message: 'no user with id 424242' })

  const unverified = await signUp(app)
  const refused = await patch(unverified.user.id, admin.token, { genetic_result: RESULT })
  t.same(refused.json(), { statusCode: 409, error: 'Conflict', message: 'email not verified' })

  const forbidden = await patch(id, customer.token, { genetic_result: RESULT })
  t.equal(forbidden.statusCode, 403, 'a customer cannot write their own results')
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${id}/genetics`, payload: { policy: 'POL-1' } })).statusCode, 401)

  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${id}`, headers: auth(admin.token) })).statusCode, 204)
  t.equal((await patch(id, admin.token, { policy: 'POL-1' })).statusCode, 404, 'deleted meanwhile')
  t.same(await profileRows(), [])
})

t.test('GET sends the profile\'s ETag; a write with it goes ahead and gets a new one; a stale one is a 412', async (t) => {
  const { admin, id } = await customerAndAdmin()
  const first = await read(id, admin.token)
  const empty = first.headers.etag as string
  t.match(empty, /^"[^"]+"$/, 'a strong tag, even before there is a profile')

  const saved = await patch(id, admin.token, { genetic_result: RESULT }, empty)
  t.equal(saved.statusCode, 200)
  const afterResult = saved.headers.etag as string
  t.not(afterResult, empty, 'the tag changes with the write')
  t.equal((await read(id, admin.token)).headers.etag, afterResult, 'and GET sends the same one')

  // A second admin still holds the first tag.
  const stale = await patch(id, admin.token, { genetic_result: { BRCA1: 'positive' } }, empty)
  t.same(stale.json(), { statusCode: 412, error: 'Precondition Failed', message: CHANGED_MEANWHILE })
  const stalePut = await write('PUT', id, admin.token, { genetic_result: { BRCA1: 'positive' }, policy: 'POL-9' }, empty)
  t.equal(stalePut.statusCode, 412, 'PUT too')
  t.same(await profileRows(), [{ user_id: id, policy: null, genetic_result: RESULT }], 'nothing changed')
  t.same(await geneticsAudit(id), [['genetic_result']], 'and nothing was recorded')

  const put = await write('PUT', id, admin.token, { genetic_result: { BRCA1: 'positive' }, policy: 'POL-9' }, afterResult)
  t.equal(put.statusCode, 200, 'PUT with the current tag')
  const afterPut = put.headers.etag as string
  t.not(afterPut, afterResult)
  t.equal((await patch(id, admin.token, { policy: 'POL-10' }, afterResult)).statusCode, 412, 'the tag before the PUT is stale now')

  t.equal((await patch(id, admin.token, { policy: 'POL-10' }, `"other", ${afterPut}`)).statusCode, 200, 'a list naming the current tag')
  t.equal((await patch(id, admin.token, { policy: 'POL-11' }, '*')).statusCode, 200, '* is any version')
  const current = (await read(id, admin.token)).headers.etag as string
  t.equal((await patch(id, admin.token, { policy: 'POL-12' }, `W/${current}`)).statusCode, 412, 'a weak tag never matches')
  t.equal((await patch(id, admin.token, { policy: 'POL-12' })).statusCode, 200, 'without If-Match, as before')
  t.equal((await write('PUT', id, admin.token, { genetic_result: {}, policy: 'POL-13' })).statusCode, 200)
  t.same(await profileRows(), [{ user_id: id, policy: 'POL-13', genetic_result: {} }])
})

t.test('one customer\'s tag does not pass for another\'s, and checks come in order: 404, 409, then 412', async (t) => {
  const { admin, id } = await customerAndAdmin()
  const other = await signUp(app)
  await db.query('UPDATE users SET email_verified = true WHERE id = $1', [other.user.id])
  const tagOfOther = (await read(other.user.id, admin.token)).headers.etag as string
  t.equal((await patch(id, admin.token, { policy: 'POL-1' }, tagOfOther)).statusCode, 412)

  t.equal((await patch(424242, admin.token, { policy: 'POL-1' }, '"stale"')).statusCode, 404)
  const unverified = await signUp(app)
  t.equal((await patch(unverified.user.id, admin.token, { policy: 'POL-1' }, '"stale"')).statusCode, 409)
  t.same(await profileRows(), [])
})

t.test('two admins saving from the same version at once: one is saved, the other gets 412', async (t) => {
  const { admin, id } = await customerAndAdmin()
  const other = await signUpAdmin(app, db)
  const tag = (await read(id, admin.token)).headers.etag as string
  const answers = await Promise.all([
    patch(id, admin.token, { genetic_result: { BRCA1: 'negative' } }, tag),
    patch(id, other.token, { genetic_result: { BRCA1: 'positive' } }, tag)
  ])
  t.same(answers.map((answer) => answer.statusCode).sort(), [200, 412])
  const winner = answers.find((answer) => answer.statusCode === 200)
  t.same((await profileRows()), [{ user_id: id, policy: null, genetic_result: winner?.json().genetic_result }])
  t.equal((await geneticsAudit(id)).length, 1)
})

t.test('an admin\'s read of one user: live sessions, and who changed the profile last and when', async (t) => {
  const { admin, customer, id } = await customerAndAdmin()
  const before = (await read(id, admin.token)).json()
  t.match(before, { id, live_sessions: 1, genetic_profile_updated_at: null, genetic_profile_updated_by: null })

  await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  t.equal((await read(id, admin.token)).json().live_sessions, 2, 'a second login')
  await app.inject({ method: 'POST', url: '/api/v1/users/logout', headers: auth(customer.token) })
  t.equal((await read(id, admin.token)).json().live_sessions, 1, 'one logged out')

  const other = await signUpAdmin(app, db, { first_name: 'Katherine', last_name: 'Johnson' })
  await patch(id, other.token, { policy: 'POL-1' })
  const after = (await read(id, admin.token)).json()
  t.match(after, { genetic_profile_updated_by: { id: other.user.id, name: 'Katherine Johnson' } })
  t.ok(Date.parse(after.genetic_profile_updated_at) >= Date.parse(after.created_at))

  await app.inject({ method: 'DELETE', url: `/api/v1/users/${other.user.id}`, headers: auth(admin.token) })
  t.match((await read(id, admin.token)).json(), { policy: 'POL-1', genetic_profile_updated_by: null }, 'the writer deleted since')

  const own = await read(admin.user.id, admin.token)
  t.match(own.json(), { id: admin.user.id, live_sessions: 1 }, 'an admin reading themself gets the same answer')
  t.ok(own.headers.etag !== undefined)
  const { rows } = await db.query('SELECT 1 FROM audit_log WHERE action = \'user.read\' AND target_id = $1', [admin.user.id])
  t.same(rows, [], 'and it is not an audit event')

  const self = await read(id, customer.token)
  t.equal(self.statusCode, 401, 'the logged-out session')
  const login = await app.inject({ method: 'POST', url: '/api/v1/users/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  const mine = await read(id, login.json().jwt_token)
  t.same(Object.keys(mine.json()).sort(), Object.keys(customer.user).sort(), 'a customer reading themself gets the User, nothing more')
  t.equal(mine.headers.etag, undefined)
})
